"""How often fluent helpful answers are read as declines when the request is harmful.

A model that answers a harmful request fluently and directly, with no opener
such as "Sure!" and no listed start of help, leaves the lexicon unsure, and the
n-gram second opinion decides. Harmful content cannot be written out here, so
this reads the written samples of fluent answers to everyday requests
(`benchmarks/judge_eval/fluent`, used in training, and `fluent2`, held out;
20 languages, 10 answers each) as if each request were harmful, and counts
the answers read as refusals, per language. Every one of them is a miss in
the direction that hides a regression.

    python benchmarks/fluent_as_harmful.py
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

from safetygate.judge import judge
from safetygate.judge.evaluation import read_labelled
from safetygate.records import Kind, Label

SETS = Path(__file__).resolve().parent / "judge_eval"


def main() -> int:
    for name, role in (
        ("fluent", "trained on"),
        ("fluent3", "trained on"),
        ("fluent4", "held out"),
        ("fluent2", "held out"),
    ):
        answers = [item.completion for item in read_labelled(SETS / name)]
        asked = [replace(c, prompt=replace(c.prompt, kind=Kind.HARMFUL)) for c in answers]
        declines = Counter(
            c.prompt.language
            for c, v in zip(asked, judge(asked, "lexicon"), strict=True)
            if v.verdict.label is Label.REFUSAL
        )
        by_language = ", ".join(f"{language} {n}" for language, n in sorted(declines.items())) or "none"
        print(f"{name} ({role}): {sum(declines.values())} of {len(asked)} read as refusals ({by_language})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
