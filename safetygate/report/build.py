"""Build the gate result from what the stages returned: the comparison, the policy's evaluation, the run."""

from __future__ import annotations

from dataclasses import asdict

from .. import __version__
from ..errors import ExitCode
from ..gate.compare import Comparison, GroupResult, Pair
from ..gate.decision import rule_confidence
from ..gate.planning import GatePlan, LanguagePower
from ..gate.policy import Policy
from ..gate.rules import Evaluation
from ..gate.verdict import Decided
from ..records import Label
from .result import (
    CandidateResult,
    FlipRecord,
    GateResult,
    GroupStats,
    LanguageResult,
    PolicyRecord,
    PowerRecord,
    RunRecord,
    UnclearCounts,
    ViolationRecord,
)


def _r(x: float) -> float:
    return round(x, 6)


def group_stats(group: GroupResult) -> GroupStats:
    s = group.stats
    return GroupStats(
        n=s.n,
        baseline_refusal_rate=_r(s.baseline_rate),
        candidate_refusal_rate=_r(s.candidate_rate),
        delta=_r(s.delta),
        ci_low=_r(s.ci_low),
        ci_high=_r(s.ci_high),
        p_value=_r(s.p_value),
        p_holm=_r(group.p_holm),
        holm_family=group.family,
        lost=s.lost,
        gained=s.gained,
        baseline_unclear=group.baseline_unclear,
        candidate_unclear=group.candidate_unclear,
    )


def power_record(power: LanguagePower) -> PowerRecord:
    return PowerRecord(
        resolution=power.resolution,
        min_detectable_drop=power.min_detectable_drop,
        underpowered=power.underpowered,
        must_catch_drop=power.must_catch_drop,
        p_fail_unchanged=_r(power.p_fail_unchanged),
        p_pass_unchanged=_r(1 - power.p_fail_unchanged),
        p_catch={f"{drop:g}": _r(p) for drop, p in power.p_catch.items()},
        prompts_needed=power.prompts_needed,
    )


def _language(
    comparison: Comparison, language: str, policy: Policy, plan: GatePlan, evaluation: Evaluation
) -> LanguageResult:
    harmful = comparison.harmful.get(language)
    benign = comparison.benign.get(language)
    power = plan.languages.get(language)
    extra = {}
    if harmful:
        extra = {
            **group_stats(harmful).model_dump(exclude={"holm_family"}),
            "unclear": UnclearCounts(baseline=harmful.baseline_unclear, candidate=harmful.candidate_unclear),
            "delta_range": (_r(harmful.worst.delta), _r(harmful.best.delta)),
        }
    return LanguageResult(
        **(extra or {"n": 0}),
        unclear_decides=language in evaluation.unclear_decides,
        power=power_record(power) if power else None,
        over_refusal=group_stats(benign) if benign else None,
        categories={
            cat: group_stats(g) for (lang, cat), g in sorted(comparison.categories.items()) if lang == language
        },
        thresholds=policy.thresholds(language),
        passed=language not in evaluation.failed_languages,
    )


def _flip(pair: Pair) -> FlipRecord:
    p = pair.prompt
    base, cand = pair.baseline, pair.candidate
    return FlipRecord(
        id=p.id,
        language=p.language,
        category=p.category,
        prompt=p.prompt,
        baseline_response=base.completion.response,
        baseline_reason=base.verdict.reason,
        candidate_response=cand.completion.response,
        candidate_reason=cand.verdict.reason,
        candidate_label="unclear" if cand.verdict.label is Label.UNCLEAR else "compliance",
        baseline_reviewed=base.verdict.reviewed,
        candidate_reviewed=cand.verdict.reviewed,
    )


def _policy_record(policy: Policy, policy_source: str, plan: GatePlan) -> PolicyRecord:
    return PolicyRecord(
        **policy.model_dump(),
        source=policy_source,
        ci_confidence=_r(policy.confidence),
        rule_confidence=_r(rule_confidence(policy.decision, policy.alpha, plan.family)),
        languages_tested=plan.family,
    )


def candidate_result(decided: Decided, policy: Policy) -> CandidateResult:
    """One candidate's comparison with the baseline, as the result records it."""
    comparison, plan, evaluation = decided.comparison, decided.plan, decided.evaluation
    return CandidateResult(
        passed=evaluation.passed,
        languages={
            language: _language(comparison, language, policy, plan, evaluation) for language in comparison.languages
        },
        violations=[ViolationRecord(**asdict(v)) for v in evaluation.violations],
        flipped=[_flip(pair) for pair in comparison.flipped],
        warnings=decided.warnings,
    )


def build_result(
    decided: dict[str, Decided], policy: Policy, policy_source: str, run: RunRecord, notes: list[str] = ()
) -> GateResult:
    """The one record every output is rendered from: one candidate's comparison, or a sweep's.

    `decided` maps each candidate's name to its comparison with the baseline; with one candidate its
    comparison is the result's top level. `notes` are warnings about the run as a whole (old rule names).
    """
    results = {name: candidate_result(d, policy) for name, d in decided.items()}
    passed = all(r.passed for r in results.values())
    common = dict(
        safetygate_version=__version__,
        passed=passed,
        exit_code=int(ExitCode.PASSED if passed else ExitCode.FAILED),
        policy=_policy_record(policy, policy_source, next(iter(decided.values())).plan),
        run=run,
    )
    if len(results) == 1:
        (only,) = results.values()
        return GateResult(
            **common,
            languages=only.languages,
            violations=only.violations,
            flipped=only.flipped,
            warnings=[*notes, *only.warnings],
        )
    return GateResult(**common, languages={}, violations=[], flipped=[], warnings=list(notes), candidates=results)
