"""The one place that wires the stages together: suites → generate → judge → compare → policy → report.

Each `run_*` function validates all input first (cheap checks before any
model loads), then runs the stages in order. None of them prints or exits;
the CLI does that with what they return.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from .. import __version__
from ..backends import Backend, Progress
from ..config import JudgeSpec, RunConfig
from ..errors import InputError
from ..fileio import dumps_jsonl, file_safe, write_all, write_atomic
from ..gate.compare import check_pairing
from ..gate.planning import GatePlan, plan_gate
from ..gate.policy import Policy, load_policy, load_policy_with_notes
from ..gate.verdict import check_power, decide, prompt_counts
from ..generate import GenerationCache, default_cache_dir, generate, generate_sides, plan_run
from ..generate.builtin_models import is_builtin, resolve_model
from ..judge import judge, judge_sides
from ..judge.evaluation import JudgeScore, disagreement_lines, read_labelled, score_judge
from ..judge.given import apply_review, given_verdicts
from ..records import Completion, Judged
from ..report import render_all
from ..report.build import build_result
from ..report.render import render_html
from ..report.result import GateResult, RunRecord, load_result
from ..response_files import SIDE_FILES, read_responses, responses_text, write_responses
from ..suites import load_prompts
from .review import check_review
from .run_record import check_run, judge_record
from .settings_check import check_cache_dir, check_judge, check_out_file, check_out_set, check_settings
from .two_phase import generate_two_phase, off_reason


@dataclass(frozen=True, slots=True)
class GateOutcome:
    result: GateResult
    files: dict[str, Path]

    @property
    def exit_code(self) -> int:
        return self.result.exit_code


def with_builtin_base(config: RunConfig) -> RunConfig:
    """A built-in model name (`smollm2-135m-instruct`) replaced by its prepared folder."""
    if config.base is None or not is_builtin(config.base):
        return config
    return replace(config, base=resolve_model(config.base, config.cache_dir or default_cache_dir()))


def run_gate(config: RunConfig, backend: Backend | None = None, on_progress: Progress | None = None) -> GateOutcome:
    """Generate every side, judge, compare each candidate with the baseline, apply the policy, write the outputs."""
    started = time.perf_counter()
    if config.served is None and not config.candidates:
        raise InputError("nothing to compare: pass --candidate (an adapter or a model folder), repeatable")
    check_settings(config.settings)
    check_judge(config.judge)
    check_out_set(config.out_dir)
    check_cache_dir(config)
    policy, policy_source, notes = load_policy_with_notes(config.policy)
    prompts, suites = load_prompts(config)
    if config.review is not None:
        candidates = len(config.served.candidate_models) if config.served else len(config.candidates)
        check_review(config.review, prompts, candidates)
    check_power(policy, prompts, config.allow_underpowered)
    config = with_builtin_base(config)
    plan = plan_run(config, backend)
    cache = GenerationCache(config.cache_dir) if config.cache_dir else None

    t0 = time.perf_counter()
    settings = plan.settings or config.settings
    one_phase = off_reason(plan, settings)
    two_phase = None
    try:
        if one_phase is None:
            generated, checks, two_phase = generate_two_phase(
                prompts, plan, settings, cache, on_progress, settings.save_every
            )
        else:
            generated, checks = generate_sides(prompts, plan, cache, on_progress, settings.save_every)
    finally:
        plan.engines.release()  # free the engine before judging (a model judge may need the memory)
    t1 = time.perf_counter()
    judged = judge_sides(generated.completions, config.judge)
    if config.review is not None:
        judged = apply_review(config.review, judged)
    t2 = time.perf_counter()

    asked = settings.decision_tokens > 0  # a reason is recorded only where two phases were asked for
    run = check_run(
        config, plan, suites, prompts, generated, cache, checks, judged, two_phase, one_phase if asked else None
    )
    timings = {"generate": round(t1 - t0, 2), "judge": round(t2 - t1, 2), "total": round(t2 - started, 2)}
    answers = sum(generated.generated.values())
    run = run.model_copy(
        update={"timings_s": timings, "answers_per_s": round(answers / (t1 - t0), 2) if generated.backend else None}
    )
    candidates = {side.label: judged[side.label] for side in plan.candidates}
    return _finish(config.out_dir, policy, policy_source, judged["baseline"], candidates, run, notes)


def run_compare(
    baseline_path: Path,
    candidate_path: Path,
    policy_spec: str | None,
    out_dir: Path,
    judge_spec: JudgeSpec = JudgeSpec(),
    review: Path | None = None,
) -> GateOutcome:
    """Gate on responses generated elsewhere (labelled by the judge, by the files themselves, or reviewed)."""
    check_out_set(out_dir)
    policy, policy_source, notes = load_policy_with_notes(policy_spec)
    base_answers, cand_answers = read_responses(baseline_path), read_responses(candidate_path)
    check_pairing(base_answers, cand_answers, (str(baseline_path), str(candidate_path)))  # before a judge runs
    if judge_spec.name == "given":
        judged = {
            side: [Judged(c, v) for c, v in zip(answers, given_verdicts(path), strict=True)]
            for side, answers, path in (
                ("baseline", base_answers, baseline_path),
                ("candidate", cand_answers, candidate_path),
            )
        }
    else:
        judged = judge_sides({"baseline": base_answers, "candidate": cand_answers}, judge_spec)
    if review is not None:
        judged = apply_review(review, judged)
    run = RunRecord(
        safetygate_version=__version__,
        baseline_responses=str(baseline_path),
        candidate_responses=str(candidate_path),
        judge=judge_record(judge_spec, judged, review),
        languages=sorted({c.prompt.language for c in base_answers}),
    )
    return _finish(out_dir, policy, policy_source, judged["baseline"], {"candidate": judged["candidate"]}, run, notes)


def _finish(
    out_dir: Path,
    policy: Policy,
    policy_source: str,
    baseline: list[Judged],
    candidates: dict[str, list[Judged]],
    run: RunRecord,
    notes: list[str],
) -> GateOutcome:
    """Decide each candidate against the baseline, then write the answers and the report files."""
    # Unpaired answers fail here, before any write.
    decided = {name: decide(baseline, answers, policy) for name, answers in candidates.items()}
    result = build_result(decided, policy, policy_source, run, notes)
    answer_files = {"baseline": out_dir / SIDE_FILES["baseline"]}
    if len(candidates) == 1:
        answer_files["candidate"] = out_dir / SIDE_FILES["candidate"]
    else:  # a sweep: one file per candidate, named as in results.json
        answer_files.update({name: out_dir / "candidates" / f"{file_safe(name)}.jsonl" for name in candidates})
    texts = {answer_files["baseline"]: responses_text(baseline)}
    for name, answers in candidates.items():
        texts[answer_files[name if len(candidates) > 1 else "candidate"]] = responses_text(answers)
    # Render everything before writing anything, and write all or nothing: a failure leaves no mixed set.
    report = render_all(result, out_dir)
    write_all(texts | dict(report.values()))
    return GateOutcome(result, {name: path for name, (path, _) in report.items()} | answer_files)


def run_generate(config: RunConfig, label: str, out: Path, on_progress: Progress | None = None) -> list[Completion]:
    """One side only (the candidate of `config`, else the base): answers to every prompt, as a responses file."""
    check_settings(config.settings)
    check_out_file(out)
    check_cache_dir(config)
    prompts, _ = load_prompts(config)
    config = with_builtin_base(config)
    plan = plan_run(config)
    side = replace(plan.candidates[0] if plan.candidates else plan.baseline, label=label)
    cache = GenerationCache(config.cache_dir) if config.cache_dir else None
    try:
        engine = partial(plan.engines, side.weights)
        generated = generate(prompts, [side], engine, cache, on_progress, config.settings.save_every)
    finally:
        plan.engines.release()
    completions = generated.completions[label]
    write_responses(out, completions)
    return completions


def run_judge(responses: Path, out: Path, judge_spec: JudgeSpec = JudgeSpec()) -> list[Judged]:
    """Label every answer of a responses file and write the labelled file."""
    check_out_file(out)
    judged = judge(read_responses(responses), judge_spec)
    write_responses(out, judged)
    return judged


def run_judge_eval(labelled: Path, judge_spec: JudgeSpec, disagreements_out: Path) -> JudgeScore:
    """Score a judge on a labelled set and write the answers it got wrong."""
    check_out_file(disagreements_out)
    items = read_labelled(labelled)
    score = score_judge(items, lambda completions: judge(completions, judge_spec))
    write_atomic(disagreements_out, dumps_jsonl(disagreement_lines(score)))
    return score


def run_report(results: Path, out: Path) -> None:
    """Re-render the HTML report from a results.json, after validating it against the result schema."""
    check_out_file(out)
    write_atomic(out, render_html(load_result(results)))


def run_plan(
    policy_spec: str | None,
    config: RunConfig,
    harmful: int | None = None,
    benign: int | None = None,
    baseline_rate: float | None = None,
    churn: float | None = None,
) -> tuple[Policy, GatePlan]:
    """What the policy can tell at the suites' prompt counts (or the ones given), under its assumptions."""
    policy, _ = load_policy(policy_spec)
    assume = policy.assume.model_copy(
        update={k: v for k, v in (("baseline_refusal_rate", baseline_rate), ("churn", churn)) if v is not None}
    )
    policy = policy.model_copy(update={"assume": assume})
    prompts, _ = load_prompts(config)
    counts = {
        language: (harmful if harmful is not None else h, benign if benign is not None else b)
        for language, (h, b) in prompt_counts(prompts).items()
    }
    return policy, plan_gate(policy, counts)
