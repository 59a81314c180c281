"""Where the built-in suites and policies live.

In a wheel they are package data under `safetygate/_data`; in a source
checkout (editable install) they are the repo's `benchmarks/suites` and
`policies` folders, so there is one copy of each file.
"""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPO = _PACKAGE.parent


def data_dir(kind: str) -> Path:
    """The folder of built-in `suites` or `policies`."""
    installed = _PACKAGE / "_data" / kind
    if installed.is_dir():
        return installed
    return _REPO / ("benchmarks/suites" if kind == "suites" else "policies")
