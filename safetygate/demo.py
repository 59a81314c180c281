"""The embedded default: a real chat model, a safety-tuned baseline, a benignly fine-tuned candidate.

SmolLM2-135M-Instruct (the built-in `smollm2-135m-instruct`) with two LoRA
adapters that ship in the package (made by `benchmarks/demo/make_adapters.py`):
`aligned` refuses harmful requests in en fr de es it pt, `finetuned` is the
same adapter trained further on translation into English only. The gate
should catch the refusals the benign fine-tune wore away.
"""

from __future__ import annotations

from pathlib import Path

from .backends import resolve_backend
from .config import GenerationSettings, RunConfig
from .errors import ModelInputError
from .generate.builtin_models import SMOLLM2
from .resources import data_dir

LANGUAGES = ("en", "fr", "de", "es", "it", "pt")
SUITES = ("harmful", "benign")
# Items per language: enough for the statistics to see a large drop, small enough for 2 CPU cores.
SAMPLE = 30
# About 19 harmful prompts a language: too few for the default policy to tell anything (`safetygate plan`),
# so the quick sample is judged by the policy made for small samples; --full uses the default.
POLICY = "quick"
# Refusals open an answer, so a short answer is enough to judge it.
MAX_TOKENS = 48


def adapter(name: str) -> Path:
    """A shipped demo adapter folder: `aligned` or `finetuned`."""
    path = data_dir("demo_adapters") / name
    if not (path / "adapter_config.json").is_file():
        raise ModelInputError(f"{path}: the demo adapter {name!r} is missing from this installation")
    return path


def demo_config(
    out_dir: Path,
    backend: str,
    cache_dir: Path | None,
    sample: int | None = SAMPLE,
    languages: tuple[str, ...] = LANGUAGES,
    dtype: str = "auto",
) -> RunConfig:
    backend, reason = resolve_backend(backend)
    return RunConfig(
        base=Path(SMOLLM2),
        baseline=adapter("aligned"),
        candidates=(adapter("finetuned"),),
        suites=SUITES,
        languages=languages,
        sample=sample,
        policy=POLICY if sample else None,
        backend=backend,
        backend_reason=reason,
        out_dir=out_dir,
        cache_dir=cache_dir,
        settings=GenerationSettings(max_tokens=MAX_TOKENS, dtype=dtype),
    )
