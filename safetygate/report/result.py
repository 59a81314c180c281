"""The gate result: one typed, versioned record that every output is rendered from.

results.json is this record written out; report.html, summary.md, junit.xml,
the CLI's printout and the exit code read it and re-derive nothing. Readers
in other languages use its JSON Schema (`safetygate schema`).

`schema_version` is bumped on any change that would break a reader; within
a version fields are only ever added, with defaults, so an older file still
validates. Rates are fractions in [0, 1]; `delta` is candidate minus
baseline, so a drop in refusals is negative.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError
from ..fileio import describe_validation_error, read_text
from ..gate.policy import Policy, Thresholds

SCHEMA_VERSION = 2

Rate = Annotated[float, Field(ge=0, le=1)]  # a share of prompts, or a probability
Change = Annotated[float, Field(ge=-1, le=1)]  # a difference of two rates


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GroupStats(_Record):
    """Paired refusal statistics of one group of prompts (a language, a category, the benign controls)."""

    n: int
    baseline_refusal_rate: Rate
    candidate_refusal_rate: Rate
    delta: Change
    ci_low: Change
    ci_high: Change
    p_value: Rate
    p_holm: Rate = Field(description="Holm-adjusted across the holm_family groups of the same kind and level")
    holm_family: int = Field(default=1, description="groups p_holm was corrected across")
    lost: int = Field(description="refused by the baseline, not by the candidate")
    gained: int = Field(description="refused by the candidate, not by the baseline")
    baseline_unclear: int
    candidate_unclear: int


class PowerRecord(_Record):
    """What this many harmful prompts let the policy's drop rule tell, under the policy's assumptions."""

    resolution: float = Field(description="one prompt, as a share of the language")
    min_detectable_drop: float | None = Field(description="caught 80% of the time by the active rule; null: none is")
    underpowered: bool = Field(description="cannot tell an unchanged model from one that lost must_catch_drop")
    must_catch_drop: float | None = None
    p_fail_unchanged: float = Field(description="chance every rule together fails an unchanged model here")
    p_pass_unchanged: float
    p_catch: dict[str, float] = Field(description="true drop -> chance the drop rule fails it")
    prompts_needed: int | None = Field(description="fewest harmful prompts at which it is not underpowered")


class UnclearCounts(_Record):
    baseline: int
    candidate: int


class LanguageResult(_Record):
    """One language: its harmful prompts' statistics (absent when it has none), benign controls, categories."""

    n: int
    baseline_refusal_rate: Rate | None = None
    candidate_refusal_rate: Rate | None = None
    delta: Change | None = None
    ci_low: Change | None = None
    ci_high: Change | None = None
    p_value: Rate | None = None
    p_holm: Rate | None = None
    lost: int | None = None
    gained: int | None = None
    baseline_unclear: int | None = None
    candidate_unclear: int | None = None
    unclear: UnclearCounts | None = None
    delta_range: tuple[Change, Change] | None = Field(
        default=None, description="delta with unclear answers counted the worst way, then the best way"
    )
    unclear_decides: bool = Field(default=False, description="the verdict changes across delta_range")
    power: PowerRecord | None = None
    over_refusal: GroupStats | None = None
    categories: dict[str, GroupStats] = {}
    thresholds: Thresholds = Field(
        default_factory=Thresholds, description="the policy's rules for this language, its overrides applied"
    )
    passed: bool


class PolicyRecord(Policy):
    """The policy the verdict was reached under, where it was read from, and the confidences it used."""

    source: str
    ci_confidence: float = Field(description="of every interval reported per language and category")
    rule_confidence: float = Field(
        description="of the interval the drop rule reads (simultaneous for fail_on_evidence)"
    )
    languages_tested: int = Field(description="languages judged together; fail_on_evidence spends alpha across them")


class ViolationRecord(_Record):
    rule: str
    language: str | None
    category: str | None
    value: float
    threshold: float
    message: str


class FlipRecord(_Record):
    """A harmful prompt the baseline refused and the candidate did not (it complied, or it was unclear)."""

    id: str
    language: str
    category: str
    prompt: str
    baseline_response: str
    baseline_reason: str
    candidate_response: str
    candidate_reason: str
    candidate_label: Literal["compliance", "unclear"] = "compliance"
    baseline_reviewed: bool = False
    candidate_reviewed: bool = False


class AdapterRecord(_Record):
    """A checkpoint a side ran: a peft LoRA adapter on the base, or (kind "model") a full model folder."""

    path: str
    kind: Literal["adapter", "model"] = "adapter"
    sha256: str | None = None
    rank: int | None = None
    target_modules: list[str] | None = None


class SuiteRecord(_Record):
    name: str
    version: str
    sha256: str
    source: str


class GenerationRecord(_Record):
    max_tokens: int
    decision_tokens: int | None = Field(None, description="two phases: all answers to this length first; null: one")
    one_phase_reason: str | None = Field(None, description="why a run asked for two phases used one")
    prompts_continued: int | None = Field(None, description="prompts whose answers the second phase continued")
    continued: dict[str, int] = Field({}, description="answers that grew in the second phase, per side")
    labels_changed_by_continuing: int | None = Field(None, description="continued answers the lexicon read anew")
    batch_size: int | None = Field(description="prompts per transformers batch; null: chosen by the backend")
    dtype: str
    decoding: str
    seed: int


class CacheRecord(_Record):
    dir: str | None
    reused: dict[str, int]
    generated: dict[str, int]
    corrupt_entries_ignored: int = 0


class AdapterCheckRecord(_Record):
    """What the adapter check found: the file inspection's figures and the log-probability probe's."""

    checked: bool
    why: str | None = None
    lora_modules: int | None = None
    max_abs_lora_a: float | None = None
    max_abs_lora_b: float | None = None
    probe_prompts: int | None = None
    max_logprob_diff: float | None = None
    top_k_sets_differ: int | None = None
    top_token_changed: int | None = None
    has_effect: bool | None = None


class EngineLoadRecord(_Record):
    """One engine start: the model folder it loaded and how long that took (a full-model side loads its own)."""

    model: str
    seconds: float


class JudgeRecord(_Record):
    name: str
    model: str | None = None
    malformed_outputs: dict[str, int] = Field(
        default_factory=dict, description="model judge outputs that named no label, per side"
    )
    review: str | None = Field(default=None, description="the review file whose labels overrode the judge's")
    reviewed: dict[str, int] = Field(default_factory=dict, description="answers a person's review relabelled, per side")


class RunRecord(_Record):
    """How the result was reached: models, suites, settings, timings (`check`), or the files read (`compare`)."""

    safetygate_version: str
    base_model: str | None = None
    base_model_sha256: str | None = None
    baseline_adapter: AdapterRecord | None = None
    candidate_adapter: AdapterRecord | None = None
    candidates: dict[str, AdapterRecord] = Field(
        default_factory=dict, description="in a sweep: each candidate's checkpoint, keyed as in GateResult.candidates"
    )
    served: dict[str, str] | None = None
    baseline_responses: str | None = None
    candidate_responses: str | None = None
    suites: list[SuiteRecord] = []
    languages: list[str]
    prompts: int | None = None
    sample: int | None = None
    backend: str | None = None
    backend_reason: str | None = None
    generation: GenerationRecord | None = None
    cache: CacheRecord | None = None
    adapter_checks: dict[str, AdapterCheckRecord] = {}
    answers_per_s: float | None = None
    engine_loads: list[EngineLoadRecord] = Field(default_factory=list, description="engines started, in order")
    judge: JudgeRecord
    timings_s: dict[str, float] = {}
    platform: str | None = None


class CandidateResult(_Record):
    """One candidate's comparison with the baseline: what the top level holds when there is one candidate."""

    passed: bool
    languages: dict[str, LanguageResult]
    violations: list[ViolationRecord]
    flipped: list[FlipRecord]
    warnings: list[str] = Field(default_factory=list)


class GateResult(_Record):
    """Everything a gate run decided and why: results.json.

    One candidate: its comparison is `languages`, `violations` and `flipped`, and `candidates` is empty.
    Several (a sweep): each one's comparison is under `candidates`, keyed by its name, all against the
    same baseline answers; the top-level `languages`, `violations` and `flipped` are then empty, and
    `passed` / `exit_code` are the worst candidate's.
    """

    schema_version: Literal[2] = SCHEMA_VERSION
    safetygate_version: str
    passed: bool
    exit_code: int = Field(description="0 passed, 1 failed; what the command exits with")
    policy: PolicyRecord
    languages: dict[str, LanguageResult]
    violations: list[ViolationRecord]
    flipped: list[FlipRecord]
    warnings: list[str] = Field(default_factory=list, description="what a reader of the verdict should know")
    run: RunRecord
    candidates: dict[str, CandidateResult] = Field(
        default_factory=dict, description="a sweep's comparisons, one per candidate; empty with one candidate"
    )

    def comparisons(self) -> dict[str, CandidateResult]:
        """Every candidate's comparison by name, one candidate or several (renderers read this)."""
        if self.candidates:
            return dict(self.candidates)
        own = CandidateResult(
            passed=self.passed, languages=self.languages, violations=self.violations, flipped=self.flipped
        )
        return {"candidate": own}

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of results.json."""
    return GateResult.model_json_schema()


def load_result(path: Path) -> GateResult:
    """Read and validate a results.json; the error names the field that is wrong."""
    text = read_text(path, InputError)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(raw, dict) or raw.get("schema_version") != SCHEMA_VERSION:
        found = raw.get("schema_version") if isinstance(raw, dict) else None
        raise InputError(f"{path}: schema_version: expected {SCHEMA_VERSION}, found {found!r}")
    try:
        return GateResult.model_validate(raw)
    except ValidationError as exc:
        raise InputError(f"{path}: {describe_validation_error(exc)}") from None
