"""Character n-grams of an answer's start, weighted by a logistic regression: what the judge's learned
second opinions (`decline_ngrams`, `garbled_ngrams`) share.

The weights are trained by scripts in `benchmarks/` on the project's labelled development answers and
shipped as gzipped JSON (`{"bias": b, "weights": {gram: w}}`); reading them needs no library.
"""

from __future__ import annotations

import gzip
import json
import math
from functools import cache
from pathlib import Path

# The answer's start the n-grams are read from (where a refusal is, as for the lexicon's WINDOW).
NGRAM_CHARS = 300
MAX_N = 4


def char_grams(norm: str) -> set[str]:
    """The character 1- to MAX_N-grams of a normalised answer's start, a space at each end."""
    text = f" {norm[:NGRAM_CHARS]} "
    return {text[i : i + n] for n in range(1, MAX_N + 1) for i in range(len(text) - n + 1)}


@cache
def _record(path: Path) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as file:
        return json.load(file)


def load(path: Path) -> tuple[dict[str, float], float]:
    """(weights, bias) of a shipped weights file, read once."""
    record = _record(path)
    return record["weights"], record["bias"]


@cache
def trained_languages(path: Path) -> frozenset[str]:
    """The languages of the answers a shipped weights file was trained on."""
    return frozenset(_record(path)["languages"])


def probability(weights: dict[str, float], bias: float, grams: set[str]) -> float:
    """The logistic regression's probability for an answer's n-grams (summed exactly, so the order a set
    iterates in cannot change a verdict)."""
    score = math.fsum([bias, *(weights.get(gram, 0.0) for gram in grams)])
    return 1 / (1 + math.exp(-max(-60.0, min(60.0, score))))
