"""Model and adapter folders: checked before anything heavy loads, read once, fingerprinted.

A wrong path should fail in milliseconds with one clear line, not after a
backend has spent a minute importing torch. An adapter's config is read
once, here, into an `Adapter` record that the backends, the cache key and
the run record all use. A checkpoint to gate is either such an adapter or
a full model folder (`FullModel`), told apart by their files.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ModelInputError

ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")


@dataclass(frozen=True, slots=True)
class Adapter:
    """A peft LoRA adapter folder and what its config says."""

    path: Path
    rank: int
    target_modules: tuple[str, ...] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class FullModel:
    """A full model folder gated in its own right (a full fine-tune, merged weights, a previous release)."""

    path: Path


Checkpoint = Adapter | FullModel


def check_base_model(path: Path) -> None:
    """A local Hugging Face model folder with safetensors weights."""
    if not path.exists():
        raise ModelInputError(f"{path}: model path does not exist")
    if not path.is_dir():
        raise ModelInputError(f"{path}: model path is not a directory")
    if not (path / "config.json").is_file():
        raise ModelInputError(f"{path}: not a model folder (no config.json)")
    if not any(path.glob("*.safetensors")):
        raise ModelInputError(
            f"{path}: no .safetensors weights (safetensors are required: pickled weights can run code)"
        )


def read_adapter(path: Path) -> Adapter:
    """Validate a peft LoRA adapter folder and read its adapter_config.json."""
    if not path.exists():
        raise ModelInputError(f"{path}: adapter path does not exist")
    if not path.is_dir():
        raise ModelInputError(f"{path}: adapter path is not a directory")
    config_path = path / "adapter_config.json"
    if not config_path.is_file():
        raise ModelInputError(f"{path}: not a peft adapter folder (no adapter_config.json)")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelInputError(f"{config_path}: cannot read: {exc}") from None
    if not isinstance(config, dict) or config.get("peft_type") != "LORA":
        found = config.get("peft_type") if isinstance(config, dict) else None
        raise ModelInputError(f"{config_path}: peft_type: expected 'LORA', got {found!r}")
    if not any((path / name).is_file() for name in ADAPTER_WEIGHTS):
        raise ModelInputError(f"{path}: adapter has no weights ({' or '.join(ADAPTER_WEIGHTS)})")
    modules = config.get("target_modules")
    if isinstance(modules, str):  # peft allows one regular expression instead of a list
        modules = [modules]
    return Adapter(path, int(config.get("r", 8)), tuple(modules) if modules is not None else None)


def read_checkpoint(path: Path) -> Adapter | FullModel:
    """A peft adapter folder (adapter_config.json) or a full model folder (config.json + safetensors)."""
    if path.is_dir() and not (path / "adapter_config.json").is_file() and (path / "config.json").is_file():
        check_base_model(path)
        return FullModel(path)
    if path.is_dir() and not (path / "adapter_config.json").is_file():
        raise ModelInputError(
            f"{path}: neither a peft adapter folder (adapter_config.json) nor a model folder (config.json)"
        )
    return read_adapter(path)


def sha256_of_files(files: list[Path], memo_dir: Path | None = None) -> str:
    """One digest over several files' names and contents, in the given order.

    With `memo_dir`, the digest is remembered under the files' paths, sizes and
    modification times, so a many-gigabyte model is read once, not every run.
    """
    stamp = [(str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    memo = memo_dir / "fingerprints" / f"{hashlib.sha256(repr(stamp).encode()).hexdigest()}.txt" if memo_dir else None
    if memo is not None and memo.is_file():
        remembered = memo.read_text().strip()
        if len(remembered) == 64:
            return remembered
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode() + b"\0")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    if memo is not None:
        memo.parent.mkdir(parents=True, exist_ok=True)
        memo.write_text(digest.hexdigest())
    return digest.hexdigest()


def adapter_fingerprint(path: Path, memo_dir: Path | None = None) -> str:
    """Content hash of an adapter's config and weights."""
    files = [path / "adapter_config.json"] + [path / n for n in ADAPTER_WEIGHTS if (path / n).is_file()]
    return sha256_of_files(files, memo_dir)


def base_fingerprint(path: Path, memo_dir: Path | None = None) -> str:
    """Content hash of everything in a model folder that can change its answers.

    Weights, config, generation config, tokenizer and chat template: every
    top-level file but documentation and hidden files.
    """
    files = sorted(f for f in path.iterdir() if f.is_file() and not f.name.startswith(".") and f.suffix != ".md")
    return sha256_of_files(files, memo_dir)


def weights_fingerprint(path: Path, memo_dir: Path | None = None) -> str:
    """Content hash of a model folder's weights alone: equal for two folders holding the same model."""
    return sha256_of_files(sorted(path.glob("*.safetensors")), memo_dir)
