"""Option values and output paths a run cannot use, refused before any model loads rather than minutes into
generation."""

from __future__ import annotations

from pathlib import Path

from ..backends.model_files import check_base_model
from ..backends.precision import DTYPES
from ..config import GenerationSettings, JudgeSpec, RunConfig
from ..errors import InputError, ModelInputError
from ..fileio import check_out_dir, check_out_files
from ..judge import refuse_given
from ..report import REPORT_FILES
from ..response_files import SIDE_FILES


def check_settings(settings: GenerationSettings) -> None:
    """The generation settings name a precision the backends know."""
    if settings.dtype not in DTYPES:
        raise InputError(f"--dtype: unknown dtype {settings.dtype!r} (choose from {', '.join(DTYPES)})")


def check_judge(spec: JudgeSpec) -> None:
    """A judge that can run on generated answers, with its model folder in place."""
    refuse_given(spec)
    if spec.model is not None and spec.name in ("model", "ensemble"):
        try:
            check_base_model(spec.model)
        except ModelInputError as exc:
            raise ModelInputError(f"--judge-model: {exc}") from None


def check_out_set(out_dir: Path) -> None:
    """The output folder of a gate run is usable, and none of its file names is taken by a folder."""
    check_out_dir(out_dir)
    names = [*REPORT_FILES.values(), *SIDE_FILES.values()]
    check_out_files(out_dir / name for name in names)


def check_out_file(out: Path) -> None:
    """An output file can be written where it is asked for."""
    check_out_dir(out.parent)
    check_out_files([out])


def check_cache_dir(config: RunConfig) -> None:
    """The cache folder, where there is one, can be created and written."""
    if config.cache_dir is not None:
        check_out_dir(config.cache_dir, "--cache-dir")
