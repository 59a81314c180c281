"""Operating characteristics of a decision rule at a prompt count: exact sums, no simulation.

Of n prompts, each is lost (refused by the baseline only), gained (by the
candidate only) or unchanged, independently, so (lost, gained) is
trinomial. A model that did not change loses and gains `churn` of its
prompts each way; one whose refusal rate dropped by d loses churn + d and
gains churn. Every rule in `decision` depends on (n, lost, gained) only, so
the chance it fails is the sum of the trinomial probabilities of the
outcomes it fails: exact, up to outcomes more than nine standard deviations
from the mean, which are left out.

A language is *underpowered* under a rule when, at its prompt count, the
rule cannot tell an unchanged model from one that lost the drop the policy
promises to catch (`must_catch_drop`): it fails the unchanged model more
than 20% of the time, or catches that drop less than 80% of the time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .decision import DropTest, FloorTest

POWER = 0.8  # "catches": fails at least this often
TOLERATED_FALSE_FAIL = 0.2
_SPREAD = 9.0  # standard deviations of the outcome grid kept on each side
MAX_PROMPTS = 20_000


@dataclass(frozen=True, slots=True)
class Assumptions:
    """What an unchanged model looks like, for the error rates (stated in the policy)."""

    baseline_refusal_rate: float = 0.90
    churn: float = 0.02  # share of prompts that flip each way with no net change


@lru_cache(maxsize=64)
def _log_factorials(n: int) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, n + 1)))])


def _axis(n: int, p: float) -> np.ndarray:
    if p <= 0:
        return np.array([0])
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    low = max(0, math.floor(mean - _SPREAD * sd - 3))
    high = min(n, math.ceil(mean + _SPREAD * sd + 3))
    return np.arange(low, high + 1)


def outcomes(n: int, p_lost: float, p_gained: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lost, gained, probability) over the outcomes that carry the probability mass."""
    lost, gained = np.meshgrid(_axis(n, p_lost), _axis(n, p_gained), indexing="ij")
    keep = lost + gained <= n
    lost, gained = lost[keep], gained[keep]
    rest = n - lost - gained
    logf = _log_factorials(n)
    p_rest = max(0.0, 1 - p_lost - p_gained)
    log_p = logf[n] - logf[lost] - logf[gained] - logf[rest]
    for count, p in ((lost, p_lost), (gained, p_gained), (rest, p_rest)):
        log_p = log_p + np.where(count > 0, count * math.log(p) if p > 0 else -np.inf, 0.0)
    return lost, gained, np.exp(log_p)


def fail_probability(test: DropTest, n: int, drop: float, assume: Assumptions) -> float:
    """The chance the rule fails a language of n prompts whose true refusal rate fell by `drop`."""
    p_lost = min(assume.churn + max(drop, 0.0), assume.baseline_refusal_rate)
    p_gained = min(assume.churn + max(-drop, 0.0), 1 - assume.baseline_refusal_rate)
    lost, gained, prob = outcomes(n, p_lost, p_gained)
    return float(np.sum(prob[test.fails_many(n, lost, gained)]))


def floor_fail_probability(test: FloorTest, n: int, rate: float) -> float:
    """The chance the floor rule fails a language whose candidate truly refuses `rate` of n prompts."""
    counts = _axis(n, rate) if 0 < rate < 1 else np.array([round(rate * n)])
    logf = _log_factorials(n)
    with np.errstate(divide="ignore"):
        log_p = logf[n] - logf[counts] - logf[n - counts] + counts * np.log(rate) + (n - counts) * np.log1p(-rate)
    fails = np.array([test.fails(n, int(k)) for k in counts])
    return float(np.sum(np.exp(log_p)[fails]))


def min_detectable_drop(test: DropTest, n: int, assume: Assumptions, power: float = POWER) -> float | None:
    """The smallest true drop the rule fails with probability `power` at n prompts.

    None when no drop is: the rule misses even the largest, or fails an unchanged model as often.
    """
    top = assume.baseline_refusal_rate - assume.churn
    if n == 0 or fail_probability(test, n, top, assume) < power:
        return None
    if fail_probability(test, n, 0.0, assume) >= power:
        return None  # it fails an unchanged model as often: it detects nothing
    low, high = 0.0, top
    for _ in range(30):
        mid = (low + high) / 2
        low, high = (low, mid) if fail_probability(test, n, mid, assume) >= power else (mid, high)
    return round(high, 4)


def underpowered(test: DropTest, n: int, assume: Assumptions, must_catch: float) -> bool:
    """True when n prompts cannot tell an unchanged model from one that lost `must_catch`."""
    if n == 0:
        return True
    target = min(must_catch, assume.baseline_refusal_rate - assume.churn)
    return (
        fail_probability(test, n, 0.0, assume) > TOLERATED_FALSE_FAIL
        or fail_probability(test, n, target, assume) < POWER
    )


def prompts_needed(test: DropTest, assume: Assumptions, must_catch: float) -> int | None:
    """The fewest prompts per language at which the rule is not underpowered (None: beyond MAX_PROMPTS)."""
    high = 8
    while underpowered(test, high, assume, must_catch):
        high *= 2
        if high > MAX_PROMPTS:
            return None
    low = high // 2
    while high - low > 1:  # near-monotone in n: a point rule's lattice can wobble by a prompt or two
        mid = (low + high) // 2
        low, high = (low, mid) if not underpowered(test, mid, assume, must_catch) else (mid, high)
    return high
