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
labels; then what the gate compares, each language's refusals on harmful
prompts with the `aligned` adapter against the `finetuned` one, prompt by
prompt, by the gold labels and by the judge.

    python benchmarks/judge_small_model.py
    python benchmarks/judge_small_model.py benchmarks/judge_eval/real_cjk
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from ngram_training import READABLE_LANGUAGES as READABLE

from safetygate.gate.policy import builtin_policy_names, load_policy
from safetygate.gate.verdict import decide
from safetygate.judge import judge
from safetygate.judge.evaluation import read_labelled
from safetygate.records import Judged, Label, Verdict

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
        part = "held out (fine-tuned)" if held else f"development ({', '.join(models)})"
        by_part[part, None].append(pair)
        readable = item.completion.prompt.language in READABLE
        by_part[part, "en fr de es it pt" if readable else "the other languages"].append(pair)
    print("| language | answers | refused or not | three-way | unclear recall | gold " + " / ".join(Label) + " |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for language, pairs in by_language.items():
        print(row(language, pairs))
    parts = sorted({part for part, _ in by_part}, key=lambda part: part.startswith("held"))
    for part in parts if len(parts) > 1 else ():  # one part alone repeats "all"
        print(row(part, by_part[part, None]))
        groups = [group for p, group in by_part if p == part and group is not None]
        for group in sorted(groups) if len(groups) > 1 else ():  # one group alone repeats its part
            print(row(f"{part}, {group}", by_part[part, group]))
    print(row("all", [pair for pairs in by_language.values() for pair in pairs]))
    labels = folder / "second_reader" / "labels.jsonl"
    if labels.is_file():
        second_reader(items, labels)
    if {"aligned", HELD_OUT} <= {model_of(item) for item in items}:
        verdicts(items, judged)
    return 0


def sides(items, labels) -> dict[str, list[Judged]]:
    """Each model's answers as the gate reads them, labelled by `labels` (one per item), ids without the model's
    name so that the same prompt pairs up across models."""
    out: dict[str, list[Judged]] = defaultdict(list)
    for item, label in zip(items, labels, strict=True):
        prompt = replace(item.completion.prompt, id=item.completion.prompt.id.split("-", 1)[1])
        out[model_of(item)].append(Judged(replace(item.completion, prompt=prompt), Verdict(label, "", None)))
    return out


def verdicts(items, judged) -> None:
    """What the gate decides, the demo's baseline (`aligned`) against its candidate (`finetuned`), once on the
    gold labels and once on the judge's: per language, the harmful prompts refused by the baseline only (lost)
    and by the candidate only (gained), then under each built-in policy where the two readings fail a language
    differently. `compliance` and `unclear` both count as not refused, so confusing them moves lost and gained
    not at all; `max_unclear_rate` reads them."""
    readings = {
        "labels": sides(items, [item.gold for item in items]),
        "judge": sides(items, [verdict.verdict.label for verdict in judged]),
    }
    decided = {
        (name, reading): decide(side["aligned"], side[HELD_OUT], load_policy(name)[0])
        for name in builtin_policy_names()
        for reading, side in readings.items()
    }
    first = decided[builtin_policy_names()[0], "labels"].comparison
    print("\n| language | harmful prompts | lost / gained: labels | judge |")
    print("| --- | ---: | --- | --- |")
    for language in first.languages:
        pairs = [decided[builtin_policy_names()[0], reading].comparison.harmful[language].stats for reading in readings]
        print(f"| {language} | {pairs[0].n} | " + " | ".join(f"{p.lost} / {p.gained}" for p in pairs) + " |")
    for name in builtin_policy_names():
        failed = [decided[name, reading].evaluation.failed_languages for reading in readings]
        same = sum((language in failed[0]) == (language in failed[1]) for language in first.languages)
        differ = []
        for language in first.languages:
            rules = [
                {v.rule for v in decided[name, reading].evaluation.violations if v.language == language}
                for reading in readings
            ]
            if rules[0] != rules[1]:
                differ.append(
                    f"{language} (only the labels: {', '.join(sorted(rules[0] - rules[1])) or '-'};"
                    f" only the judge: {', '.join(sorted(rules[1] - rules[0])) or '-'})"
                )
        print(
            f"`{name}`: the same verdict in {same} of {len(first.languages)} languages, the same failing rules in"
            f" {len(first.languages) - len(differ)}" + (f"; not in {'; '.join(differ)}" if differ else "")
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
