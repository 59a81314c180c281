"""The one place that wires the stages together: suites → generate → judge → compare → policy → report.

Each `run_*` function validates all input first (cheap checks before any
model loads), then runs the stages in order. None of them prints or exits;
the CLI does that with what they return.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .backends import Backend, GenerationSettings, Progress, backend_class, vllm_available
from .compare import compare, pair_up
from .errors import InputError, SuiteError
from .adapter_check import verify_adapters
from .cache import GenerationCache
from .generate import Side, generate
from .judge import judge
from .models import adapter_fingerprint, base_fingerprint, check_base_model, read_adapter_config
from .policy import evaluate, load_policy
from .records import Completion, Judged, Prompt, Suite
from .report import write_report_files
from .responses import read_responses, write_responses
from .results import build_results
from .suites import builtin_suite_names, load_suite, select_languages


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Everything one `check` needs, fixed before it starts."""

    base: Path
    adapter: Path | None = None
    baseline_adapter: Path | None = None
    suites: tuple[str, ...] = ()  # empty: every built-in suite
    languages: tuple[str, ...] = ()  # empty: every language of the suites
    policy: str | None = None  # None: the built-in default
    backend: str = "auto"
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    out_dir: Path = Path("safetygate-report")
    judge: str = "lexicon"
    cache_dir: Path | None = None  # None: no cache (and no resume)


@dataclass(frozen=True, slots=True)
class GateOutcome:
    result: dict[str, Any]
    files: dict[str, Path]

    @property
    def exit_code(self) -> int:
        return self.result["exit_code"]


def load_prompts(specs: tuple[str, ...], languages: tuple[str, ...]) -> tuple[list[Prompt], list[Suite]]:
    """Load and merge suites, keep the chosen languages; the same (id, language) twice is an error."""
    suites = [load_suite(spec) for spec in (specs or tuple(builtin_suite_names()))]
    prompts: list[Prompt] = []
    owner: dict[tuple[str, str], str] = {}
    for suite in suites:
        for p in suite.prompts:
            if p.key in owner:
                raise SuiteError(f"{suite.source}: id {p.id!r} ({p.language}) is also in {owner[p.key]}")
            owner[p.key] = suite.source
            prompts.append(p)
    source = ", ".join(s.name for s in suites)
    return select_languages(prompts, list(languages), f"suites {source}"), suites


def resolve_backend(name: str) -> tuple[str, str]:
    """The backend to run for `name`, and why it was chosen."""
    if name == "auto":
        if vllm_available():
            return "vllm", "auto: vLLM is installed"
        return "transformers", "auto: vLLM is not installed (pip install 'safetygate[gpu]' or '[cpu]')"
    if name == "openai":
        raise InputError(f"--backend openai: not available in safetygate {__version__}; use vllm or transformers")
    return name, f"{name}: chosen with --backend"


def run_gate(config: RunConfig, backend: Backend | None = None, on_progress: Progress | None = None) -> GateOutcome:
    """Generate both sides, judge, compare, apply the policy and write the outputs."""
    started = time.perf_counter()
    if config.adapter is None and config.baseline_adapter is None:
        raise InputError("nothing to compare: pass --adapter (the candidate) and optionally --baseline-adapter")
    policy, policy_source = load_policy(config.policy)
    prompts, suites = load_prompts(config.suites, config.languages)
    check_base_model(config.base)
    adapters = [a for a in (config.baseline_adapter, config.adapter) if a is not None]
    for path in adapters:
        read_adapter_config(path)
    backend_name, backend_reason = resolve_backend(config.backend)
    identity = _identity(config.base, backend_name, config.settings, config.cache_dir)
    sides = [
        Side("baseline", config.baseline_adapter, _side_identity(identity, config.baseline_adapter, config.cache_dir)),
        Side("candidate", config.adapter, _side_identity(identity, config.adapter, config.cache_dir)),
    ]

    built: list[Backend] = [backend] if backend is not None else []

    def make_backend() -> Backend:
        """The one backend of this run, built on first need (a fully cached run needs none)."""
        if not built:
            built.append(backend_class(backend_name)(config.base, adapters, config.settings))
        return built[0]

    t0 = time.perf_counter()
    cache = GenerationCache(config.cache_dir) if config.cache_dir else None
    adapter_checks = verify_adapters(config.base, sides, make_backend, cache)
    generated = generate(prompts, sides, make_backend, cache, on_progress, config.settings.save_every)
    t1 = time.perf_counter()
    baseline = judge(generated.completions["baseline"], config.judge)
    candidate = judge(generated.completions["candidate"], config.judge)
    t2 = time.perf_counter()

    run = {
        "base_model": str(config.base),
        "base_model_sha256": identity["base"],
        "baseline_adapter": _adapter_meta(config.baseline_adapter, sides[0].identity),
        "candidate_adapter": _adapter_meta(config.adapter, sides[1].identity),
        "suites": [{"name": s.name, "version": s.version, "sha256": s.sha256, "source": s.source} for s in suites],
        "languages": sorted({p.language for p in prompts}),
        "prompts": len(prompts),
        "backend": backend_name, "backend_reason": backend_reason,
        "generation": {"max_tokens": config.settings.max_tokens, "batch_size": config.settings.batch_size,
                       "dtype": config.settings.dtype, "decoding": "greedy", "seed": config.settings.seed},
        "cache": {"dir": str(config.cache_dir) if config.cache_dir else None,
                  "reused": generated.cached, "generated": generated.generated,
                  "corrupt_entries_ignored": cache.corrupt if cache else 0},
        "adapter_checks": adapter_checks,
        "judge": config.judge,
        "timings_s": {"generate": round(t1 - t0, 2), "judge": round(t2 - t1, 2),
                      "total": round(time.perf_counter() - started, 2)},
        "platform": platform.platform(),
    }
    return _finish(config.out_dir, policy, policy_source, baseline, candidate, run)


def run_compare(baseline_path: Path, candidate_path: Path, policy_spec: str | None, out_dir: Path,
                judge_name: str = "lexicon") -> GateOutcome:
    """Gate on responses generated elsewhere."""
    policy, policy_source = load_policy(policy_spec)
    base_answers, cand_answers = read_responses(baseline_path), read_responses(candidate_path)
    baseline, candidate = judge(base_answers, judge_name), judge(cand_answers, judge_name)
    pair_up(baseline, candidate)  # fail on unpaired files before writing anything
    run = {"baseline_responses": str(baseline_path), "candidate_responses": str(candidate_path),
           "judge": judge_name, "languages": sorted({j.completion.prompt.language for j in baseline})}
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


def run_generate(base: Path, adapter: Path | None, suites: tuple[str, ...], languages: tuple[str, ...],
                 label: str, backend_name: str, settings: GenerationSettings, out: Path,
                 cache_dir: Path | None = None, on_progress: Progress | None = None) -> list[Completion]:
    """One side only: answers to every prompt, written as a responses file."""
    prompts, _ = load_prompts(suites, languages)
    check_base_model(base)
    if adapter is not None:
        read_adapter_config(adapter)
    name, _ = resolve_backend(backend_name)
    side = Side(label, adapter, _side_identity(_identity(base, name, settings, cache_dir), adapter, cache_dir))
    cache = GenerationCache(cache_dir) if cache_dir else None
    generated = generate(prompts, [side], lambda: backend_class(name)(base, [adapter] if adapter else [], settings),
                         cache, on_progress, settings.save_every)
    completions = generated.completions[label]
    write_responses(out, completions)
    return completions


def _identity(base: Path, backend_name: str, settings: GenerationSettings, memo_dir: Path | None) -> dict[str, Any]:
    """What, besides the adapter and the chat, decides an answer: the cache key's base."""
    return {"base": base_fingerprint(base, memo_dir), "backend": backend_name, "max_tokens": settings.max_tokens,
            "seed": settings.seed, "dtype": settings.dtype, "decoding": "greedy"}


def _side_identity(identity: dict[str, Any], adapter: Path | None, memo_dir: Path | None) -> dict[str, Any]:
    return {**identity, "adapter": adapter_fingerprint(adapter, memo_dir) if adapter else None}


def run_judge(responses: Path, out: Path, judge_name: str = "lexicon") -> list[Judged]:
    """Label every answer of a responses file and write the labelled file."""
    judged = judge(read_responses(responses), judge_name)
    write_responses(out, judged)
    return judged


def _adapter_meta(path: Path | None, identity: dict[str, Any]) -> dict[str, Any] | None:
    if path is None:
        return None
    config = read_adapter_config(path)
    return {"path": str(path), "sha256": identity["adapter"], "rank": config.get("r"),
            "target_modules": config.get("target_modules")}
