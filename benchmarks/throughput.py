"""Throughput of the gate's generation, measured on whatever machine runs it.

Prints, for the same model, prompts and greedy settings:
  1. transformers (batched) vs vLLM: prompts/s and tokens/s, engine load excluded; and for
     transformers, the adapter side with the adapter merged into the weights vs applied per layer;
  2. one vLLM engine serving both sides as LoRA requests vs two separate
     engine loads (baseline engine, then candidate engine): wall time with loads;
  3. `check` on the demo's pair (aligned baseline, finetuned candidate; 6 languages x 20 harmful
     prompts; fresh cache) with transformers and with vLLM: answers/s cold, then a cached rerun;
  4. this machine's ceiling for the model (one full-batch forward pass, tokens/s) and the
     generated tokens/s of each run above as a share of it.
Each comparison is a ratio measured in this run.

    python benchmarks/throughput.py                       # the demo's model and adapter (the demo extra)
    python benchmarks/throughput.py --model PATH --adapter PATH --prompts 400 --max-tokens 128
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from ceiling import forward_ceiling


def requests_for(n: int, adapter):
    from safetygate.backends import GenerationRequest
    from safetygate.suites import load_suite

    prompts = list(load_suite("starter").prompts)
    return [GenerationRequest(prompts[i % len(prompts)], adapter) for i in range(n)]


def tokens(tokenizer, answers: list[str]) -> int:
    return sum(len(tokenizer(a, add_special_tokens=False)["input_ids"]) for a in answers)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="base model folder (default: the built-in SmolLM2-135M-Instruct)")
    parser.add_argument("--adapter", type=Path, help="LoRA adapter for the candidate side (default: the demo's)")
    parser.add_argument("--prompts", type=int, default=90, help="prompts per side")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--batch-size", type=int, help="transformers batch size (default: the backend's choice)")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--check-sample", type=int, default=20, help="harmful prompts per language in the check runs")
    args = parser.parse_args()
    args.default_pair = args.model is None

    from transformers import AutoTokenizer

    from safetygate.backends import GenerationSettings, vllm_available
    from safetygate.backends.hf import TransformersBackend
    from safetygate.backends.model_files import read_adapter

    work = Path(tempfile.mkdtemp(prefix="safetygate-bench-"))
    if args.model is None:
        from safetygate.demo import adapter as demo_adapter
        from safetygate.generate.builtin_models import SMOLLM2, prepare
        from safetygate.generate.cache import default_cache_dir

        args.model = prepare(SMOLLM2, default_cache_dir())
        args.adapter = args.adapter or demo_adapter("finetuned")
    adapter = read_adapter(args.adapter)
    settings = GenerationSettings(max_tokens=args.max_tokens, batch_size=args.batch_size, dtype=args.dtype)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    base_requests = requests_for(args.prompts, None)
    both = base_requests + requests_for(args.prompts, adapter)
    print(f"model {args.model}, adapter {args.adapter}, {args.prompts} prompts a side, max {args.max_tokens} tokens")

    hf, hf_load = timed(lambda: TransformersBackend(args.model, [adapter], settings))
    hf_answers, hf_gen = timed(lambda: hf.generate(both))
    hf_tokens = tokens(tokenizer, hf_answers)
    print(f"transformers: load {hf_load:.1f}s, {len(both) / hf_gen:.2f} prompts/s, {hf_tokens / hf_gen:.1f} tokens/s")
    tuned = both[len(base_requests) :]
    _, merged_s = timed(lambda: hf.generate(tuned))
    hf = None  # free the model before loading the next
    per_layer = TransformersBackend(args.model, [adapter], settings, merge=False)
    per_layer.generate(tuned[:1])  # warm, as the merged backend already is
    _, per_layer_s = timed(lambda: per_layer.generate(tuned))
    per_layer = None
    print(
        f"  adapter side: merged {merged_s:.1f}s, applied per layer {per_layer_s:.1f}s;"
        f" ratio {per_layer_s / merged_s:.2f}x"
    )

    if not vllm_available():
        print("vLLM not installed: its rows are skipped (pip install 'safetygate[gpu]' or '[cpu]')")
    else:
        from safetygate.backends.vllm_engine import VLLMBackend

        one, one_load = timed(lambda: VLLMBackend(args.model, [adapter], settings))
        answers, one_gen = timed(lambda: one.generate(both))
        v_tokens = tokens(tokenizer, answers)
        print(f"vLLM: load {one_load:.1f}s, {len(both) / one_gen:.2f} prompts/s, {v_tokens / one_gen:.1f} tokens/s")
        print(
            f"  ratio vLLM / transformers: {hf_gen / one_gen:.2f}x prompts/s,"
            f" {(v_tokens / one_gen) / (hf_tokens / hf_gen):.2f}x tokens/s"
        )
        one.close()

        def two_engines() -> None:
            for adapters, requests in (([], base_requests), ([adapter], both[len(base_requests) :])):
                engine = VLLMBackend(args.model, adapters, settings)
                engine.generate(requests)
                engine.close()

        _, two_wall = timed(two_engines)
        one_wall = one_load + one_gen
        print(
            f"one engine, two LoRA sides: {one_wall:.1f}s with load; two engine loads: {two_wall:.1f}s;"
            f" ratio {two_wall / one_wall:.2f}x"
        )

    from safetygate.config import RunConfig
    from safetygate.pipeline import run_gate

    ceiling_engine = TransformersBackend(args.model, [adapter], settings)
    with ceiling_engine._running(adapter) as model:
        ceiling = forward_ceiling(ceiling_engine, model, both)
    ceiling_engine = None
    print(f"ceiling: one forward pass over {len(both)} padded prompts, {ceiling:.0f} tokens/s")
    print(f"  shares: transformers generation {hf_tokens / hf_gen / ceiling:.0%}", end="")
    print(f", vLLM generation {v_tokens / one_gen / ceiling:.0%}" if vllm_available() else "")

    baseline = None
    if args.default_pair:
        from safetygate.demo import LANGUAGES
        from safetygate.demo import adapter as demo_adapter

        baseline = demo_adapter("aligned")
    for backend in ["transformers", *(["vllm"] if vllm_available() else [])]:
        config = RunConfig(
            base=args.model,
            baseline=baseline,
            candidates=(args.adapter,),
            suites=("harmful",),
            languages=LANGUAGES if args.default_pair else (),
            sample=args.check_sample,
            policy="quick",
            allow_underpowered=True,
            backend=backend,
            settings=GenerationSettings(max_tokens=args.max_tokens, dtype=args.dtype),
            out_dir=work / f"out-{backend}",
            cache_dir=work / f"cache-{backend}",
        )
        cold, cold_s = timed(lambda config=config: run_gate(config))
        warm, warm_s = timed(lambda config=config: run_gate(config))
        answers = sum(cold.result.run.cache.generated.values())
        written = [line for line in (work / f"out-{backend}").glob("*.jsonl")]
        generated = sum(
            len(tokenizer(json.loads(line)["response"], add_special_tokens=False)["input_ids"])
            for path in written
            for line in path.read_text().splitlines()
        )
        print(
            f"check ({backend}): {answers} answers, cold {cold_s:.1f}s ({answers / cold_s:.2f} answers/s with model"
            f" load, {generated / cold_s:.0f} tokens/s = {generated / cold_s / ceiling:.0%} of the ceiling);"
            f" cached rerun {warm_s:.1f}s; ratio {cold_s / warm_s:.1f}x"
        )


if __name__ == "__main__":  # guarded: vLLM spawns processes that re-import this module
    main()
