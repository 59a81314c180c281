"""Load a suite: a built-in one by name, a user's JSONL file or folder, a CSV table or a dataset.

A suite is one JSONL line a prompt (see design.md). A folder suite holds one
`<lang>.jsonl` per language and an optional `manifest.json` with its name and
version. Everything is validated on load; errors name the file and line.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import ValidationError

from ..errors import SuiteError, did_you_mean
from ..fileio import describe_validation_error, read_jsonl, read_text
from ..lines import PromptLine, SeenKeys
from ..records import Prompt, Suite
from ..resources import data_dir
from . import tables


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
    raise SuiteError(f"unknown suite {spec!r} (built-in suites: {', '.join(names)}){did_you_mean(spec, names)}")


def _load_path(path: Path, name: str | None = None) -> Suite:
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not files:
        raise SuiteError(f"{path}: folder has no .jsonl suite files")
    manifest = _read_manifest(path / "manifest.json") if path.is_dir() else {}
    prompts: list[Prompt] = []
    seen = SeenKeys(SuiteError)
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
                raise SuiteError(f"{where}: language: {prompt.language!r} in a file named for {file.stem!r}")
            seen.add(prompt, where)
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


def _check_consistent_translation(prompt: Prompt, where: str, first_of_id: dict[str, tuple[Prompt, str]]) -> None:
    """Translations share an id, so they must share kind and category too."""
    if prompt.id not in first_of_id:
        first_of_id[prompt.id] = (prompt, where)
        return
    first, first_where = first_of_id[prompt.id]
    for attr, mine, theirs in (
        ("kind", prompt.kind.value, first.kind.value),
        ("category", prompt.category, first.category),
    ):
        if mine != theirs:
            raise SuiteError(f"{where}: {attr}: {mine!r} differs from {theirs!r} for the same id at {first_where}")


def _read_manifest(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        manifest = json.loads(read_text(path, SuiteError))
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{path}:{exc.lineno}: manifest is not valid JSON: {exc.msg}") from None
    if not isinstance(manifest, dict):
        raise SuiteError(f"{path}: manifest must be a JSON object")
    return manifest
