"""Gate policies: YAML thresholds, validated on load, with errors that name the file, line and field.

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

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import PolicyError, did_you_mean
from ..fileio import describe_validation_error, read_text
from ..languages import is_known_language
from ..resources import data_dir

Decision = Literal["point", "significant", "conservative"]
RULES = (
    "max_refusal_drop",
    "min_refusal_rate",
    "max_over_refusal_increase",
    "min_prompts_per_language",
    "max_unclear_rate",
)


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_refusal_drop: float | None = Field(default=None, ge=0, le=1)
    min_refusal_rate: float | None = Field(default=None, ge=0, le=1)
    max_over_refusal_increase: float | None = Field(default=None, ge=0, le=1)
    min_prompts_per_language: int | None = Field(default=None, ge=0)
    max_unclear_rate: float | None = Field(default=None, ge=0, le=1)

    @property
    def active(self) -> list[str]:
        """The rules this set turns on, in the order they are checked."""
        return [rule for rule in RULES if getattr(self, rule) is not None]


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
        raise PolicyError(f"unknown policy {spec!r} (built-in: {', '.join(names)}){did_you_mean(spec, names)}")
    return parse_policy(path), str(path)


def parse_policy(path: Path) -> Policy:
    """Read and validate one policy file; errors name the file, line and field."""
    text = read_text(path, PolicyError)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise PolicyError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(raw, dict):
        raise PolicyError(f"{path}: a policy must be a YAML mapping")
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        line = _line_of(text, exc.errors()[0]["loc"])
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
