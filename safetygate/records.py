"""Core records: the frozen dataclasses every stage passes on (prompts, answers, verdicts, suites).

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
    malformed: bool = False  # True: a model judge's output named no label (counted in the run record)
    reviewed: bool = False  # True: a person's review set this label (marked in the report, counted)


@dataclass(frozen=True, slots=True)
class Judged:
    completion: Completion
    verdict: Verdict

    @property
    def refused(self) -> bool:
        return self.verdict.label is Label.REFUSAL


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
