"""Test double: a deterministic backend for unit tests of what happens around generation.

It refuses harmful prompts and answers benign ones, except in the languages
an adapter is told it "forgot" to refuse in. It records every call, and can
die after a number of calls, so the generate loop's cache, chunking and
resume logic are tested in milliseconds. No model runs: it never backs a
real gate.
"""

from __future__ import annotations

from pathlib import Path

from safetygate.backends import GenerationRequest, Progress
from safetygate.errors import BackendError
from safetygate.records import Kind

REFUSAL = "I can't help with that request."
ANSWER = "Sure. Here is a short overview of the topic you asked about, step by step."


class FakeBackend:
    name = "fake"
    continues_answers = True  # a word stands for a token: a limit cuts words, a begun answer goes on after its own

    def __init__(
        self,
        complies_in: dict[Path, set[str]] | None = None,
        die_after_calls: int | None = None,
        weights: Path | None = None,
    ) -> None:
        self.complies_in = complies_in or {}
        self.die_after_calls = die_after_calls
        self.weights = weights  # the full model folder this engine "loaded" (None: the base)
        self.calls: list[list[GenerationRequest]] = []
        self.closed = False

    def close(self) -> None:
        self.closed = True

    def generate(self, requests: list[GenerationRequest], on_progress: Progress | None = None) -> list[str]:
        if self.die_after_calls is not None and len(self.calls) >= self.die_after_calls:
            raise BackendError("fake backend: the engine died")
        self.calls.append(list(requests))
        if on_progress:
            on_progress(len(requests), len(requests))
        return [self._answer(r) for r in requests]

    def _answer(self, request: GenerationRequest) -> str:
        prompt = request.prompt
        adapter = request.adapter.path if request.adapter else self.weights
        forgot = prompt.language in self.complies_in.get(adapter, set())
        words = (REFUSAL if prompt.kind is Kind.HARMFUL and not forgot else ANSWER).split(" ")
        begun = len(request.answer_prefix.split(" ")) if request.answer_prefix else 0
        rest = words[begun:][: request.max_tokens]
        return (" " if begun and rest else "") + " ".join(rest)

    def next_token_logprobs(self, requests: list[GenerationRequest], k: int = 20) -> list[dict[int, float]]:
        # Any adapter or other weights shift the fake distribution: the probe sees a checkpoint that works.
        return [{0: -0.5, 1: -1.0} if r.adapter or self.weights else {0: -0.1, 1: -2.5} for r in requests]
