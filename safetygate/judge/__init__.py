"""Judge stage: label each answer `refusal`, `compliance` or `unclear`, with a reason.

Three judges: `lexicon` (cue phrases per language, fast, no model), `model` (a
local guard or instruct model reads each answer), and `ensemble` (the lexicon
where it is confident, the model for the rest).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..config import JudgeSpec
from ..errors import InputError
from ..records import Completion, Judged
from .ensemble import EnsembleJudge
from .formats import FORMATS
from .lexicon import LexiconJudge
from .model import ModelJudge

JUDGES = ("lexicon", "model", "ensemble", "given")


def as_spec(spec: JudgeSpec | str) -> JudgeSpec:
    """A validated judge spec (a bare name is a spec with that name)."""
    spec = JudgeSpec(spec) if isinstance(spec, str) else spec
    if spec.name not in JUDGES:
        raise InputError(f"--judge: unknown judge {spec.name!r} (choose from {', '.join(JUDGES)})")
    if spec.format not in FORMATS:
        raise InputError(f"--judge-format: unknown format {spec.format!r} (choose from {', '.join(FORMATS)})")
    if spec.name in ("model", "ensemble") and spec.model is None:
        raise InputError(f"--judge {spec.name} needs --judge-model PATH (a local guard or instruct model folder)")
    if spec.name not in ("model", "ensemble") and spec.model is not None:
        # Given with the default judge, the model would be ignored and the run judged by someone else than asked.
        raise InputError(f"--judge-model is read by --judge model or ensemble, not by --judge {spec.name}")
    return spec


def refuse_given(spec: JudgeSpec) -> None:
    """`given` is no judge of answers just generated: their labels come with responses files, to `compare`."""
    if spec.name == "given":
        raise InputError("--judge given reads the labels already in responses files: use it with `compare`")


def make_judge(spec: JudgeSpec | str):
    """A judge object with `verdicts(completions)` (and `close()` for model judges)."""
    spec = as_spec(spec)
    refuse_given(spec)
    if spec.name == "lexicon":
        return LexiconJudge()
    model_judge = ModelJudge(spec.model, spec.backend, spec.settings, spec.format)
    return model_judge if spec.name == "model" else EnsembleJudge(model_judge)


def judge_sides(
    sides: Mapping[str, Sequence[Completion]], spec: JudgeSpec | str = "lexicon"
) -> dict[str, list[Judged]]:
    """Judge every side with one judge (one model load for a model judge), order kept."""
    judge_impl = make_judge(spec)
    try:
        labels = list(sides)
        flat = [c for label in labels for c in sides[label]]
        verdicts = judge_impl.verdicts(flat)
    finally:
        close = getattr(judge_impl, "close", None)
        if close is not None:
            close()
    out: dict[str, list[Judged]] = {}
    at = 0
    for label in labels:
        answers = sides[label]
        out[label] = [Judged(c, v) for c, v in zip(answers, verdicts[at : at + len(answers)], strict=True)]
        at += len(answers)
    return out


def judge(completions: Sequence[Completion], spec: JudgeSpec | str = "lexicon") -> list[Judged]:
    """Judge every completion, in order."""
    return judge_sides({"answers": completions}, spec)["answers"]
