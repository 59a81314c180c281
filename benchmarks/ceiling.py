"""This machine's ceiling for a model: tokens/s of one full-batch forward pass, the cores at full occupancy."""

from __future__ import annotations

import time


def forward_ceiling(engine, model, requests, passes: int = 3, every_logit: bool = False) -> float:
    """Tokens/s of one forward pass of `model` over the requests' prompts, padded into one batch: the best of
    `passes` timed passes (a pass slowed by anything else on the machine is not the machine's limit).

    every_logit: also project every position onto the vocabulary, as each written token must be (the ceiling
    itself computes one row's logits, as reading a prompt does)."""
    import torch

    texts = [engine._render(r) for r in requests]
    encoded = engine.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    with torch.inference_mode():
        keep = 0 if every_logit else 1  # 0: every position
        model(**encoded, logits_to_keep=keep)  # warm
        seconds = float("inf")
        for _ in range(passes):
            started = time.perf_counter()
            model(**encoded, logits_to_keep=keep)
            seconds = min(seconds, time.perf_counter() - started)
    return encoded["input_ids"].numel() / seconds


def decoding_rate(model, rows: int, prompt_tokens: int = 85, steps: int = 8) -> float:
    """Tokens/s of one decoding step of `rows` answers over a cache of prompts `prompt_tokens` long (the best of
    `steps` steps): how close a step's narrow matrix products can come to the ceiling with that many rows."""
    import torch

    from safetygate.backends.greedy import next_tokens
    from safetygate.backends.prefill import read_prompts

    generator = torch.Generator().manual_seed(0)
    prompts = torch.randint(100, 40_000, (rows, prompt_tokens), generator=generator).tolist()
    best = float("inf")
    with torch.inference_mode():
        _, cache, mask, chosen = read_prompts(model, prompts, 0, 1 << 30, steps)
        positions = torch.full((rows, 1), prompt_tokens - 1, device=model.device)
        for _ in range(steps):
            positions, mask = positions + 1, torch.cat([mask, mask.new_ones((rows, 1))], dim=1)
            started = time.perf_counter()
            chosen = next_tokens(model, chosen, mask, positions, cache)
            best = min(best, time.perf_counter() - started)
    return rows / best
