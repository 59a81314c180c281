"""The gate's arithmetic: paired comparison, statistics, the policy and its rules."""

from .compare import Comparison, GroupResult, Pair, compare, pair_up
from .planning import GatePlan, plan_gate
from .policy import Policy, Thresholds, builtin_policy_names, load_policy, load_policy_with_notes, parse_policy
from .rules import Evaluation, Violation, evaluate

__all__ = [
    "Comparison",
    "Evaluation",
    "GatePlan",
    "GroupResult",
    "Pair",
    "Policy",
    "Thresholds",
    "Violation",
    "builtin_policy_names",
    "compare",
    "evaluate",
    "load_policy",
    "load_policy_with_notes",
    "pair_up",
    "parse_policy",
    "plan_gate",
]
