"""Reading a batch's prompts into one KV cache, computing each prompt token once.

- A prefix every prompt shares (the chat template's opening and system
  prompt: 25 of the 85 tokens of an average built-in prompt for SmolLM2)
  is read once and its keys and values copied to every row.
- The rest of each prompt is read in groups of similar length, each padded
  only to its own longest prompt (prompts of 14 to 683 tokens padded to
  one length cost a third more reading).
- The groups' caches are laid side by side, left-padded, in one cache that
  decoding writes in place (`kv_cache.py`).

Models whose cache is not one plain tensor per layer (sliding windows,
recurrent state) read the batch as one padded group, as `generate` does.
"""

from __future__ import annotations

from .batching import token_batches
from .kv_cache import merged_cache, supports_merging

MIN_SHARED = 8  # a shorter shared prefix is not worth a forward pass of its own


def read_prompts(model, prompts: list[list[int]], pad_id: int, prefill_tokens: int, room: int):
    """(order, cache, mask, first): the batch's rows as prompt indices, their cache with `room` positions
    to grow, the attention mask over it (0 for padding), and each row's first answer token."""
    import torch
    from transformers import DynamicCache

    lengths = [len(p) for p in prompts]
    if not supports_merging(DynamicCache(config=model.config)):
        order = sorted(range(len(prompts)), key=lambda i: -lengths[i])
        cache, mask, first = _read_group(model, [prompts[i] for i in order], pad_id)
        return order, cache, mask, first
    shared = shared_prefix(prompts)
    prefix = None
    if shared >= MIN_SHARED:
        prefix = DynamicCache(config=model.config)
        ids = torch.tensor([prompts[0][:shared]], device=model.device)
        model(input_ids=ids, past_key_values=prefix, use_cache=True, logits_to_keep=1)
    else:
        shared = 0
    groups = token_batches([n - shared for n in lengths], len(prompts), prefill_tokens)
    caches, masks, firsts = [], [], []
    for group in groups:
        cache, mask, first = _read_group(model, [prompts[i][shared:] for i in group], pad_id, prefix)
        caches.append(cache)
        masks.append(mask)
        firsts.append(first)
    longest = max(m.shape[1] for m in masks)
    mask = torch.cat([torch.nn.functional.pad(m, (longest - m.shape[1], 0)) for m in masks])
    order = [i for group in groups for i in group]
    return order, merged_cache(caches, room), mask, torch.cat(firsts)


def _read_group(model, prompts: list[list[int]], pad_id: int, prefix=None):
    """One forward pass over left-padded prompts (continuing `prefix`, a one-row cache, when given)."""
    import torch
    from transformers import DynamicCache

    rows, longest = len(prompts), max(len(p) for p in prompts)
    ids = torch.full((rows, longest), pad_id, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, prompt in enumerate(prompts):
        ids[row, longest - len(prompt) :] = torch.tensor(prompt, dtype=torch.long)
        mask[row, longest - len(prompt) :] = 1
    ids, mask = ids.to(model.device), mask.to(model.device)
    cache = DynamicCache(config=model.config)
    shared = 0
    if prefix is not None:
        shared = prefix.get_seq_length()
        for layer, source in zip(cache.layers, prefix.layers):
            layer.update(source.keys.expand(rows, -1, -1, -1), source.values.expand(rows, -1, -1, -1))
        mask = torch.cat([mask.new_ones((rows, shared)), mask], dim=1)
    # A row's positions count its real tokens only, as `generate` computes them.
    positions = (mask.cumsum(-1) - 1).clamp(min=0)[:, shared:]
    logits = model(
        input_ids=ids,
        attention_mask=mask,
        position_ids=positions,
        past_key_values=cache,
        use_cache=True,
        logits_to_keep=1,
    ).logits[:, -1]
    return cache, mask, logits.argmax(-1)


def shared_prefix(prompts: list[list[int]]) -> int:
    """Tokens every prompt starts with, leaving each at least one of its own (its last gives the first logits)."""
    first, limit = prompts[0], min(len(p) for p in prompts) - 1
    shared = 0
    while shared < limit and all(p[shared] == first[shared] for p in prompts):
        shared += 1
    return shared
