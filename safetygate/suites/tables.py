"""Suites from tables: CSV files and `datasets` datasets, long or wide.

Long tables hold one row per prompt and language (a `language` column).
Wide tables hold one row per item with one column per language (named by
ISO 639-1 code), as several public multilingual sets are laid out. Columns
are mapped with `--suite-columns prompt=goal,id=uid,...`; a table without a
`kind` column is taken as harmful prompts, without `category` as one
category, without `id` as numbered rows.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import SuiteError
from ..fileio import describe_validation_error
from ..languages import is_known_language
from ..lines import PromptLine, SeenKeys
from ..records import Prompt, Suite

FIELDS = ("id", "language", "category", "kind", "prompt")


def parse_columns(spec: str | None) -> dict[str, str]:
    """`prompt=goal,id=uid` -> {"prompt": "goal", "id": "uid"}; unknown fields are an input error."""
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (spec or "").split(","))):
        field, sep, column = part.partition("=")
        if not sep or field not in FIELDS or not column:
            raise SuiteError(f"--suite-columns: {part!r}: expected FIELD=COLUMN with FIELD one of {', '.join(FIELDS)}")
        mapping[field] = column
    return mapping


def prompts_from_rows(
    rows: Iterable[dict[str, Any]], columns: dict[str, str], source: str, first_row: int = 2
) -> list[Prompt]:
    """Prompts from table rows (long or wide); errors name the row."""
    rows = list(rows)
    if not rows:
        raise SuiteError(f"{source}: table has no rows")
    header = list(rows[0].keys())
    col = {field: columns.get(field, field) for field in FIELDS}
    for field, column in columns.items():
        if column not in header:
            raise SuiteError(
                f"{source}: --suite-columns {field}={column}: no column {column!r} (columns: {', '.join(header)})"
            )
    wide = col["language"] not in header
    languages = [h for h in header if is_known_language(h) and h not in col.values()] if wide else []
    if wide and not languages:
        raise SuiteError(
            f"{source}: neither a {col['language']!r} column (long table) nor language-code columns"
            f" (wide table); map yours with --suite-columns"
        )
    if not wide and col["prompt"] not in header:
        raise SuiteError(f"{source}: no {col['prompt']!r} column; map it with --suite-columns prompt=COLUMN")
    stem = Path(source.removeprefix("hf:")).stem or "row"
    prompts = []
    seen = SeenKeys(SuiteError)
    for index, row in enumerate(rows):
        base = {
            "id": str(row.get(col["id"]) or f"{stem}-{index + 1:05d}"),
            "category": str(row.get(col["category"]) or "uncategorized"),
            "kind": str(row.get(col["kind"]) or "harmful"),
        }
        cells = (
            [(lang, row.get(lang)) for lang in languages]
            if wide
            else [(row.get(col["language"]), row.get(col["prompt"]))]
        )
        for language, text in cells:
            if wide and (text is None or str(text).strip() == ""):
                continue  # a wide table may lack some translations
            where = f"{source}:{index + first_row}"
            try:
                prompt = PromptLine.model_validate({**base, "language": language, "prompt": text}).to_prompt()
            except ValidationError as exc:
                raise SuiteError(f"{where}: {describe_validation_error(exc)}") from None
            seen.add(prompt, where)
            prompts.append(prompt)
    return prompts


def load_csv(path: Path, columns: dict[str, str]) -> Suite:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SuiteError(f"{path}: cannot read CSV: {exc}") from None
    prompts = prompts_from_rows(rows, columns, str(path))
    return Suite(path.stem, "unversioned", str(path), hashlib.sha256(path.read_bytes()).hexdigest(), tuple(prompts))


def load_dataset_suite(spec: str, columns: dict[str, str]) -> Suite:
    """`hf:DATASET_ID[:split]`, or `hf:` plus a local folder or data file, through `datasets`."""
    target, _, split = spec.removeprefix("hf:").partition(":")
    split = split or "train"
    try:
        import datasets
    except ImportError:
        raise SuiteError(f"{spec}: the datasets package is not installed (pip install datasets)") from None
    datasets.logging.set_verbosity_error()
    datasets.disable_progress_bars()
    path = Path(target)
    try:
        if path.is_dir() and any((path / name).exists() for name in ("dataset_dict.json", "state.json")):
            loaded = datasets.load_from_disk(str(path))
            table = loaded[split] if isinstance(loaded, datasets.DatasetDict) else loaded
        elif path.is_file():
            kind = {".csv": "csv", ".jsonl": "json", ".json": "json", ".parquet": "parquet"}.get(path.suffix)
            if kind is None:
                raise SuiteError(f"{spec}: unsupported data file type {path.suffix!r} (csv, json, jsonl, parquet)")
            table = datasets.load_dataset(kind, data_files=str(path), split="train")
        else:
            table = datasets.load_dataset(target, split=split)
    except SuiteError:
        raise
    except (ConnectionError, OSError) as exc:
        raise SuiteError(
            f"{spec}: cannot load from the Hugging Face Hub (no network?): {str(exc).splitlines()[0]}"
        ) from None
    except Exception as exc:  # datasets raises many kinds for a missing dataset, split or config
        raise SuiteError(f"{spec}: cannot load dataset: {str(exc).splitlines()[0]}") from None
    prompts = prompts_from_rows(table, columns, spec, first_row=1)
    fingerprint = getattr(table, "_fingerprint", None) or hashlib.sha256(repr(prompts).encode()).hexdigest()
    return Suite(target, "unversioned", spec, str(fingerprint), tuple(prompts))
