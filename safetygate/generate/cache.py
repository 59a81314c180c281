"""The generation cache: finished answers stored under a key of everything that decides them.

Key: the base model's content hash (weights, config, tokenizer and chat
template), the adapter's content hash (or none), the chat sent, the
generation parameters and the backend. One small JSON file an answer,
written atomically, with a checksum: an entry that does not read back whole
and matching is ignored and regenerated, never trusted. Because answers are
stored as each chunk finishes, a run that dies part-way resumes where it
stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..fileio import write_atomic


def default_cache_dir() -> Path:
    """`$SAFETYGATE_CACHE_DIR`, else `$XDG_CACHE_HOME/safetygate`, else `~/.cache/safetygate`."""
    if os.environ.get("SAFETYGATE_CACHE_DIR"):
        return Path(os.environ["SAFETYGATE_CACHE_DIR"])
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "safetygate"


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class GenerationCache:
    def __init__(self, root: Path, namespace: str = "generations") -> None:
        self.base = root
        self.root = root / namespace
        self.corrupt = 0  # entries found unreadable and ignored

    def namespace(self, name: str) -> GenerationCache:
        """A cache beside this one for another kind of entry (e.g. adapter probes)."""
        return GenerationCache(self.base, name)

    @staticmethod
    def key(identity: dict[str, Any], messages: list[dict[str, str]]) -> str:
        """The cache key of one request under one model identity."""
        return _digest({"identity": identity, "messages": messages})

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> str | None:
        """The stored answer, or None when absent or damaged."""
        path = self._path(key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            response = entry["response"]
            if entry["key"] != key or entry["sha256"] != hashlib.sha256(response.encode()).hexdigest():
                raise ValueError("checksum mismatch")
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.corrupt += 1
            return None
        return response

    def put(self, key: str, response: str) -> None:
        entry = {"key": key, "sha256": hashlib.sha256(response.encode()).hexdigest(), "response": response}
        write_atomic(self._path(key), json.dumps(entry, ensure_ascii=False))
