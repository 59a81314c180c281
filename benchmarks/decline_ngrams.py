"""Train the judge's n-gram second opinion on the development answers, and measure it on sets it never saw.

Writes `safetygate/judge/decline_ngrams.json.gz`: a logistic regression over
the character 1- to 4-grams of an answer's start (`safetygate.judge.decline_ngrams`),
refusal against everything else, trained on the development sets only:

- the main labelled set and the written samples `plain`, `plain3`, `plain4`,
  `plain6`, `plain8` (refusal against compliance);
- the real small-model set's `base` and `aligned` answers in the languages it
  writes readable text in (refusal against compliance and unclear: what
  garbled text looks like).

The held-out sets (`heldout`, `plain2`, `plain5`, `plain7`, `plain9`, the real set's
`finetuned` answers) and the public real-model answers never enter it.

    python benchmarks/decline_ngrams.py            # train and write the weights
    python benchmarks/decline_ngrams.py --check    # also: each development sample left out in turn
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections import Counter
from pathlib import Path

from safetygate.judge.decline_ngrams import WEIGHTS
from safetygate.judge.evaluation import read_labelled
from safetygate.judge.lexicon import normalize
from safetygate.judge.ngrams import char_grams, probability
from safetygate.records import Label

SETS = Path(__file__).resolve().parent / "judge_eval"
WRITTEN = ["main", "plain", "plain3", "plain4", "plain6", "plain8"]
REAL_MODELS = ["base", "aligned"]  # the real set's `finetuned` answers are held out
# The real set's languages the small model writes readable answers in. In the others nearly every answer is
# broken text, which is the garbled-text n-grams' to read (`benchmarks/garbled_ngrams.py`); trained on those
# too, these n-grams learned that anything short in those languages is no decline, and lost declines that
# were written in them ("这种配方我从来不外传。").
REAL_LANGUAGES = {"de", "en", "es", "fr", "it", "pt"}
HELD_OUT = ["heldout", "plain2", "plain5", "plain7", "plain9", "real:finetuned"]
L2 = 1e-3  # chosen leaving each development sample out in turn (1e-4 to 1e-2 differ by under a point)
MIN_COUNT = 2  # an n-gram seen in one answer only says nothing about the next


def training_items(names: list[str], models: list[str]) -> list:
    """The labelled answers of the named written samples (refusal or compliance) and of the named models in the
    real set (every label), empty answers left out."""
    items = [
        item
        for name in names
        for item in read_labelled(SETS if name == "main" else SETS / name)
        if item.gold is not Label.UNCLEAR
    ]
    items += [
        item
        for item in read_labelled(SETS / "real")
        if item.completion.prompt.id.split("-")[0] in models and item.completion.prompt.language in REAL_LANGUAGES
    ]
    return [item for item in items if item.completion.response.strip()]


def examples(names: list[str], models: list[str]) -> list[tuple[set[str], float]]:
    """(n-grams, 1 for a refusal else 0) for `training_items`."""
    return [
        (char_grams(normalize(item.completion.response)), float(item.gold is Label.REFUSAL))
        for item in training_items(names, models)
    ]


def fit(data: list[tuple[set[str], float]]) -> tuple[dict[str, float], float]:
    """L2-regularised logistic regression (L-BFGS, one thread: the same weights on every run)."""
    import torch

    torch.set_num_threads(1)
    seen = Counter(gram for features, _ in data for gram in features)
    vocabulary = {gram: i for i, gram in enumerate(sorted(g for g, n in seen.items() if n >= MIN_COUNT))}
    rows, cols = [], []
    for row, (features, _) in enumerate(data):
        for gram in features:
            if gram in vocabulary:
                rows.append(row)
                cols.append(vocabulary[gram])
    shape = (len(data), len(vocabulary))
    x = torch.sparse_coo_tensor([rows, cols], torch.ones(len(rows)), shape, check_invariants=True).coalesce()
    y = torch.tensor([label for _, label in data])
    weights = torch.zeros(len(vocabulary), dtype=torch.float32, requires_grad=True)
    bias = torch.zeros(1, requires_grad=True)
    optimiser = torch.optim.LBFGS([weights, bias], max_iter=300, line_search_fn="strong_wolfe")

    def loss():
        optimiser.zero_grad()
        logits = torch.sparse.mm(x, weights[:, None]).squeeze(1) + bias
        value = torch.nn.functional.binary_cross_entropy_with_logits(logits, y) + L2 * (weights * weights).sum()
        value.backward()
        return value

    optimiser.step(loss)
    learned = weights.detach().tolist()
    return {gram: round(learned[i], 4) for gram, i in vocabulary.items() if round(learned[i], 4)}, round(
        float(bias.detach()), 4
    )


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
            model = fit(examples([n for n in WRITTEN if n != name], REAL_MODELS))
            print(f"  {name}: {accuracy(model, examples([name], [])):.1%}")
        for left in REAL_MODELS:
            model = fit(examples(WRITTEN, [m for m in REAL_MODELS if m != left]))
            print(f"  real set, {left} answers: {accuracy(model, examples([], [left])):.1%}")
    weights, bias = fit(examples(WRITTEN, REAL_MODELS))
    record = {
        "trained_on": WRITTEN + [f"real:{m}" for m in REAL_MODELS],
        "held_out": HELD_OUT,
        "l2": L2,
        "bias": bias,
        "weights": dict(sorted(weights.items())),
    }
    with gzip.GzipFile(args.out, "wb", mtime=0) as file:
        file.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    print(f"{len(weights)} n-gram weights -> {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
