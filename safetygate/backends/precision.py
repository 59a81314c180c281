"""Which precision the transformers backend computes in, decided before the run so the cache key can name it.

On a CPU, bfloat16 matmuls are fast only where the cores have bfloat16
instructions (AVX512-BF16, AMX); elsewhere they run several times slower
than float32. Measured on 2 cores with AVX512-BF16 (SmolLM2-135M,
benchmarks/transformers_batching.py), bfloat16 ran prefill 2.2x to 2.7x and
decoding 1.6x faster than float32. `auto` takes bfloat16 on such CPUs,
float32 on others, and the model's own dtype on a GPU.
"""

from __future__ import annotations

from pathlib import Path

FAST_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_has_fast_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:  # not Linux: assume no bfloat16 instructions
        return False
    return any(flag in flags for flag in FAST_BF16_FLAGS)


def compute_dtype(requested: str, backend: str, on_gpu: bool) -> str:
    """The dtype `requested` resolves to for this backend and device ("auto" stays "auto" where it is the model's)."""
    if requested != "auto" or backend != "transformers" or on_gpu:
        return requested
    return "bfloat16" if cpu_has_fast_bf16() else "float32"
