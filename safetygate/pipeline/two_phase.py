"""Two-phase generation: every answer to a short decision length, then to full length only where it matters.

A refusal opens its answer, so most answers are decided by their first few
dozen tokens, and only the flipped ones are ever read whole. Phase 1 writes
every answer to `decision_tokens` and reads them with the lexicon judge
(cheap and in process, whatever judge labels the final answers). Phase 2 goes
on writing, from the text phase 1 wrote (nothing is generated twice), every
side's answer to the prompts where something is still open: the sides'
labels differ, an answer is unclear, or the judge was unsure of one; plus a
seeded sample of prompts per language, so the answers files show some
answers whole. A flipped pair is continued together and read at one length.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..backends import GenerationRequest, Progress
from ..config import GenerationSettings
from ..generate import GenerationCache, generate_sides
from ..generate.loop import Generated, Job, answer
from ..generate.plan import RunPlan, Side
from ..judge.lexicon import LexiconJudge
from ..records import Completion, Label, Prompt, Verdict

# Prompts per language continued whatever their labels, for the answers files and the report.
SAMPLE_PER_LANGUAGE = 2


@dataclass(frozen=True, slots=True)
class TwoPhaseSummary:
    decision_tokens: int
    prompts_continued: int
    continued: dict[str, int]  # answers continued, per side (an answer that had ended gains nothing)
    labels_changed: int  # continued answers the lexicon judge reads differently at full length


def off_reason(plan: RunPlan, settings: GenerationSettings) -> str | None:
    """Why this run generates in one phase, or None when it uses two."""
    if not settings.decision_tokens:
        return "--decision-tokens 0"
    if settings.decision_tokens >= settings.max_tokens:
        return f"--decision-tokens {settings.decision_tokens} is not below --max-tokens {settings.max_tokens}"
    if not plan.continues_answers:
        return f"the {plan.backend} backend cannot go on from a begun answer"
    if any(side.weights is not None for side in plan.sides):
        return "a full-model side runs on an engine of its own (continuing would load each engine twice)"
    return None


def prompts_to_continue(prompts: Sequence[Prompt], verdicts: dict[str, list[Verdict]], seed: int) -> list[int]:
    """Indices of the prompts whose answers phase 2 continues, in prompt order."""
    open_ = set()
    for i in range(len(prompts)):
        said = [side[i] for side in verdicts.values()]
        if len({v.label for v in said}) > 1 or any(v.label is Label.UNCLEAR or not v.confident for v in said):
            open_.add(i)
    by_language: dict[str, list[int]] = defaultdict(list)
    for i, prompt in enumerate(prompts):
        if i not in open_:
            by_language[prompt.language].append(i)
    rng = random.Random(seed)
    for language in sorted(by_language):
        rest = by_language[language]
        open_.update(rng.sample(rest, min(SAMPLE_PER_LANGUAGE, len(rest))))
    return sorted(open_)


def _shortened(side: Side, tokens: int) -> Side:
    return replace(side, identity={**side.identity, "max_tokens": tokens}, max_tokens=tokens)


def generate_two_phase(
    prompts: Sequence[Prompt],
    plan: RunPlan,
    settings: GenerationSettings,
    cache: GenerationCache | None = None,
    on_progress: Progress | None = None,
    chunk_size: int = 256,
) -> tuple[Generated, dict[str, dict[str, Any]], TwoPhaseSummary]:
    """Every side's answers (continued where it matters) and the checks' figures, as `generate_sides` gives."""
    decision = settings.decision_tokens
    short = replace(
        plan,
        baseline=_shortened(plan.baseline, decision),
        candidates=tuple(_shortened(side, decision) for side in plan.candidates),
    )
    first, checks = generate_sides(prompts, short, cache, on_progress, chunk_size)
    lexicon = LexiconJudge()
    verdicts = {side.label: lexicon.verdicts(first.completions[side.label]) for side in plan.sides}
    chosen = prompts_to_continue(prompts, verdicts, settings.seed)
    jobs, where = [], []
    for side in plan.sides:
        identity = {**side.identity, "continued_from": decision}
        for i in chosen:
            begun = first.completions[side.label][i].response
            if begun:  # an empty answer ended at once; there is nothing to go on from
                request = GenerationRequest(
                    prompts[i], side.adapter, side.model, answer_prefix=begun, max_tokens=settings.max_tokens - decision
                )
                jobs.append(Job(side.label, identity, request))
                where.append((side.label, i))
    answered = answer(jobs, lambda: plan.engines(None), cache, on_progress, chunk_size)
    completions = {label: list(answers) for label, answers in first.completions.items()}
    continued, changed = Counter(), 0
    for (label, i), more in zip(where, answered.answers):
        if not more:
            continue
        whole = Completion(prompts[i], label, completions[label][i].response + more)
        completions[label][i] = whole
        continued[label] += 1
        changed += lexicon.verdict(whole).label is not verdicts[label][i].label
    generated = replace(first, completions=completions, backend=first.backend or answered.backend)
    summary = TwoPhaseSummary(
        decision, len(chosen), {side.label: continued[side.label] for side in plan.sides}, changed
    )
    return generated, checks, summary
