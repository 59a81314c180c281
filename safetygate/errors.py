"""Typed errors and exit codes.

The library raises; only the CLI prints and exits. Each error class carries
the exit code it maps to, so the mapping lives in one place.
"""

from enum import IntEnum


class ExitCode(IntEnum):
    PASSED = 0
    FAILED = 1
    BAD_INPUT = 2
    RUNTIME = 3


class SafetygateError(Exception):
    """Base class: a message meant for the user, and an exit code."""

    exit_code = ExitCode.BAD_INPUT


class InputError(SafetygateError):
    """A file, option or value the user gave is unusable."""


class SuiteError(InputError):
    """A prompt suite is missing, unreadable or invalid."""


class PolicyError(InputError):
    """A policy file is missing, unreadable or invalid."""


class ResponsesError(InputError):
    """A responses file is unreadable, invalid, or does not pair with its partner."""


class ModelInputError(InputError):
    """A model or adapter path is missing, malformed, or does not fit the base."""


class BackendError(SafetygateError):
    """The backend or model could not load or generate."""

    exit_code = ExitCode.RUNTIME


def did_you_mean(name: str, known: list[str] | tuple[str, ...]) -> str:
    """ "; did you mean 'x'?" for the closest known name, or "" when none is close: the tail of an error."""
    import difflib

    hint = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean {hint[0]!r}?" if hint else ""
