"""Which backend `auto` runs, and how big a transformers batch is when none is given: pure logic."""

from types import SimpleNamespace

import pytest

import safetygate.backends as backends
from safetygate.backends import batching

SMOLLM2 = SimpleNamespace(
    num_attention_heads=9, num_key_value_heads=3, head_dim=64, hidden_size=576, num_hidden_layers=30, vocab_size=49152
)


@pytest.mark.parametrize(
    ("installed", "gpu", "chosen", "why"),
    [
        (False, False, "transformers", "vLLM is not installed"),
        (True, True, "vllm", "on the GPU"),
        (True, False, "transformers", "no GPU"),
    ],
)
def test_auto_takes_vllm_on_a_gpu_and_transformers_on_a_cpu(monkeypatch, installed, gpu, chosen, why):
    monkeypatch.setattr(backends, "vllm_available", lambda: installed)
    monkeypatch.setattr(backends, "on_gpu", lambda: gpu)
    name, reason = backends.resolve_backend("auto")
    assert name == chosen and why in reason
    assert backends.resolve_backend("vllm") == ("vllm", "vllm: chosen with --backend")


def test_a_sequence_costs_its_kv_cache_at_full_length_and_a_row_of_logits():
    per_token = 2 * 30 * 3 * 64 * 4  # keys and values, every layer, float32
    assert batching.bytes_per_sequence(SMOLLM2, 64, 4) == per_token * (batching.PROMPT_TOKENS + 64) + 49152 * 4


def test_the_batch_is_capped_on_a_cpu_and_shrinks_to_what_memory_holds(monkeypatch):
    monkeypatch.setattr(batching, "free_memory", lambda on_gpu: 64 << 30)
    assert batching.auto_batch_size(SMOLLM2, 64, 4, on_gpu=False) == batching.CPU_CAP
    assert batching.auto_batch_size(SMOLLM2, 64, 4, on_gpu=True) == batching.GPU_CAP
    one = batching.bytes_per_sequence(SMOLLM2, 64, 4)
    monkeypatch.setattr(batching, "free_memory", lambda on_gpu: 10 * one * 2)  # half is given to the batch
    assert batching.auto_batch_size(SMOLLM2, 64, 4, on_gpu=False) == 10
    monkeypatch.setattr(batching, "free_memory", lambda on_gpu: 0)
    assert batching.auto_batch_size(SMOLLM2, 64, 4, on_gpu=False) == 1


def test_prompts_are_batched_longest_first_within_the_rows_and_the_padded_token_budget():
    lengths = [10, 400, 50, 60, 300, 20]
    # 400 alone (two rows would pad to 800 > 500); 300 alone; 60, 50, 20, 10 pad to 60 each: 4 x 60 = 240 tokens.
    assert batching.token_batches(lengths, max_rows=8, budget=500) == [[1], [4], [3, 2, 5, 0]]
    assert batching.token_batches(lengths, max_rows=2, budget=10_000) == [[1, 4], [3, 2], [5, 0]]
    assert batching.token_batches([900], max_rows=4, budget=100) == [[0]]  # a prompt over the budget still runs
    assert batching.token_batches(lengths, max_rows=4, budget=None) == [[1, 4, 3, 2], [5, 0]]  # rows alone


def test_the_shared_prefix_leaves_every_prompt_a_token_of_its_own():
    from safetygate.backends.prefill import shared_prefix

    assert shared_prefix([[1, 2, 3, 4], [1, 2, 3, 5], [1, 2, 9]]) == 2
    assert shared_prefix([[1, 2, 3], [1, 2, 3, 4]]) == 2  # the shorter one keeps its last token
    assert shared_prefix([[7, 8]]) == 1
    assert shared_prefix([[1, 2], [3, 4]]) == 0


def test_a_decoding_batch_of_long_prompts_takes_the_rows_its_cache_fits(monkeypatch):
    per_token = batching.cache_bytes_per_token(SMOLLM2, 4)
    monkeypatch.setattr(batching, "free_memory", lambda on_gpu: 2 * per_token * (100_000 + 8 * 64))
    # Half the free memory holds 100,000 prompt tokens once 8 answers of 64 have their room.
    assert batching.decode_token_budget(SMOLLM2, 64, 4, on_gpu=True, rows=8) == 100_000
    assert batching.decode_token_budget(SMOLLM2, 64, 4, on_gpu=False, rows=8) == batching.CPU_DECODE_TOKENS
    lengths = [4_000] * 40 + [100] * 40
    batches = batching.token_batches(lengths, 256, batching.decode_token_budget(SMOLLM2, 64, 4, True, 8))
    assert [len(b) for b in batches] == [25, 25, 30]  # 25 rows of 4,000-token caches at most, then the rest
    monkeypatch.setattr(batching, "free_memory", lambda on_gpu: 0)
    assert batching.decode_token_budget(SMOLLM2, 64, 4, on_gpu=True, rows=8) == 1  # one prompt a batch still runs
