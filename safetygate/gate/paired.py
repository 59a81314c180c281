"""Tango's score test and interval for the difference of two paired proportions.

The same prompts are answered by the baseline and the candidate. Of `n`
prompts, `lost` were refused by the baseline only and `gained` by the
candidate only; the difference in refusal rates is delta = (gained - lost) / n
(a drop is negative). For a hypothesised difference d, Tango's score statistic
(Tango 1998, Statistics in Medicine 17:891) is

    T(d) = (gained - lost - n d) / sqrt(n (2 p + d (1 - d)))

where p is the maximum-likelihood estimate of P(lost) under delta = d. Its
interval {d : |T(d)| <= z} is the one recommended for paired proportions
(Fagerland, Lydersen and Laake 2014), and it depends on `n`, `lost` and
`gained` only, so every error rate of a rule built on it can be summed
exactly over the possible (lost, gained) outcomes (see `power`).

The numerator is shrunk toward zero by one prompt (a continuity
correction): summed exactly, the plain statistic's one-sided error reached
1.7 times its nominal level at some prompt counts between 19 and 400; with
the correction it stays under it everywhere checked (tests/test_verdicts.py).
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

_NORMAL = NormalDist()
CONTINUITY = 1.0  # prompts


def restricted_p_lost(n: int, lost, gained, d: float):
    """The maximum-likelihood P(lost) when the difference is held at d (the root of 2n p^2 - B p - C = 0).

    `lost` and `gained` may be numbers or numpy arrays of outcomes.
    """
    both_or_neither = n - lost - gained
    b = gained * (1 - d) + lost * (1 - 3 * d) - 2 * both_or_neither * d
    c = lost * d * (1 - d)
    return (b + np.sqrt(np.maximum(0.0, b * b + 8 * n * c))) / (4 * n)


def score_statistic(n: int, lost, gained, d: float):
    """Tango's T(d): positive when the observed difference lies above d (numbers or arrays)."""
    raw = np.asarray(gained - lost - n * d, dtype=float)
    numerator = np.sign(raw) * np.maximum(np.abs(raw) - CONTINUITY, 0.0)
    variance = n * (2 * restricted_p_lost(n, lost, gained, d) + d * (1 - d))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(variance > 0, numerator / np.sqrt(np.maximum(variance, 1e-300)), np.sign(numerator) * np.inf)
    t = np.where((variance <= 0) & (numerator == 0), 0.0, t)
    return float(t) if t.ndim == 0 else t


def score_interval(n: int, lost: int, gained: int, confidence: float) -> tuple[float, float]:
    """Tango's two-sided interval for the difference at `confidence`: every d the score test does not reject."""
    if n == 0:
        return (-1.0, 1.0)
    z = _NORMAL.inv_cdf(0.5 + confidence / 2)
    estimate = (gained - lost) / n
    low = -1.0 if score_statistic(n, lost, gained, -1.0) <= z else _root(n, lost, gained, z, -1.0, estimate)
    high = 1.0 if score_statistic(n, lost, gained, 1.0) >= -z else _root(n, lost, gained, -z, estimate, 1.0)
    return (low, high)


def _root(n: int, lost: int, gained: int, target: float, lo: float, hi: float) -> float:
    """The d in [lo, hi] where T(d) = target (T falls as d rises), by bisection."""
    for _ in range(60):
        mid = (lo + hi) / 2
        if score_statistic(n, lost, gained, mid) > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2
