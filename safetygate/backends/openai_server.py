"""The openai backend: an existing OpenAI-compatible server (e.g. `vllm serve` with `--lora-modules`).

This is how a team that has outgrown one machine runs the gate on its own
serving cluster. Each side is a served model name (the base, or a LoRA
module). Requests run with bounded concurrency, one side at a time (a CPU
vLLM server applies LoRA to base requests it batches with LoRA requests), and
are retried with exponential backoff on 429, 5xx and connection errors. A
server that stays down is a runtime failure (exit 3); answers that finished
before it went down are already in the cache.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..errors import BackendError, InputError
from . import GenerationRequest, GenerationSettings, Progress, group_by

RETRIES = 5
TIMEOUT_S = 300


@dataclass(frozen=True, slots=True)
class ServerConfig:
    base_url: str
    api_key_env: str | None = None
    concurrency: int = 8


class OpenAIBackend:
    name = "openai"
    # Servers differ in how (and whether) they continue a begun answer: two-phase runs stay off here.
    continues_answers = False

    def __init__(self, server: ServerConfig, settings: GenerationSettings) -> None:
        self.server = server
        self.settings = settings
        self.url = server.base_url.rstrip("/")
        self.api_key = os.environ.get(server.api_key_env) if server.api_key_env else None
        if server.api_key_env and not self.api_key:
            raise InputError(f"--api-key-env: environment variable {server.api_key_env} is not set")

    def served_models(self) -> dict[str, dict[str, Any]]:
        """The server's models by id (GET /v1/models)."""
        body = self._call("GET", "/models", None)
        return {m["id"]: m for m in body.get("data", [])}

    @staticmethod
    def model_for(request: GenerationRequest) -> str:
        if request.model is None:
            raise BackendError("the openai backend needs a served model name for every side")
        return request.model

    def generate(self, requests: list[GenerationRequest], on_progress: Progress | None = None) -> list[str]:
        def one(request: GenerationRequest) -> str:
            body = self._call(
                "POST",
                "/chat/completions",
                {
                    "model": self.model_for(request),
                    "messages": request.messages,
                    "temperature": 0.0,
                    "max_tokens": request.max_tokens or self.settings.max_tokens,
                    "seed": self.settings.seed,
                },
            )
            return (body["choices"][0]["message"].get("content") or "").strip()

        return self._by_side(requests, one, on_progress)

    def next_token_logprobs(self, requests: list[GenerationRequest], k: int = 20) -> list[dict[str, float]]:
        def one(request: GenerationRequest) -> dict[str, float]:
            body = self._call(
                "POST",
                "/chat/completions",
                {
                    "model": self.model_for(request),
                    "messages": request.messages,
                    "temperature": 0.0,
                    "max_tokens": 1,
                    "logprobs": True,
                    "top_logprobs": k,
                    "seed": self.settings.seed,
                },
            )
            first = body["choices"][0]["logprobs"]["content"][0]
            return {t["token"]: t["logprob"] for t in first["top_logprobs"]}

        return self._by_side(requests, one)

    def _by_side(self, requests, one, on_progress: Progress | None = None) -> list:
        results: list = [None] * len(requests)
        done = 0
        for indices in group_by(requests, self.model_for).values():
            with ThreadPoolExecutor(self.server.concurrency) as pool:
                for i, result in zip(indices, pool.map(lambda i: one(requests[i]), indices)):
                    results[i] = result
                    done += 1
                    if on_progress:
                        on_progress(done, len(requests))
        return results

    def _call(self, method: str, path: str, payload: dict | None) -> dict:
        """One API call with retries; BackendError when the server stays unusable."""
        data = json.dumps(payload).encode() if payload is not None else None
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        last = ""
        for attempt in range(RETRIES):
            request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:300].decode("utf-8", "replace")
                if exc.code != 429 and exc.code < 500:
                    raise BackendError(f"{self.url}{path}: HTTP {exc.code}: {detail}") from None
                last = f"HTTP {exc.code}: {detail}"
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
                last = str(getattr(exc, "reason", exc))
            time.sleep(min(0.5 * 2**attempt, 8.0))
        raise BackendError(f"{self.url}: server unavailable after {RETRIES} attempts: {last}")
