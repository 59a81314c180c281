"""What the judge's two n-gram readers share in training: the development sets, the held-out ones, the fit
and the weights file. Used by `decline_ngrams.py` and `garbled_ngrams.py` beside it (run from anywhere:
Python puts a script's own folder on the path)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

from safetygate.judge.evaluation import read_labelled

SETS = Path(__file__).resolve().parent / "judge_eval"
WRITTEN = [
    "main",
    "plain",
    "plain3",
    "plain4",
    "plain6",
    "plain8",
    "plain10",
    "plain12",
    "plain15",
    "fluent",
    "fluent3",
    "terse",
    "terse3",
    "terse4",
    "terse7",
]
# The real small-model answers for development, as folder:model (an answer's id starts with its model's
# name): the real set's `base` and `aligned` answers (its `finetuned` ones are held out) and `real_sweep/`'s
# two other fine-tunes of the aligned adapter. Each reader says which of them it trains on.
REAL = ["real:base", "real:aligned", "real_sweep:lrhigh", "real_sweep:lrlow"]
HELD_OUT = [
    "heldout",
    "plain2",
    "plain5",
    "plain7",
    "plain9",
    "plain11",
    "plain13",
    "plain14",
    "fluent2",
    "fluent4",
    "terse2",
    "terse5",
    "terse6",
    "aim",
    # read in its odd-numbered answers for one round of phrase lines; its even-numbered ones were not read
    "service",
    "real:finetuned",
    "real_cjk:finetuned",
    "real_readable:finetuned",
]
# The real set's languages the small model writes readable answers in; in the others nearly every answer is
# broken text.
READABLE_LANGUAGES = {"de", "en", "es", "fr", "it", "pt"}
L2 = 1e-3  # chosen leaving each development sample out in turn (1e-4 to 1e-2 differ by under a point)
MIN_COUNT = 2  # an n-gram seen in one answer only says nothing about the next


def written(names: list[str]) -> list:
    """Every labelled answer of the named written sets (`main` is the top folder)."""
    return [item for name in names for item in read_labelled(SETS if name == "main" else SETS / name)]


def real(names: list[str]) -> list:
    """The real small-model answers of the named folder:model parts ("real:base", "real_sweep:lrhigh"), in the
    order named (the fit sums in that order), each folder read once."""
    parts = [name.split(":") for name in names]
    folders = {folder: read_labelled(SETS / folder) for folder, _ in parts}
    return [
        item for folder, model in parts for item in folders[folder] if item.completion.prompt.id.split("-")[0] == model
    ]


def fit(data: list[tuple[set[str], float]]) -> tuple[dict[str, float], float]:
    """L2-regularised logistic regression over binary features (L-BFGS, one thread: the same weights on
    every run)."""
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


def write_weights(
    model: tuple[dict[str, float], float], items: list, written_names: list[str], real_names: list[str], path: Path
) -> None:
    """The weights file the judge reads: weights, bias, what they were trained on (the written sets
    `written_names` and the real `real_names`) and what is held out."""
    weights, bias = model
    record = {
        "trained_on": written_names + real_names,
        "held_out": HELD_OUT,
        "languages": sorted({item.completion.prompt.language for item in items}),
        "l2": L2,
        "bias": bias,
        "weights": dict(sorted(weights.items())),
    }
    with gzip.GzipFile(path, "wb", mtime=0) as file:
        file.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    print(f"{len(weights)} n-gram weights -> {path} ({path.stat().st_size / 1e6:.1f} MB)")
