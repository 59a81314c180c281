"""Does a full-model checkpoint read and write text as its base does? Decided from files, before any load.

A candidate with another tokenizer or chat template answers different
prompts (other tokens, another turn format), so the comparison would
measure the template, not the fine-tune. The check reads the tokenizer and
template files; it names the first difference it finds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ModelInputError

# Keys of tokenizer_config.json that change how text becomes tokens and back; the rest is bookkeeping.
TOKENIZER_KEYS = ("bos_token", "eos_token", "pad_token", "unk_token", "add_bos_token", "add_eos_token")


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelInputError(f"{path}: cannot read: {exc}") from None


def chat_template(folder: Path) -> str | None:
    """The folder's chat template: chat_template.jinja, else tokenizer_config.json's `chat_template`."""
    if (folder / "chat_template.jinja").is_file():
        return (folder / "chat_template.jinja").read_text(encoding="utf-8")
    config = folder / "tokenizer_config.json"
    template = _json(config).get("chat_template") if config.is_file() else None
    if isinstance(template, list):  # named templates: the default one is what a chat uses
        named = {t.get("name"): t.get("template") for t in template if isinstance(t, dict)}
        template = named.get("default")
    return template if isinstance(template, str) else None


def _vocabulary(folder: Path) -> tuple[str, Any] | None:
    """What maps text to token ids: tokenizer.json's model and added tokens, or the slow tokenizer's files."""
    if (folder / "tokenizer.json").is_file():
        data = _json(folder / "tokenizer.json")
        return "tokenizer.json", {"model": data.get("model"), "added_tokens": data.get("added_tokens")}
    for name in ("tokenizer.model", "vocab.json"):
        if (folder / name).is_file():
            return name, (folder / name).read_bytes()
    return None


def _size(vocabulary: Any) -> int | None:
    vocab = vocabulary.get("model", {}).get("vocab") if isinstance(vocabulary, dict) else None
    return len(vocab) if isinstance(vocab, dict | list) else None


def check_same_tokenizer(base: Path, model: Path) -> None:
    """Exit 2 (naming the difference) unless `model` tokenizes and templates chats exactly as `base` does."""
    mine, theirs = _vocabulary(model), _vocabulary(base)
    if mine is None:
        raise ModelInputError(f"{model}: no tokenizer files (tokenizer.json, tokenizer.model or vocab.json)")
    if theirs is not None and mine != theirs:
        sizes = (_size(mine[1]), _size(theirs[1]))
        detail = f" ({sizes[0]} tokens, the base has {sizes[1]})" if None not in sizes and sizes[0] != sizes[1] else ""
        raise ModelInputError(
            f"{model}: tokenizer differs from the base model's ({base}): {mine[0]} maps text to other tokens{detail}"
        )
    configs = [folder / "tokenizer_config.json" for folder in (model, base)]
    if all(c.is_file() for c in configs):
        mine_cfg, base_cfg = (_json(c) for c in configs)
        for key in TOKENIZER_KEYS:
            if mine_cfg.get(key) != base_cfg.get(key):
                raise ModelInputError(
                    f"{model}: tokenizer differs from the base model's ({base}): {key} is"
                    f" {mine_cfg.get(key)!r}, the base's is {base_cfg.get(key)!r}"
                )
    template = chat_template(model)
    if template != chat_template(base):
        what = "has no chat template" if template is None else "chat template differs from the base model's"
        raise ModelInputError(
            f"{model}: {what} ({base}): the answers would differ by turn format, not by the fine-tune"
        )
