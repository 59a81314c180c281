"""The run configuration: one frozen object, fixed before a run starts (flag > policy file > default)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .backends import GenerationSettings
from .judge import JudgeSpec


@dataclass(frozen=True, slots=True)
class ServedModels:
    """An OpenAI-compatible server and the model names each side calls."""

    base_url: str
    baseline_model: str
    candidate_model: str
    api_key_env: str | None = None
    concurrency: int = 8


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Everything one `check` needs."""

    base: Path | None  # a local model folder; None only with a served backend
    adapter: Path | None = None
    baseline_adapter: Path | None = None
    suites: tuple[str, ...] = ()  # empty: the default built-in suites
    languages: tuple[str, ...] = ()  # empty: every language of the suites
    suite_columns: tuple[tuple[str, str], ...] = ()  # field -> column, for table suites
    sample: int | None = None  # items per language, stratified and seeded
    policy: str | None = None  # None: the built-in default
    backend: str = "auto"
    backend_reason: str | None = None  # why the caller chose `backend`, when it did
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    out_dir: Path = Path("safetygate-report")
    judge: JudgeSpec = field(default_factory=JudgeSpec)
    cache_dir: Path | None = None  # None: no cache (and no resume)
    served: ServedModels | None = None  # with backend "openai"
