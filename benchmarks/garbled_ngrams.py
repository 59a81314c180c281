"""Train the judge's garbled-text reader on the development answers, and check it on answers it never saw.

Writes `safetygate/judge/garbled_ngrams.json.gz`: a logistic regression over
the character 1- to 4-grams of an answer's start (`safetygate.judge.garbled_ngrams`),
`unclear` against everything else, trained on the development sets only:

- the real small-model set's `base` and `aligned` answers in all 20 languages,
  and `real_sweep`'s two other fine-tunes in six (what a small model's broken
  output looks like, and its readable answers);
- the main labelled set (its hand-written loops and echoes are `unclear`) and
  the written samples `plain`, `plain3`, `plain4`, `plain6`, `plain8`,
  `plain10`, `plain12`, `fluent` and `fluent3` (fluent refusals and answers in
  every language: what must not be flagged); not the one-line answers of
  `terse`, `terse3`, `terse4` and `terse7`, nor `plain15` (see WRITTEN below).

The real set's `finetuned` answers and the held-out written sets never enter it.

    python benchmarks/garbled_ngrams.py            # train and write the weights
    python benchmarks/garbled_ngrams.py --check    # also: each model, language and written sample left out
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ngram_training import HELD_OUT, REAL, fit, real, write_weights, written
from ngram_training import WRITTEN as DEVELOPMENT_SETS

from safetygate.judge.garbled_ngrams import BAR, WEIGHTS, without_opener
from safetygate.judge.lexicon import normalize
from safetygate.judge.ngrams import char_grams, probability
from safetygate.records import Label

__all__ = ["HELD_OUT", "REAL_MODELS", "WRITTEN", "training_items"]

REAL_MODELS = REAL  # every development model's broken text, `real_sweep`'s fine-tunes with it
# None of the terse rounds: trained on `terse`'s one-line answers as readable, this reader grew less sure of
# the small model's short broken text (most of its unclear answers run under 60 characters) and read 14 more
# of the real set's held-out fine-tuned answers wrongly (650 -> 636 of 700 three-way; unclear recall 481 -> 467
# of 517); trained on their declines alone, or on the 14 languages the small model writes broken, 13 and 18
# more, and more of its broken text then fell to the decline n-grams as refusals (3 -> 8 and 11). The decline
# n-grams train on them. Nor `plain15`: trained on its prose as readable, this reader flagged 38 fewer of the
# development models' broken answers (each model left out in turn: base 446 -> 424 of 661) for 17 fewer of
# `plain10`'s and `plain12`'s written answers flagged wrongly.
WRITTEN = [name for name in DEVELOPMENT_SETS if not name.startswith("terse") and name != "plain15"]


def training_items(names: list[str], models: list[str], languages: set[str] | None = None) -> list:
    """Every labelled answer of the named written sets and of the named real folder:model parts (optionally
    only those languages), empty answers left out (the judge calls them unclear before any n-gram)."""
    return [
        item
        for item in written(names) + real(models)
        if item.completion.response.strip() and (languages is None or item.completion.prompt.language in languages)
    ]


def examples(items: list) -> list[tuple[set[str], float]]:
    """(n-grams, 1 for unclear else 0)."""
    return [
        (char_grams(without_opener(normalize(item.completion.response))), float(item.gold is Label.UNCLEAR))
        for item in items
    ]


def flagged(model, items: list) -> str:
    """How many unclear answers the model flags at BAR, and how many readable ones it flags wrongly."""
    said = [probability(*model, grams) >= BAR for grams, _ in examples(items)]
    unclear = [s for s, item in zip(said, items, strict=True) if item.gold is Label.UNCLEAR]
    readable = [s for s, item in zip(said, items, strict=True) if item.gold is not Label.UNCLEAR]
    return f"flags {sum(unclear)}/{len(unclear)} unclear, {sum(readable)}/{len(readable)} readable"


def check() -> None:
    print(f"the n-grams alone at {BAR} (before the judge's English and length rules), left out of training in turn:")
    for left in REAL_MODELS:
        model = fit(examples(training_items(WRITTEN, [m for m in REAL_MODELS if m != left])))
        print(f"  {left} answers: {flagged(model, training_items([], [left]))}")
    languages = sorted({item.completion.prompt.language for item in training_items([], REAL_MODELS)})
    for language in languages:
        model = fit(examples(training_items(WRITTEN, REAL_MODELS, set(languages) - {language})))
        print(f"  real answers in {language}: {flagged(model, training_items([], REAL_MODELS, {language}))}")
    for name in WRITTEN:
        model = fit(examples(training_items([n for n in WRITTEN if n != name], REAL_MODELS)))
        print(f"  written sample {name}: {flagged(model, training_items([name], []))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="leave each model, language and written sample out")
    parser.add_argument("--out", type=Path, default=WEIGHTS, help="where to write the weights")
    args = parser.parse_args()
    if args.check:
        check()
    items = training_items(WRITTEN, REAL_MODELS)
    write_weights(fit(examples(items)), items, WRITTEN, REAL_MODELS, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
