"""What the tests of both n-gram readers read: their shipped weights files, the answers of the sets held out
from them, and what their training scripts make today."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

from safetygate.judge.evaluation import read_labelled

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "benchmarks" / "judge_eval"
sys.path.insert(0, str(ROOT / "benchmarks"))  # the training scripts: what they read is what the weights saw


def record(weights: Path) -> dict:
    """A weights file's whole record (bias, weights, trained_on, held_out, ...)."""
    return json.loads(gzip.decompress(weights.read_bytes()))


def answer_keys(items) -> set[tuple[str, str, str]]:
    """(id, language, answer) of labelled items: the same answer in any set has the same key."""
    return {(i.completion.prompt.id, i.completion.prompt.language, i.completion.response) for i in items}


def held_out_answers(held_out: list[str]) -> set[tuple[str, str, str]]:
    """The answers of the held-out sets, named as in a weights file ("plain7", "real:finetuned")."""
    return answer_keys(
        item
        for name in held_out
        for item in read_labelled(EVAL / name.partition(":")[0])
        if item.completion.prompt.id.startswith(name.partition(":")[2])
    )


def retrained(script: str, tmp_path: Path) -> dict:
    """The record the training script `benchmarks/<script>` writes today."""
    out = tmp_path / "weights.json.gz"
    subprocess.run([sys.executable, f"benchmarks/{script}", "--out", str(out)], check=True, cwd=ROOT)
    return record(out)
