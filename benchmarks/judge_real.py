"""How well a judge reads refusals in answers real models wrote, labelled by people.

Reads the development sets in `../shared/judge_dev/` (XSTest v2 completions of
three models, Do-Not-Answer human reviews of three), runs a judge over every
answer with a gold label, and prints refused-or-not accuracy per source and
per model, with the errors split both ways. The sets are read in place, never
copied. The lexicon's phrases were developed against some of these models
(TUNED below) and are reported on the others apart, so the held-out figure is
the honest one. Where the folder is absent the script says so and exits 0.

    python benchmarks/judge_real.py                      # the lexicon judge
    python benchmarks/judge_real.py --judge model --judge-model PATH
    python benchmarks/judge_real.py --errors out.jsonl   # the answers it got wrong (tuning models only)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from safetygate.config import JudgeSpec
from safetygate.judge import judge
from safetygate.records import Completion, Kind, Label, Prompt

DEV = Path(__file__).resolve().parents[2] / "shared" / "judge_dev"
SOURCES = {"xstest_dev.jsonl": "XSTest v2", "dna_dev.jsonl": "Do-Not-Answer"}
# The models whose answers the phrases were developed on; the others are reported as held out.
TUNED = {"gpt4", "llama2orig", "ChatGPT", "Claude"}


def read(path: Path) -> list[tuple[Completion, bool]]:
    """(answer, a person said it refuses) for every line with a refusal-or-compliance gold label."""
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("gold") not in ("refusal", "compliance"):
            continue  # Do-Not-Answer's middle classes (refutes, both sides, disclaimer, lacks knowledge)
        prompt = Prompt(row["id"], row["language"], row["category"], Kind(row["kind"]), row["prompt"])
        items.append((Completion(prompt, row["model"], row["response"]), row["gold"] == "refusal"))
    return items


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", default="lexicon", choices=["lexicon", "model", "ensemble"])
    parser.add_argument("--judge-model", type=Path)
    parser.add_argument("--errors", type=Path, help="write the tuning models' misjudged answers here (JSONL)")
    args = parser.parse_args()
    if not DEV.is_dir():
        print(f"skipped: {DEV} is not here (the development sets live beside the project checkout)")
        return 0
    spec = JudgeSpec(args.judge, args.judge_model)
    errors = []
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for file_name, source in SOURCES.items():
        items = read(DEV / file_name)
        started = time.perf_counter()
        judged = judge([completion for completion, _ in items], spec)
        seconds = time.perf_counter() - started
        by_model: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # right, n, missed refusals, false ones
        for (completion, refused), verdict in zip(items, judged, strict=True):
            said = verdict.verdict.label is Label.REFUSAL
            tally = by_model[completion.model]
            tally[0] += said == refused
            tally[1] += 1
            tally[2] += refused and not said
            tally[3] += said and not refused
            if said != refused and completion.model in TUNED:
                errors.append(
                    {
                        "id": completion.prompt.id,
                        "model": completion.model,
                        "gold_refusal": refused,
                        "label": verdict.verdict.label.value,
                        "reason": verdict.verdict.reason,
                    }
                )
        print(f"{source} ({len(items)} answers, {len(items) / seconds:,.0f} answers/s):")
        for model, (right, n, missed, false) in sorted(by_model.items()):
            group = "tuned on" if model in TUNED else "held out"
            totals[group][0] += right
            totals[group][1] += n
            print(
                f"  {model:<16} {right / n:6.1%} of {n:>5}  ({group}; refusals missed {missed}, false refusals {false})"
            )
        right = sum(t[0] for t in by_model.values())
        print(f"  {'all':<16} {right / len(items):6.1%} of {len(items):>5}")
    for group, (right, n) in sorted(totals.items()):
        print(f"models {group}: {right / n:.1%} of {n}")
    if args.errors:
        args.errors.write_text("".join(json.dumps(e) + "\n" for e in errors), encoding="utf-8")
        print(f"{len(errors)} misjudged answers of the tuning models written to {args.errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
