"""Plan the run: who answers as baseline and as each candidate, what identifies each, and the engines serving them.

A side's identity is everything that decides its answers (model content
hash, adapter content hash, backend, generation parameters); it keys the
generation cache. Local sides are the base model, the base plus a LoRA
adapter, or a full model folder of their own; served sides are model names
on an OpenAI-compatible server. Every check here is cheap and runs before
any model loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..backends import Backend, GenerationRequest, backend_class, on_gpu, resolve_backend
from ..backends.model_files import (
    Adapter,
    FullModel,
    adapter_fingerprint,
    base_fingerprint,
    check_base_model,
    read_checkpoint,
    weights_fingerprint,
)
from ..backends.openai_server import OpenAIBackend, ServerConfig
from ..backends.precision import compute_dtype
from ..backends.tokenizer_files import check_same_tokenizer
from ..config import GenerationSettings, RunConfig
from ..errors import InputError, ModelInputError
from ..records import Prompt
from .engines import Engines
from .naming import candidate_names


@dataclass(frozen=True, slots=True)
class Side:
    """One side of the comparison: a label and what plays it (base, base + adapter, full model, served model)."""

    label: str
    adapter: Adapter | None
    identity: dict[str, Any] = field(default_factory=dict)  # what decides its answers: the cache key's base
    model: str | None = None  # the served model name, for server backends
    weights: Path | None = None  # a full model folder that answers instead of the base (its own engine)
    max_tokens: int | None = None  # None: the run's --max-tokens (a two-phase run's first phase sets less)

    def request(self, prompt: Prompt) -> GenerationRequest:
        return GenerationRequest(prompt, self.adapter, self.model, max_tokens=self.max_tokens)

    @property
    def checkpoint(self) -> Path | None:
        """The folder this side gates (an adapter or a full model); None for the base and served models."""
        return self.weights or (self.adapter.path if self.adapter else None)


@dataclass(frozen=True, slots=True)
class RunPlan:
    baseline: Side
    candidates: tuple[Side, ...]
    engines: Engines
    backend: str
    reason: str  # why this backend
    bare: Side | None = None  # the base model alone, what local checkpoints are probed against
    base: Path | None = None  # the folder adapters apply to (local backends)
    settings: GenerationSettings | None = None  # as the backend runs them (dtype resolved)
    continues_answers: bool = False  # the backend can go on from a begun answer (two-phase runs)

    @property
    def sides(self) -> tuple[Side, ...]:
        return (self.baseline, *self.candidates)

    @property
    def candidate(self) -> Side:
        """The one candidate of a run that has one."""
        (only,) = self.candidates
        return only


def generation_identity(backend: str, settings: GenerationSettings) -> dict[str, Any]:
    return {
        "backend": backend,
        "max_tokens": settings.max_tokens,
        "seed": settings.seed,
        "dtype": settings.dtype,
        "decoding": "greedy",
    }


def plan_run(config: RunConfig, backend: Backend | None = None) -> RunPlan:
    """Validate the models and checkpoints (cheap checks first) and lay out every side."""
    if config.backend == "openai":
        return _served_plan(config)
    # The files first: a wrong path fails in milliseconds, before choosing a backend imports torch.
    memo = config.cache_dir
    baseline_checkpoint = read_checkpoint(config.baseline) if config.baseline else None
    base = config.base
    if base is None and isinstance(baseline_checkpoint, FullModel):
        base = baseline_checkpoint.path  # a previous release's full checkpoint is what the candidates build on
    if base is None:
        raise InputError("--base: a local model folder is required with this backend")
    check_base_model(base)
    checkpoints = [read_checkpoint(path) for path in config.candidates]
    full = [c.path for c in (baseline_checkpoint, *checkpoints) if isinstance(c, FullModel)]
    for path in full:
        if path.resolve() != base.resolve():
            check_same_tokenizer(base, path)
    _check_not_the_base(base, [c.path for c in checkpoints if isinstance(c, FullModel)], memo)

    name, reason = resolve_backend(config.backend)
    reason = config.backend_reason or reason
    if name == "transformers" and config.settings.dtype == "auto":  # the cache key names the precision computed in
        config = replace(config, settings=replace(config.settings, dtype=compute_dtype("auto", name, on_gpu())))
    common = generation_identity(name, config.settings)
    base_identity = {**common, "base": base_fingerprint(base, memo), "adapter": None}
    bare = Side("base", None, base_identity)

    def side(label: str, checkpoint: Adapter | FullModel | None) -> Side:
        if checkpoint is None:
            return Side(label, None, base_identity)
        if isinstance(checkpoint, Adapter):
            return Side(label, checkpoint, {**base_identity, "adapter": adapter_fingerprint(checkpoint.path, memo)})
        if checkpoint.path.resolve() == base.resolve():
            return Side(label, None, base_identity)  # the base itself, e.g. a previous release given as --baseline
        return Side(label, None, {**common, "base": base_fingerprint(checkpoint.path, memo)}, weights=checkpoint.path)

    baseline = side("baseline", baseline_checkpoint)
    candidates = tuple(side(label, c) for label, c in zip(candidate_names(config.candidates), checkpoints))
    adapters = [s.adapter for s in (baseline, *candidates) if s.adapter is not None]
    if backend is not None:
        engines = Engines(lambda _: backend, owned=False)
        continues = getattr(backend, "continues_answers", False)
        return RunPlan(baseline, candidates, engines, name, reason, bare, base, config.settings, continues)

    def build(weights: Path | None) -> Backend:
        # Adapters apply to the base; a full model folder runs alone on an engine of its own.
        return backend_class(name)(weights or base, adapters if weights is None else [], config.settings)

    continues = getattr(backend_class(name), "continues_answers", False)
    return RunPlan(baseline, candidates, Engines(build), name, reason, bare, base, config.settings, continues)


def _check_not_the_base(base: Path, full_models: list[Path], memo: Path | None) -> None:
    """A full-model candidate with the base's very weights cannot have changed anything: say so before loading."""
    if not full_models:
        return
    base_weights = weights_fingerprint(base, memo)
    for path in full_models:
        if weights_fingerprint(path, memo) == base_weights:
            raise ModelInputError(f"{path}: same weights as the base model ({base}): nothing to gate")


def _served_plan(config: RunConfig) -> RunPlan:
    name, reason = resolve_backend("openai")
    reason = config.backend_reason or reason
    common = generation_identity(name, config.settings)
    served = config.served
    if served is None:
        raise InputError("--backend openai needs --base-url, --baseline-model and --candidate-model")
    backend = OpenAIBackend(ServerConfig(served.base_url, served.api_key_env, served.concurrency), config.settings)
    models = backend.served_models()
    labels = ["baseline", *candidate_names([Path(m) for m in served.candidate_models])]
    flags = ["--baseline-model", *["--candidate-model"] * len(served.candidate_models)]
    sides = []
    for label, flag, model in zip(labels, flags, (served.baseline_model, *served.candidate_models)):
        if model not in models:
            raise InputError(
                f"{flag}: {model!r} is not served at {served.base_url} (served: {', '.join(sorted(models))})"
            )
        # A server cannot hash its weights for us: its name and root path stand in for them.
        identity = {**common, "server": served.base_url, "model": model, "root": models[model].get("root")}
        sides.append(Side(label, None, identity, model))
    engines = Engines(lambda _: backend)
    return RunPlan(sides[0], tuple(sides[1:]), engines, "openai", reason, settings=config.settings)
