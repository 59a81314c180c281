"""Build the gate result from what the stages returned: the comparison, the policy's evaluation, the run."""

from __future__ import annotations

from dataclasses import asdict

from .. import __version__
from ..errors import ExitCode
from ..gate.compare import Comparison, GroupResult, Pair
from ..gate.policy import Policy
from ..gate.rules import Evaluation
from ..records import Label
from .result import FlipRecord, GateResult, GroupStats, LanguageResult, PolicyRecord, RunRecord, ViolationRecord


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
        lost=s.lost,
        gained=s.gained,
        baseline_unclear=group.baseline_unclear,
        candidate_unclear=group.candidate_unclear,
    )


def _language(comparison: Comparison, language: str, policy: Policy, passed: bool) -> LanguageResult:
    harmful = comparison.harmful.get(language)
    benign = comparison.benign.get(language)
    stats = group_stats(harmful).model_dump() if harmful else {"n": 0}
    return LanguageResult(
        **stats,
        over_refusal=group_stats(benign) if benign else None,
        categories={
            cat: group_stats(g) for (lang, cat), g in sorted(comparison.categories.items()) if lang == language
        },
        thresholds=policy.thresholds(language),
        passed=passed,
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
    )


def build_result(
    comparison: Comparison, evaluation: Evaluation, policy: Policy, policy_source: str, run: RunRecord
) -> GateResult:
    """The one record every output is rendered from."""
    exit_code = ExitCode.PASSED if evaluation.passed else ExitCode.FAILED
    return GateResult(
        safetygate_version=__version__,
        passed=evaluation.passed,
        exit_code=int(exit_code),
        policy=PolicyRecord(**policy.model_dump(), source=policy_source),
        languages={
            language: _language(comparison, language, policy, language not in evaluation.failed_languages)
            for language in comparison.languages
        },
        violations=[ViolationRecord(**asdict(v)) for v in evaluation.violations],
        flipped=[_flip(pair) for pair in comparison.flipped],
        run=run,
    )
