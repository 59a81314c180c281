"""Greedy decoding where ended answers leave the batch: the same tokens `model.generate` picks, on a tiny real model."""

import pytest

pytestmark = pytest.mark.slow


def test_answers_match_generate_when_rows_end_at_different_steps(tiny_model):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from safetygate.backends.greedy import greedy_decode

    tokenizer = AutoTokenizer.from_pretrained(tiny_model, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32).eval()
    texts = [f"<|im_start|>user\n{'tell me more ' * n}how?<|im_end|>\n<|im_start|>assistant\n" for n in range(1, 9)]
    batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    with torch.inference_mode():
        reference = model.generate(**batch, max_new_tokens=24, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    new = reference[:, batch["input_ids"].shape[1] :].tolist()
    # Random weights rarely pick the end token: stop on tokens these rows pick at different steps instead.
    stops = {row[k] for row, k in zip(new, (3, 7, 11, 15))}
    with torch.inference_mode():
        reference = model.generate(
            **batch, max_new_tokens=24, do_sample=False, pad_token_id=tokenizer.pad_token_id, eos_token_id=sorted(stops)
        )
    expected = []
    for row in reference[:, batch["input_ids"].shape[1] :].tolist():
        cut = next((i for i, t in enumerate(row) if t in stops), len(row))
        expected.append(row[:cut])
    got = greedy_decode(model, batch["input_ids"], batch["attention_mask"], 24, stops)
    assert got == expected
    assert len({len(row) for row in got}) >= 3  # rows really ended at different steps


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
    tokens = [greedy_decode(m, padded["input_ids"], padded["attention_mask"], 16, {-1}) for m in models.values()]
    assert tokens[0] == tokens[1]
