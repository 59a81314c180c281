"""The run configuration: plain frozen records fixed before a run starts (flag > policy file > default).

A leaf: it imports no stage, so every stage can read its settings without
an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class GenerationSettings:
    """How answers are generated; the engine options apply to the vLLM backend."""

    max_tokens: int = 128
    # A check writes every answer to this many tokens first and continues only the open ones; 0: one phase.
    # Off by default: on a CPU the second phase reads each prompt again, which cost more than it saved
    # (benchmarks/two_phase.py), and a continued answer is not always token for token the one-phase answer.
    decision_tokens: int = 0
    batch_size: int | None = None  # transformers; None: chosen from the model's size and the memory free
    seed: int = 0  # decoding is greedy; the seed pins anything else that samples
    trust_remote_code: bool = False
    tensor_parallel_size: int = 1
    gpu_memory_utilization: float | None = None  # None: vLLM's default on GPU, 0.4 on CPU
    max_model_len: int | None = None
    dtype: str = "auto"
    save_every: int = 256  # answers per backend call; each call's answers are cached when it returns


@dataclass(frozen=True, slots=True)
class JudgeSpec:
    """Which judge runs, and for a model judge, which model on which backend."""

    name: str = "lexicon"
    model: Path | None = None
    backend: str = "auto"
    format: str = "auto"  # a model judge's output: auto (detected), label, qwen3guard
    settings: GenerationSettings | None = None  # None: what the judge's output format needs


@dataclass(frozen=True, slots=True)
class ServedModels:
    """An OpenAI-compatible server and the model names each side calls."""

    base_url: str
    baseline_model: str
    candidate_models: tuple[str, ...]
    api_key_env: str | None = None
    concurrency: int = 8


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Everything one `check` needs."""

    base: Path | None  # the model adapters apply to; None with a served backend or a full-model baseline
    candidates: tuple[Path, ...] = ()  # each a peft adapter folder or a full model folder
    baseline: Path | None = None  # an adapter or a full model folder; None: the base alone
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
    allow_underpowered: bool = False  # run languages whose prompt count cannot meet the policy
    review: Path | None = None  # a person's labels that override the judge's
