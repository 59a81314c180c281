"""Gate policies: YAML thresholds, validated on load, with errors that name the file, line and field.

Rules (each optional, per language overridable):
- `max_refusal_drop`: how far a language's harmful refusal rate may fall.
- `min_refusal_rate`: the floor the candidate's harmful refusal rate must keep.
- `max_over_refusal_increase`: how far refusals of benign prompts may rise.
- `min_prompts_per_language`: below this many harmful prompts a language's
  numbers mean too little to pass.
- `max_unclear_rate`: the largest share of a language's harmful-prompt
  answers, on either side, the judge may leave `unclear`.

`decision` names the rule every threshold is judged by (`point`,
`fail_on_evidence`, `pass_on_evidence`; see `decision`), at `alpha`.
`unclear` says what happens when counting the unclear answers the other way
would change a language's verdict (`flag` it, or `fail` it);
`require_power` fails a language whose prompt count cannot resolve the
margin; `must_catch_drop` is the drop the policy promises to catch (80% of
the time), and `assume` what an unchanged model looks like, for the error
rates the gate reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import PolicyError, did_you_mean
from ..fileio import describe_validation_error, read_text
from ..languages import is_known_language
from ..resources import data_dir
from .decision import DEPRECATED, Decision, normalise_decision
from .power import Assumptions

RULES = (
    "max_refusal_drop",
    "min_refusal_rate",
    "max_over_refusal_increase",
    "min_prompts_per_language",
    "max_unclear_rate",
)


class Thresholds(BaseModel):
    # Strict: YAML's `true` or a quoted "0.05" is a mistake, never a threshold of 1.0 or 0.05.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    max_refusal_drop: float | None = Field(default=None, ge=0, le=1)
    min_refusal_rate: float | None = Field(default=None, ge=0, le=1)
    max_over_refusal_increase: float | None = Field(default=None, ge=0, le=1)
    min_prompts_per_language: int | None = Field(default=None, ge=0)
    max_unclear_rate: float | None = Field(default=None, ge=0, le=1)

    @property
    def active(self) -> list[str]:
        """The rules this set turns on, in the order they are checked."""
        return [rule for rule in RULES if getattr(self, rule) is not None]


class Assume(BaseModel):
    """What an unchanged model looks like: the basis of every error rate the gate reports."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    baseline_refusal_rate: float = Field(default=0.90, gt=0, lt=1)
    churn: float = Field(default=0.02, ge=0, lt=0.5, description="share of prompts flipping each way, no net change")


class Policy(BaseModel):
    """A validated gate policy."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: str = "custom"
    description: str = ""
    decision: Decision = "point"
    alpha: float = Field(default=0.05, gt=0, lt=1)
    unclear: Literal["flag", "fail"] = "flag"
    require_power: bool = False
    must_catch_drop: float | None = Field(default=None, gt=0, le=1)
    assume: Assume = Assume()
    rules: Thresholds = Thresholds()
    languages: dict[str, Thresholds] = {}

    @field_validator("decision", mode="before")
    @classmethod
    def _current_name(cls, value: object) -> object:
        return DEPRECATED.get(value, value) if isinstance(value, str) else value

    @field_validator("languages")
    @classmethod
    def _known_codes(cls, value: dict[str, Thresholds]) -> dict[str, Thresholds]:
        for code in value:
            if not is_known_language(code):
                raise ValueError(f"unknown language code {code!r}")
        return value

    @property
    def confidence(self) -> float:
        """Of every interval the gate reports."""
        return 1 - self.alpha

    @property
    def assumptions(self) -> Assumptions:
        return Assumptions(self.assume.baseline_refusal_rate, self.assume.churn)

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
    policy, source, _ = load_policy_with_notes(spec)
    return policy, source


def load_policy_with_notes(spec: str | Path | None) -> tuple[Policy, str, list[str]]:
    """`load_policy`, plus notes for the user (an old rule name, read as its new one)."""
    spec = "default" if spec is None else str(spec)
    names = builtin_policy_names()
    if not spec.strip():  # Path("") is the current folder: say what is wrong, not that "." is a folder
        raise PolicyError(f"--policy: the policy name or path is empty (built-in: {', '.join(names)}, or a YAML file)")
    path = Path(spec)
    if spec in names:  # a bare built-in name wins; `./strict` means a file here
        path = data_dir("policies") / f"{spec}.yaml"
    elif not path.exists():
        if path.suffix or "/" in spec:
            raise PolicyError(f"{spec}: policy file not found")
        raise PolicyError(f"unknown policy {spec!r} (built-in: {', '.join(names)}){did_you_mean(spec, names)}")
    policy, notes = _read_policy(path)
    return policy, str(path), notes


def parse_policy(path: Path) -> Policy:
    """Read and validate one policy file; errors name the file, line and field."""
    return _read_policy(path)[0]


def _read_policy(path: Path) -> tuple[Policy, list[str]]:
    """The validated policy, and notes for the user (an old rule name, read as its new one)."""
    text = read_text(path, PolicyError)
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise PolicyError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(raw, dict):
        raise PolicyError(f"{path}: a policy must be a YAML mapping")
    _, note = normalise_decision(str(raw.get("decision", "")))
    null = _null_rule(raw)
    if null is not None:
        line = _line_of(text, null)
        where = f"{path}:{line}" if line else str(path)
        raise PolicyError(f"{where}: {'.'.join(null)}: null is not a threshold: leave the rule out to turn it off")
    try:
        return Policy.model_validate(raw), [f"{path}: {note}"] if note else []
    except ValidationError as exc:
        line = _line_of(text, exc.errors()[0]["loc"])
        where = f"{path}:{line}" if line else str(path)
        raise PolicyError(f"{where}: {describe_validation_error(exc)}") from None


def _null_rule(raw: dict) -> tuple[str, ...] | None:
    """Where a rule is set to null, if anywhere: the file's own None, not a rule left out (which is allowed)."""
    groups = {("rules",): raw.get("rules")}
    languages = raw.get("languages")
    if isinstance(languages, dict):
        groups.update({("languages", str(code)): rules for code, rules in languages.items()})
    for where, rules in groups.items():
        if isinstance(rules, dict):
            for name, value in rules.items():
                if value is None:
                    return (*where, str(name))
    return None


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, except that a key given twice in one mapping is an error: the last would silently win."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # a merged mapping's keys may be overridden: that is what merging is for
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
                seen.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:
                continue  # an unhashable key: the base constructor reports it
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is given twice (first on line {first})", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


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
