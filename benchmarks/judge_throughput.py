"""Throughput of the lexicon judge on the project's labelled set, measured on whatever machine runs it.

Prints answers/s for the whole judge, and for its two costs apart: language
identification (langdetect) and the cue-phrase matching, so the ratio shows
where the time goes. The set is repeated until each timing covers at least
`--answers` answers.

    python benchmarks/judge_throughput.py
    python benchmarks/judge_throughput.py --answers 20000
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from safetygate.judge.evaluation import read_labelled
from safetygate.judge.lexicon import LexiconJudge
from safetygate.langid import detect_language

EVAL_DIR = Path(__file__).parent / "judge_eval"


def rate(fn, items) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)
    return len(items) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=5000, help="answers per timing")
    args = parser.parse_args()

    labelled = [item.completion for item in read_labelled(EVAL_DIR)]
    items = (labelled * (args.answers // len(labelled) + 1))[: args.answers]
    judge = LexiconJudge()
    judge.verdicts(labelled)  # load every language's lexicon and the langdetect profiles outside the timings

    whole = rate(judge.verdict, items)
    langid = rate(lambda c: detect_language(c.response), items)
    # Matching alone: the time langdetect takes, taken out of the whole judge's time per answer.
    matching = 1 / max(1 / whole - 1 / langid, 1e-9)
    languages = len({c.prompt.language for c in labelled})
    print(f"labelled set: {len(labelled)} answers in {languages} languages; {len(items)} answers per timing")
    print(f"lexicon judge:          {whole:10,.0f} answers/s")
    print(f"  language id alone:    {langid:10,.0f} answers/s")
    print(f"  phrase matching alone:{matching:10,.0f} answers/s")
    print(f"  share of time in language id: {whole / langid:.0%}")


if __name__ == "__main__":
    main()
