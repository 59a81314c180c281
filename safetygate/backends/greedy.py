"""Greedy decoding of a batch of prompts, where an answer that has ended leaves the batch.

`model.generate` keeps every row of a batch running until the longest
answer ends or the token limit is reached. A gate's answers are ragged:
a refusal ends in 15 tokens, compliance runs to the limit. Here a row that
emits an end token leaves the batch and the KV cache (with the next ones
to end, once they are worth the copy), so the remaining steps compute
mostly the answers still being written.
Prompts are read once into a cache that decoding writes in place
(`prefill.py`, `kv_cache.py`). Only the last position's logits are
computed (the vocabulary projection of every prompt token is most of a
small model's prefill otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable

from .prefill import read_prompts


def greedy_decode(
    model, prompts: list[list[int]], max_new_tokens: int, stop_ids: Iterable[int], pad_id: int, prefill_tokens: int
) -> list[list[int]]:
    """The new token ids of every prompt (end token excluded), in prompt order.

    prefill_tokens: the padded tokens one prefill group may hold (all prompts in one group when larger).
    """
    import torch

    device = model.device
    stop = torch.tensor(sorted(set(stop_ids)), dtype=torch.long, device=device)
    answers: list[list[int]] = [[] for _ in prompts]
    with torch.inference_mode():
        order, cache, mask, chosen = read_prompts(model, prompts, pad_id, prefill_tokens, max_new_tokens)
        rows = torch.tensor(order, device=device)  # the prompt each row of the batch answers
        ended = torch.zeros(len(order), dtype=torch.bool, device=device)
        # A row's next position counts its real tokens only, as `generate` computes them.
        last = torch.tensor([[len(prompts[i]) - 1] for i in order], device=device)
        for step in range(max_new_tokens):
            if step:
                chosen = next_tokens(model, chosen, mask, last, cache)
            ended |= torch.isin(chosen, stop)
            for row, token, done in zip(rows.tolist(), chosen.tolist(), ended.tolist()):
                if not done:
                    answers[row].append(token)
            if ended.all() or step == max_new_tokens - 1:
                break
            if _worth_dropping(int(ended.sum()), len(rows)):
                keep = (~ended).nonzero().squeeze(1)
                cache.batch_select_indices(keep)
                rows, chosen, mask, last, ended = rows[keep], chosen[keep], mask[keep], last[keep], ended[keep]
            last = last + 1
            mask = torch.cat([mask, mask.new_ones((mask.shape[0], 1))], dim=1)
    return answers


def next_tokens(model, chosen, mask, positions, cache):
    """One decoding step: each row's greedy next token after `chosen`, written into `cache` at `positions`."""
    return (
        model(
            input_ids=chosen[:, None],
            attention_mask=mask,
            position_ids=positions,
            past_key_values=cache,
            use_cache=True,
            logits_to_keep=1,
        )
        .logits[:, -1]
        .argmax(-1)
    )


def _worth_dropping(ended: int, rows: int) -> bool:
    """Drop ended rows once they are an eighth of the batch: dropping copies the whole cache (about as long as
    30 rows' share of a step, SmolLM2-135M on 2 CPU cores), so a few ended rows ride along until then."""
    return ended > 0 and ended * 8 >= rows
