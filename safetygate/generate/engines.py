"""The run's engines: one per model folder that answers (the base; each full-model side), one in memory at a time.

An engine holds a model's weights and, for vLLM, a large KV-cache
reservation, so a second full model is only loaded once the first is
released. Each load is timed: what a full-model candidate costs is
reported, not guessed.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..backends import Backend


@dataclass(frozen=True, slots=True)
class EngineLoad:
    model: Path | None  # None: the base model
    seconds: float


class Engines:
    """Builds the engine for a model folder on first call; building another releases the one held."""

    def __init__(self, build: Callable[[Path | None], Backend], owned: bool = True) -> None:
        self._build = build
        self._owned = owned  # a backend handed in by the caller is the caller's to close
        self._held: tuple[Path | None, Backend] | None = None
        self.loads: list[EngineLoad] = []

    def __call__(self, weights: Path | None = None) -> Backend:
        if self._held is not None and self._held[0] == weights:
            return self._held[1]
        self.release()
        started = time.perf_counter()
        backend = self._build(weights)
        self.loads.append(EngineLoad(weights, round(time.perf_counter() - started, 2)))
        self._held = (weights, backend)
        return backend

    def release(self) -> None:
        """Free the engine held (its memory), if any."""
        if self._held is None:
            return
        _, backend = self._held
        self._held = None
        close = getattr(backend, "close", None)
        if close is not None and self._owned:
            close()
        del backend
        gc.collect()
