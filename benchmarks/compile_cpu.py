"""Does torch.compile pay for the gate's generation on a CPU? Eager against compiled, side by side.

The demo's base with its `finetuned` adapter merged (as the transformers
backend runs it), greedy, on the first `--prompts` built-in harmful prompts of
the demo's languages, `--max-tokens` new tokens. Prints, for eager and for
`torch.compile(dynamic=True)`: the first call (compilation included) and a
second call on the same prompts, and the answers' agreement. A gate run is
cold (one call per batch shape), so compilation pays only where the first
call is cheaper than eager's.

    python benchmarks/compile_cpu.py --prompts 32 --max-tokens 32
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=32)
    args = parser.parse_args()

    import torch
    from two_phase import demo_base

    from safetygate.backends import GenerationRequest
    from safetygate.backends.hf import TransformersBackend
    from safetygate.backends.model_files import read_adapter
    from safetygate.config import GenerationSettings, RunConfig
    from safetygate.demo import LANGUAGES, adapter
    from safetygate.suites import load_prompts

    tuned = read_adapter(adapter("finetuned"))
    prompts, _ = load_prompts(RunConfig(base=None, suites=("harmful",), languages=LANGUAGES, sample=20))
    requests = [GenerationRequest(p, tuned) for p in prompts[: args.prompts]]
    settings = GenerationSettings(max_tokens=args.max_tokens, dtype="float32")
    engine = TransformersBackend(demo_base(), [tuned], settings)
    with engine._running(tuned) as model:
        runs = {}
        for name in ("eager", "compiled"):
            if name == "compiled":
                model.forward = torch.compile(model.forward, dynamic=True)
            times, answers = [], None
            for _ in range(2):
                started = time.perf_counter()
                texts = [engine._render(r) for r in requests]
                prompts = engine.tokenizer(texts, add_special_tokens=False)["input_ids"]
                out = engine._generate_batch(model, prompts, requests)
                times.append(time.perf_counter() - started)
                answers = answers or out
            runs[name] = (times, answers)
            print(f"{name}: first call {times[0]:.1f}s, second call {times[1]:.1f}s", flush=True)
    same = sum(a == b for a, b in zip(runs["eager"][1], runs["compiled"][1]))
    (eager_first, eager_second), (compiled_first, compiled_second) = runs["eager"][0], runs["compiled"][0]
    print(
        f"compiled / eager: first call {compiled_first / eager_first:.2f}x,"
        f" second {compiled_second / eager_second:.2f}x; answers identical {same}/{len(requests)}"
    )


if __name__ == "__main__":
    main()
