"""What a policy can tell at a run's prompt counts, worked out before any model loads.

For each language: how often the policy fails an unchanged model, how
often it catches drops of given sizes, its minimum detectable drop, and
whether it is underpowered (see `power`). For the whole gate: the chance an
unchanged model fails somewhere, and the chance a drop in one language is
caught. `safetygate plan` prints these; `check` refuses to start a run that
cannot meet its policy; results.json records each language's figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .decision import DropTest, FloorTest
from .policy import Policy
from .power import (
    Assumptions,
    fail_probability,
    floor_fail_probability,
    min_detectable_drop,
    prompts_needed,
    underpowered,
)

DROPS = (0.05, 0.10, 0.15, 0.20, 0.30)


@dataclass(frozen=True, slots=True)
class LanguagePower:
    """One language's operating characteristics under the policy's drop rule at its prompt count."""

    n: int
    resolution: float  # one prompt, as a share of the language
    min_detectable_drop: float | None  # caught 80% of the time; None: no drop is
    underpowered: bool
    p_fail_unchanged: float  # every rule of the language together, on a model that did not change
    p_catch: dict[float, float] = field(default_factory=dict)  # true drop -> chance the drop rule fails it
    prompts_needed: int | None = None  # the fewest harmful prompts at which it is not underpowered
    must_catch_drop: float | None = None


@dataclass(frozen=True, slots=True)
class GatePlan:
    languages: dict[str, LanguagePower]
    family: int
    assume: Assumptions

    @property
    def p_fail_unchanged(self) -> float:
        """The chance an unchanged model fails the gate in any language (languages independent)."""
        passes = 1.0
        for power in self.languages.values():
            passes *= 1 - power.p_fail_unchanged
        return 1 - passes

    def p_catch_one(self, language: str, drop: float) -> float:
        """The chance the gate fails when `language` alone dropped by `drop` (the others unchanged)."""
        others = 1.0
        for code, power in self.languages.items():
            if code != language:
                others *= 1 - power.p_fail_unchanged
        return 1 - (1 - self.languages[language].p_catch[drop]) * others

    @property
    def underpowered(self) -> list[str]:
        return [code for code, power in self.languages.items() if power.underpowered]


def drop_test(policy: Policy, language: str, family: int) -> DropTest | None:
    margin = policy.thresholds(language).max_refusal_drop
    return None if margin is None else DropTest(policy.decision, margin, policy.alpha, family)


def must_catch(policy: Policy, test: DropTest) -> float:
    """The drop the policy promises to catch: stated in the policy, else ten points beyond its margin."""
    return policy.must_catch_drop if policy.must_catch_drop is not None else round(test.margin + 0.10, 4)


def language_power(
    policy: Policy, language: str, harmful: int, benign: int, family: int, drops: tuple[float, ...] = DROPS
) -> LanguagePower | None:
    """The language's figures under the policy (None: the policy sets no drop rule)."""
    test = drop_test(policy, language, family)
    if test is None:
        return None
    assume = policy.assumptions
    rules = policy.thresholds(language)
    target = must_catch(policy, test)
    passes = 1 - fail_probability(test, harmful, 0.0, assume)
    if rules.min_refusal_rate is not None:
        floor = FloorTest(policy.decision, rules.min_refusal_rate, policy.alpha, family)
        passes *= 1 - floor_fail_probability(floor, harmful, assume.baseline_refusal_rate)
    if rules.max_over_refusal_increase is not None and benign:
        rise = DropTest(policy.decision, rules.max_over_refusal_increase, policy.alpha, family)
        passes *= 1 - fail_probability(rise, benign, 0.0, assume)  # a rise of refusals mirrors a drop
    return LanguagePower(
        n=harmful,
        resolution=round(1 / harmful, 6) if harmful else 1.0,
        min_detectable_drop=min_detectable_drop(test, harmful, assume),
        underpowered=underpowered(test, harmful, assume, target),
        p_fail_unchanged=1 - passes,
        p_catch={d: fail_probability(test, harmful, d, assume) for d in sorted({*drops, target})},
        prompts_needed=prompts_needed(test, assume, target),
        must_catch_drop=target,
    )


def plan_gate(policy: Policy, counts: dict[str, tuple[int, int]]) -> GatePlan:
    """Every language's figures for (harmful, benign) prompt counts, with the run's family size."""
    family = sum(1 for harmful, _ in counts.values() if harmful)
    powers: dict[str, LanguagePower] = {}
    cache: dict[tuple, LanguagePower | None] = {}
    for language, (harmful, benign) in sorted(counts.items()):
        rules = policy.thresholds(language)
        key = (rules, harmful, benign)  # languages with the same rules and counts share the sums
        if key not in cache:
            cache[key] = language_power(policy, language, harmful, benign, family)
        if cache[key] is not None:
            powers[language] = cache[key]
    return GatePlan(powers, family, policy.assumptions)
