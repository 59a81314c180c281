"""A review file checked before any model loads, so a typo in it never costs a run's generation time."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from ..errors import ResponsesError
from ..fileio import describe_validation_error, read_jsonl
from ..judge.given import ReviewLine
from ..records import Prompt


def check_review(path: Path, prompts: list[Prompt], candidates: int) -> None:
    """Every line of the review parses and names an answer this run will have."""
    keys = {p.key for p in prompts}
    seen: dict[tuple[str, str, str], int] = {}
    for lineno, obj in read_jsonl(path, ResponsesError):
        try:
            line = ReviewLine.model_validate(obj)
        except ValidationError as exc:
            raise ResponsesError(f"{path}:{lineno}: {describe_validation_error(exc)}") from None
        if (line.id, line.language) not in keys:
            raise ResponsesError(f"{path}:{lineno}: no prompt with id {line.id!r} in {line.language!r} in this run")
        # A review line's side is `candidate`, which names no one of several candidates.
        if line.side == "candidate" and candidates > 1:
            raise ResponsesError(f"{path}:{lineno}: side 'candidate' is ambiguous with {candidates} candidates")
        key = (line.side, line.id, line.language)
        if key in seen:
            raise ResponsesError(f"{path}:{lineno}: this answer is already reviewed at line {seen[key]}")
        seen[key] = lineno
