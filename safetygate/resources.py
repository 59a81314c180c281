"""Where the shipped data lives: built-in suites, demo adapters and policies.

Suites and demo adapters are package data under `safetygate/data/`. Policies
are kept at the top of the repository (`policies/`, where users look for
them and copy them from); the wheel carries them as `safetygate/data/policies`,
and a source checkout reads the top-level folder, so there is one copy.
"""

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
_CHECKOUT_POLICIES = DATA.parent.parent / "policies"


def data_dir(kind: str) -> Path:
    """The folder of built-in `suites`, `policies` or `demo_adapters`."""
    folder = DATA / kind
    if kind == "policies" and not folder.is_dir():
        return _CHECKOUT_POLICIES
    return folder
