"""Which precision the transformers backend computes in, decided before the run so the cache key can name it.

`auto` is float32 on a CPU (whatever dtype the model's files declare) and the
model's own dtype on a GPU. bfloat16 on a CPU is opt-in (`--dtype bfloat16`):
where the cores have bfloat16 instructions (AVX512-BF16, AMX) it generated
1.5x to 2x faster (2 cores, SmolLM2-135M, benchmarks/transformers_batching.py),
but a prompt's greedy answer then depends on which prompts share its batch
(padding changes the kernels' summation order): a run resumed after a kill,
a different --sample or another language list can change answers to the
same prompt. In float32 they did not, on every check we ran.
"""

from __future__ import annotations

DTYPES = ("auto", "bfloat16", "float16", "float32")


def compute_dtype(requested: str, backend: str, on_gpu: bool) -> str:
    """The dtype `requested` resolves to for this backend and device ("auto" stays "auto" where it is the model's)."""
    if requested != "auto" or backend != "transformers" or on_gpu:
        return requested
    return "float32"
