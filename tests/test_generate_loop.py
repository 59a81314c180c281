"""The generate loop around a backend: cache reuse, chunking, saving as chunks finish, resuming a killed run.

Pure logic, on the fake backend: milliseconds, no model.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_backend import ANSWER, REFUSAL, FakeBackend

from safetygate.backends.model_files import Adapter
from safetygate.errors import BackendError
from safetygate.generate import GenerationCache, Side, generate
from safetygate.records import Kind, Prompt

ADAPTER = Adapter(Path("/adapters/forgetful"), rank=8)
SIDES = [
    Side("baseline", None, {"model": "m", "adapter": None}),
    Side("candidate", ADAPTER, {"model": "m", "adapter": "forgetful"}),
]


def prompts(n: int = 10) -> list[Prompt]:
    return [
        Prompt(f"p-{i:03d}", lang, "cyber", Kind.HARMFUL if i % 2 else Kind.BENIGN, f"prompt {i} in {lang}")
        for lang in ("en", "sw")
        for i in range(n)
    ]


def test_every_prompt_is_answered_once_per_side_in_prompt_order(tmp_path):
    backend = FakeBackend(complies_in={ADAPTER.path: {"sw"}})
    out = generate(prompts(), SIDES, lambda: backend, GenerationCache(tmp_path))
    assert [len(v) for v in out.completions.values()] == [20, 20]
    assert [c.prompt for c in out.completions["candidate"]] == prompts()
    sw_harmful = [
        c.response for c in out.completions["candidate"] if c.prompt.language == "sw" and c.prompt.kind is Kind.HARMFUL
    ]
    assert set(sw_harmful) == {ANSWER}
    assert {c.response for c in out.completions["baseline"] if c.prompt.kind is Kind.HARMFUL} == {REFUSAL}
    assert out.generated == {"baseline": 20, "candidate": 20} and out.cached == {"baseline": 0, "candidate": 0}


def test_requests_go_in_chunks_that_mix_both_sides(tmp_path):
    backend = FakeBackend()
    generate(prompts(), SIDES, lambda: backend, GenerationCache(tmp_path), chunk_size=16)
    assert [len(call) for call in backend.calls] == [16, 16, 8]
    assert {r.adapter for r in backend.calls[1]} == {None, ADAPTER}


def test_a_cached_rerun_builds_no_backend(tmp_path):
    generate(prompts(), SIDES, FakeBackend, GenerationCache(tmp_path))

    def must_not_build():
        raise AssertionError("the backend was built for a fully cached run")

    again = generate(prompts(), SIDES, must_not_build, GenerationCache(tmp_path))
    assert again.backend is None and again.cached == {"baseline": 20, "candidate": 20}


def test_a_run_killed_after_some_chunks_resumes_with_only_the_rest(tmp_path):
    dying = FakeBackend(die_after_calls=2)
    with pytest.raises(BackendError):
        generate(prompts(), SIDES, lambda: dying, GenerationCache(tmp_path), chunk_size=8)
    resumed_backend = FakeBackend()
    resumed = generate(prompts(), SIDES, lambda: resumed_backend, GenerationCache(tmp_path), chunk_size=8)
    assert sum(resumed.cached.values()) == 16 and sum(resumed.generated.values()) == 24
    reference = generate(prompts(), SIDES, FakeBackend, None)
    assert resumed.completions == reference.completions


def test_a_changed_side_identity_misses_the_cache(tmp_path):
    generate(prompts(), SIDES, FakeBackend, GenerationCache(tmp_path))
    retrained = [SIDES[0], Side("candidate", ADAPTER, {"model": "m", "adapter": "retrained"})]
    again = generate(prompts(), retrained, FakeBackend, GenerationCache(tmp_path))
    assert again.generated == {"baseline": 0, "candidate": 20}


def test_progress_counts_cached_answers_then_generated_ones(tmp_path):
    generate(prompts(5), SIDES[:1], FakeBackend, GenerationCache(tmp_path))
    seen = []
    generate(prompts(5), SIDES, FakeBackend, GenerationCache(tmp_path), on_progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (10, 20) and seen[-1] == (20, 20)
