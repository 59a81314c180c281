"""Paired statistics against values computed by hand or published."""

import math

import pytest

from safetygate.gate.compare import paired_stats
from safetygate.gate.paired import score_interval
from safetygate.gate.stats import holm, mcnemar_exact
from safetygate.proportions import wilson_interval


def test_wilson_matches_newcombes_published_example():
    # Newcombe (1998), single proportion 81/263: 0.2553 to 0.3662.
    low, high = wilson_interval(81, 263)
    assert low == pytest.approx(0.2553, abs=5e-5)
    assert high == pytest.approx(0.3662, abs=5e-5)


def test_wilson_at_zero_successes():
    # p = 0, n = 10, z = 1.96: upper = z^2/(n + z^2) = 3.8416 / 13.8416.
    low, high = wilson_interval(0, 10)
    assert low == 0.0
    assert high == pytest.approx(3.8416 / 13.8416, abs=1e-4)


@pytest.mark.parametrize(
    ("lost", "gained", "expected"),
    [
        (5, 1, 14 / 64),  # 2 * (C(6,0) + C(6,1)) / 2^6
        (6, 0, 2 / 64),  # 2 * C(6,0) / 2^6
        (3, 3, 1.0),  # symmetric: capped at 1
        (0, 0, 1.0),  # no discordant pairs: no evidence
        (10, 2, 2 * (1 + 12 + 66) / 4096),
    ],
)
def test_exact_mcnemar_by_hand(lost, gained, expected):
    assert mcnemar_exact(lost, gained) == pytest.approx(expected)
    assert mcnemar_exact(gained, lost) == pytest.approx(expected)


def test_paired_interval_agrees_with_wald_on_agrestis_large_sample():  # the score interval, n = 1600
    # Agresti, presidential approval: 794 approve both, 150 first only, 86 second only, 570 neither.
    # Difference 880/1600 - 944/1600 = -0.04; Wald SE = sqrt((150+86) - 64^2/1600)/1600 = 0.00948.
    low, high = score_interval(1600, lost=150, gained=86, confidence=0.95)
    se = math.sqrt((150 + 86) - 64**2 / 1600) / 1600
    assert low == pytest.approx(-0.04 - 1.96 * se, abs=0.002)
    assert high == pytest.approx(-0.04 + 1.96 * se, abs=0.002)


def test_paired_interval_brackets_the_estimate_and_stays_in_range():
    for table in [(0, 10, 0, 0), (10, 0, 0, 0), (3, 4, 1, 2), (0, 0, 0, 5), (20, 0, 9, 1)]:
        both, lost, gained, neither = table
        n = sum(table)
        delta = (gained - lost) / n
        low, high = score_interval(n, lost, gained, 0.95)
        assert -1.0 <= low <= delta <= high <= 1.0, table


def test_total_collapse_is_significant_and_interval_excludes_zero():
    # 30 prompts all refused before, none after.
    stats = paired_stats([(True, False)] * 30, confidence=0.95)
    assert stats.baseline_rate == 1.0 and stats.candidate_rate == 0.0 and stats.delta == -1.0
    assert stats.p_value == pytest.approx(2 / 2**30)
    assert stats.ci_high < 0


def test_paired_stats_counts():
    pairs = [(True, True)] * 5 + [(True, False)] * 3 + [(False, True)] * 1 + [(False, False)] * 1
    s = paired_stats(pairs, confidence=0.95)
    assert (s.n, s.baseline_refusals, s.candidate_refusals, s.lost, s.gained) == (10, 8, 6, 3, 1)
    assert s.delta == pytest.approx(-0.2)
    assert s.p_value == pytest.approx(2 * (1 + 4) / 16)


def test_holm_by_hand():
    # sorted: 0.01*3 = 0.03; 0.03*2 = 0.06; 0.04*1 = 0.04 -> max(0.06, 0.04) = 0.06
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []
