"""Who answers: the baseline and candidate sides, what identifies them, and the backend serving them.

A side's identity is everything that decides its answers (model content
hash, adapter content hash, backend, generation parameters); it keys the
generation cache. Local sides are a model folder plus LoRA adapters; served
sides are model names on an OpenAI-compatible server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .backends import Backend, GenerationSettings, backend_class, vllm_available
from .config import RunConfig
from .errors import InputError
from .generate import Side
from .models import adapter_fingerprint, base_fingerprint, check_base_model, read_adapter_config


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
class Plan:
    sides: list[Side]
    make_backend: LazyBackend
    backend: str
    reason: str  # why this backend


def resolve_backend(name: str) -> tuple[str, str]:
    """The backend to run for `name`, and why it was chosen."""
    if name == "auto":
        if vllm_available():
            return "vllm", "auto: vLLM is installed"
        return "transformers", "auto: vLLM is not installed (pip install 'safetygate[gpu]' or '[cpu]')"
    return name, f"{name}: chosen with --backend"


def generation_identity(backend: str, settings: GenerationSettings) -> dict[str, Any]:
    return {"backend": backend, "max_tokens": settings.max_tokens, "seed": settings.seed,
            "dtype": settings.dtype, "decoding": "greedy"}


def local_side(label: str, base: Path, adapter: Path | None, common: dict[str, Any], memo: Path | None) -> Side:
    return Side(label, adapter, {**common, "base": base_fingerprint(base, memo),
                                 "adapter": adapter_fingerprint(adapter, memo) if adapter else None})


def plan_run(config: RunConfig, backend: Backend | None = None) -> Plan:
    """Validate the models and adapters (cheap checks first) and lay out both sides."""
    name, reason = resolve_backend(config.backend)
    reason = config.backend_reason or reason
    common = generation_identity(name, config.settings)
    if name == "openai":
        return _served_plan(config, common, reason)
    if config.base is None:
        raise InputError("--base: a local model folder is required with this backend")
    check_base_model(config.base)
    adapters = [a for a in (config.baseline_adapter, config.adapter) if a is not None]
    for path in adapters:
        read_adapter_config(path)
    sides = [local_side("baseline", config.base, config.baseline_adapter, common, config.cache_dir),
             local_side("candidate", config.base, config.adapter, common, config.cache_dir)]
    if backend is not None:
        return Plan(sides, LazyBackend(lambda: backend, owned=False), name, reason)
    return Plan(sides, LazyBackend(lambda: backend_class(name)(config.base, adapters, config.settings)), name, reason)


def _served_plan(config: RunConfig, common: dict[str, Any], reason: str) -> Plan:
    from .backends.openai_server import OpenAIBackend, ServerConfig

    served = config.served
    if served is None:
        raise InputError("--backend openai needs --base-url, --baseline-model and --candidate-model")
    backend = OpenAIBackend(ServerConfig(served.base_url, served.api_key_env, served.concurrency), config.settings)
    models = backend.served_models()
    sides = []
    for label, model in (("baseline", served.baseline_model), ("candidate", served.candidate_model)):
        if model not in models:
            raise InputError(f"--{label}-model: {model!r} is not served at {served.base_url}"
                             f" (served: {', '.join(sorted(models))})")
        # A server cannot hash its weights for us: its name and root path stand in for them.
        identity = {**common, "server": served.base_url, "model": model, "root": models[model].get("root")}
        sides.append(Side(label, None, identity, model))
    return Plan(sides, LazyBackend(lambda: backend), "openai", reason)
