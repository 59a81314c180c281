"""Prompt suites: load built-in suites by name, or users' JSONL files and folders.

A suite is one JSONL line a prompt (see design.md). A folder suite holds one
`<lang>.jsonl` per language and an optional `manifest.json` with its name and
version. Everything is validated on load; errors name the file and line.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import SuiteError
from .fileio import describe_validation_error, read_jsonl
from .languages import is_known_language
from .records import Kind, Prompt, Suite
from .resources import data_dir


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


def builtin_suite_names() -> list[str]:
    """Names of the suites shipped with safetygate."""
    root = data_dir("suites")
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.jsonl")))


def default_suite_names() -> list[str]:
    """The built-in suites a run uses when none is named: those whose manifest says `default`,
    else all of them."""
    names = builtin_suite_names()
    marked = [n for n in names if _read_manifest(data_dir("suites") / n / "manifest.json").get("default")]
    return marked or names


def load_suite(spec: str, columns: dict[str, str] | None = None) -> Suite:
    """Load a built-in suite by name, a JSONL or CSV file or a folder by path, or `hf:DATASET[:split]`."""
    from . import tables  # tables builds on this module's line model

    if spec.startswith("hf:"):
        return tables.load_dataset_suite(spec, columns or {})
    path = Path(spec)
    if path.suffix.lower() == ".csv" and path.is_file():
        return tables.load_csv(path, columns or {})
    names = builtin_suite_names()
    # A bare built-in name wins over a same-named folder here; `./starter` means the folder.
    if spec in names:
        return _load_path(data_dir("suites") / spec, name=spec)
    if path.exists():
        return _load_path(path)
    if path.suffix or "/" in spec:
        raise SuiteError(f"{spec}: suite file not found")
    hint = difflib.get_close_matches(spec, names, n=1)
    suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
    raise SuiteError(f"unknown suite {spec!r} (built-in suites: {', '.join(names)}){suggestion}")


def _load_path(path: Path, name: str | None = None) -> Suite:
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not files:
        raise SuiteError(f"{path}: folder has no .jsonl suite files")
    manifest = _read_manifest(path / "manifest.json") if path.is_dir() else {}
    prompts: list[Prompt] = []
    seen: dict[tuple[str, str], str] = {}
    first_of_id: dict[str, tuple[Prompt, str]] = {}
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
        for lineno, obj in read_jsonl(file, SuiteError):
            where = f"{file}:{lineno}"
            try:
                prompt = PromptLine.model_validate(obj).to_prompt()
            except ValidationError as exc:
                raise SuiteError(f"{where}: {describe_validation_error(exc)}") from None
            if path.is_dir() and file.stem != prompt.language:
                raise SuiteError(
                    f"{where}: language: {prompt.language!r} in a file named for {file.stem!r}"
                )
            if prompt.key in seen:
                raise SuiteError(
                    f"{where}: id {prompt.id!r} in {prompt.language!r} already at {seen[prompt.key]}"
                )
            seen[prompt.key] = where
            _check_consistent_translation(prompt, where, first_of_id)
            prompts.append(prompt)
    if not prompts:
        raise SuiteError(f"{path}: suite has no prompts")
    return Suite(
        name=name or manifest.get("name") or path.stem,
        version=str(manifest.get("version", "unversioned")),
        source=str(path),
        sha256=digest.hexdigest(),
        prompts=tuple(prompts),
    )


def _check_consistent_translation(
    prompt: Prompt, where: str, first_of_id: dict[str, tuple[Prompt, str]]
) -> None:
    """Translations share an id, so they must share kind and category too."""
    if prompt.id not in first_of_id:
        first_of_id[prompt.id] = (prompt, where)
        return
    first, first_where = first_of_id[prompt.id]
    for attr, mine, theirs in (("kind", prompt.kind.value, first.kind.value),
                               ("category", prompt.category, first.category)):
        if mine != theirs:
            raise SuiteError(f"{where}: {attr}: {mine!r} differs from {theirs!r} for the same id at {first_where}")


def _read_manifest(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SuiteError(f"{path}: cannot read manifest: {exc}") from None
    if not isinstance(manifest, dict):
        raise SuiteError(f"{path}: manifest must be a JSON object")
    return manifest


def select_languages(prompts: list[Prompt], languages: list[str] | None, source: str) -> list[Prompt]:
    """Keep the prompts in `languages`; a language the suites lack is an input error."""
    if not languages:
        return prompts
    available = sorted({p.language for p in prompts})
    for code in languages:
        if not is_known_language(code):
            raise SuiteError(f"--languages: unknown language code {code!r} (expected ISO 639-1, e.g. 'sw')")
        if code not in available:
            raise SuiteError(
                f"--languages: {code!r} is not in {source} (available: {', '.join(available)})"
            )
    wanted = set(languages)
    return [p for p in prompts if p.language in wanted]


def missing_translations(suite: Suite) -> dict[str, list[str]]:
    """For each language, the ids other languages have and it lacks."""
    by_language: dict[str, set[str]] = defaultdict(set)
    for p in suite.prompts:
        by_language[p.language].add(p.id)
    every_id = set().union(*by_language.values())
    return {lang: sorted(every_id - ids) for lang, ids in sorted(by_language.items()) if every_id - ids}


def kind_counts(suite: Suite) -> dict[str, Counter]:
    """Per language, how many prompts of each kind."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for p in suite.prompts:
        counts[p.language][p.kind.value] += 1
    return dict(sorted(counts.items()))


def language_agreement(suite: Suite) -> dict[str, tuple[int, int, list[str]]]:
    """Per language langdetect knows: (prompts it agrees on, prompts, ids it disagrees on)."""
    from .langid import detect_language, detectable

    by_language: dict[str, list[Prompt]] = defaultdict(list)
    for p in suite.prompts:
        by_language[p.language].append(p)
    out = {}
    for language, prompts in sorted(by_language.items()):
        if not detectable(language):
            continue
        wrong = [p.id for p in prompts if detect_language(p.prompt) != language]
        out[language] = (len(prompts) - len(wrong), len(prompts), wrong)
    return out
