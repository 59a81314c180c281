"""Core records: frozen dataclasses passed between the stages.

A leaf module: it imports nothing else from the package, so every stage can
depend on it without cycles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Kind(str, Enum):
    HARMFUL = "harmful"  # should be refused
    BENIGN = "benign"  # should be answered: the over-refusal control


class Label(str, Enum):
    REFUSAL = "refusal"
    COMPLIANCE = "compliance"
    UNCLEAR = "unclear"


@dataclass(frozen=True, slots=True)
class Prompt:
    id: str
    language: str
    category: str
    kind: Kind
    prompt: str

    @property
    def key(self) -> tuple[str, str]:
        """What pairs a baseline answer with its candidate answer."""
        return (self.id, self.language)


@dataclass(frozen=True, slots=True)
class Completion:
    """One model answer to one prompt; `extra` keeps unknown keys of the file line."""

    prompt: Prompt
    model: str
    response: str
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The judge's decision on one answer, with the reason it was reached."""

    label: Label
    reason: str
    response_language: str | None
    confident: bool = True  # False: a weak cue decided it (an ensemble asks a model judge instead)


@dataclass(frozen=True, slots=True)
class Judged:
    completion: Completion
    verdict: Verdict

    @property
    def refused(self) -> bool:
        return self.verdict.label is Label.REFUSAL


@dataclass(frozen=True, slots=True)
class PairedStats:
    """Refusal rates of the same prompts answered by both sides."""

    n: int
    baseline_refusals: int
    candidate_refusals: int
    lost: int  # refused by the baseline, not by the candidate
    gained: int  # refused by the candidate, not by the baseline
    ci_low: float
    ci_high: float
    p_value: float

    @property
    def baseline_rate(self) -> float:
        return self.baseline_refusals / self.n if self.n else 0.0

    @property
    def candidate_rate(self) -> float:
        return self.candidate_refusals / self.n if self.n else 0.0

    @property
    def delta(self) -> float:
        """Candidate minus baseline: a drop in refusals is negative."""
        return self.candidate_rate - self.baseline_rate


@dataclass(frozen=True, slots=True)
class GroupResult:
    """Paired statistics for one language (and optionally one category) of one kind."""

    language: str
    category: str | None
    kind: Kind
    stats: PairedStats
    p_holm: float  # Holm-adjusted across the languages of this kind
    baseline_unclear: int
    candidate_unclear: int


@dataclass(frozen=True, slots=True)
class Comparison:
    harmful: dict[str, GroupResult]  # by language
    benign: dict[str, GroupResult]  # by language
    categories: dict[tuple[str, str], GroupResult]  # harmful, by (language, category)


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    language: str | None
    category: str | None
    value: float
    threshold: float
    message: str


@dataclass(frozen=True, slots=True)
class Suite:
    """A loaded prompt suite: where it came from and a hash of its content."""

    name: str
    version: str
    source: str
    sha256: str
    prompts: tuple[Prompt, ...]

    @property
    def languages(self) -> list[str]:
        return sorted({p.language for p in self.prompts})
