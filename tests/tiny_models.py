"""Test support: tiny real models, built offline in seconds.

A random-weight Llama with a trained tokenizer and a chat template, and peft LoRA adapters for it.

They exercise the real loading and generation code (transformers, peft,
safetensors) without a download. Their answers are noise, so they prove the
pipeline works, never that a model is safe.
"""

from __future__ import annotations

import json
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ["<pad>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def _training_text() -> list[str]:
    """Text to train the tokenizer on: the built-in suites plus some answer-like English."""
    from safetygate.suites import builtin_suite_names, load_suite

    lines = [p.prompt for name in builtin_suite_names() for p in load_suite(name).prompts]
    lines += ["I can't help with that.", "Sure, here is how to do it, step by step.", "user", "assistant"]
    return lines


def build_tokenizer(out_dir: Path, vocab_size: int = 2000):
    """Train a byte-level BPE tokenizer and save it with the chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(_training_text(), trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="<|im_end|>", bos_token="<|endoftext|>", unk_token=None
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(out_dir)
    return fast


def build_tiny_base(out_dir: Path, hidden_size: int = 128, seed: int = 0) -> Path:
    """A random-weight Llama (2 layers, head size 64: small enough for CPU, valid for vLLM)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(out_dir)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out_dir, safe_serialization=True)
    return out_dir


def build_tiny_adapter(base_dir: Path, out_dir: Path, seed: int = 1, rank: int = 8) -> Path:
    """A LoRA adapter on q/v projections with random (non-zero) weights, so it changes answers."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base_dir)
    config = LoraConfig(
        r=rank, lora_alpha=2 * rank, target_modules=["q_proj", "v_proj"], init_lora_weights=False, task_type="CAUSAL_LM"
    )
    peft_model = get_peft_model(model, config)
    peft_model.save_pretrained(out_dir, safe_serialization=True)
    # Record the base by path so the folder is self-describing.
    config_path = out_dir / "adapter_config.json"
    data = json.loads(config_path.read_text())
    data["base_model_name_or_path"] = str(base_dir)
    config_path.write_text(json.dumps(data, indent=2))
    return out_dir


def build_tiny_model(out_dir: Path) -> tuple[Path, Path]:
    """Base and adapter under out_dir, reused when already built."""
    base, adapter = out_dir / "base", out_dir / "adapter"
    if not (base / "config.json").exists():
        build_tiny_base(base)
    if not (adapter / "adapter_config.json").exists():
        build_tiny_adapter(base, adapter)
    return base, adapter


def build_full_candidate(base_dir: Path, out_dir: Path, seed: int = 2, scale: float = 0.05) -> Path:
    """A full-model checkpoint of the base: the same files, every weight nudged (a full fine-tune's shape)."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    for file in base_dir.iterdir():
        if file.is_file() and file.suffix != ".safetensors":
            shutil.copy2(file, out_dir / file.name)
    generator = torch.Generator().manual_seed(seed)
    for weights in base_dir.glob("*.safetensors"):
        tensors = load_file(weights)
        nudged = {k: t + scale * torch.randn(t.shape, generator=generator, dtype=t.dtype) for k, t in tensors.items()}
        save_file(nudged, out_dir / weights.name, metadata={"format": "pt"})
    return out_dir
