"""The gate's arithmetic: paired comparison, statistics, the policy and its rules."""

from .compare import Comparison, GroupResult, Pair, compare, pair_up
from .policy import Policy, Thresholds, builtin_policy_names, load_policy, parse_policy
from .rules import Evaluation, Violation, evaluate

__all__ = [
    "Comparison",
    "Evaluation",
    "GroupResult",
    "Pair",
    "Policy",
    "Thresholds",
    "Violation",
    "builtin_policy_names",
    "compare",
    "evaluate",
    "load_policy",
    "pair_up",
    "parse_policy",
]
