"""Backends: turn a whole batch of chat requests into answers.

A lazy registry of names to "module:Class" strings, so importing safetygate
never imports torch or vllm. A backend takes every request of both sides in
one call and returns the answers in the same order. Model and judge stages
both run on these; which one `auto` picks is decided here too.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from ..config import GenerationSettings
from ..errors import InputError, did_you_mean
from ..records import Prompt
from .model_files import Adapter

__all__ = [
    "BACKENDS",
    "Adapter",
    "Backend",
    "GenerationRequest",
    "GenerationSettings",
    "Progress",
    "backend_class",
    "group_by",
    "resolve_backend",
    "vllm_available",
]

BACKENDS: dict[str, str] = {
    "transformers": "safetygate.backends.hf:TransformersBackend",
    "vllm": "safetygate.backends.vllm_engine:VLLMBackend",
    "openai": "safetygate.backends.openai_server:OpenAIBackend",
}
# What to install when a backend's import fails.
INSTALL_HINTS = {
    "transformers": "pip install 'safetygate' (torch, transformers and peft are core dependencies)",
    "vllm": "pip install 'safetygate[gpu]' on a GPU machine, 'safetygate[cpu]' on a CPU one",
}

Progress = Callable[[int, int], None]
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """One prompt to answer, with the adapter (None: the base model) that answers it.

    `model` names the served model instead, for backends that talk to a server.
    """

    prompt: Prompt
    adapter: Adapter | None
    model: str | None = None
    # A whole conversation to send instead of the prompt as one user turn (a guard model reads the prompt
    # and the answer as the turns they were); its template opens the reply itself.
    conversation: tuple[tuple[str, str], ...] | None = None
    # The start of an answer to go on writing (a two-phase run's second phase): the reply continues from it.
    answer_prefix: str = ""
    max_tokens: int | None = None  # None: the backend's settings

    @property
    def messages(self) -> list[dict[str, str]]:
        """The chat sent to the model: the prompt as one user turn (plus the answer begun), or the conversation."""
        if self.conversation is not None:
            return [{"role": role, "content": content} for role, content in self.conversation]
        turns = [{"role": "user", "content": self.prompt.prompt}]
        if self.answer_prefix:
            turns.append({"role": "assistant", "content": self.answer_prefix})
        return turns

    @property
    def add_generation_prompt(self) -> bool:
        """Open an assistant turn after the messages (a conversation's template does that itself; a begun
        answer is continued instead)."""
        return self.conversation is None and not self.answer_prefix

    @property
    def continues(self) -> bool:
        """True when the model goes on from the answer's last message rather than starting a reply."""
        return bool(self.answer_prefix)


class Backend(Protocol):
    name: str
    # Can go on writing an answer from its begun text (`GenerationRequest.answer_prefix`), with a token limit
    # per request: what a two-phase run needs.
    continues_answers: bool

    def generate(self, requests: list[GenerationRequest], on_progress: Progress | None = None) -> list[str]:
        """Answers to every request, in request order."""
        ...

    def next_token_logprobs(self, requests: list[GenerationRequest], k: int = 20) -> list[dict[int, float]]:
        """The k most likely first answer tokens of each request, as token id -> log-probability."""
        ...


def group_by(requests: list[GenerationRequest], key: Callable[[GenerationRequest], K]) -> dict[K, list[int]]:
    """Request indices grouped by `key` (an adapter, a served model), groups in first-seen order."""
    groups: dict[K, list[int]] = {}
    for index, request in enumerate(requests):
        groups.setdefault(key(request), []).append(index)
    return groups


def backend_class(name: str) -> type:
    """Import the backend registered under `name`."""
    if name not in BACKENDS:
        raise InputError(
            f"--backend: unknown backend {name!r} (known: {', '.join(BACKENDS)}){did_you_mean(name, list(BACKENDS))}"
        )
    module_name, class_name = BACKENDS[name].split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(
            f"backend {name!r} needs a package that is not installed ({exc.name}): "
            f"{INSTALL_HINTS.get(name, 'see the README')}"
        ) from None
    return getattr(module, class_name)


def vllm_available() -> bool:
    """True when a vLLM package is installed (checked without importing it: that takes seconds)."""
    return importlib.util.find_spec("vllm") is not None


def on_gpu() -> bool:
    """True when torch sees a CUDA (or ROCm) device."""
    import torch

    return torch.cuda.is_available()


# Why `auto` takes transformers on a CPU even where vLLM is installed (measured side by side by
# benchmarks/throughput.py: 2 cores, SmolLM2-135M, engine start included).
CPU_REASON = "auto: no GPU, and on a CPU transformers generates faster than vLLM's CPU build (--backend vllm to use it)"


def resolve_backend(name: str) -> tuple[str, str]:
    """The backend to run for `name`, and why it was chosen: vLLM on a GPU, transformers on a CPU."""
    if name != "auto":
        return name, f"{name}: chosen with --backend"
    if not vllm_available():
        return "transformers", "auto: vLLM is not installed (pip install 'safetygate[gpu]' on a GPU machine)"
    if on_gpu():
        return "vllm", "auto: vLLM on the GPU"
    return "transformers", CPU_REASON
