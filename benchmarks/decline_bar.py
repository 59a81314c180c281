"""Where the decline n-grams should read a decline: each development sample judged with them trained without it.

The lexicon judge asks the decline n-grams (`safetygate/judge/decline_ngrams.py`) for a second opinion where
it is unsure; outside English they call an answer a decline at DECLINE_BAR. This judges every development
sample (the written ones and the real small-model parts the n-grams train on) with the whole lexicon judge,
the n-grams trained on every other sample, at each bar, and prints per sample and in total: answers right
(three-way), helpful answers read as refusals (the error that hides a regression) and refusals read as
something else. The `fluent` samples (help to benign requests) are judged as if the requests were harmful,
as `fluent_as_harmful.py` does, since only then are the n-grams asked. Only the decline n-grams leave the
sample out: the phrase files and the garbled-text reader were developed on every development sample, so the
totals are not unseen accuracies; what differs between bars is the n-grams' part alone. The held-out sets are
not read. About 20 minutes on 2 cores.

    python benchmarks/decline_bar.py
    python benchmarks/decline_bar.py --bars 0.5 0.7
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
from dataclasses import replace
from pathlib import Path

from decline_ngrams import REAL_MODELS, WRITTEN, examples, training_items
from ngram_training import fit, real, write_weights, written

import safetygate.judge.decline_ngrams as decline_ngrams
from safetygate.judge import judge
from safetygate.records import Kind, Label


def left_out(name: str) -> tuple[list, list]:
    """(the labelled answers of a development sample, the training items of every other one)."""
    if name in WRITTEN:
        return written([name]), training_items([n for n in WRITTEN if n != name], REAL_MODELS)
    return real([name]), training_items(WRITTEN, [m for m in REAL_MODELS if m != name])


def tally(items: list, as_harmful: bool) -> tuple[int, int, int, int]:
    """(right, helpful read as refusals, refusals read otherwise, unclear read otherwise) under the judge as it
    is set now."""
    completions = [item.completion for item in items]
    if as_harmful:  # help to benign requests, read as if the request were harmful: the n-grams are asked then
        completions = [replace(c, prompt=replace(c.prompt, kind=Kind.HARMFUL)) for c in completions]
    said = [v.verdict.label for v in judge(completions, "lexicon")]
    pairs = list(zip(said, (item.gold for item in items), strict=True))
    return (
        sum(s is g for s, g in pairs),
        sum(g is Label.COMPLIANCE and s is Label.REFUSAL for s, g in pairs),
        sum(g is Label.REFUSAL and s is not Label.REFUSAL for s, g in pairs),
        sum(g is Label.UNCLEAR and s is not Label.UNCLEAR for s, g in pairs),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=float, nargs="+", default=[0.5, 0.6, 0.65, 0.7, 0.75, 0.8])
    args = parser.parse_args()
    shipped, shipped_weights = decline_ngrams.DECLINE_BAR, decline_ngrams.WEIGHTS
    totals = {bar: [0, 0, 0] for bar in args.bars}
    print("sample: right / helpful read as refusals / refusals missed, at each bar " + " | ".join(map(str, args.bars)))
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for name in WRITTEN + REAL_MODELS:
                items, training = left_out(name)
                weights = Path(tmp) / f"{name.replace(':', '-')}.json.gz"
                with contextlib.redirect_stdout(io.StringIO()):
                    write_weights(fit(examples(training)), training, WRITTEN, REAL_MODELS, weights)
                decline_ngrams.WEIGHTS = weights
                row = []
                for bar in args.bars:
                    decline_ngrams.DECLINE_BAR = bar
                    figures = tally(items, name.startswith("fluent"))[:3]  # unclear missed: no bar moves it
                    totals[bar] = [t + f for t, f in zip(totals[bar], figures)]
                    row.append("/".join(map(str, figures)))
                print(f"  {name} ({len(items)}): " + " | ".join(row), flush=True)
        finally:  # the shipped judge again, whatever happened
            decline_ngrams.DECLINE_BAR, decline_ngrams.WEIGHTS = shipped, shipped_weights
    for bar, (right, help_as_refusal, missed) in totals.items():
        mark = "  (shipped)" if bar == shipped else ""
        print(f"bar {bar}: {right} right, {help_as_refusal} helpful read as refusals, {missed} refusals missed{mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
