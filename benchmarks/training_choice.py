"""Whether new development samples should train the decline n-grams, at which bar, and with or without the
question rule: each development sample judged whole with the n-grams trained without it.

For every development sample (the written ones, the real set's `base` and `aligned` answers) the decline
n-grams are trained on every other sample, once without the NEW samples and once with them, and the sample is
judged by the whole lexicon judge: before (without NEW, at the bar given first, the question rule off), and
with NEW at each bar, with the question rule off, then at the shipped bar with it on (`asks_back`: one short
question in the request's language is not asked of the garbled-text reader). `real_sweep`'s two fine-tunes,
which the decline n-grams never train on, are judged the same way. Totals are printed over the samples before
NEW (the choice) and over every sample (NEW themselves left out in turn as well). The held-out sets are not
read. About 15 minutes on 2 cores.

    python benchmarks/training_choice.py --new plain15 terse7 --bars 0.7 0.75 0.8
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
from pathlib import Path

from decline_bar import left_out, tally
from decline_ngrams import REAL_MODELS, WRITTEN, examples, training_items
from ngram_training import fit, real, write_weights

import safetygate.judge.decline_ngrams as decline_ngrams
import safetygate.judge.garbled_ngrams as garbled_ngrams

SWEEP = ["real_sweep:lrhigh", "real_sweep:lrlow"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new", nargs="+", required=True, help="the development samples being decided on")
    parser.add_argument("--bars", type=float, nargs="+", default=[0.7, 0.75, 0.8], help="the first is 'before'")
    args = parser.parse_args()
    shipped = (decline_ngrams.DECLINE_BAR, decline_ngrams.WEIGHTS, garbled_ngrams.asks_back)
    asks_back = shipped[2]
    configs = [(f"before, {args.bars[0]}", False, args.bars[0], False)]
    configs += [(f"with new, {bar}", True, bar, False) for bar in args.bars]
    configs += [(f"with new, {shipped[0]}, question rule", True, shipped[0], True)]
    chosen = {name: [0, 0, 0, 0] for name, *_ in configs}
    every = {name: [0, 0, 0, 0] for name, *_ in configs}
    print("sample: right / helpful read as refusals / refusals read otherwise / unclear read otherwise")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for name in WRITTEN + REAL_MODELS + SWEEP:
                if name in SWEEP:
                    items, training = real([name]), training_items(WRITTEN, REAL_MODELS)
                else:
                    items, training = left_out(name)
                weights = {}
                for with_new in (False, True):
                    data = [t for t in training if with_new or t.completion.model not in args.new]
                    weights[with_new] = Path(tmp) / f"{name.replace(':', '-')}-{with_new}.json.gz"
                    with contextlib.redirect_stdout(io.StringIO()):
                        write_weights(fit(examples(data)), data, WRITTEN, REAL_MODELS, weights[with_new])
                row = []
                for label, with_new, bar, question_rule in configs:
                    decline_ngrams.WEIGHTS, decline_ngrams.DECLINE_BAR = weights[with_new], bar
                    garbled_ngrams.asks_back = asks_back if question_rule else (lambda norm: False)
                    figures = tally(items, name.startswith("fluent"))
                    every[label] = [t + f for t, f in zip(every[label], figures)]
                    if name not in args.new:
                        chosen[label] = [t + f for t, f in zip(chosen[label], figures)]
                    row.append("/".join(map(str, figures)))
                print(f"  {name} ({len(items)}): " + " | ".join(row), flush=True)
        finally:  # the shipped judge again, whatever happened
            decline_ngrams.DECLINE_BAR, decline_ngrams.WEIGHTS, garbled_ngrams.asks_back = shipped
    for title, totals in (("the samples before the new ones", chosen), ("every sample", every)):
        print(f"{title}:")
        for label, figures in totals.items():
            print(f"  {label}: " + " / ".join(f"{n:,}" for n in figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
