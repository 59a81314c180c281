"""Responses files: the suite line plus `response` and `model`, one a line.

Written by `generate`, read by `judge` and `compare`. Unknown keys are kept
and written back, so users' own metadata survives a round trip. A line that
already carries a judge's `label` keeps it only when asked (`judge` rewrites
it; `compare` re-judges unless told to trust the file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import ResponsesError
from .fileio import describe_validation_error, dumps_jsonl, read_jsonl, write_atomic
from .lines import ResponseLine, SeenKeys, prompt_line
from .records import Completion, Judged

# A gate run's answers files in its output folder (a sweep writes its candidates under candidates/ instead).
SIDE_FILES = {"baseline": "baseline.jsonl", "candidate": "candidate.jsonl"}
# Keys a judge writes; they are outputs, not user metadata.
JUDGE_KEYS = ("label", "reason", "response_language")


def read_responses(path: Path) -> list[Completion]:
    """Parse a responses JSONL; raise ResponsesError naming the file and line."""
    completions: list[Completion] = []
    seen = SeenKeys(ResponsesError)
    for lineno, obj in read_jsonl(path, ResponsesError):
        try:
            line = ResponseLine.model_validate(obj)
        except ValidationError as exc:
            raise ResponsesError(f"{path}:{lineno}: {describe_validation_error(exc)}") from None
        prompt = line.to_prompt()
        seen.add(prompt, f"{path}:{lineno}")
        extra = {k: v for k, v in (line.model_extra or {}).items() if k not in JUDGE_KEYS}
        completions.append(Completion(prompt, line.model, line.response, extra))
    if not completions:
        raise ResponsesError(f"{path}: no responses in file")
    return completions


def completion_line(completion: Completion) -> dict[str, Any]:
    """The file form of one completion."""
    return {
        **prompt_line(completion.prompt),
        **completion.extra,
        "model": completion.model,
        "response": completion.response,
    }


def judged_line(judged: Judged) -> dict[str, Any]:
    """The file form of one judged completion: the judge's keys added."""
    v = judged.verdict
    return {
        **completion_line(judged.completion),
        "label": v.label.value,
        "reason": v.reason,
        "response_language": v.response_language,
    }


def responses_text(rows: list[Completion] | list[Judged]) -> str:
    """Completions (or judged completions) as the text of a responses file."""
    return dumps_jsonl([judged_line(r) if isinstance(r, Judged) else completion_line(r) for r in rows])


def write_responses(path: Path, rows: list[Completion] | list[Judged]) -> None:
    """Write completions (or judged completions) as JSONL, atomically."""
    write_atomic(path, responses_text(rows))
