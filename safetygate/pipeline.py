"""The one place that wires the stages together: suites → generate → judge → compare → policy → report.

Each `run_*` function validates all input first (cheap checks before any
model loads), then runs the stages in order. None of them prints or exits;
the CLI does that with what they return.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import __version__
from .adapter_check import verify_adapters
from .backends import Backend, Progress
from .cache import GenerationCache
from .compare import compare, pair_up
from .config import RunConfig
from .errors import InputError, SuiteError
from .generate import generate
from .judge import JudgeSpec, judge, judge_sides
from .judge.model import MALFORMED
from .policy import evaluate, load_policy
from .records import Completion, Judged, Prompt, Suite
from .report import write_report_files
from .responses import read_responses, write_responses
from .results import build_results
from .sampling import sample_prompts
from .sides import plan_run
from .suites import default_suite_names, load_suite, select_languages


@dataclass(frozen=True, slots=True)
class GateOutcome:
    result: dict[str, Any]
    files: dict[str, Path]

    @property
    def exit_code(self) -> int:
        return self.result["exit_code"]


def load_prompts(config: RunConfig) -> tuple[list[Prompt], list[Suite]]:
    """Load and merge suites, keep the chosen languages, sample; the same (id, language) twice is an error."""
    columns = dict(config.suite_columns)
    suites = [load_suite(spec, columns) for spec in (config.suites or tuple(default_suite_names()))]
    prompts: list[Prompt] = []
    owner: dict[tuple[str, str], str] = {}
    for suite in suites:
        for p in suite.prompts:
            if p.key in owner:
                raise SuiteError(f"{suite.source}: id {p.id!r} ({p.language}) is also in {owner[p.key]}")
            owner[p.key] = suite.source
            prompts.append(p)
    source = ", ".join(s.name for s in suites)
    prompts = select_languages(prompts, list(config.languages), f"suites {source}")
    if config.sample:
        prompts = sample_prompts(prompts, config.sample, config.settings.seed)
    return prompts, suites


def with_builtin_base(config: RunConfig) -> RunConfig:
    """A built-in model name (`smollm2-135m-instruct`) replaced by its prepared folder."""
    from .builtin_models import is_builtin, resolve_model
    from .cache import default_cache_dir

    if config.base is None or not is_builtin(config.base):
        return config
    return replace(config, base=resolve_model(config.base, config.cache_dir or default_cache_dir()))


def run_gate(config: RunConfig, backend: Backend | None = None, on_progress: Progress | None = None) -> GateOutcome:
    """Generate both sides, judge, compare, apply the policy and write the outputs."""
    started = time.perf_counter()
    config = with_builtin_base(config)
    if config.served is None and config.adapter is None and config.baseline_adapter is None:
        raise InputError("nothing to compare: pass --adapter (the candidate) and optionally --baseline-adapter")
    policy, policy_source = load_policy(config.policy)
    prompts, suites = load_prompts(config)
    plan = plan_run(config, backend)
    cache = GenerationCache(config.cache_dir) if config.cache_dir else None

    t0 = time.perf_counter()
    try:
        adapter_checks = verify_adapters(config.base, plan.sides, plan.make_backend, cache)
        generated = generate(prompts, plan.sides, plan.make_backend, cache, on_progress, config.settings.save_every)
    finally:
        plan.make_backend.release()  # free the engine before judging (a model judge may need the memory)
    t1 = time.perf_counter()
    judged = judge_sides(generated.completions, config.judge)
    baseline, candidate = judged["baseline"], judged["candidate"]
    t2 = time.perf_counter()

    sides = {s.label: s for s in plan.sides}
    run = {
        "base_model": str(config.base) if config.base else None,
        "base_model_sha256": sides["baseline"].identity.get("base"),
        "baseline_adapter": _adapter_meta(config.baseline_adapter, sides["baseline"].identity),
        "candidate_adapter": _adapter_meta(config.adapter, sides["candidate"].identity),
        "served": {s.label: s.model for s in plan.sides} if plan.backend == "openai" else None,
        "suites": [{"name": s.name, "version": s.version, "sha256": s.sha256, "source": s.source} for s in suites],
        "languages": sorted({p.language for p in prompts}),
        "prompts": len(prompts),
        "sample": config.sample,
        "backend": plan.backend, "backend_reason": plan.reason,
        "generation": {"max_tokens": config.settings.max_tokens, "batch_size": config.settings.batch_size,
                       "dtype": config.settings.dtype, "decoding": "greedy", "seed": config.settings.seed},
        "cache": {"dir": str(config.cache_dir) if config.cache_dir else None,
                  "reused": generated.cached, "generated": generated.generated,
                  "corrupt_entries_ignored": cache.corrupt if cache else 0},
        "adapter_checks": adapter_checks,
        "answers_per_s": round(sum(generated.generated.values()) / (t1 - t0), 2) if generated.backend else None,
        "judge": judge_meta(config.judge, baseline, candidate),
        "timings_s": {"generate": round(t1 - t0, 2), "judge": round(t2 - t1, 2),
                      "total": round(time.perf_counter() - started, 2)},
        "platform": platform.platform(),
    }
    return _finish(config.out_dir, policy, policy_source, baseline, candidate, run)


def judge_meta(spec: JudgeSpec | str, baseline: list[Judged], candidate: list[Judged]) -> dict[str, Any]:
    """Which judge ran, and how often a model judge's output could not be read."""
    spec = JudgeSpec(spec) if isinstance(spec, str) else spec
    malformed = {label: sum(j.verdict.reason.startswith(MALFORMED) for j in side)
                 for label, side in (("baseline", baseline), ("candidate", candidate))}
    return {**spec.describe(), "malformed_outputs": malformed}


def run_compare(baseline_path: Path, candidate_path: Path, policy_spec: str | None, out_dir: Path,
                judge_spec: JudgeSpec | str = "lexicon") -> GateOutcome:
    """Gate on responses generated elsewhere."""
    policy, policy_source = load_policy(policy_spec)
    base_answers, cand_answers = read_responses(baseline_path), read_responses(candidate_path)
    judged = judge_sides({"baseline": base_answers, "candidate": cand_answers}, judge_spec)
    baseline, candidate = judged["baseline"], judged["candidate"]
    pair_up(baseline, candidate)  # fail on unpaired files before writing anything
    run = {"baseline_responses": str(baseline_path), "candidate_responses": str(candidate_path),
           "judge": judge_meta(judge_spec, baseline, candidate),
           "languages": sorted({j.completion.prompt.language for j in baseline})}
    return _finish(out_dir, policy, policy_source, baseline, candidate, run)


def _finish(out_dir: Path, policy, policy_source: str, baseline: list[Judged], candidate: list[Judged],
            run: dict[str, Any]) -> GateOutcome:
    comparison = compare(baseline, candidate)
    evaluation = evaluate(comparison, policy)
    result = build_results(comparison, evaluation, policy, policy_source, baseline, candidate,
                           {"safetygate_version": __version__, **run})
    write_responses(out_dir / "baseline.jsonl", baseline)
    write_responses(out_dir / "candidate.jsonl", candidate)
    files = write_report_files(out_dir, result)
    files.update(baseline=out_dir / "baseline.jsonl", candidate=out_dir / "candidate.jsonl")
    return GateOutcome(result, files)


def run_generate(config: RunConfig, label: str, out: Path, on_progress: Progress | None = None) -> list[Completion]:
    """One side only (the candidate of `config`): answers to every prompt, written as a responses file."""
    config = with_builtin_base(config)
    prompts, _ = load_prompts(config)
    plan = plan_run(config)
    side = replace(plan.sides[-1], label=label)
    cache = GenerationCache(config.cache_dir) if config.cache_dir else None
    try:
        generated = generate(prompts, [side], plan.make_backend, cache, on_progress, config.settings.save_every)
    finally:
        plan.make_backend.release()
    completions = generated.completions[label]
    write_responses(out, completions)
    return completions


def run_judge(responses: Path, out: Path, judge_spec: JudgeSpec | str = "lexicon") -> list[Judged]:
    """Label every answer of a responses file and write the labelled file."""
    judged = judge(read_responses(responses), judge_spec)
    write_responses(out, judged)
    return judged


def _adapter_meta(path: Path | None, identity: dict[str, Any]) -> dict[str, Any] | None:
    if path is None:
        return None
    from .models import read_adapter_config

    config = read_adapter_config(path)
    return {"path": str(path), "sha256": identity["adapter"], "rank": config.get("r"),
            "target_modules": config.get("target_modules")}
