"""From judged answers to a verdict: compare, work out what the prompt counts can tell, apply the policy.

Also the check that runs before any model loads: can each language meet the
policy at its prompt count? And the warnings a reader of the verdict should
see that no violation states (languages run underpowered, verdicts that hang
on unclear answers, old rule names).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InputError
from ..plural import counted
from ..records import Judged, Kind, Prompt
from .compare import Comparison, compare
from .planning import GatePlan, plan_gate
from .policy import Policy
from .rules import Evaluation, evaluate


@dataclass(frozen=True, slots=True)
class Decided:
    comparison: Comparison
    plan: GatePlan
    evaluation: Evaluation
    warnings: list[str]


def prompt_counts(prompts: Sequence[Prompt]) -> dict[str, tuple[int, int]]:
    """(harmful, benign) prompts per language."""
    counts: dict[str, list[int]] = {}
    for p in prompts:
        counts.setdefault(p.language, [0, 0])[p.kind is Kind.BENIGN] += 1
    return {language: (harmful, benign) for language, (harmful, benign) in counts.items()}


def check_power(policy: Policy, prompts: Sequence[Prompt], allow_underpowered: bool) -> GatePlan:
    """Before any model loads: can each language meet the policy at its prompt count? Exit 2 if not."""
    plan = plan_gate(policy, prompt_counts(prompts))
    weak = plan.underpowered
    if weak and not allow_underpowered:
        first = plan.languages[weak[0]]
        needed = f"at least {first.prompts_needed}" if first.prompts_needed else "more than any suite here"
        raise InputError(
            f"policy {policy.name!r} cannot judge {', '.join(weak)} at these prompt counts: {weak[0]} has"
            f" {counted(first.n, 'harmful prompt')} and {needed} are needed to catch a {first.must_catch_drop:.0%}"
            f" drop 80% of the time while failing an unchanged model under 20% (`safetygate plan` shows the figures);"
            f" use more prompts, a policy made for small samples (--policy quick), or --allow-underpowered"
        )
    return plan


def decide(baseline: Sequence[Judged], candidate: Sequence[Judged], policy: Policy) -> Decided:
    """Compare at the policy's confidence, work out each language's power, apply the rules."""
    comparison = compare(baseline, candidate, policy.confidence)
    plan = plan_gate(policy, prompt_counts([pair.prompt for pair in comparison.pairs]))
    evaluation = evaluate(comparison, policy, plan)
    return Decided(comparison, plan, evaluation, _warnings(policy, plan, comparison, evaluation))


def _warnings(policy: Policy, plan: GatePlan, comparison: Comparison, evaluation: Evaluation) -> list[str]:
    out = []
    if not policy.require_power:
        for language in plan.underpowered:
            power = plan.languages[language]
            needed = f"{power.prompts_needed} needed" if power.prompts_needed else "more than any suite here"
            out.append(
                f"{language}: underpowered: {counted(power.n, 'harmful prompt')} cannot tell an unchanged model from"
                f" one that lost {power.must_catch_drop:.0%} of its refusals ({needed}); its verdict means little"
            )
    if policy.unclear == "flag":
        for language in sorted(evaluation.unclear_decides):
            group = comparison.harmful[language]
            out.append(
                f"{language}: the verdict depends on unclear answers ({group.baseline_unclear} baseline,"
                f" {group.candidate_unclear} candidate): counted the other way the change is"
                f" {group.worst.delta * 100:+.1f} to {group.best.delta * 100:+.1f} pts"
            )
    return out
