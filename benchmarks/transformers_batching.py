"""What makes the transformers backend fast on this machine, each step measured side by side in one run.

On the same prompts (the built-in harmful suite, the demo model with its
`finetuned` adapter merged, greedy, float32 unless named), prints answers/s
and generated tokens/s, each step added to the ones above it:
  1. `model.generate` on padded batches of 32 (every row runs until the batch's longest answer ends);
  2. the backend's decoder: an answer that ends leaves the batch;
  3. grouped-query attention that reads the KV cache without copying it;
  4. a KV cache written in place (transformers' own grows by copying itself every token);
  5. prompts read in groups of their own length (`--prefill-tokens`) instead of padded to the batch's longest;
  6. the prefix every prompt shares (chat template, system prompt) read once;
  7. rows per batch (`--sizes`);
  8. a batch also bounded by rows x its longest prompt (the backend's CPU default);
  9. bfloat16;
and the ceiling: one full-batch forward pass over the prompts, tokens/s per dtype, and each run's
generated tokens/s as a share of it. Every row's answers are compared with row 1's.

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
    parser.add_argument("--sizes", default="32,64,128")
    parser.add_argument("--prefill-tokens", default="2048,512")
    args = parser.parse_args()

    import torch

    from safetygate.backends import GenerationRequest, GenerationSettings, attention, batching, prefill
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
    grouped_queries, merging, shared = attention.uses_grouped_queries, prefill.supports_merging, prefill.MIN_SHARED
    print(f"{torch.get_num_threads()} threads; {SMOLLM2} + finetuned (merged); {len(prompts)} harmful prompts")
    print(f"max {args.max_tokens} tokens, greedy\n")

    def backend(
        dtype="float32", rows=32, grouped=True, in_place=True, prefill_tokens=1 << 30, share=True, decode_tokens=None
    ):
        attention.uses_grouped_queries = grouped_queries if grouped else (lambda config: False)
        prefill.supports_merging = merging if in_place else (lambda cache: False)
        prefill.MIN_SHARED = shared if share else 1 << 30
        engine = TransformersBackend(base, [tuned], GenerationSettings(args.max_tokens, batch_size=rows, dtype=dtype))
        engine.prefill_tokens, engine.decode_tokens = prefill_tokens, decode_tokens
        return engine

    reference: list[str] = []

    def run(name: str, engine: TransformersBackend) -> None:
        engine.generate(requests[:2])  # warm
        started = time.perf_counter()
        answers = engine.generate(requests)
        seconds = time.perf_counter() - started
        generated = sum(len(engine.tokenizer(a, add_special_tokens=False)["input_ids"]) for a in answers)
        reference[:] = reference or answers
        same = sum(a == b for a, b in zip(answers, reference))
        rate, dtype = generated / seconds, engine.settings.dtype
        print(
            f"| {name} | {len(requests) / seconds:.2f} | {rate:.0f} | {rate / ceilings[dtype]:.0%} |"
            f" {same}/{len(requests)} |",
            flush=True,
        )

    ceilings = {}
    for dtype in ("float32", "bfloat16"):
        engine = backend(dtype)
        with engine._running(tuned) as model:
            ceilings[dtype] = forward_ceiling(engine, model, requests[:32])
        print(f"ceiling, {dtype}: one forward pass of 32 padded prompts, {ceilings[dtype]:.0f} tokens/s")
    print("\n| run (each adds to those above) | answers/s | generated tokens/s | share of ceiling | same answers |")
    print("|---|---:|---:|---:|---:|")
    old = dict(grouped=False, in_place=False)
    run("`model.generate`, padded batches of 32", generate_instead(backend(**old)))
    run("ended answers leave the batch", backend(**old))
    run("grouped-query attention", backend(in_place=False))
    run("KV cache written in place", backend(share=False))
    for budget in [int(s) for s in args.prefill_tokens.split(",")]:
        run(f"prompts read in groups of {budget} padded tokens", backend(prefill_tokens=budget, share=False))
    budget = int(args.prefill_tokens.split(",")[-1])
    run("shared prefix read once", backend(prefill_tokens=budget))
    for rows in [int(s) for s in args.sizes.split(",")]:
        run(f"{rows} rows a batch", backend(rows=rows, prefill_tokens=budget))
    cache = batching.CPU_DECODE_TOKENS
    run(f"... and rows x longest prompt <= {cache}", backend(rows=rows, prefill_tokens=budget, decode_tokens=cache))
    run("bfloat16", backend("bfloat16", rows=rows, prefill_tokens=budget, decode_tokens=cache))


def generate_instead(engine):
    """The same backend, its batches decoded by `model.generate` on one left-padded batch."""
    import torch

    def batch(model, prompts: list[list[int]], requests) -> list[str]:
        encoded = engine.tokenizer.pad({"input_ids": prompts}, return_tensors="pt")
        with torch.inference_mode():
            output = model.generate(
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

    engine._generate_batch = batch
    return engine


if __name__ == "__main__":
    main()
