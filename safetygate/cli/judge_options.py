"""The options of the commands that judge answers (compare, judge, judge-eval; check's judge), defined once."""

# No `from __future__ import annotations` here: typer reads these annotations as objects.
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..config import JudgeSpec
from ..judge import as_spec
from .options import BackendChoice, BackendOpt, Debug, Verbose, _with_options


class JudgeChoice(str, Enum):
    lexicon = "lexicon"
    model = "model"
    ensemble = "ensemble"
    given = "given"


JudgeOpt = Annotated[
    JudgeChoice,
    typer.Option(
        "--judge",
        help="lexicon: cue phrases per language (fast, no model); model: a local judge model reads each answer; ensemble: the lexicon where it is confident, the model for the rest; given (compare): the `label` each responses line already carries.",
    ),
]


class JudgeFormat(str, Enum):
    auto = "auto"
    label = "label"
    qwen3guard = "qwen3guard"


JudgeFormatOpt = Annotated[
    JudgeFormat,
    typer.Option(
        "--judge-format",
        help="A model judge's output: label (one word, through safetygate's judge prompt), qwen3guard (Qwen3Guard-Gen's Safety/Categories/Refusal lines, reading the conversation through its own template), or auto: qwen3guard when the model's chat template asks for those fields.",
    ),
]
JudgeModelOpt = Annotated[
    Optional[Path],
    typer.Option("--judge-model", help="Local model folder for --judge model/ensemble (a guard or instruct model)."),
]


ReviewOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--review",
        help="JSONL of a person's labels (id, language, side, label, note) that override the judge's for those answers; marked in the report.",
    ),
]


def judge_spec(judge: JudgeChoice, model: Path | None, backend: str = "auto", format: str = "auto") -> JudgeSpec:
    return as_spec(JudgeSpec(judge.value, model, backend, format))


@dataclass(frozen=True)
class JudgeOptions:
    """What every command that judges answers it did not generate takes."""

    judge: JudgeOpt = JudgeChoice.lexicon
    judge_model: JudgeModelOpt = None
    judge_format: JudgeFormatOpt = JudgeFormat.auto
    backend: BackendOpt = BackendChoice.auto
    verbose: Verbose = False
    debug: Debug = False

    @property
    def spec(self) -> JudgeSpec:
        return judge_spec(self.judge, self.judge_model, self.backend.value, self.judge_format.value)


judge_options = _with_options(JudgeOptions, "judging")
