"""Option values a run cannot use, refused before any model loads rather than minutes into generation."""

from __future__ import annotations

from ..backends.model_files import check_base_model
from ..backends.precision import DTYPES
from ..config import GenerationSettings, JudgeSpec
from ..errors import InputError, ModelInputError


def check_settings(settings: GenerationSettings) -> None:
    """The generation settings name a precision the backends know."""
    if settings.dtype not in DTYPES:
        raise InputError(f"--dtype: unknown dtype {settings.dtype!r} (choose from {', '.join(DTYPES)})")


def check_judge(spec: JudgeSpec) -> None:
    """A judge that can run on generated answers, with its model folder in place."""
    if spec.name == "given":
        raise InputError("--judge given reads the labels already in responses files: use it with `compare`")
    if spec.model is not None and spec.name in ("model", "ensemble"):
        try:
            check_base_model(spec.model)
        except ModelInputError as exc:
            raise ModelInputError(f"--judge-model: {exc}") from None
