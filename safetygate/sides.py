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


@dataclass(frozen=True, slots=True)
class Plan:
    sides: list[Side]
    make_backend: Callable[[], Backend]  # builds the run's one backend on first call
    backend: str
    reason: str  # why this backend


def resolve_backend(name: str) -> tuple[str, str]:
    """The backend to run for `name`, and why it was chosen."""
    if name == "auto":
        if vllm_available():
            return "vllm", "auto: vLLM is installed"
        return "transformers", "auto: vLLM is not installed (pip install 'safetygate[gpu]' or '[cpu]')"
    return name, f"{name}: chosen with --backend"


def _once(build: Callable[[], Backend]) -> Callable[[], Backend]:
    built: list[Backend] = []

    def get() -> Backend:
        if not built:
            built.append(build())
        return built[0]

    return get


def generation_identity(backend: str, settings: GenerationSettings) -> dict[str, Any]:
    return {"backend": backend, "max_tokens": settings.max_tokens, "seed": settings.seed,
            "dtype": settings.dtype, "decoding": "greedy"}


def local_side(label: str, base: Path, adapter: Path | None, common: dict[str, Any], memo: Path | None) -> Side:
    return Side(label, adapter, {**common, "base": base_fingerprint(base, memo),
                                 "adapter": adapter_fingerprint(adapter, memo) if adapter else None})


def plan_run(config: RunConfig, backend: Backend | None = None) -> Plan:
    """Validate the models and adapters (cheap checks first) and lay out both sides."""
    name, reason = resolve_backend(config.backend)
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
    build = (lambda: backend) if backend else (lambda: backend_class(name)(config.base, adapters, config.settings))
    return Plan(sides, _once(build), name, reason)


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
    return Plan(sides, lambda: backend, "openai", reason)
