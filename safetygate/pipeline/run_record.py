"""What a `check` ran on and with: the run record of results.json, built from the plan and what the stages returned."""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import JudgeSpec, RunConfig
from ..generate import Generated, GenerationCache, RunPlan, Side
from ..records import Judged, Prompt, Suite
from ..report.result import (
    AdapterCheckRecord,
    AdapterRecord,
    CacheRecord,
    EngineLoadRecord,
    GenerationRecord,
    JudgeRecord,
    RunRecord,
    SuiteRecord,
)
from .two_phase import TwoPhaseSummary


def checkpoint_record(side: Side) -> AdapterRecord | None:
    """The checkpoint a side ran (an adapter on the base, or a full model folder); None for the base alone."""
    if side.weights is not None:
        return AdapterRecord(path=str(side.weights), kind="model", sha256=side.identity["base"])
    if side.adapter is None:
        return None
    a = side.adapter
    return AdapterRecord(
        path=str(a.path),
        sha256=side.identity["adapter"],
        rank=a.rank,
        target_modules=list(a.target_modules) if a.target_modules is not None else None,
    )


def judge_record(spec: JudgeSpec, judged: dict[str, list[Judged]], review: Path | None = None) -> JudgeRecord:
    """Which judge ran, how often a model judge's output could not be read, and what a person overrode."""
    return JudgeRecord(
        name=spec.name,
        model=str(spec.model) if spec.model else None,
        malformed_outputs={label: sum(j.verdict.malformed for j in side) for label, side in judged.items()},
        review=str(review) if review else None,
        reviewed={label: sum(j.verdict.reviewed for j in side) for label, side in judged.items()} if review else {},
    )


def check_run(
    config: RunConfig,
    plan: RunPlan,
    suites: list[Suite],
    prompts: list[Prompt],
    generated: Generated,
    cache: GenerationCache | None,
    checks: dict[str, dict[str, Any]],
    judged: dict[str, list[Judged]],
    two_phase: TwoPhaseSummary | None = None,
    one_phase_reason: str | None = None,
) -> RunRecord:
    """What a `check` ran on and with, for the record."""
    settings = plan.settings or config.settings
    sweep = len(plan.candidates) > 1
    return RunRecord(
        safetygate_version=__version__,
        base_model=str(plan.base) if plan.base else None,
        base_model_sha256=plan.bare.identity.get("base") if plan.bare else None,
        baseline_adapter=checkpoint_record(plan.baseline),
        candidate_adapter=None if sweep else checkpoint_record(plan.candidate),
        candidates={s.label: r for s in plan.candidates if (r := checkpoint_record(s))} if sweep else {},
        served={s.label: s.model for s in plan.sides} if plan.backend == "openai" else None,
        suites=[SuiteRecord(name=s.name, version=s.version, sha256=s.sha256, source=s.source) for s in suites],
        languages=sorted({p.language for p in prompts}),
        prompts=len(prompts),
        sample=config.sample,
        backend=plan.backend,
        backend_reason=plan.reason,
        generation=GenerationRecord(
            max_tokens=settings.max_tokens,
            batch_size=settings.batch_size,
            dtype=settings.dtype,
            decoding="greedy",
            seed=settings.seed,
            decision_tokens=two_phase.decision_tokens if two_phase else None,
            one_phase_reason=one_phase_reason,
            prompts_continued=two_phase.prompts_continued if two_phase else None,
            continued=two_phase.continued if two_phase else {},
            labels_changed_by_continuing=two_phase.labels_changed if two_phase else None,
        ),
        cache=CacheRecord(
            dir=str(config.cache_dir) if config.cache_dir else None,
            reused=generated.cached,
            generated=generated.generated,
            corrupt_entries_ignored=cache.corrupt if cache else 0,
        ),
        adapter_checks={label: AdapterCheckRecord(**figures) for label, figures in checks.items()},
        engine_loads=[
            EngineLoadRecord(model=str(load.model or plan.base or "server"), seconds=load.seconds)
            for load in plan.engines.loads
        ],
        judge=judge_record(config.judge, judged, config.review),
        platform=platform.platform(),
    )
