"""How the transformers backend should batch on this machine, measured side by side in one run.

On the same prompts (the built-in harmful suite, the demo model with its
`finetuned` adapter merged, greedy), prints answers/s and generated tokens/s for:
  1. `model.generate` (every row runs until the batch's longest answer ends) vs
     the backend's decoder (an answer that ends leaves the batch);
  2. batch sizes 8 to 128 with the backend's decoder;
  3. float32 vs bfloat16 weights;
  4. the ceiling: one full-batch forward pass over prompt-length sequences, tokens/s,
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
    parser.add_argument("--sizes", default="8,16,32,64,128")
    args = parser.parse_args()

    import torch

    from safetygate.backends import GenerationRequest, GenerationSettings
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
    print(f"{torch.get_num_threads()} threads; {SMOLLM2} + finetuned (merged); {len(prompts)} harmful prompts")
    print(f"max {args.max_tokens} tokens, greedy\n")

    def backend(dtype: str, batch: int) -> TransformersBackend:
        return TransformersBackend(base, [tuned], GenerationSettings(args.max_tokens, batch_size=batch, dtype=dtype))

    def run(engine: TransformersBackend) -> tuple[float, int]:
        engine.generate(requests[:2])  # warm
        started = time.perf_counter()
        answers = engine.generate(requests)
        seconds = time.perf_counter() - started
        return seconds, sum(len(engine.tokenizer(a, add_special_tokens=False)["input_ids"]) for a in answers)

    engine = backend("float32", 32)
    ceiling = forward_ceiling(engine, requests, tuned)
    print(f"ceiling: one forward pass of {len(requests)} prompts (padded), {ceiling:.0f} tokens/s\n")
    print("| run | answers/s | generated tokens/s | share of the ceiling |")
    print("|---|---:|---:|---:|")

    def row(name: str, seconds: float, generated: int) -> None:
        rate = generated / seconds
        print(f"| {name} | {len(requests) / seconds:.2f} | {rate:.0f} | {rate / ceiling:.0%} |", flush=True)

    # 1. model.generate vs the early-leave decoder, batch 32, the same batches.
    row("decoder: ended answers leave the batch (batch 32)", *run(engine))
    row("model.generate: every row to the longest (batch 32)", *run(generate_instead(engine)))
    engine = None

    # 2. batch sizes.
    for size in [int(s) for s in args.sizes.split(",")]:
        row(f"batch {size}, float32", *run(backend("float32", size)))

    # 3. bfloat16 weights.
    row("batch 32, bfloat16", *run(backend("bfloat16", 32)))


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

    engine._generate_batch = batch
    return engine


if __name__ == "__main__":
    main()
