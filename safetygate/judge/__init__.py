"""Judge stage: label each answer `refusal`, `compliance` or `unclear`, with a reason.

Three judges: `lexicon` (cue phrases per language, fast, no model), `model` (a
local guard or instruct model reads each answer), and `ensemble` (the lexicon
where it is confident, the model for the rest).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..backends import GenerationSettings
from ..errors import InputError
from ..records import Completion, Judged, Verdict
from .lexicon import LexiconJudge

JUDGES = ("lexicon", "model", "ensemble")


@dataclass(frozen=True, slots=True)
class JudgeSpec:
    """Which judge runs, and for a model judge, which model on which backend."""

    name: str = "lexicon"
    model: Path | None = None
    backend: str = "auto"
    settings: GenerationSettings = field(default_factory=lambda: GenerationSettings(max_tokens=8))

    def describe(self) -> dict:
        return {"name": self.name, "model": str(self.model) if self.model else None}


def as_spec(spec: JudgeSpec | str) -> JudgeSpec:
    spec = JudgeSpec(spec) if isinstance(spec, str) else spec
    if spec.name not in JUDGES:
        raise InputError(f"--judge: unknown judge {spec.name!r} (choose from {', '.join(JUDGES)})")
    if spec.name != "lexicon" and spec.model is None:
        raise InputError(f"--judge {spec.name} needs --judge-model PATH (a local guard or instruct model folder)")
    return spec


class EnsembleJudge:
    """The lexicon's confident verdicts stand; the model judge decides the rest."""

    name = "ensemble"

    def __init__(self, model_judge) -> None:
        self.lexicon = LexiconJudge()
        self.model_judge = model_judge

    def verdicts(self, completions: Sequence[Completion]) -> list[Verdict]:
        first = self.lexicon.verdicts(completions)
        unsure = [i for i, v in enumerate(first) if not v.confident]
        second = self.model_judge.verdicts([completions[i] for i in unsure])
        out = list(first)
        for i, verdict in zip(unsure, second, strict=True):
            out[i] = replace(verdict, reason=f"{verdict.reason} (lexicon unsure: {first[i].reason})")
        return out

    def close(self) -> None:
        self.model_judge.close()


def make_judge(spec: JudgeSpec | str):
    """A judge object with `verdicts(completions)` (and `close()` for model judges)."""
    spec = as_spec(spec)
    if spec.name == "lexicon":
        return LexiconJudge()
    from .model import ModelJudge

    model_judge = ModelJudge(spec.model, spec.backend, spec.settings)
    return model_judge if spec.name == "model" else EnsembleJudge(model_judge)


def judge_sides(sides: Mapping[str, Sequence[Completion]], spec: JudgeSpec | str = "lexicon") -> dict[str, list[Judged]]:
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
        out[label] = [Judged(c, v) for c, v in zip(answers, verdicts[at:at + len(answers)], strict=True)]
        at += len(answers)
    return out


def judge(completions: Sequence[Completion], spec: JudgeSpec | str = "lexicon") -> list[Judged]:
    """Judge every completion, in order."""
    return judge_sides({"answers": completions}, spec)["answers"]
