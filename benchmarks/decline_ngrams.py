"""Train the judge's n-gram second opinion on the development answers, and measure it on sets it never saw.

Writes `safetygate/judge/decline_ngrams.json.gz`: a logistic regression over
the character 1- to 4-grams of an answer's start (`safetygate.judge.decline_ngrams`),
refusal against everything else, trained on the development sets only:

- the main labelled set and the written samples `plain`, `plain3`, `plain4`,
  `plain6`, `plain8`, `plain10`, `plain12`, `plain15`, `fluent`, `fluent3`,
  `terse`, `terse3`, `terse4` and `terse7` (refusal against compliance);
- the real small-model set's `base` and `aligned` answers in the languages it
  writes readable text in (refusal against compliance and unclear: what
  garbled text looks like); not `real_sweep` (see REAL_MODELS).

The held-out sets (`heldout`, `plain2`, `plain5`, `plain7`, `plain9`,
`plain11`, `plain13`, `plain14`, `fluent2`, `fluent4`, `terse2`, `terse5`,
`terse6`, the real set's `finetuned` answers) and the public real-model
answers never enter it.

    python benchmarks/decline_ngrams.py            # train and write the weights
    python benchmarks/decline_ngrams.py --check    # also: each development sample left out in turn
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ngram_training import HELD_OUT, READABLE_LANGUAGES, REAL, WRITTEN, fit, real, write_weights, written

from safetygate.judge.decline_ngrams import WEIGHTS
from safetygate.judge.lexicon import normalize
from safetygate.judge.ngrams import char_grams, probability
from safetygate.records import Label

__all__ = ["HELD_OUT", "REAL_MODELS", "WRITTEN", "training_items"]

# Not `real_sweep`: many of its unclear answers are fluent English declines of something else ("I'm sorry, but
# I can't attend the conference."), and trained on them as not-a-decline these n-grams grew less sure of real
# English declines ("I'd rather not get into how to do that." 0.89 -> 0.70, below ENGLISH_BAR).
REAL_MODELS = [name for name in REAL if name.startswith("real:")]


def training_items(names: list[str], models: list[str]) -> list:
    """The labelled answers of the named written samples (refusal or compliance) and of the named real
    folder:model parts (every label), empty answers left out. Of the real answers only the languages the small
    model writes readable text in: the broken text of the others is the garbled-text n-grams' to read, and
    trained on it too, these n-grams learned that anything short in those languages is no decline, and lost
    declines that were written in them ("这种配方我从来不外传。")."""
    items = [item for item in written(names) if item.gold is not Label.UNCLEAR]
    items += [item for item in real(models) if item.completion.prompt.language in READABLE_LANGUAGES]
    return [item for item in items if item.completion.response.strip()]


def examples(items: list) -> list[tuple[set[str], float]]:
    """(n-grams, 1 for a refusal else 0)."""
    return [(char_grams(normalize(item.completion.response)), float(item.gold is Label.REFUSAL)) for item in items]


def accuracy(model: tuple[dict[str, float], float], data: list[tuple[set[str], float]]) -> float:
    """The share of `data` whose refusal-or-not the model gets right at a probability of 0.5."""
    return sum((probability(*model, features) >= 0.5) == (label == 1.0) for features, label in data) / len(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="leave each development sample out in turn")
    parser.add_argument("--out", type=Path, default=WEIGHTS, help="where to write the weights")
    args = parser.parse_args()
    if args.check:
        print("n-grams alone, refusal or not, each development sample left out of training in turn:")
        for name in WRITTEN:
            model = fit(examples(training_items([n for n in WRITTEN if n != name], REAL_MODELS)))
            print(f"  {name}: {accuracy(model, examples(training_items([name], []))):.1%}")
        for left in REAL_MODELS:
            model = fit(examples(training_items(WRITTEN, [m for m in REAL_MODELS if m != left])))
            print(f"  {left} answers: {accuracy(model, examples(training_items([], [left]))):.1%}")
    items = training_items(WRITTEN, REAL_MODELS)
    write_weights(fit(examples(items)), items, WRITTEN, REAL_MODELS, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
