"""What a full-model candidate costs next to the same fine-tune given as a LoRA adapter, on each backend.

The demo's `finetuned` adapter is merged into its base and saved as a full
model folder (what a team ships after `merge_and_unload`). The same `check`
then runs twice per backend, side by side in this run, each on a fresh
cache: once with `--candidate ADAPTER`, once with `--candidate MERGED`.
Printed per backend: wall time, engines loaded and their load times, peak
memory of the run (max RSS of the child process), answers per second, and
how many candidate answers the two runs share word for word (merging
changes float rounding, not the model).

    python benchmarks/checkpoint_cost.py [--sample 10] [--max-tokens 48] [--backends transformers,vllm]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GNU_TIME = Path("/usr/bin/time")


def merged_model(base: Path, adapter: Path, out: Path) -> Path:
    """base + adapter, merged and saved as a full model folder with the base's tokenizer files."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    merged = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    merged.save_pretrained(out, safe_serialization=True)
    for file in base.iterdir():  # tokenizer and chat template, exactly as the base has them
        if file.is_file() and not file.name.endswith(".safetensors") and not (out / file.name).exists():
            shutil.copy2(file, out / file.name)
    return out


def run_check(backend: str, candidate: Path, baseline: Path, out: Path, cache: Path, args) -> dict:
    """One `safetygate check` in a child process: wall time, peak memory and its results.json."""
    command = ["safetygate", "check", "--backend", backend, "--base", "smollm2-135m-instruct"]
    command += ["--baseline", str(baseline), "--candidate", str(candidate), "--policy", "quick"]
    command += ["--suite", "harmful", "--languages", "en,fr,de", "--sample", str(args.sample)]
    command += [
        "--max-tokens",
        str(args.max_tokens),
        "--dtype",
        "float32",
        "--out",
        str(out),
        "--cache-dir",
        str(cache),
    ]
    memory = out.with_suffix(".maxrss")
    if GNU_TIME.is_file():  # the largest resident set of the run's processes (vLLM runs its engine in a child)
        command = [str(GNU_TIME), "-f", "%M", "-o", str(memory), *command]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"check failed ({done.returncode}): {done.stderr.strip()[-1500:]}")
    peak = int(memory.read_text().split()[-1]) / 1024 if memory.is_file() else None
    result = json.loads((out / "results.json").read_text())
    answers = [json.loads(line)["response"] for line in (out / "candidate.jsonl").read_text().splitlines()]
    return {"wall": wall, "peak_mib": peak, "result": result, "answers": answers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=10, help="harmful items per language (en, fr, de)")
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--backends", default="transformers,vllm")
    args = parser.parse_args()

    from safetygate.backends import vllm_available
    from safetygate.demo import adapter
    from safetygate.generate.builtin_models import SMOLLM2, prepare
    from safetygate.generate.cache import default_cache_dir

    work = Path(tempfile.mkdtemp(prefix="safetygate-ckpt-"))
    base = prepare(SMOLLM2, default_cache_dir())
    aligned, finetuned = adapter("aligned"), adapter("finetuned")
    # `finetuned` is the aligned adapter trained further (not a second adapter on top): base + it is the candidate.
    merged = merged_model(base, finetuned, work / "finetuned-merged")
    size = sum(f.stat().st_size for f in merged.glob("*.safetensors")) / 2**20
    adapter_size = sum(f.stat().st_size for f in finetuned.glob("*.safetensors")) / 2**20
    print(f"machine: {os.cpu_count()} cores; {SMOLLM2}: merged folder {size:.0f} MiB, adapter {adapter_size:.0f} MiB")
    print(f"3 languages x {args.sample} harmful items, max {args.max_tokens} tokens, baseline = base + aligned\n")
    columns = ["backend", "candidate given as", "wall (s)", "engines loaded (s each)", "peak RSS (MiB)"]
    print("| " + " | ".join([*columns, "answers/s", "same answers"]) + " |")
    print("|---|---|---:|---|---:|---:|---:|")
    for backend in args.backends.split(","):
        if backend == "vllm" and not vllm_available():
            print("| vllm | (not installed) | | | | | |")
            continue
        runs = {}
        for label, candidate in (("adapter", finetuned), ("full model", merged)):
            out, cache = work / f"{backend}-{label.replace(' ', '-')}", work / f"cache-{backend}-{label[0]}"
            cache.mkdir()
            shutil.copytree(default_cache_dir() / "models", cache / "models")  # the prepared base only
            runs[label] = run_check(backend, candidate, aligned, out, cache, args)
        for label, run in runs.items():
            loads = run["result"]["run"]["engine_loads"]
            each = ", ".join(f"{load['seconds']:.1f}" for load in loads)
            same = sum(a == b for a, b in zip(run["answers"], runs["adapter"]["answers"]))
            peak = f"{run['peak_mib']:.0f}" if run["peak_mib"] else "-"
            print(
                f"| {backend} | {label} | {run['wall']:.1f} | {len(loads)} ({each}) | {peak} |"
                f" {run['result']['run']['answers_per_s']} | {same}/{len(run['answers'])} |"
            )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
