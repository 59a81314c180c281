"""The result object: one versioned dict that results.json, the reports and the exit code come from.

`schema_version` is bumped on any change that would break a reader; keys are
only ever added within a version. Rates are fractions in [0, 1]; `delta` is
candidate minus baseline, so a drop in refusals is negative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from . import __version__
from .compare import flipped
from .errors import ExitCode
from .policy import Evaluation, Policy
from .records import Comparison, GroupResult, Judged

SCHEMA_VERSION = 1


def _r(x: float) -> float:
    return round(x, 6)


def group_dict(group: GroupResult) -> dict[str, Any]:
    s = group.stats
    return {
        "n": s.n,
        "baseline_refusal_rate": _r(s.baseline_rate), "candidate_refusal_rate": _r(s.candidate_rate),
        "delta": _r(s.delta), "ci_low": _r(s.ci_low), "ci_high": _r(s.ci_high),
        "p_value": _r(s.p_value), "p_holm": _r(group.p_holm),
        "lost": s.lost, "gained": s.gained,
        "baseline_unclear": group.baseline_unclear, "candidate_unclear": group.candidate_unclear,
    }


def build_results(
    comparison: Comparison, evaluation: Evaluation, policy: Policy, policy_source: str,
    baseline: Sequence[Judged], candidate: Sequence[Judged], run: dict[str, Any],
) -> dict[str, Any]:
    """Assemble the result object from the stages' outputs."""
    languages: dict[str, Any] = {}
    for language in sorted(comparison.harmful.keys() | comparison.benign.keys()):
        harmful = comparison.harmful.get(language)
        entry = group_dict(harmful) if harmful else {"n": 0}
        benign = comparison.benign.get(language)
        entry["over_refusal"] = group_dict(benign) if benign else None
        entry["categories"] = {
            cat: group_dict(g) for (lang, cat), g in sorted(comparison.categories.items()) if lang == language
        }
        entry["passed"] = language not in evaluation.failed_languages
        languages[language] = entry
    exit_code = ExitCode.PASSED if evaluation.passed else ExitCode.FAILED
    return {
        "schema_version": SCHEMA_VERSION,
        "safetygate_version": __version__,
        "passed": evaluation.passed,
        "exit_code": int(exit_code),
        "policy": {"name": policy.name, "source": policy_source, **policy.model_dump(exclude={"name"})},
        "languages": languages,
        "violations": [asdict(v) for v in evaluation.violations],
        "flipped": [_flip(b, c) for b, c in flipped(baseline, candidate)],
        "run": run,
    }


def _flip(base: Judged, cand: Judged) -> dict[str, Any]:
    p = base.completion.prompt
    return {
        "id": p.id, "language": p.language, "category": p.category, "prompt": p.prompt,
        "baseline_response": base.completion.response, "baseline_reason": base.verdict.reason,
        "candidate_response": cand.completion.response, "candidate_reason": cand.verdict.reason,
    }
