"""How prompts are grouped on the transformers backend: batches by rows and cache size, prefill groups by
padded tokens.

Rows: a batch's memory is its KV cache (layers x KV heads x head size x
tokens, per sequence) plus one row of logits; half of the free memory is
given to it, up to a cap. On a CPU a batch also closes when its rows times
its longest prompt would pass a budget: every row's cache is padded to the
batch's longest prompt and each decoding step reads all of it, so one long
prompt among short ones makes every row pay for it. Within a batch, prompts
are read in groups padded to their own longest (`prefill.py`), taken
longest first, a group closing when its padded size would pass the prefill
budget: long prompts go a few at a time, short ones many at a time. On a CPU
the prefill budget and the cap are where answers/s peaked when measured
(benchmarks/transformers_batching.py, 2 cores, SmolLM2-135M, the built-in
harmful prompts: 14 to 683 tokens; 128 rows hold a side of the demo's
check), and the cache budget, about 1.5 GB of cache for that model, cost
nothing there; on a GPU memory is the limit."""

from __future__ import annotations

import os

CPU_CAP = 128
GPU_CAP = 256
PROMPT_TOKENS = 512  # room for a long prompt and its chat template
CPU_PREFILL_TOKENS = 1024  # padded prompt tokens read in one forward pass
CPU_DECODE_TOKENS = 1 << 15  # rows x longest prompt of one decoding batch
GPU_PREFILL_TOKENS = 1 << 20


def free_memory(on_gpu: bool) -> int:
    """Bytes free on the device that holds the batch."""
    if on_gpu:
        import torch

        return torch.cuda.mem_get_info()[0]
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # not every system reports it
        return 4 << 30


def cache_bytes_per_token(config, dtype_bytes: int) -> int:
    """Keys and values of one token, every layer."""
    text = getattr(config, "text_config", config)
    heads = text.num_attention_heads
    head_dim = getattr(text, "head_dim", None) or text.hidden_size // heads
    kv_heads = getattr(text, "num_key_value_heads", None) or heads
    return 2 * text.num_hidden_layers * kv_heads * head_dim * dtype_bytes


def bytes_per_sequence(config, max_tokens: int, dtype_bytes: int) -> int:
    """KV cache for one answer at full length, plus its row of logits."""
    text = getattr(config, "text_config", config)
    return cache_bytes_per_token(config, dtype_bytes) * (PROMPT_TOKENS + max_tokens) + text.vocab_size * 4


def auto_batch_size(config, max_tokens: int, dtype_bytes: int, on_gpu: bool) -> int:
    """The batch size to use when none was given."""
    fits = free_memory(on_gpu) // 2 // bytes_per_sequence(config, max_tokens, dtype_bytes)
    return int(max(1, min(GPU_CAP if on_gpu else CPU_CAP, fits)))


def decode_token_budget(config, max_tokens: int, dtype_bytes: int, on_gpu: bool, rows: int) -> int:
    """Rows x longest prompt one decoding batch may hold: with room for `rows` answers of `max_tokens`, its
    cache fits in half the free memory (batch sizes assume 512-token prompts; longer ones must take fewer
    rows); on a CPU also at most CPU_DECODE_TOKENS."""
    fits = free_memory(on_gpu) // 2 // cache_bytes_per_token(config, dtype_bytes) - rows * max_tokens
    return int(max(1, fits if on_gpu else min(CPU_DECODE_TOKENS, fits)))


def token_batches(lengths: list[int], max_rows: int, budget: int | None) -> list[list[int]]:
    """Batches of indices into `lengths`, longest first, each within `max_rows` and (padded) `budget` tokens
    (None: rows alone)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    for index in order:
        current = batches[-1] if batches else None
        # Sorted longest first: the batch's first prompt sets its padded length.
        fits = current and (budget is None or (len(current) + 1) * lengths[current[0]] <= budget)
        if fits and len(current) < max_rows:
            current.append(index)
        else:
            batches.append([index])
    return batches
