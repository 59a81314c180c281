"""Greedy decoding where ended answers leave the batch: the same tokens `model.generate` picks, on a tiny real model."""

import pytest

pytestmark = pytest.mark.slow


def _generate_reference(model, tokenizer, texts: list[str], max_new_tokens: int):
    """What `model.generate` answers on one left-padded batch, stopping on tokens the rows pick at different
    steps (random weights rarely pick the end token); and those stop tokens."""
    import torch

    batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    width = batch["input_ids"].shape[1]
    with torch.inference_mode():
        reference = model.generate(
            **batch, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id
        )
        stops = {row[k] for row, k in zip(reference[:, width:].tolist(), (3, 7, 11, 15))}
        reference = model.generate(
            **batch,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=sorted(stops),
        )
    expected = []
    for row in reference[:, width:].tolist():
        cut = next((i for i, t in enumerate(row) if t in stops), len(row))
        expected.append(row[:cut])
    return expected, stops


SYSTEM = "<|im_start|>system\nYou are a careful assistant who answers in plain words.<|im_end|>\n"


@pytest.mark.parametrize("prefill_tokens", [1 << 20, 40])
def test_answers_match_generate_when_rows_end_at_different_steps(tiny_model, prefill_tokens):
    """One padded group, and (40) prompts read in several groups after their shared system turn, then decoded
    together in the cache written in place: the tokens `generate` picks either way."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from safetygate.backends import prefill
    from safetygate.backends.greedy import greedy_decode

    tokenizer = AutoTokenizer.from_pretrained(tiny_model, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32).eval()
    texts = [
        f"{SYSTEM}<|im_start|>user\n{'tell me more ' * n}how?<|im_end|>\n<|im_start|>assistant\n" for n in range(1, 13)
    ]
    expected, stops = _generate_reference(model, tokenizer, texts, 24)
    prompts = tokenizer(texts, add_special_tokens=False)["input_ids"]
    assert prefill.shared_prefix(prompts) >= prefill.MIN_SHARED  # the system turn is read once
    got = greedy_decode(model, prompts, 24, stops, tokenizer.pad_token_id, prefill_tokens)
    assert got == expected
    assert len({len(row) for row in got}) >= 3  # rows really ended at different steps (some rode along ended)


def test_a_sliding_window_model_reads_its_prompts_as_one_padded_batch(tmp_path):
    """A cache that is not one plain tensor per layer is not laid out anew: the batch decodes as `generate` does."""
    import torch
    from tiny_models import build_tokenizer
    from transformers import AutoModelForCausalLM, DynamicCache, MistralConfig, MistralForCausalLM

    from safetygate.backends.greedy import greedy_decode
    from safetygate.backends.kv_cache import supports_merging

    tokenizer = build_tokenizer(tmp_path)
    tokenizer.padding_side = "left"
    config = MistralConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        sliding_window=12,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    MistralForCausalLM(config).save_pretrained(tmp_path)
    model = AutoModelForCausalLM.from_pretrained(tmp_path, dtype=torch.float32).eval()
    assert not supports_merging(DynamicCache(config=model.config))
    texts = [f"{SYSTEM}<|im_start|>user\n{'why ' * n}?<|im_end|>\n" for n in range(1, 6)]
    expected, stops = _generate_reference(model, tokenizer, texts, 20)
    prompts = tokenizer(texts, add_special_tokens=False)["input_ids"]
    assert greedy_decode(model, prompts, 20, stops, tokenizer.pad_token_id, 16) == expected


def test_grouped_query_attention_matches_sdpa_without_copying_the_cache(tmp_path):
    import torch
    from tiny_models import build_tokenizer
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

    from safetygate.backends import attention
    from safetygate.backends.greedy import greedy_decode

    tokenizer = build_tokenizer(tmp_path)
    tokenizer.padding_side = "left"
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,  # two query heads share each key/value head
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(tmp_path)
    assert attention.uses_grouped_queries(config)
    models = {
        impl: AutoModelForCausalLM.from_pretrained(tmp_path, dtype=torch.float32, attn_implementation=impl).eval()
        for impl in ("sdpa", attention.register())
    }
    padded = tokenizer(["a much longer question about the sea", "hi"], return_tensors="pt", padding=True)
    alone = tokenizer(["a much longer question about the sea"], return_tensors="pt")  # no mask: the causal path
    with torch.inference_mode():
        for batch in (padded, alone):
            logits = [m(**batch).logits for m in models.values()]
            assert torch.allclose(*logits, atol=1e-4)
    prompts = [ids[mask.bool()].tolist() for ids, mask in zip(padded["input_ids"], padded["attention_mask"])]
    tokens = [greedy_decode(m, prompts, 16, {-1}, tokenizer.pad_token_id, 1 << 20) for m in models.values()]
    assert tokens[0] == tokens[1]


def test_a_decoding_step_attends_in_row_chunks_with_the_same_result(monkeypatch):
    """Rows of a left-padded batch attended in chunks, each from its own rows' first real position, in any row
    order: the same output as one call over the whole padded cache."""
    import torch

    from safetygate.backends import attention

    torch.manual_seed(0)
    rows, heads, kv_heads, length, dim = 70, 4, 2, 40, 16
    query = torch.randn(rows, heads, 1, dim)
    key, value = torch.randn(rows, kv_heads, length, dim), torch.randn(rows, kv_heads, length, dim)
    real = torch.randint(1, length + 1, (rows,))
    real[:3] = torch.tensor([length, 2, 1])  # rows not sorted by length: a chunk spans long and short ones
    mask = (torch.arange(length)[None, :] >= (length - real)[:, None])[:, None, None, :]
    whole, _ = attention._attend(None, query, key, value, mask, None)
    chunked, _ = attention.grouped_sdpa(None, query, key, value, mask)
    assert chunked.shape == whole.shape == (rows, 1, heads, dim)
    assert torch.allclose(chunked, whole, atol=1e-6)
    additive = torch.zeros(mask.shape).masked_fill(~mask, torch.finfo(torch.float32).min)  # a float mask reads alike
    assert torch.allclose(attention.grouped_sdpa(None, query, key, value, additive)[0], whole, atol=1e-6)

    calls = []
    attend = attention._attend
    monkeypatch.setattr(attention, "_attend", lambda *a: calls.append(a[2].shape) or attend(*a))
    attention.grouped_sdpa(None, query, key, value, mask)
    assert len(calls) == attention.DECODING_CHUNKS
    assert all(shape[0] >= attention.MIN_CHUNK_ROWS for shape in calls)
    assert min(shape[2] for shape in calls) < length  # a chunk of short rows read less than the whole cache
    calls.clear()
    attention.grouped_sdpa(None, query[:40], key[:40], value[:40], mask[:40])
    assert [shape[0] for shape in calls] == [20, 20]  # too few rows for four chunks of at least 16
