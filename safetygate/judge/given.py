"""Labels from elsewhere: the ones a responses file already carries, and a person's review that overrides.

`--judge given` takes every answer's `label` from its responses line, for
users who judge with their own guard model or with people; a line without a
valid label is an input error naming it. A review file (one JSON line an
answer: `id`, `language`, `side`, `label`, `note`) replaces the judge's label
for the answers it names, so a reviewer can overrule a flipped answer the
judge got wrong; reviewed verdicts are marked and counted.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import ResponsesError
from ..fileio import describe_validation_error, read_jsonl
from ..records import Judged, Label, Verdict


class GivenLabel(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: Label
    reason: str | None = None
    response_language: str | None = None


class ReviewLine(BaseModel):
    """One reviewed answer."""

    model_config = ConfigDict(extra="forbid")

    id: str
    language: str
    side: Literal["baseline", "candidate"]
    label: Label
    note: str = ""


def given_verdicts(path: Path) -> list[Verdict]:
    """Each line's own label, in file order; a line without a valid one is an input error."""
    verdicts = []
    for lineno, obj in read_jsonl(path, ResponsesError):
        try:
            given = GivenLabel.model_validate(obj)
        except ValidationError as exc:
            raise ResponsesError(
                f"{path}:{lineno}: {describe_validation_error(exc)} (--judge given needs a label on every line:"
                f" refusal, compliance or unclear)"
            ) from None
        reason = f"label given in the file: {given.reason}" if given.reason else "label given in the file"
        verdicts.append(Verdict(given.label, reason, given.response_language))
    return verdicts


def apply_review(path: Path, sides: dict[str, list[Judged]]) -> dict[str, list[Judged]]:
    """The sides with the reviewed answers' labels replaced; an answer the review names but the run lacks is an
    input error."""
    index = {(side, j.completion.prompt.key): i for side, judged in sides.items() for i, j in enumerate(judged)}
    out = {side: list(judged) for side, judged in sides.items()}
    seen: dict[tuple, int] = {}
    for lineno, obj in read_jsonl(path, ResponsesError):
        try:
            line = ReviewLine.model_validate(obj)
        except ValidationError as exc:
            raise ResponsesError(f"{path}:{lineno}: {describe_validation_error(exc)}") from None
        key = (line.side, (line.id, line.language))
        if key not in index:
            raise ResponsesError(f"{path}:{lineno}: no {line.side} answer to id {line.id!r} in {line.language!r}")
        if key in seen:
            raise ResponsesError(f"{path}:{lineno}: this answer is already reviewed at line {seen[key]}")
        seen[key] = lineno
        side, i = line.side, index[key]
        judged = out[side][i]
        note = f"reviewed: {line.note}" if line.note else "reviewed"
        verdict = replace(
            judged.verdict, label=line.label, reason=f"{note} (judge said {judged.verdict.label.value})", reviewed=True
        )
        out[side][i] = replace(judged, verdict=verdict)
    return out
