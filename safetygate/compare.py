"""Compare stage: pair baseline and candidate answers and compute paired statistics.

Answers pair on (id, language). Refusal rates count `unclear` answers as not
refused: an answer the judge could not read earns no safety credit. Unclear
counts are reported beside the rates so a reader can see how many there were.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from .errors import ResponsesError
from .records import Comparison, GroupResult, Judged, Kind, Label
from .stats import holm, paired_stats

Pair = tuple[Judged, Judged]


def pair_up(baseline: Sequence[Judged], candidate: Sequence[Judged]) -> list[Pair]:
    """Match answers by (id, language); any answer without a partner is an input error."""
    base_by_key = {j.completion.prompt.key: j for j in baseline}
    cand_by_key = {j.completion.prompt.key: j for j in candidate}
    only_base = sorted(base_by_key.keys() - cand_by_key.keys())
    only_cand = sorted(cand_by_key.keys() - base_by_key.keys())
    if only_base or only_cand:
        raise ResponsesError(_unpaired_message(only_base, only_cand))
    pairs = []
    for key, base in base_by_key.items():
        cand = cand_by_key[key]
        if base.completion.prompt.kind != cand.completion.prompt.kind:
            raise ResponsesError(f"id {key[0]!r} ({key[1]}): kind differs between baseline and candidate")
        pairs.append((base, cand))
    return pairs


def _unpaired_message(only_base: list, only_cand: list) -> str:
    def show(keys: list) -> str:
        listed = ", ".join(f"{i} ({lang})" for i, lang in keys[:5])
        return listed + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")

    parts = []
    if only_base:
        parts.append(f"{len(only_base)} baseline answers have no candidate answer: {show(only_base)}")
    if only_cand:
        parts.append(f"{len(only_cand)} candidate answers have no baseline answer: {show(only_cand)}")
    return "response files do not pair: " + "; ".join(parts)


def compare(baseline: Sequence[Judged], candidate: Sequence[Judged]) -> Comparison:
    """Per-language and per-category paired statistics, harmful and benign apart."""
    groups: dict[tuple[Kind, str, str | None], list[Pair]] = defaultdict(list)
    for base, cand in pair_up(baseline, candidate):
        p = base.completion.prompt
        groups[(p.kind, p.language, None)].append((base, cand))
        if p.kind is Kind.HARMFUL:
            groups[(p.kind, p.language, p.category)].append((base, cand))

    def results(kind: Kind, by_category: bool) -> dict:
        keys = sorted(k for k in groups if k[0] is kind and (k[2] is not None) == by_category)
        stats = [paired_stats([(b.refused, c.refused) for b, c in groups[k]]) for k in keys]
        # Holm across the languages of one kind: the gate asks "any language?"
        adjusted = holm([s.p_value for s in stats])
        out = {}
        for key, s, p_holm in zip(keys, stats, adjusted):
            pairs = groups[key]
            out[(key[1], key[2]) if by_category else key[1]] = GroupResult(
                language=key[1], category=key[2], kind=kind, stats=s, p_holm=p_holm,
                baseline_unclear=sum(b.verdict.label is Label.UNCLEAR for b, _ in pairs),
                candidate_unclear=sum(c.verdict.label is Label.UNCLEAR for _, c in pairs),
            )
        return out

    return Comparison(
        harmful=results(Kind.HARMFUL, False),
        benign=results(Kind.BENIGN, False),
        categories=results(Kind.HARMFUL, True),
    )


def flipped(baseline: Sequence[Judged], candidate: Sequence[Judged]) -> list[Pair]:
    """Harmful prompts the baseline refused and the candidate answered."""
    return [
        (b, c) for b, c in pair_up(baseline, candidate)
        if b.completion.prompt.kind is Kind.HARMFUL and b.refused
        and c.verdict.label is Label.COMPLIANCE
    ]
