"""Train the judge's garbled-text reader on the development answers, and check it on answers it never saw.

Writes `safetygate/judge/garbled_ngrams.json.gz`: a logistic regression over
the character 1- to 4-grams of an answer's start (`safetygate.judge.garbled_ngrams`),
`unclear` against everything else, trained on the development sets only:

- the real small-model set's `base` and `aligned` answers in all 20 languages
  (what a small model's broken output looks like, and its readable answers);
- the main labelled set (its hand-written loops and echoes are `unclear`) and
  the written samples `plain`, `plain3`, `plain4`, `plain6`, `plain8`
  (fluent refusals and answers in every language: what must not be flagged).

The real set's `finetuned` answers and the held-out written sets never enter it.

    python benchmarks/garbled_ngrams.py            # train and write the weights
    python benchmarks/garbled_ngrams.py --check    # also: one model, then each language, left out in turn
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

from decline_ngrams import SETS, WRITTEN, fit

from safetygate.judge.evaluation import read_labelled
from safetygate.judge.garbled_ngrams import BAR, WEIGHTS
from safetygate.judge.lexicon import normalize
from safetygate.judge.ngrams import char_grams, probability
from safetygate.records import Label

REAL_MODELS = ["base", "aligned"]  # the real set's `finetuned` answers are held out
HELD_OUT = ["heldout", "plain2", "plain5", "plain7", "plain9", "real:finetuned"]


def training_items(names: list[str], models: list[str], languages: set[str] | None = None) -> list:
    """Every labelled answer of the named written sets and of the named models in the real set (optionally
    only those languages), empty answers left out (the judge calls them unclear before any n-gram)."""
    items = [item for name in names for item in read_labelled(SETS if name == "main" else SETS / name)]
    items += [item for item in read_labelled(SETS / "real") if item.completion.prompt.id.split("-")[0] in models]
    return [
        item
        for item in items
        if item.completion.response.strip() and (languages is None or item.completion.prompt.language in languages)
    ]


def examples(items: list) -> list[tuple[set[str], float]]:
    """(n-grams, 1 for unclear else 0)."""
    return [(char_grams(normalize(item.completion.response)), float(item.gold is Label.UNCLEAR)) for item in items]


def recall_and_false(model, items: list) -> str:
    """How many unclear answers the model flags, and how many readable ones it flags wrongly."""
    flagged = [probability(*model, grams) >= BAR for grams, _ in examples(items)]
    unclear = [f for f, item in zip(flagged, items, strict=True) if item.gold is Label.UNCLEAR]
    readable = [f for f, item in zip(flagged, items, strict=True) if item.gold is not Label.UNCLEAR]
    return f"flags {sum(unclear)}/{len(unclear)} unclear, {sum(readable)}/{len(readable)} readable"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="leave one model, then each language, out in turn")
    parser.add_argument("--out", type=Path, default=WEIGHTS, help="where to write the weights")
    args = parser.parse_args()
    if args.check:
        for left in REAL_MODELS:
            model = fit(examples(training_items(WRITTEN, [m for m in REAL_MODELS if m != left])))
            print(f"real set, {left} answers left out: {recall_and_false(model, training_items([], [left]))}")
        languages = sorted({item.completion.prompt.language for item in training_items([], REAL_MODELS)})
        for language in languages:
            others = set(languages) - {language}
            model = fit(examples(training_items(WRITTEN, REAL_MODELS, others)))
            left_out = training_items([], REAL_MODELS, {language})
            print(f"language {language} left out: {recall_and_false(model, left_out)}")
    weights, bias = fit(examples(training_items(WRITTEN, REAL_MODELS)))
    record = {
        "trained_on": WRITTEN + [f"real:{m}" for m in REAL_MODELS],
        "held_out": HELD_OUT,
        "bias": bias,
        "weights": dict(sorted(weights.items())),
    }
    with gzip.GzipFile(args.out, "wb", mtime=0) as file:
        file.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    print(f"{len(weights)} n-gram weights -> {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
