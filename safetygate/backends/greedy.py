"""Greedy decoding for a left-padded batch, where an answer that has ended leaves the batch.

`model.generate` keeps every row of a batch running until the longest
answer ends or the token limit is reached. A gate's answers are ragged:
a refusal ends in 15 tokens, compliance runs to the limit. Here a row that
emits an end token is dropped from the batch and from the KV cache at
once, so the remaining steps compute only the answers still being written.
Only the last position's logits are computed (the vocabulary projection of
every prompt token is most of a small model's prefill otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable


def greedy_decode(model, input_ids, attention_mask, max_new_tokens: int, stop_ids: Iterable[int]) -> list[list[int]]:
    """The new token ids of every row (end token excluded), in row order."""
    import torch
    from transformers import DynamicCache

    stop = torch.tensor(sorted(set(stop_ids)), dtype=input_ids.dtype)
    rows = input_ids.shape[0]
    answers: list[list[int]] = [[] for _ in range(rows)]
    alive = torch.arange(rows)
    # Left padding: a row's positions count its real tokens only, as `generate` computes them.
    positions = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
    cache = DynamicCache(config=model.config)
    step_ids, step_positions, mask = input_ids, positions, attention_mask
    with torch.inference_mode():
        for _ in range(max_new_tokens):
            logits = model(
                input_ids=step_ids,
                attention_mask=mask,
                position_ids=step_positions,
                past_key_values=cache,
                use_cache=True,
                logits_to_keep=1,
            ).logits[:, -1]
            chosen = logits.argmax(-1)
            ended = torch.isin(chosen, stop)
            for row, token, done in zip(alive.tolist(), chosen.tolist(), ended.tolist()):
                if not done:
                    answers[row].append(token)
            if ended.all():
                break
            last = step_positions[:, -1:]
            if ended.any():
                keep = (~ended).nonzero().squeeze(1)
                cache.batch_select_indices(keep)
                alive, chosen, mask, last = alive[keep], chosen[keep], mask[keep], last[keep]
            step_ids = chosen[:, None]
            step_positions = last + 1
            mask = torch.cat([mask, mask.new_ones((mask.shape[0], 1))], dim=1)
    return answers
