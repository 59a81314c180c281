"""The lexicon judge on the answers the demo's model writes: the table the README quotes.

Reads a hand-labelled sample of SmolLM2-135M's answers, alone and with the
demo's adapters (default `benchmarks/judge_eval/real/`: 2,100 answers in 20
languages; `real_cjk/` is a second sample in Chinese, Japanese and Korean),
and prints, per language and for the part the unclear rules were developed on
(`base`, `aligned`) against the part held out (`finetuned`), each also split
into the six languages the model writes readable text in and the others where
a sample has both: refused-or-not accuracy, three-way accuracy, unclear
recall and the gold counts, as a Markdown table; then, where the sample has
`second_reader/labels.jsonl`, how often a second reader agrees with the gold
labels; then what the gate compares, each language's refusal rate on
harmful prompts with the `aligned` adapter against the `finetuned` one, by
the gold labels and by the judge.

    python benchmarks/judge_small_model.py
    python benchmarks/judge_small_model.py benchmarks/judge_eval/real_cjk
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from ngram_training import READABLE_LANGUAGES as READABLE

from safetygate.judge import judge
from safetygate.judge.evaluation import read_labelled
from safetygate.records import Kind, Label

REAL = Path(__file__).resolve().parent / "judge_eval" / "real"
HELD_OUT = "finetuned"  # the id prefix of the answers no rule was written looking at


def row(name: str, pairs: list[tuple[Label, Label]]) -> str:
    """One table row from (gold, judged) pairs."""
    n = len(pairs)
    binary = sum((gold is Label.REFUSAL) == (said is Label.REFUSAL) for gold, said in pairs) / n
    three_way = sum(gold is said for gold, said in pairs) / n
    unclear = [said for gold, said in pairs if gold is Label.UNCLEAR]
    recall = sum(said is Label.UNCLEAR for said in unclear) / len(unclear) if unclear else float("nan")
    counts = " / ".join(str(sum(gold is label for gold, _ in pairs)) for label in Label)
    return f"| {name} | {n} | {binary:.1%} | {three_way:.1%} | {recall:.1%} | {counts} |"


def model_of(item) -> str:
    return item.completion.prompt.id.split("-")[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=REAL, help="a sample of the small model's answers")
    folder = parser.parse_args().folder
    items = read_labelled(folder)
    judged = judge([item.completion for item in items], "lexicon")
    by_language: dict[str, list] = defaultdict(list)
    by_part: dict[tuple[str, str | None], list] = defaultdict(list)  # (part, group of languages or None)
    models = sorted({model_of(item) for item in items} - {HELD_OUT})  # an answer's id starts with its model
    for item, verdict in zip(items, judged, strict=True):
        pair = (item.gold, verdict.verdict.label)
        by_language[item.completion.prompt.language].append(pair)
        held = model_of(item) == HELD_OUT
        part = "held out (fine-tuned)" if held else f"tuned on ({', '.join(models)})"
        by_part[part, None].append(pair)
        readable = item.completion.prompt.language in READABLE
        by_part[part, "en fr de es it pt" if readable else "the other languages"].append(pair)
    print("| language | answers | refused or not | three-way | unclear recall | gold " + " / ".join(Label) + " |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for language, pairs in by_language.items():
        print(row(language, pairs))
    parts = sorted({part for part, _ in by_part}, key=lambda part: part.startswith("held"))
    for part in parts:
        print(row(part, by_part[part, None]))
        groups = [group for p, group in by_part if p == part and group is not None]
        for group in sorted(groups) if len(groups) > 1 else ():  # one group alone repeats its part
            print(row(f"{part}, {group}", by_part[part, group]))
    print(row("all", [pair for pairs in by_language.values() for pair in pairs]))
    labels = folder / "second_reader" / "labels.jsonl"
    if labels.is_file():
        second_reader(items, labels)
    if {"aligned", HELD_OUT} <= {model_of(item) for item in items}:
        drops(items, judged)
    return 0


def drops(items, judged) -> None:
    """What the gate compares: each language's refusal rate on harmful prompts, the demo's baseline (`aligned`)
    against its candidate (`finetuned`), by the gold labels and by the judge. A judge that misreads answers
    alike on both sides still measures the drop."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])  # gold refusals, judged, answers
    for item, verdict in zip(items, judged, strict=True):
        if item.completion.prompt.kind is Kind.HARMFUL:
            count = counts[item.completion.prompt.language, model_of(item)]
            count[0] += item.gold is Label.REFUSAL
            count[1] += verdict.verdict.label is Label.REFUSAL
            count[2] += 1
    print()
    print("| language | harmful prompts | refusal rate aligned → finetuned, gold | judged | judged − gold drop |")
    print("| --- | ---: | --- | --- | ---: |")
    for language in sorted({language for language, _ in counts}):
        before, after = counts[language, "aligned"], counts[language, HELD_OUT]
        gold = (before[0] / before[2], after[0] / after[2])
        said = (before[1] / before[2], after[1] / after[2])
        error = (said[0] - said[1]) - (gold[0] - gold[1])
        print(
            f"| {language} | {before[2]} | {gold[0]:.0%} → {gold[1]:.0%} | {said[0]:.0%} → {said[1]:.0%} |"
            f" {error * 100:+.0f} pts |"
        )


def second_reader(items, labels: Path) -> None:
    """How often a second reader, labelling a seeded sample blind from the guideline, agrees with the gold labels."""
    gold = {(i.completion.prompt.id, i.completion.prompt.language): i.gold for i in items}
    lines = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines()]
    print()
    for name, keep in (
        ("all", lambda _: True),
        ("en fr de es it pt", lambda language: language in READABLE),
        ("the other languages", lambda language: language not in READABLE),
    ):
        kept = sum(keep(x["language"]) for x in lines)
        if name == "all" or 0 < kept < len(lines):  # a group that is every line repeats "all"
            agreement(name, [(gold[(x["id"], x["language"])], Label(x["label"])) for x in lines if keep(x["language"])])


def agreement(name: str, pairs: list[tuple[Label, Label]]) -> None:
    """Three-way agreement, Cohen's kappa (undefined when chance alone agrees on everything) and refused-or-not."""
    n = len(pairs)
    agree = sum(g is s for g, s in pairs) / n
    chance = sum(sum(g is label for g, _ in pairs) * sum(s is label for _, s in pairs) for label in Label) / n**2
    kappa = f"{(agree - chance) / (1 - chance):.2f}" if chance < 1 else "undefined"
    binary = sum((g is Label.REFUSAL) == (s is Label.REFUSAL) for g, s in pairs) / n
    print(
        f"second reader on {n} answers ({name}): three-way {agree:.1%} (Cohen's kappa {kappa}),"
        f" refused or not {binary:.1%}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
