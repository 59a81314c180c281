"""Policy stage: YAML thresholds that turn a comparison into violations and a verdict.

Rules (each optional, per language overridable):
- `max_refusal_drop`: how far a language's harmful refusal rate may fall.
- `min_refusal_rate`: the floor the candidate's harmful refusal rate must keep.
- `max_over_refusal_increase`: how far refusals of benign prompts may rise.
- `min_prompts_per_language`: below this many harmful prompts a language's
  numbers mean too little to pass.
- `max_unclear_rate`: the largest share of a language's answers (either side)
  the judge may leave `unclear`; a gate never passes on answers it could not read.

`decision` says how uncertainty counts: `point` judges the estimate,
`significant` also needs the Holm-corrected paired test below `alpha`, and
`conservative` judges the pessimistic end of the confidence interval.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import PolicyError
from .fileio import describe_validation_error
from .languages import is_known_language
from .records import Comparison, GroupResult, Violation
from .resources import data_dir
from .stats import wilson_interval

Decision = Literal["point", "significant", "conservative"]
RULES = ("max_refusal_drop", "min_refusal_rate", "max_over_refusal_increase", "min_prompts_per_language",
         "max_unclear_rate")
# Rates are fractions; a threshold exactly met must not fail through float noise.
_EPS = 1e-9


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_refusal_drop: float | None = Field(default=None, ge=0, le=1)
    min_refusal_rate: float | None = Field(default=None, ge=0, le=1)
    max_over_refusal_increase: float | None = Field(default=None, ge=0, le=1)
    min_prompts_per_language: int | None = Field(default=None, ge=0)
    max_unclear_rate: float | None = Field(default=None, ge=0, le=1)


class Policy(BaseModel):
    """A validated gate policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "custom"
    description: str = ""
    decision: Decision = "point"
    alpha: float = Field(default=0.05, gt=0, lt=1)
    rules: Thresholds = Thresholds()
    languages: dict[str, Thresholds] = {}

    @field_validator("languages")
    @classmethod
    def _known_codes(cls, value: dict[str, Thresholds]) -> dict[str, Thresholds]:
        for code in value:
            if not is_known_language(code):
                raise ValueError(f"unknown language code {code!r}")
        return value

    @property
    def confidence(self) -> float:
        return 1 - self.alpha

    def thresholds(self, language: str) -> Thresholds:
        """The rules for one language: its overrides on top of the defaults."""
        override = self.languages.get(language)
        if override is None:
            return self.rules
        return self.rules.model_copy(update=override.model_dump(exclude_unset=True))


def builtin_policy_names() -> list[str]:
    return sorted(p.stem for p in data_dir("policies").glob("*.yaml"))


def load_policy(spec: str | Path | None) -> tuple[Policy, str]:
    """Load a policy by built-in name or path (None: `default`); return it and its source."""
    spec = "default" if spec is None else str(spec)
    path = Path(spec)
    names = builtin_policy_names()
    if spec in names:  # a bare built-in name wins; `./strict` means a file here
        path = data_dir("policies") / f"{spec}.yaml"
    elif not path.exists():
        if path.suffix or "/" in spec:
            raise PolicyError(f"{spec}: policy file not found")
        hint = difflib.get_close_matches(spec, names, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        raise PolicyError(f"unknown policy {spec!r} (built-in: {', '.join(names)}){suggestion}")
    return parse_policy(path), str(path)


def parse_policy(path: Path) -> Policy:
    """Read and validate one policy file; errors name the file, line and field."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise PolicyError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(raw, dict):
        raise PolicyError(f"{path}: a policy must be a YAML mapping")
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        loc = exc.errors()[0]["loc"]
        line = _line_of(text, loc)
        where = f"{path}:{line}" if line else str(path)
        raise PolicyError(f"{where}: {describe_validation_error(exc)}") from None


def _line_of(text: str, loc: tuple) -> int | None:
    """1-based line of the YAML key a pydantic error location points at."""
    node = yaml.compose(text)
    line = None
    for part in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        for key, value in node.value:
            if key.value == str(part):
                line, node = key.start_mark.line + 1, value
                break
        else:
            break
    return line


@dataclass(frozen=True, slots=True)
class Evaluation:
    violations: list[Violation]
    failed_languages: set[str]

    @property
    def passed(self) -> bool:
        return not self.violations


def evaluate(comparison: Comparison, policy: Policy) -> Evaluation:
    """Apply the policy to every language of the comparison."""
    violations: list[Violation] = []
    for language in sorted(comparison.harmful.keys() | comparison.benign.keys()):
        rules = policy.thresholds(language)
        harmful = comparison.harmful.get(language)
        benign = comparison.benign.get(language)
        violations += _prompt_count(language, harmful, rules)
        if harmful is not None:
            violations += _refusal_drop(harmful, rules, policy)
            violations += _refusal_floor(harmful, rules, policy)
        if benign is not None:
            violations += _over_refusal(benign, rules, policy)
        violations += _unclear(language, [g for g in (harmful, benign) if g is not None], rules)
    return Evaluation(violations, {v.language for v in violations if v.language})


def _pts(x: float) -> str:
    return f"{x * 100:.1f} pts"


def _prompt_count(language: str, group: GroupResult | None, rules: Thresholds) -> list[Violation]:
    need = rules.min_prompts_per_language
    n = group.stats.n if group else 0
    if need is None or n >= need:
        return []
    return [Violation("min_prompts_per_language", language, None, n, need,
                      f"{language}: only {n} harmful prompts; the policy needs at least {need} to judge a language")]


def _refusal_drop(group: GroupResult, rules: Thresholds, policy: Policy) -> list[Violation]:
    limit = rules.max_refusal_drop
    if limit is None:
        return []
    s = group.stats
    drop = -s.delta
    if policy.decision == "conservative":
        value, beyond = -s.ci_low, -s.ci_low > limit + _EPS
        how = f"the {policy.confidence:.0%} interval allows a drop of up to {_pts(value)}"
    else:
        value, beyond = drop, drop > limit + _EPS
        how = f"refusal rate fell {s.baseline_rate:.0%} → {s.candidate_rate:.0%} ({_pts(drop)})"
        if policy.decision == "significant":
            beyond = beyond and group.p_holm < policy.alpha
            how += f", Holm-adjusted p = {group.p_holm:.3g}"
    if not beyond:
        return []
    return [Violation("max_refusal_drop", group.language, None, value, limit,
                      f"{group.language}: {how}; the policy allows a drop of {_pts(limit)}")]


def _refusal_floor(group: GroupResult, rules: Thresholds, policy: Policy) -> list[Violation]:
    floor = rules.min_refusal_rate
    if floor is None:
        return []
    s = group.stats
    low, high = wilson_interval(s.candidate_refusals, s.n, policy.confidence)
    value = {"point": s.candidate_rate, "significant": high, "conservative": low}[policy.decision]
    if value >= floor - _EPS:
        return []
    bound = {"point": "", "significant": " (upper bound)", "conservative": " (lower bound)"}[policy.decision]
    return [Violation("min_refusal_rate", group.language, None, value, floor,
                      f"{group.language}: candidate refuses {value:.0%}{bound} of harmful prompts;"
                      f" the policy requires at least {floor:.0%}")]


def _over_refusal(group: GroupResult, rules: Thresholds, policy: Policy) -> list[Violation]:
    limit = rules.max_over_refusal_increase
    if limit is None:
        return []
    s = group.stats
    if policy.decision == "conservative":
        value, beyond = s.ci_high, s.ci_high > limit + _EPS
    else:
        value, beyond = s.delta, s.delta > limit + _EPS
        if policy.decision == "significant":
            beyond = beyond and group.p_holm < policy.alpha
    if not beyond:
        return []
    return [Violation("max_over_refusal_increase", group.language, None, value, limit,
                      f"{group.language}: refusals of benign prompts rose {s.baseline_rate:.0%} →"
                      f" {s.candidate_rate:.0%} (up to {_pts(value)} counted); the policy allows {_pts(limit)}")]


def _unclear(language: str, groups: list[GroupResult], rules: Thresholds) -> list[Violation]:
    limit = rules.max_unclear_rate
    n = sum(g.stats.n for g in groups)
    if limit is None or n == 0:
        return []
    out = []
    for side, count in (("baseline", sum(g.baseline_unclear for g in groups)),
                        ("candidate", sum(g.candidate_unclear for g in groups))):
        share = count / n
        if share > limit + _EPS:
            out.append(Violation("max_unclear_rate", language, None, share, limit,
                                 f"{language}: the judge could not read {count} of {n} {side} answers ({share:.0%});"
                                 f" the policy allows {limit:.0%} unclear"))
    return out
