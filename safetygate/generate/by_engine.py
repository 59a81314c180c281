"""Every side's answers and checkpoint checks, one engine at a time.

The base's engine serves the baseline and every LoRA candidate together
(one batch where the backend can mix adapters); each full-model side then
gets an engine of its own, loaded after the previous one is released. A
side's checks run on its engine just before it generates, so a checkpoint
that changes nothing stops the run before its answers are generated.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..backends import Progress
from ..records import Prompt
from .adapter_check import CheckpointChecks
from .cache import GenerationCache
from .loop import Generated, generate
from .plan import RunPlan, Side


def engine_groups(sides: Sequence[Side]) -> dict[Path | None, list[Side]]:
    """Sides by the model folder their engine loads, the base's engine first."""
    groups: dict[Path | None, list[Side]] = {}
    for side in sorted(sides, key=lambda s: s.weights is not None):
        groups.setdefault(side.weights, []).append(side)
    return groups


def generate_sides(
    prompts: Sequence[Prompt],
    plan: RunPlan,
    cache: GenerationCache | None = None,
    on_progress: Progress | None = None,
    chunk_size: int = 256,
) -> tuple[Generated, dict[str, dict[str, Any]]]:
    """Answers per side label and the checks' figures per side label; engines are released by the caller."""
    checks = CheckpointChecks(plan, cache)
    groups = engine_groups(plan.sides)
    if checks.needs_reference() and None not in groups:
        checks.take_reference()  # no side runs on the base's engine: load it for the probe alone
    total, offset, parts, figures = len(prompts) * len(plan.sides), 0, [], {}
    for weights, sides in groups.items():
        if weights is None and checks.needs_reference():
            checks.take_reference()
        for side in sides:
            found = checks.check(side)
            if found is not None:
                figures[side.label] = found

        def report(done: int, _total: int, before: int = offset) -> None:
            if on_progress:
                on_progress(before + done, total)

        parts.append(generate(prompts, sides, lambda w=weights: plan.engines(w), cache, report, chunk_size))
        offset += len(prompts) * len(sides)
    return _merged(parts, [s.label for s in plan.sides]), figures


def _merged(parts: list[Generated], order: list[str]) -> Generated:
    def pick(attr: str) -> dict:
        merged = {k: v for part in parts for k, v in getattr(part, attr).items()}
        return {label: merged[label] for label in order}

    used = [part.backend for part in parts if part.backend]
    return Generated(pick("completions"), pick("cached"), pick("generated"), used[0] if used else None)
