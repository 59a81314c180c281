"""Generate stage: every prompt for every side, answers cached and saved as they finish.

Answers already in the cache are reused; the rest go to the backend in
chunks that mix both sides (so a backend that can, like vLLM, shares one
copy of the weights across them), and each chunk is stored as soon as it is
done, so a killed run resumes where it stopped. The backend is only built
when something is missing: a fully cached rerun loads no model at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..backends import Backend, GenerationRequest, Progress
from ..errors import BackendError
from ..records import Completion, Prompt
from .cache import GenerationCache
from .plan import Side


@dataclass(frozen=True, slots=True)
class Generated:
    completions: dict[str, list[Completion]]  # per side label, in prompt order
    cached: dict[str, int]  # answers reused from the cache, per side
    generated: dict[str, int]  # answers the backend produced, per side
    backend: str | None  # None when nothing had to be generated


def generate(
    prompts: Sequence[Prompt],
    sides: Sequence[Side],
    make_backend: Callable[[], Backend],
    cache: GenerationCache | None = None,
    on_progress: Progress | None = None,
    chunk_size: int = 256,
) -> Generated:
    """Answers per side label, each list in prompt order."""
    jobs = [Job(side.label, side.identity, side.request(p)) for side in sides for p in prompts]
    answered = answer(jobs, make_backend, cache, on_progress, chunk_size)
    completions: dict[str, list[Completion]] = {side.label: [] for side in sides}
    for job, text in zip(jobs, answered.answers):
        completions[job.label].append(Completion(job.request.prompt, job.label, text))
    return Generated(
        completions=completions,
        cached={s.label: answered.cached[s.label] for s in sides},
        generated={s.label: answered.generated[s.label] for s in sides},
        backend=answered.backend,
    )


@dataclass(frozen=True, slots=True)
class Job:
    """One request to answer, for one side, under the identity its cache entry is keyed by."""

    label: str
    identity: dict
    request: GenerationRequest


@dataclass(frozen=True, slots=True)
class Answered:
    answers: list[str]  # in job order
    cached: Counter  # per side label
    generated: Counter
    backend: str | None


def answer(
    jobs: Sequence[Job],
    make_backend: Callable[[], Backend],
    cache: GenerationCache | None = None,
    on_progress: Progress | None = None,
    chunk_size: int = 256,
) -> Answered:
    """Every job's answer: from the cache where it is there, else from the backend, stored chunk by chunk."""
    keys = [GenerationCache.key(job.identity, job.request.messages) for job in jobs]
    answers: list[str | None] = [cache.get(k) if cache else None for k in keys]
    missing = [i for i, a in enumerate(answers) if a is None]
    cached = Counter(jobs[i].label for i, a in enumerate(answers) if a is not None)
    total, done = len(jobs), len(jobs) - len(missing)
    if on_progress:
        on_progress(done, total)
    backend = make_backend() if missing else None
    # Chunks big enough to batch well, small enough that a killed run loses little.
    for start in range(0, len(missing), chunk_size):
        chunk = missing[start : start + chunk_size]

        def report(chunk_done: int, _chunk_total: int, base: int = done) -> None:
            if on_progress:
                on_progress(base + chunk_done, total)

        out = backend.generate([jobs[i].request for i in chunk], report)
        if len(out) != len(chunk):
            raise BackendError(f"backend {backend.name!r} returned {len(out)} answers for {len(chunk)} prompts")
        for i, text in zip(chunk, out):
            answers[i] = text
            if cache:
                cache.put(keys[i], text)
        done += len(chunk)
    generated = Counter(jobs[i].label for i in missing)
    return Answered([a or "" for a in answers], cached, generated, backend.name if backend else None)
