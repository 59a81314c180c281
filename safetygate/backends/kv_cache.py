"""A KV cache written in place, built from prompts read in groups of their own length.

transformers' dynamic cache grows by concatenation: every generated token
copies each layer's whole cache, which on a CPU took about two thirds of a
decoding step for SmolLM2-135M with 120 answers in the batch. Here each
layer's keys and values live in a buffer with room for the answers, a step
writes one column and attention reads a view of the filled part.

Prompts are read (prefilled) in small groups of similar length, each padded
only to its own longest prompt, and their caches are laid side by side,
left-padded to the longest prompt of the batch: reading costs what the
prompts hold, while decoding still runs the whole batch at once.
"""

from __future__ import annotations

from functools import cache


@cache
def _layer_class():
    from transformers.cache_utils import DynamicLayer

    class FilledInPlace(DynamicLayer):
        """One layer's keys and values in a buffer with room to grow; `keys`/`values` view the filled part."""

        def __init__(self, parts, length: int, room: int) -> None:
            """parts: the same layer of each group's cache, stacked in order, each left-padded to `length`."""
            super().__init__()
            first = parts[0].keys
            self.dtype, self.device = first.dtype, first.device
            _, heads, _, dim = first.shape
            rows = sum(part.keys.shape[0] for part in parts)
            self._keys = first.new_empty((rows, heads, length + room, dim))
            self._values = first.new_empty((rows, heads, length + room, dim))
            start = 0
            for part in parts:
                end, pad = start + part.keys.shape[0], length - part.keys.shape[-2]
                for buffer, source in ((self._keys, part.keys), (self._values, part.values)):
                    # Padding is masked, but must hold numbers: a masked position's weight is 0, and 0 x NaN is not.
                    buffer[start:end, :, :pad] = 0
                    buffer[start:end, :, pad:length] = source
                start = end
            self.length = length
            self.is_initialized = True
            self._view()

        def _view(self) -> None:
            self.keys = self._keys[:, :, : self.length]
            self.values = self._values[:, :, : self.length]

        def update(self, key_states, value_states, *args, **kwargs):
            end = self.length + key_states.shape[-2]
            if end > self._keys.shape[-2]:
                raise ValueError(f"KV cache full: {end} positions asked, room for {self._keys.shape[-2]}")
            self._keys[:, :, self.length : end] = key_states
            self._values[:, :, self.length : end] = value_states
            self.length = end
            self._view()
            return self.keys, self.values

        def get_seq_length(self) -> int:
            return self.length

        def batch_select_indices(self, indices) -> None:
            # Only the filled part is copied: the rest is written later.
            for name in ("_keys", "_values"):
                old = getattr(self, name)
                new = old.new_empty((len(indices), *old.shape[1:]))
                new[:, :, : self.length] = old[indices, :, : self.length]
                setattr(self, name, new)
            self._view()

    return FilledInPlace


def supports_merging(cache) -> bool:
    """True when every layer is a plain growing one (no sliding windows or recurrent state to lay out)."""
    from transformers.cache_utils import DynamicLayer

    return all(type(layer) is DynamicLayer for layer in cache.layers)


def merged_cache(groups, room: int):
    """One cache for the rows of every prefilled group, in group order, left-padded to the longest group,
    with room for `room` more positions. The caller's attention mask marks the padding."""
    from transformers.cache_utils import Cache

    longest = max(cache.layers[0].keys.shape[-2] for cache in groups)
    layer = _layer_class()
    return Cache(layers=[layer([c.layers[i] for c in groups], longest, room) for i in range(len(groups[0].layers))])
