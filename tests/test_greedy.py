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
