"""Backends: turn a whole batch of chat requests into answers.

A lazy registry of names to "module:Class" strings, so importing safetygate
never imports torch or vllm. A backend takes every request of both sides in
one call and returns the answers in the same order.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..errors import InputError
from ..records import Prompt

BACKENDS: dict[str, str] = {
    "transformers": "safetygate.backends.hf:TransformersBackend",
    "vllm": "safetygate.backends.vllm_engine:VLLMBackend",
    "openai": "safetygate.backends.openai_server:OpenAIBackend",
    "fake": "safetygate.backends.fake:FakeBackend",
}
# What to install when a backend's import fails.
INSTALL_HINTS = {
    "transformers": "pip install 'safetygate' (torch, transformers and peft are core dependencies)",
    "vllm": "pip install 'safetygate[gpu]' on a GPU machine, 'safetygate[cpu]' on a CPU one",
}

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """One prompt to answer, with the adapter (None: the base model) that answers it.

    `model` names the served model instead, for backends that talk to a server.
    """

    prompt: Prompt
    adapter: Path | None
    model: str | None = None

    @property
    def messages(self) -> list[dict[str, str]]:
        """The chat sent to the model: the prompt as one user turn."""
        return [{"role": "user", "content": self.prompt.prompt}]


@dataclass(frozen=True, slots=True)
class GenerationSettings:
    """How answers are generated; the engine options apply to the vLLM backend."""

    max_tokens: int = 128
    batch_size: int = 16
    seed: int = 0  # decoding is greedy; the seed pins anything else that samples
    trust_remote_code: bool = False
    tensor_parallel_size: int = 1
    gpu_memory_utilization: float | None = None  # None: vLLM's default on GPU, 0.4 on CPU
    max_model_len: int | None = None
    dtype: str = "auto"
    save_every: int = 256  # answers per backend call; each call's answers are cached when it returns


class Backend(Protocol):
    name: str

    def generate(self, requests: list[GenerationRequest], on_progress: Progress | None = None) -> list[str]:
        """Answers to every request, in request order."""
        ...

    def next_token_logprobs(self, requests: list[GenerationRequest], k: int = 20) -> list[dict[int, float]]:
        """The k most likely first answer tokens of each request, as token id -> log-probability."""
        ...


def backend_class(name: str) -> type:
    """Import the backend registered under `name`."""
    if name not in BACKENDS:
        hint = difflib.get_close_matches(name, BACKENDS, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        raise InputError(f"--backend: unknown backend {name!r} (known: {', '.join(BACKENDS)}){suggestion}")
    module_name, class_name = BACKENDS[name].split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"backend {name!r} needs a package that is not installed ({exc.name}): "
                         f"{INSTALL_HINTS.get(name, 'see the README')}") from None
    return getattr(module, class_name)


def vllm_available() -> bool:
    """True when a vLLM package is installed (checked without importing it: that takes seconds)."""
    import importlib.util

    return importlib.util.find_spec("vllm") is not None
