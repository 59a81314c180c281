"""Plan the run: who answers as baseline and as candidate, what identifies each, and the backend serving them.

A side's identity is everything that decides its answers (model content
hash, adapter content hash, backend, generation parameters); it keys the
generation cache. Local sides are a model folder plus LoRA adapters; served
sides are model names on an OpenAI-compatible server. Every check here is
cheap and runs before any model loads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..backends import Backend, GenerationRequest, backend_class, resolve_backend
from ..backends.model_files import Adapter, adapter_fingerprint, base_fingerprint, check_base_model, read_adapter
from ..backends.openai_server import OpenAIBackend, ServerConfig
from ..config import GenerationSettings, RunConfig
from ..errors import InputError
from ..records import Prompt


@dataclass(frozen=True, slots=True)
class Side:
    """One side of the comparison: a label and what plays it (the base, base + adapter, or a served model)."""

    label: str
    adapter: Adapter | None
    identity: dict[str, Any] = field(default_factory=dict)  # what decides its answers: the cache key's base
    model: str | None = None  # the served model name, for server backends

    def request(self, prompt: Prompt) -> GenerationRequest:
        return GenerationRequest(prompt, self.adapter, self.model)


class LazyBackend:
    """Builds the run's one backend on first call; `release` frees it (engine memory) when done."""

    def __init__(self, build: Callable[[], Backend], owned: bool = True) -> None:
        self._build = build
        self._owned = owned  # a backend handed in by the caller is the caller's to close
        self._built: Backend | None = None

    def __call__(self) -> Backend:
        if self._built is None:
            self._built = self._build()
        return self._built

    def release(self) -> None:
        close = getattr(self._built, "close", None)
        if close is not None and self._owned:
            close()
        self._built = None


@dataclass(frozen=True, slots=True)
class RunPlan:
    baseline: Side
    candidate: Side
    make_backend: LazyBackend
    backend: str
    reason: str  # why this backend

    @property
    def sides(self) -> tuple[Side, Side]:
        return (self.baseline, self.candidate)


def generation_identity(backend: str, settings: GenerationSettings) -> dict[str, Any]:
    return {
        "backend": backend,
        "max_tokens": settings.max_tokens,
        "seed": settings.seed,
        "dtype": settings.dtype,
        "decoding": "greedy",
    }


def _local_side(label: str, base: Path, adapter: Adapter | None, common: dict[str, Any], memo: Path | None) -> Side:
    return Side(
        label,
        adapter,
        {
            **common,
            "base": base_fingerprint(base, memo),
            "adapter": adapter_fingerprint(adapter.path, memo) if adapter else None,
        },
    )


def plan_run(config: RunConfig, backend: Backend | None = None) -> RunPlan:
    """Validate the models and adapters (cheap checks first) and lay out both sides."""
    name, reason = resolve_backend(config.backend)
    reason = config.backend_reason or reason
    common = generation_identity(name, config.settings)
    if name == "openai":
        return _served_plan(config, common, reason)
    if config.base is None:
        raise InputError("--base: a local model folder is required with this backend")
    check_base_model(config.base)
    baseline_adapter = read_adapter(config.baseline_adapter) if config.baseline_adapter else None
    candidate_adapter = read_adapter(config.adapter) if config.adapter else None
    adapters = [a for a in (baseline_adapter, candidate_adapter) if a is not None]
    baseline = _local_side("baseline", config.base, baseline_adapter, common, config.cache_dir)
    candidate = _local_side("candidate", config.base, candidate_adapter, common, config.cache_dir)
    if backend is not None:
        return RunPlan(baseline, candidate, LazyBackend(lambda: backend, owned=False), name, reason)

    def build() -> Backend:
        return backend_class(name)(config.base, adapters, config.settings)

    return RunPlan(baseline, candidate, LazyBackend(build), name, reason)


def _served_plan(config: RunConfig, common: dict[str, Any], reason: str) -> RunPlan:
    served = config.served
    if served is None:
        raise InputError("--backend openai needs --base-url, --baseline-model and --candidate-model")
    backend = OpenAIBackend(ServerConfig(served.base_url, served.api_key_env, served.concurrency), config.settings)
    models = backend.served_models()
    sides = []
    for label, model in (("baseline", served.baseline_model), ("candidate", served.candidate_model)):
        if model not in models:
            raise InputError(
                f"--{label}-model: {model!r} is not served at {served.base_url} (served: {', '.join(sorted(models))})"
            )
        # A server cannot hash its weights for us: its name and root path stand in for them.
        identity = {**common, "server": served.base_url, "model": model, "root": models[model].get("root")}
        sides.append(Side(label, None, identity, model))
    return RunPlan(sides[0], sides[1], LazyBackend(lambda: backend), "openai", reason)
