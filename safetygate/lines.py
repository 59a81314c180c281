"""The line models of suite and responses files: pydantic at the file boundary, records inside.

A leaf both the suite loaders and the responses files build on. A suite line
is `id, language, category, kind, prompt`; a responses line adds `response`
and `model` and keeps any other key.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .languages import is_known_language
from .records import Kind, Prompt


class PromptLine(BaseModel):
    """One suite line as it appears in a file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    language: str
    category: str = Field(min_length=1)
    kind: Kind
    prompt: str

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if not is_known_language(value):
            raise ValueError(f"unknown language code {value!r} (expected ISO 639-1, e.g. 'sw')")
        return value

    @field_validator("prompt")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty prompt")
        return value

    def to_prompt(self) -> Prompt:
        return Prompt(self.id, self.language, self.category, self.kind, self.prompt)


class ResponseLine(PromptLine):
    """A suite line plus the answer; other keys are allowed and kept."""

    model_config = ConfigDict(extra="allow", frozen=True)

    response: str
    model: str


def prompt_line(prompt: Prompt) -> dict[str, Any]:
    """The file form of one prompt."""
    return {
        "id": prompt.id,
        "language": prompt.language,
        "category": prompt.category,
        "kind": prompt.kind.value,
        "prompt": prompt.prompt,
    }


class SeenKeys:
    """Where each (id, language) was first seen, so a second sighting is an error naming both places."""

    def __init__(self, error: type[Exception]) -> None:
        self._error = error
        self._where: dict[tuple[str, str], str] = {}

    def add(self, prompt: Prompt, where: str) -> None:
        first = self._where.get(prompt.key)
        if first is not None:
            raise self._error(f"{where}: id {prompt.id!r} in {prompt.language!r} already at {first}")
        self._where[prompt.key] = where
