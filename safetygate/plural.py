"""Counts in messages read as English: "1 violation", "2 violations"."""


def counted(n: int, noun: str) -> str:
    """`n` and the noun, plural unless n is 1 (nouns here take a plain -s)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
