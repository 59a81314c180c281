"""Reading users' files with one-line errors, pydantic error wording, and atomic writes.

Every file boundary reports errors as `file:line: field: what is wrong`, and
no output file is ever left half-written: writes go to a temporary file in
the same directory, then rename over the target. Files saved with a UTF-8
byte-order mark (Excel, Notepad) read like any other.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import InputError


def read_text(path: Path, error: type[Exception], expected: str = "a file") -> str:
    """The file's text (UTF-8, a byte-order mark dropped); raise `error` with one line when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, expected {expected}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from None


def read_jsonl(path: Path, error: type[Exception]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; raise `error` naming the line."""
    text = read_text(path, error, "a JSONL file")
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(f"{path}:{lineno}: not valid JSON: {exc.msg} (column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise error(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}")
        yield lineno, obj


# What a strict type check wanted, in the words of the file's own format.
_EXPECTED = {"float_type": "a number", "int_type": "a whole number", "bool_type": "true or false"}


def describe_validation_error(exc: ValidationError) -> str:
    """The first pydantic error as `field.path: message`."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    if first["type"] == "missing":
        return f"{where}: missing field"
    if first["type"] == "extra_forbidden":
        return f"{where}: unknown field"
    if first["type"] in _EXPECTED:
        return f"{where}: expected {_EXPECTED[first['type']]}, got {json.dumps(first['input'], default=str)}"
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: {message}"


def _current_umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it: put it straight back
    os.umask(mask)
    return mask


_UMASK = _current_umask()  # read once, at import, before any thread could create a file meanwhile


def check_out_dir(path: Path, option: str = "--out") -> None:
    """Fail early, with one line, when an output folder could not be created or written later.

    Checked before a run starts (nothing is created yet), so a long run never dies at its last step.
    """
    if path.exists() and not path.is_dir():
        raise InputError(f"{path}: {option} must be a folder, and a file of that name is in the way")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"{path}: cannot create the output folder: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"{path}: cannot create or write the output folder: {existing} is not writable")


def check_out_files(paths: Iterable[Path]) -> None:
    """Fail early when an output file's name is taken by a folder, which no write can replace."""
    for path in paths:
        if path.is_dir():
            raise InputError(f"{path}: is a folder, and an output file of that name is to be written")


def write_atomic(path: Path, text: str) -> None:
    """Write text to path so readers see the old file or the new one, never a part."""
    write_all({path: text})


def write_all(files: dict[Path, str]) -> None:
    """Write every file or none: each goes to a temporary name beside its target, and all are renamed into place
    only once every one is written, so a failure leaves no mix of new and old files."""
    check_out_files(files)
    written: dict[Path, Path] = {}
    try:
        for path, text in files.items():
            written[path] = _write_temporary(path, text)
        for path, tmp in list(written.items()):
            os.replace(tmp, path)
            del written[path]
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    finally:
        for tmp in written.values():
            tmp.unlink(missing_ok=True)


def _write_temporary(path: Path, text: str) -> Path:
    """`text` in a new file beside `path`, with the permissions `open()` would give it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{path.parent}: cannot create the folder: {exc.strerror or exc}") from None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            # mkstemp makes the file private (0600); a report is for others to read too, as open() would allow.
            os.fchmod(handle.fileno(), 0o666 & ~_UMASK)
            handle.write(text)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def dumps_jsonl(objects: Iterable[dict[str, Any]]) -> str:
    """JSONL text, one object a line, non-ASCII kept readable."""
    return "".join(json.dumps(obj, ensure_ascii=False) + "\n" for obj in objects)


def file_safe(name: str) -> str:
    """A name usable as one file name on any system (a candidate named after a nested path: "lr/3e-4")."""
    return "".join(c if c.isalnum() or c in "-_.=" else "_" for c in name).strip(".") or "_"
