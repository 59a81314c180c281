"""How good is a judge? Accuracy on a labelled set: responses lines plus a `"gold"` label.

The project's own set lives in `benchmarks/judge_eval/` (one file per
language); users can measure a judge on theirs the same way.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ResponsesError
from ..fileio import read_jsonl
from ..proportions import wilson_interval
from ..records import Completion, Judged, Label
from ..response_files import completion_line, read_responses

LABELS = (Label.REFUSAL, Label.COMPLIANCE, Label.UNCLEAR)


@dataclass(frozen=True, slots=True)
class Labelled:
    completion: Completion
    gold: Label


@dataclass(frozen=True, slots=True)
class JudgeScore:
    total: int
    correct: int
    confusion: dict[Label, Counter]  # gold -> predicted counts
    per_language: dict[str, tuple[int, int]]  # language -> (correct, total)
    # (a line's `case`, the form of the answer: "question_help", "plain_refusal"; its gold label) -> what the
    # judge said of those answers; empty when no line names a case.
    per_case: dict[tuple[str, Label], Counter]
    disagreements: list[tuple[Labelled, Judged]]
    seconds: float

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def precision(self, label: Label) -> float | None:
        predicted = sum(row[label] for row in self.confusion.values())
        return self.confusion[label][label] / predicted if predicted else None

    def recall(self, label: Label) -> float | None:
        actual = sum(self.confusion[label].values())
        return self.confusion[label][label] / actual if actual else None

    @property
    def answers_per_s(self) -> float:
        return self.total / self.seconds if self.seconds > 0 else float("inf")


def labelled_files(path: Path) -> list[Path]:
    """A labelled file, or every `*.jsonl` in a folder."""
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise ResponsesError(f"{path}: no .jsonl files in folder")
        return files
    if not path.is_file():
        raise ResponsesError(f"{path}: no such file or folder")
    return [path]


def read_labelled(path: Path) -> list[Labelled]:
    """Responses lines with a valid `gold` label; errors name the file and line."""
    items: list[Labelled] = []
    for file in labelled_files(path):
        completions = read_responses(file)
        golds = [(lineno, obj.get("gold")) for lineno, obj in read_jsonl(file, ResponsesError)]
        for completion, (lineno, gold) in zip(completions, golds, strict=True):
            try:
                label = Label(gold)
            except ValueError:
                raise ResponsesError(
                    f"{file}:{lineno}: gold: expected one of refusal, compliance, unclear (got {gold!r})"
                ) from None
            extra = {k: v for k, v in completion.extra.items() if k != "gold"}
            items.append(Labelled(Completion(completion.prompt, completion.model, completion.response, extra), label))
    return items


def score_judge(items: Sequence[Labelled], judge: Callable[[list[Completion]], list[Judged]]) -> JudgeScore:
    """Run the judge over every item and tally agreement with the gold labels."""
    started = time.perf_counter()
    judged = judge([item.completion for item in items])
    seconds = time.perf_counter() - started
    confusion: dict[Label, Counter] = {label: Counter() for label in LABELS}
    per_language: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_case: dict[tuple[str, Label], Counter] = defaultdict(Counter)
    disagreements = []
    for item, verdict in zip(items, judged, strict=True):
        predicted = verdict.verdict.label
        confusion[item.gold][predicted] += 1
        tally = per_language[item.completion.prompt.language]
        tally[1] += 1
        if predicted is item.gold:
            tally[0] += 1
        else:
            disagreements.append((item, verdict))
        case = item.completion.extra.get("case")
        if isinstance(case, str) and case:
            per_case[case, item.gold][predicted] += 1
    correct = sum(confusion[label][label] for label in LABELS)
    return JudgeScore(
        len(items),
        correct,
        confusion,
        {k: (v[0], v[1]) for k, v in sorted(per_language.items())},
        dict(sorted(per_case.items(), key=lambda row: (row[0][0], row[0][1].value))),
        disagreements,
        seconds,
    )


def _pct(x: float | None) -> str:
    return "  -  " if x is None else f"{x:6.1%}"


def _interval(correct: int, total: int) -> str:
    """The 95% Wilson interval of an accuracy: a language's hundred answers pin it down to about ±6 points."""
    low, high = wilson_interval(correct, total)
    return f"{low:.1%}–{high:.1%}"


def format_score(score: JudgeScore, judge_name: str) -> str:
    """The printed summary: accuracy, per-class precision/recall, confusion matrix, per-language accuracy, and
    per case where lines name one."""
    lines = [
        f"judge {judge_name}: {score.correct}/{score.total} correct, accuracy {score.accuracy:.1%}"
        f" (95% interval {_interval(score.correct, score.total)}; {score.answers_per_s:,.0f} answers/s)",
        "",
        f"{'class':<12}{'precision':>10}{'recall':>10}{'gold n':>8}",
    ]
    for label in LABELS:
        lines.append(
            f"{label.value:<12}{_pct(score.precision(label)):>10}{_pct(score.recall(label)):>10}"
            f"{sum(score.confusion[label].values()):>8}"
        )
    lines += [
        "",
        "confusion (rows: gold, columns: judged)",
        f"{'':<12}" + "".join(f"{label.value:>12}" for label in LABELS),
    ]
    for gold in LABELS:
        lines.append(f"{gold.value:<12}" + "".join(f"{score.confusion[gold][p]:>12}" for p in LABELS))
    lines += ["", f"{'language':<10}{'accuracy':>10}{'95% interval':>16}{'n':>6}"]
    for language, (correct, total) in score.per_language.items():
        lines.append(f"{language:<10}{correct / total:>10.1%}{_interval(correct, total):>16}{total:>6}")
    if score.per_case:
        # Where a judge errs by the form of an answer: help asked as a question, a decline that never says no.
        names = {key: f"{key[0]} ({key[1].value})" for key in score.per_case}
        width = max(len(name) for name in names.values()) + 2
        said_columns = "".join(f"{label.value:>12}" for label in LABELS)
        lines += ["", f"{'case (gold)':<{width}}{'accuracy':>10}{'n':>6}{said_columns}"]
        for (case, gold), said in score.per_case.items():
            total = sum(said.values())
            counts = "".join(f"{said[label]:>12}" for label in LABELS)
            lines.append(f"{names[case, gold]:<{width}}{said[gold] / total:>10.1%}{total:>6}{counts}")
    return "\n".join(lines)


def disagreement_lines(score: JudgeScore) -> list[dict]:
    """The items the judge got wrong, in the labelled format plus what it said and why."""
    return [
        {
            **completion_line(item.completion),
            "gold": item.gold.value,
            "label": judged.verdict.label.value,
            "reason": judged.verdict.reason,
            "response_language": judged.verdict.response_language,
        }
        for item, judged in score.disagreements
    ]
