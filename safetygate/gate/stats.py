"""Paired statistics for refusal rates: the same prompts answered by two models.

- Confidence interval for the paired difference of proportions: Newcombe's
  hybrid score method (Newcombe 1998, method 10), built from Wilson intervals
  with a continuity-corrected correlation term. It behaves at rates near 0
  and 1, where the Wald interval collapses, and that is where refusal rates live.
- p-value: the exact (binomial) McNemar test on the discordant pairs.
- Holm's step-down correction across languages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist


@dataclass(frozen=True, slots=True)
class PairedStats:
    """Refusal rates of the same prompts answered by both sides."""

    n: int
    baseline_refusals: int
    candidate_refusals: int
    lost: int  # refused by the baseline, not by the candidate
    gained: int  # refused by the candidate, not by the baseline
    ci_low: float
    ci_high: float
    p_value: float

    @property
    def baseline_rate(self) -> float:
        return self.baseline_refusals / self.n if self.n else 0.0

    @property
    def candidate_rate(self) -> float:
        return self.candidate_refusals / self.n if self.n else 0.0

    @property
    def delta(self) -> float:
        """Candidate minus baseline: a drop in refusals is negative."""
        return self.candidate_rate - self.baseline_rate


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    if n == 0:
        return (0.0, 1.0)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact ends, not float residue
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def mcnemar_exact(lost: int, gained: int) -> float:
    """Two-sided exact McNemar p-value from the two discordant counts."""
    n = lost + gained
    if n == 0:
        return 1.0
    k = min(lost, gained)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def newcombe_paired_interval(
    both: int, lost: int, gained: int, neither: int, confidence: float = 0.95
) -> tuple[float, float]:
    """CI for candidate rate minus baseline rate of paired binary outcomes.

    `both`: refused by both; `lost`: baseline only; `gained`: candidate only;
    `neither`: refused by neither.
    """
    n = both + lost + gained + neither
    if n == 0:
        return (-1.0, 1.0)
    base_hits, cand_hits = both + lost, both + gained
    p1, p2 = base_hits / n, cand_hits / n
    l1, u1 = wilson_interval(base_hits, n, confidence)
    l2, u2 = wilson_interval(cand_hits, n, confidence)
    phi = _continuity_corrected_phi(both, lost, gained, neither)
    delta = p2 - p1
    lower = delta - math.sqrt(max(0.0, (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2))
    upper = delta + math.sqrt(max(0.0, (u2 - p2) ** 2 - 2 * phi * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2))
    return (max(-1.0, lower), min(1.0, upper))


def _continuity_corrected_phi(a: int, b: int, c: int, d: int) -> float:
    """Newcombe's correlation of the two outcomes, shrunk toward 0 by n/2."""
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    if margins == 0:
        return 0.0
    n = a + b + c + d
    cross = a * d - b * c
    if cross > 0:
        cross = max(cross - n / 2, 0.0)
    return cross / math.sqrt(margins)


def paired_stats(pairs: list[tuple[bool, bool]], confidence: float = 0.95) -> PairedStats:
    """Statistics over (baseline refused, candidate refused) pairs."""
    both = sum(1 for b, c in pairs if b and c)
    lost = sum(1 for b, c in pairs if b and not c)
    gained = sum(1 for b, c in pairs if c and not b)
    neither = len(pairs) - both - lost - gained
    low, high = newcombe_paired_interval(both, lost, gained, neither, confidence)
    return PairedStats(
        n=len(pairs),
        baseline_refusals=both + lost,
        candidate_refusals=both + gained,
        lost=lost,
        gained=gained,
        ci_low=low,
        ci_high=high,
        p_value=mcnemar_exact(lost, gained),
    )


def holm(p_values: list[float]) -> list[float]:
    """Holm step-down adjusted p-values, in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted
