"""Where the built-in suites, policies and demo adapters live.

In a wheel they are package data under `safetygate/_data`; in a source
checkout (editable install) they are the repo's `benchmarks/suites`,
`policies` and `benchmarks/demo/adapters` folders, so there is one copy of
each file.
"""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPO = _PACKAGE.parent


def data_dir(kind: str) -> Path:
    """The folder of built-in `suites`, `policies` or `demo` adapters."""
    installed = _PACKAGE / "_data" / kind
    if installed.is_dir():
        return installed
    return _REPO / _SOURCE[kind]


_SOURCE = {"suites": "benchmarks/suites", "policies": "policies", "demo": "benchmarks/demo/adapters"}
