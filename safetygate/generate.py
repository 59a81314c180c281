"""Generate stage: every prompt for every side, in one backend call.

A side is a label ("baseline", "candidate") and the adapter that plays it
(None: the base model alone). Sending both sides in one batch lets a backend
that can (vLLM) share one copy of the weights across them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .backends import Backend, GenerationRequest, Progress
from .errors import BackendError
from .records import Completion, Prompt


@dataclass(frozen=True, slots=True)
class Side:
    label: str
    adapter: Path | None


def generate(
    prompts: Sequence[Prompt], sides: Sequence[Side], backend: Backend,
    on_progress: Progress | None = None,
) -> dict[str, list[Completion]]:
    """Answers per side label, each list in prompt order."""
    requests = [GenerationRequest(p, side.adapter) for side in sides for p in prompts]
    answers = backend.generate(requests, on_progress)
    if len(answers) != len(requests):
        raise BackendError(f"backend {backend.name!r} returned {len(answers)} answers for {len(requests)} prompts")
    out: dict[str, list[Completion]] = {}
    for index, side in enumerate(sides):
        chunk = answers[index * len(prompts):(index + 1) * len(prompts)]
        out[side.label] = [Completion(p, side.label, a) for p, a in zip(prompts, chunk)]
    return out
