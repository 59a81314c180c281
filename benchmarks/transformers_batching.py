"""How the transformers backend should batch on this machine, measured side by side in one run.

On the same prompts (the built-in harmful suite, the demo model with its
`finetuned` adapter merged, greedy), prints answers/s and generated tokens/s for:
  1. `model.generate` (every row runs until the batch's longest answer ends) vs
     the backend's decoder (an answer that ends leaves the batch);
  2. transformers' SDPA attention vs grouped-query attention without the KV-cache copy;
  3. float32 vs bfloat16;
  4. rows per batch, and the padded-token budget that closes a batch;
  5. the ceiling: one full-batch forward pass over the prompts, tokens/s per dtype,
     and each run's generated tokens/s as a share of it.

    python benchmarks/transformers_batching.py [--prompts 96] [--max-tokens 64]
"""

from __future__ import annotations

import argparse
import time

from ceiling import forward_ceiling


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=96)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--sizes", default="16,32,64")
    parser.add_argument("--budgets", default="1024,2048,4096,8192")
    parser.add_argument("--skip-baselines", action="store_true", help="only the batching rows (4.)")
    args = parser.parse_args()

    import torch

    from safetygate.backends import GenerationRequest, GenerationSettings, attention
    from safetygate.backends.hf import TransformersBackend
    from safetygate.backends.model_files import read_adapter
    from safetygate.demo import adapter
    from safetygate.generate.builtin_models import SMOLLM2, prepare
    from safetygate.generate.cache import default_cache_dir
    from safetygate.suites import load_suite

    base = prepare(SMOLLM2, default_cache_dir())
    tuned = read_adapter(adapter("finetuned"))
    harmful = [p for p in load_suite("harmful").prompts if p.kind.value == "harmful"]
    prompts = [harmful[(i * 37) % len(harmful)] for i in range(args.prompts)]  # spread over languages
    requests = [GenerationRequest(p, tuned) for p in prompts]
    detect = attention.uses_grouped_queries
    print(f"{torch.get_num_threads()} threads; {SMOLLM2} + finetuned (merged); {len(prompts)} harmful prompts")
    print(f"max {args.max_tokens} tokens, greedy\n")

    def backend(dtype: str, batch: int, grouped: bool = True) -> TransformersBackend:
        attention.uses_grouped_queries = detect if grouped else (lambda config: False)
        settings = GenerationSettings(args.max_tokens, batch_size=batch, dtype=dtype)
        engine = TransformersBackend(base, [tuned], settings)
        engine.token_budget = 1 << 30  # rows alone decide, unless a row below sets a budget
        return engine

    def run(engine: TransformersBackend) -> tuple[float, int]:
        engine.generate(requests[:2])  # warm
        started = time.perf_counter()
        answers = engine.generate(requests)
        seconds = time.perf_counter() - started
        return seconds, sum(len(engine.tokenizer(a, add_special_tokens=False)["input_ids"]) for a in answers)

    ceilings = {}
    for dtype in ("float32", "bfloat16"):
        engine = backend(dtype, 32)
        with engine._running(tuned) as model:
            ceilings[dtype] = forward_ceiling(engine, model, requests[:32])
        print(f"ceiling, {dtype}: one forward pass of 32 padded prompts, {ceilings[dtype]:.0f} tokens/s")
    print("\n| run | answers/s | generated tokens/s | share of the ceiling (same dtype) |")
    print("|---|---:|---:|---:|")

    def row(name: str, dtype: str, seconds: float, generated: int) -> None:
        rate = generated / seconds
        share = rate / ceilings[dtype]
        print(f"| {name} | {len(requests) / seconds:.2f} | {rate:.0f} | {share:.0%} |", flush=True)

    # 1. the decoder: model.generate vs ended answers leaving the batch (float32, transformers' SDPA).
    if args.skip_baselines:
        return batching_rows(args, backend, run, row)
    row("float32, SDPA, model.generate (batch 32)", "float32", *run(generate_instead(backend("float32", 32, False))))
    row("float32, SDPA, ended answers leave the batch", "float32", *run(backend("float32", 32, False)))
    # 2. attention: grouped queries read the KV cache without copying it.
    row("float32, grouped-query attention", "float32", *run(backend("float32", 32)))
    # 3. precision.
    row("bfloat16, grouped-query attention", "bfloat16", *run(backend("bfloat16", 32)))
    batching_rows(args, backend, run, row)


def batching_rows(args, backend, run, row) -> None:
    """4. batching: rows per batch, and the padded-token budget that closes a batch (bfloat16, the fastest here)."""
    dtype = "bfloat16"
    for size in [int(s) for s in args.sizes.split(",")]:
        engine = backend(dtype, size)
        row(f"{dtype}, grouped, batch {size}, no token budget", dtype, *run(engine))
    for budget in [int(s) for s in args.budgets.split(",")]:
        engine = backend(dtype, 64)
        engine.token_budget = budget
        row(f"{dtype}, grouped, up to 64 rows, budget {budget} tokens", dtype, *run(engine))


def generate_instead(engine):
    """The same backend, its batches decoded by `model.generate` (what the backend did before)."""
    import torch

    def batch(texts: list[str]) -> list[str]:
        encoded = engine.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.inference_mode():
            output = engine.model.generate(
                **encoded,
                max_new_tokens=engine.settings.max_tokens,
                do_sample=False,
                pad_token_id=engine.tokenizer.pad_token_id,
                temperature=None,
                top_p=None,
                top_k=None,
            )
        new = output[:, encoded["input_ids"].shape[1] :]
        return [t.strip() for t in engine.tokenizer.batch_decode(new, skip_special_tokens=True)]

    engine._generate_batch = lambda model, texts: batch(texts)
    return engine


if __name__ == "__main__":
    main()
