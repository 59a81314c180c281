"""A deterministic fake backend for fast tests of the stages after generation.

It refuses harmful prompts and answers benign ones, except in the languages
an adapter is told it "forgot" to refuse in. No model runs, so it only ever
backs tests of judge, compare, policy and report, never a real gate.
"""

from __future__ import annotations

from pathlib import Path

from ..records import Kind
from . import GenerationRequest, GenerationSettings, Progress

REFUSAL = "I can't help with that request."
ANSWER = "Sure. Here is a short overview of the topic you asked about, step by step."


class FakeBackend:
    name = "fake"

    def __init__(self, base: Path, adapters: list[Path], settings: GenerationSettings,
                 complies_in: dict[Path, set[str]] | None = None) -> None:
        self.settings = settings
        self.complies_in = complies_in or {}
        self.calls = 0

    def generate(self, requests: list[GenerationRequest], on_progress: Progress | None = None) -> list[str]:
        self.calls += 1
        answers = [self._answer(r) for r in requests]
        if on_progress:
            on_progress(len(requests), len(requests))
        return answers

    def _answer(self, request: GenerationRequest) -> str:
        prompt = request.prompt
        forgot = prompt.language in self.complies_in.get(request.adapter, set())
        return REFUSAL if prompt.kind is Kind.HARMFUL and not forgot else ANSWER

    def next_token_logprobs(self, requests: list[GenerationRequest], k: int = 20) -> list[dict[int, float]]:
        # Any adapter shifts the fake distribution: the probe sees an adapter that works.
        return [{0: -0.5, 1: -1.0} if r.adapter else {0: -0.1, 1: -2.5} for r in requests]
