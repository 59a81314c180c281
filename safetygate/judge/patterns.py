"""Phrase patterns: one readable line in a lexicon file for a whole family of spellings.

A refusal is a small grammar, not a list: "I can't / cannot / won't / am not
able to ... help / assist / provide". A lexicon line is a phrase matched as a
substring of the normalised answer, and it may use three marks:

- `(a|b|c)`: one of the alternatives; an alternative may be empty, `(a|)`,
  and groups may nest;
- `[x]`: x or nothing (a space right after it belongs to it);
- `…`: a gap of up to 24 characters of anything (a few words, or a few
  characters of a language written without spaces).

Anything else is literal, including a parenthesis with no `|` inside, so
every plain phrase reads as before. For example

    i (can't|cannot|won't|am not able to) [really] (help|assist) (with|you)

stands for 32 phrases.
"""

from __future__ import annotations

import re

GAP = "…"
_GAP_REGEX = ".{0,24}?"


class PatternError(ValueError):
    """A lexicon line whose marks do not pair up."""


def is_pattern(line: str) -> bool:
    """True when the line uses a mark; plain phrases are matched as they are."""
    return GAP in line or "[" in line or ("(" in line and "|" in line)


def compile_phrase(line: str) -> str:
    """The regular expression (source) a lexicon line stands for."""
    source, end = _sequence(line, 0, closing="")
    if end != len(line):
        raise PatternError(f"unexpected {line[end]!r} at column {end + 1}")
    return source


def _sequence(text: str, at: int, closing: str) -> tuple[str, int]:
    """Parse until `closing` (or `|` inside a group); return the regex and where parsing stopped."""
    out = []
    while at < len(text):
        ch = text[at]
        if ch in closing or (ch == "|" and closing == ")|"):
            return "".join(out), at
        if ch == "(" and _has_alternatives(text, at):
            alternatives, at = _group(text, at + 1)
            out.append(f"(?:{'|'.join(alternatives)})")
            continue
        if ch == "[":
            inner, end = _sequence(text, at + 1, closing="]")
            if end >= len(text):
                raise PatternError(f"'[' at column {at + 1} is never closed")
            at = end + 1
            if at < len(text) and text[at] == " ":
                inner += " "
                at += 1
            out.append(f"(?:{inner})?")
            continue
        if ch == GAP:
            out.append(_GAP_REGEX)
            at += 1
            continue
        if ch == "]" and closing == "":
            raise PatternError(f"']' at column {at + 1} closes nothing")
        out.append(re.escape(ch))
        at += 1
    if closing:
        raise PatternError(f"a group is never closed (expected {closing[0]!r})")
    return "".join(out), at


def _group(text: str, at: int) -> tuple[list[str], int]:
    """The alternatives of a `(a|b)` group starting after its `(`; returns them and the index after `)`."""
    alternatives = []
    while True:
        source, at = _sequence(text, at, closing=")|")
        alternatives.append(source)
        if at >= len(text):
            raise PatternError("'(' is never closed")
        if text[at] == ")":
            return alternatives, at + 1
        at += 1  # past "|"


def _has_alternatives(text: str, at: int) -> bool:
    """True when the group opening at `at` holds a `|` at its own depth (else it is a literal parenthesis)."""
    depth = 0
    for ch in text[at:]:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return False
        elif ch == "|" and depth == 1:
            return True
    return False
