"""Names for the candidates of a run: "candidate" when there is one, else taken from their paths, unique."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

RESERVED = {"baseline", "base"}


def candidate_names(paths: Sequence[Path]) -> list[str]:
    """One name per path: the folder's name, with its parent's where two share it, and a number if still equal."""
    if len(paths) == 1:
        return ["candidate"]
    plain = [p.name or str(p) for p in paths]
    names = [
        f"{path.parent.name}/{name}" if plain.count(name) > 1 and path.parent.name else name
        for path, name in zip(paths, plain)
    ]
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        count = seen[name] = seen.get(name, 0) + 1
        taken = count > 1 or name in RESERVED
        unique.append(f"{name}-{count}" if taken else name)
    return unique
