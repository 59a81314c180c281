"""This machine's ceiling for a model: tokens/s of one full-batch forward pass, the cores at full occupancy."""

from __future__ import annotations

import time


def forward_ceiling(engine, model, requests, passes: int = 3) -> float:
    """Tokens/s of one forward pass of `model` over the requests' prompts, padded into one batch: the best of
    `passes` timed passes (a pass slowed by anything else on the machine is not the machine's limit)."""
    import torch

    texts = [engine._render(r) for r in requests]
    encoded = engine.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    with torch.inference_mode():
        model(**encoded, logits_to_keep=1)  # warm
        seconds = float("inf")
        for _ in range(passes):
            started = time.perf_counter()
            model(**encoded, logits_to_keep=1)
            seconds = min(seconds, time.perf_counter() - started)
    return encoded["input_ids"].numel() / seconds
