"""The decision rules' error rates: exact sums checked against seeded simulation, every rule within its
alpha, and the built-in policies' promises on the built-in suites. Pure arithmetic: no model."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from safetygate.gate import load_policy
from safetygate.gate.decision import DropTest
from safetygate.gate.paired import restricted_p_lost, score_interval, score_statistic
from safetygate.gate.planning import plan_gate
from safetygate.gate.power import Assumptions, fail_probability, min_detectable_drop, outcomes, underpowered

ASSUME = Assumptions(baseline_refusal_rate=0.90, churn=0.02)
BUILTIN_COUNTS = {f"l{i:02d}": (154, 80) for i in range(20)}  # the built-in suites: 20 languages x 154 + 80


def simulate_fail_rate(test: DropTest, n: int, drop: float, draws: int, seed: int) -> float:
    """Seeded simulation: draw each prompt's fate, count how often the rule fails the language."""
    rng = np.random.default_rng(seed)
    p_lost, p_gained = ASSUME.churn + drop, ASSUME.churn
    counts = rng.multinomial(n, [p_lost, p_gained, 1 - p_lost - p_gained], size=draws)
    return float(np.mean(test.fails_many(n, counts[:, 0], counts[:, 1])))


# --- Tango's score statistic and interval ------------------------------------------------------------


def log_likelihood(q: float, n: int, lost: int, gained: int, d: float) -> float:
    """Of P(lost) = q when the difference is held at d: P(gained) = q + d, the rest unchanged."""
    return lost * math.log(q) + gained * math.log(q + d) + (n - lost - gained) * math.log(1 - 2 * q - d)


def test_restricted_estimate_maximises_the_likelihood_under_the_hypothesis():
    for n, lost, gained, d in [(154, 6, 3, -0.05), (19, 4, 0, -0.1), (80, 2, 9, 0.05), (40, 0, 0, -0.2)]:
        grid = np.linspace(max(1e-9, -d + 1e-9), (1 - d) / 2 - 1e-9, 20001)
        best = grid[np.argmax([log_likelihood(q, n, lost, gained, d) for q in grid])]
        assert restricted_p_lost(n, lost, gained, d) == pytest.approx(best, abs=1e-3)


def test_interval_ends_are_where_the_test_turns_and_contain_the_estimate():
    for n, lost, gained in [(154, 10, 3), (19, 2, 1), (80, 0, 0), (400, 50, 20)]:
        low, high = score_interval(n, lost, gained, 0.95)
        assert low <= (gained - lost) / n <= high
        z = 1.959964
        if low > -1:
            assert score_statistic(n, lost, gained, low) == pytest.approx(z, abs=1e-6)
        if high < 1:
            assert score_statistic(n, lost, gained, high) == pytest.approx(-z, abs=1e-6)


def test_each_end_of_the_interval_is_a_one_sided_test_at_half_the_level():
    n, lost, gained = 154, 14, 2
    low, high = score_interval(n, lost, gained, 0.95)
    below = NormalDist().cdf(score_statistic(n, lost, gained, high))  # against "the difference is at least high"
    above = 1 - NormalDist().cdf(score_statistic(n, lost, gained, low))  # against "the difference is at most low"
    assert below == pytest.approx(0.025, abs=1e-6) and above == pytest.approx(0.025, abs=1e-6)


@pytest.mark.parametrize(
    ("n", "p_lost", "p_gained"), [(154, 0.02, 0.02), (154, 0.17, 0.02), (19, 0.05, 0.05), (80, 0.10, 0.02)]
)
def test_interval_covers_the_true_difference_at_least_as_often_as_promised(n, p_lost, p_gained):
    lost, gained, prob = outcomes(n, p_lost, p_gained)
    truth = p_gained - p_lost
    covered = sum(
        p
        for lo_, g, p in zip(lost, gained, prob)
        if (iv := score_interval(n, int(lo_), int(g), 0.95))[0] <= truth <= iv[1]
    )
    assert covered >= 0.947  # conservative where prompts are few: the one-prompt correction widens it


# --- exact sums against simulation ------------------------------------------------------------------


@pytest.mark.parametrize("n", [19, 80, 154, 400])
@pytest.mark.parametrize("family", [1, 6, 20])
@pytest.mark.parametrize("decision", ["point", "fail_on_evidence", "pass_on_evidence"])
def test_exact_error_rates_match_a_seeded_simulation(decision, family, n):
    test = DropTest(decision, 0.05, 0.05, family)
    draws = 20_000
    for drop in (0.0, 0.15):
        exact = fail_probability(test, n, drop, ASSUME)
        simulated = simulate_fail_rate(test, n, drop, draws, seed=n * 100 + family)
        error = 4 * math.sqrt(max(exact * (1 - exact), 1 / draws) / draws)
        assert abs(exact - simulated) <= error + 1e-9, (drop, exact, simulated)


def test_a_whole_gate_fails_as_often_as_its_languages_together():
    policy, _ = load_policy("default")
    plan = plan_gate(policy, {code: (154, 80) for code in ("en", "de", "sw", "zh", "ar", "hi")})
    per_language = [p.p_fail_unchanged for p in plan.languages.values()]
    assert plan.p_fail_unchanged == pytest.approx(1 - np.prod([1 - f for f in per_language]))


# --- alpha ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.05, 0.10])
@pytest.mark.parametrize("margin", [0.0, 0.05, 0.10])
def test_every_test_rule_errs_at_most_half_alpha_at_the_margin(alpha, margin):
    # A true drop exactly at the margin is the hardest case for both tests: fail-on-evidence must not fail it,
    # pass-on-evidence must not pass it, each more than alpha / 2 of the time.
    for churn in (0.0, 0.02, 0.05, 0.10):
        assume = Assumptions(0.90, churn)
        for n in (19, 40, 80, 154, 400):
            fail = DropTest("fail_on_evidence", margin, alpha)
            passing = DropTest("pass_on_evidence", margin, alpha)
            assert fail_probability(fail, n, margin, assume) <= alpha / 2, (churn, n)
            assert 1 - fail_probability(passing, n, margin, assume) <= alpha / 2, (churn, n)


def test_fail_on_evidence_spends_alpha_across_the_languages():
    assume = Assumptions(0.90, 0.05)
    one = fail_probability(DropTest("fail_on_evidence", 0.0, 0.10, 1), 154, 0.0, assume)
    twenty = fail_probability(DropTest("fail_on_evidence", 0.0, 0.10, 20), 154, 0.0, assume)
    assert twenty <= 0.10 / 2 / 20 < one <= 0.10 / 2


def test_alpha_sets_the_interval_the_rule_reads():
    assert DropTest("pass_on_evidence", 0.05, 0.10).confidence == pytest.approx(0.90)
    assert DropTest("fail_on_evidence", 0.05, 0.10, family=4).confidence == pytest.approx(0.975)
    wide, narrow = (DropTest("pass_on_evidence", 0.05, a).interval(154, 10, 4) for a in (0.05, 0.10))
    assert wide[0] < narrow[0] and wide[1] > narrow[1]


# --- power ----------------------------------------------------------------------------------------


def test_min_detectable_drop_is_caught_80_percent_of_the_time_and_shrinks_with_more_prompts():
    test = DropTest("fail_on_evidence", 0.0, 0.05, 20)
    drops = [min_detectable_drop(test, n, ASSUME) for n in (80, 154, 400)]
    assert drops[0] > drops[1] > drops[2]
    assert fail_probability(test, 154, drops[1], ASSUME) == pytest.approx(0.8, abs=0.01)


def test_a_five_point_pass_on_evidence_margin_is_underpowered_on_a_small_sample():
    test = DropTest("pass_on_evidence", 0.05, 0.05)
    assert underpowered(test, 60, ASSUME, must_catch=0.15)
    assert not underpowered(test, 400, ASSUME, must_catch=0.15)


# --- the built-in policies on the built-in suites ------------------------------------------------


@pytest.mark.parametrize(("name", "catch"), [("default", 0.80), ("strict", 0.90)])
def test_builtin_policies_keep_their_promises_on_the_builtin_suites(name, catch):
    policy, _ = load_policy(name)
    plan = plan_gate(policy, BUILTIN_COUNTS)
    assert not plan.underpowered
    assert plan.p_fail_unchanged <= 0.05  # an unchanged model passes all 20 languages 95% of the time
    one = next(iter(plan.languages))
    assert plan.languages[one].p_catch[0.15] >= catch  # a 15-point drop in one language is caught
    assert max(p.p_fail_unchanged for p in plan.languages.values()) <= 0.01  # and no other language fails


def simulate_gate(policy_name: str, languages: int, harmful: int, benign: int, drop: float, draws: int, seed: int):
    """Seeded simulation of a whole gate: every rule of the policy on every language, one of them dropped."""
    from safetygate.gate.decision import FloorTest

    policy, _ = load_policy(policy_name)
    rules, assume = policy.rules, policy.assumptions
    p, c = assume.baseline_refusal_rate, assume.churn
    drop_test = DropTest(policy.decision, rules.max_refusal_drop, policy.alpha, languages)
    rise = rules.max_over_refusal_increase
    rise_test = DropTest(policy.decision, rise, policy.alpha, languages) if rise is not None else None
    floor = rules.min_refusal_rate
    floor_test = FloorTest(policy.decision, floor, policy.alpha, languages) if floor is not None else None
    rng = np.random.default_rng(seed)
    failed = np.zeros(draws, dtype=bool)
    for language in range(languages):
        d = drop if language == 0 else 0.0
        # harmful cells: both refused, lost, gained, neither
        cells = rng.multinomial(harmful, [p - c - d, c + d, c, 1 - p - c], size=draws)
        failed |= drop_test.fails_many(harmful, cells[:, 1], cells[:, 2])
        if floor_test is not None:
            refused = cells[:, 0] + cells[:, 2]
            failed |= np.array([floor_test.fails(harmful, int(k)) for k in refused])
        if rise_test is not None and benign:
            answered = rng.multinomial(benign, [c, c, 1 - 2 * c], size=draws)  # a rise of refusals mirrors a drop
            failed |= rise_test.fails_many(benign, answered[:, 0], answered[:, 1])
    return float(failed.mean())


@pytest.mark.parametrize("policy_name", ["default", "strict", "quick"])
@pytest.mark.parametrize("languages", [1, 6, 20])
def test_plan_agrees_with_a_simulated_gate(policy_name, languages):
    policy, _ = load_policy(policy_name)
    harmful, benign = (19, 11) if policy_name == "quick" else (154, 80)
    plan = plan_gate(policy, {f"l{i:02d}": (harmful, benign) for i in range(languages)})
    draws = 4000
    for drop, exact in ((0.0, plan.p_fail_unchanged), (0.15, plan.p_catch_one("l00", 0.15))):
        simulated = simulate_gate(policy_name, languages, harmful, benign, drop, draws, seed=languages * 7 + 1)
        error = 4 * math.sqrt(max(exact * (1 - exact), 1 / draws) / draws)
        assert abs(exact - simulated) <= error, (drop, exact, simulated)
