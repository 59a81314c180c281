"""Checks on model and adapter folders before anything heavy loads, and their fingerprints.

A wrong path should fail in milliseconds with one clear line, not after a
backend has spent a minute importing torch.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .errors import ModelInputError

ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")


def check_base_model(path: Path) -> None:
    """A local Hugging Face model folder with safetensors weights."""
    if not path.exists():
        raise ModelInputError(f"{path}: model path does not exist")
    if not path.is_dir():
        raise ModelInputError(f"{path}: model path is not a directory")
    if not (path / "config.json").is_file():
        raise ModelInputError(f"{path}: not a model folder (no config.json)")
    if not any(path.glob("*.safetensors")):
        raise ModelInputError(f"{path}: no .safetensors weights (safetensors are required: pickled weights can run code)")


def read_adapter_config(path: Path) -> dict:
    """Validate a peft LoRA adapter folder and return its adapter_config.json."""
    if not path.exists():
        raise ModelInputError(f"{path}: adapter path does not exist")
    if not path.is_dir():
        raise ModelInputError(f"{path}: adapter path is not a directory")
    config_path = path / "adapter_config.json"
    if not config_path.is_file():
        raise ModelInputError(f"{path}: not a peft adapter folder (no adapter_config.json)")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelInputError(f"{config_path}: cannot read: {exc}") from None
    if not isinstance(config, dict) or config.get("peft_type") != "LORA":
        raise ModelInputError(f"{config_path}: peft_type: expected 'LORA', got {config.get('peft_type')!r}")
    if not any((path / name).is_file() for name in ADAPTER_WEIGHTS):
        raise ModelInputError(f"{path}: adapter has no weights ({' or '.join(ADAPTER_WEIGHTS)})")
    return config


def sha256_of_files(files: list[Path]) -> str:
    """One digest over several files' names and contents, in the given order."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode() + b"\0")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def adapter_fingerprint(path: Path) -> str:
    """Content hash of an adapter's config and weights."""
    files = [path / "adapter_config.json"] + [path / n for n in ADAPTER_WEIGHTS if (path / n).is_file()]
    return sha256_of_files(files)


def base_fingerprint(path: Path) -> str:
    """Content hash of a base model's config and weight files."""
    return sha256_of_files([path / "config.json", *sorted(path.glob("*.safetensors"))])
