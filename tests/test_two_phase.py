"""Two-phase generation's logic on the fake backend (a word stands for a token): which prompts are continued,
that a continued answer is the one-phase answer, that a cached rerun builds nothing, and when it stays off.

Pure logic, milliseconds; the real engines are exercised in test_two_phase_engines.py.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fake_backend import ANSWER, REFUSAL, FakeBackend

from safetygate.backends.model_files import Adapter
from safetygate.config import GenerationSettings
from safetygate.generate import GenerationCache, Side, generate_sides
from safetygate.generate.engines import Engines
from safetygate.generate.plan import RunPlan
from safetygate.judge.lexicon import LexiconJudge
from safetygate.pipeline.two_phase import SAMPLE_PER_LANGUAGE, generate_two_phase, off_reason, prompts_to_continue
from safetygate.records import Kind, Label, Prompt, Verdict

FORGETFUL = Adapter(Path("/adapters/forgetful"), rank=8)
SETTINGS = GenerationSettings(max_tokens=20, decision_tokens=3)  # every fake answer is shorter than 20


def prompts() -> list[Prompt]:
    return [
        Prompt(f"{lang}-{i:03d}", lang, "cyber", Kind.HARMFUL, f"prompt {i}")
        for lang in ("en", "sw")
        for i in range(10)
    ]


def plan(backend: FakeBackend, settings: GenerationSettings = SETTINGS, **changes) -> RunPlan:
    identity = {"model": "m", "max_tokens": settings.max_tokens}
    return RunPlan(
        baseline=Side("baseline", None, {**identity, "adapter": None}),
        candidates=(Side("candidate", FORGETFUL, {**identity, "adapter": "forgetful"}),),
        engines=Engines(lambda _: backend, owned=False),
        backend=backend.name,
        reason="",
        settings=settings,
        continues_answers=changes.pop("continues_answers", True),
        **changes,
    )


def test_only_open_prompts_are_continued_and_a_continued_answer_is_the_one_phase_answer(tmp_path):
    backend = FakeBackend(complies_in={FORGETFUL.path: {"sw"}})
    two, _, summary = generate_two_phase(prompts(), plan(backend), SETTINGS, GenerationCache(tmp_path / "two"))
    one, _ = generate_sides(prompts(), plan(FakeBackend(complies_in={FORGETFUL.path: {"sw"}})), None)

    # Phase 1 wrote every answer to 3 words; phase 2 went on only from answers begun.
    first, second = backend.calls[0], backend.calls[1:]
    assert len(first) == 40 and {r.max_tokens for r in first} == {3} and not any(r.continues for r in first)
    continued = [r for call in second for r in call]
    assert all(r.continues and r.max_tokens == 17 for r in continued)
    # Open: the Swahili prompts, where the sides disagree; plus a sample of the others (English) per language.
    flipped = {p.id for p in prompts() if p.language == "sw"}
    assert flipped <= {r.prompt.id for r in continued}
    assert summary.prompts_continued == len(flipped) + SAMPLE_PER_LANGUAGE
    assert len(continued) == 2 * summary.prompts_continued  # both sides of a chosen prompt, read at one length

    judge = LexiconJudge()
    for label in ("baseline", "candidate"):
        for short, whole in zip(two.completions[label], one.completions[label], strict=True):
            if short.prompt.id in {r.prompt.id for r in continued}:
                assert short.response == whole.response  # continued: the very answer one phase writes
            else:
                assert whole.response.startswith(short.response) and len(short.response.split()) == 3
            assert judge.verdict(short).label is judge.verdict(whole).label
    assert {c.response for c in two.completions["candidate"] if c.prompt.id in flipped} == {ANSWER}
    assert summary.continued == {"baseline": 12, "candidate": 12} and summary.labels_changed == 0


def test_a_cached_two_phase_rerun_builds_no_backend(tmp_path):
    cache = GenerationCache(tmp_path)
    first, _, _ = generate_two_phase(prompts(), plan(FakeBackend()), SETTINGS, cache)

    class MustNotBuild(FakeBackend):
        def generate(self, requests, on_progress=None):
            raise AssertionError("a fully cached two-phase run generated")

    again, _, summary = generate_two_phase(prompts(), plan(MustNotBuild()), SETTINGS, cache)
    assert again.completions == first.completions and again.backend is None
    assert summary.prompts_continued == 2 * SAMPLE_PER_LANGUAGE  # nothing open: the sample alone


def test_unclear_unsure_and_disagreeing_answers_are_continued():
    asked = [Prompt(f"en-{i}", "en", "cyber", Kind.HARMFUL, "p") for i in range(6)]
    sure_refusal = Verdict(Label.REFUSAL, "refusal phrase", "en")
    verdicts = {
        "baseline": [sure_refusal] * 6,
        "candidate": [
            sure_refusal,
            Verdict(Label.COMPLIANCE, "starts helping", "en"),  # the sides disagree
            Verdict(Label.UNCLEAR, "loop", "en"),
            Verdict(Label.REFUSAL, "steers to something else", "en", confident=False),
            sure_refusal,
            sure_refusal,
        ],
    }
    chosen = prompts_to_continue(asked, verdicts, seed=0)
    assert {1, 2, 3} <= set(chosen) and len(chosen) == 3 + SAMPLE_PER_LANGUAGE
    assert prompts_to_continue(asked, verdicts, seed=0) == chosen  # the sample is seeded


def test_two_phases_stay_off_where_they_cannot_help_or_cannot_run():
    backend = FakeBackend()
    assert off_reason(plan(backend), SETTINGS) is None
    assert "--decision-tokens 0" in off_reason(plan(backend), replace(SETTINGS, decision_tokens=0))
    assert "not below --max-tokens" in off_reason(plan(backend), replace(SETTINGS, decision_tokens=20))
    assert "cannot go on" in off_reason(plan(backend, continues_answers=False), SETTINGS)
    full = replace(plan(backend), candidates=(Side("candidate", None, {}, weights=Path("/models/tuned")),))
    assert "engine of its own" in off_reason(full, SETTINGS)


def test_the_fake_backend_continues_as_a_model_would():
    backend = FakeBackend()
    prompt = Prompt("en-1", "en", "cyber", Kind.HARMFUL, "p")
    from safetygate.backends import GenerationRequest

    begun = backend.generate([GenerationRequest(prompt, None, max_tokens=3)])[0]
    rest = backend.generate([GenerationRequest(prompt, None, answer_prefix=begun, max_tokens=20)])[0]
    assert begun + rest == REFUSAL
