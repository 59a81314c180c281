"""Statistics for refusal rates: the record of a paired comparison, and the tests beside the margin rules.

- The exact (binomial) McNemar test on the discordant pairs: is there any
  change at all? Reported beside each group, Holm-corrected across its family.
- Holm's step-down correction.

The paired difference's interval and the tests against a margin are Tango's
score method, in `paired`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


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


def mcnemar_exact(lost: int, gained: int) -> float:
    """Two-sided exact McNemar p-value from the two discordant counts."""
    n = lost + gained
    if n == 0:
        return 1.0
    k = min(lost, gained)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


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
