"""The `safetygate` command line: parse options, call the pipeline, print, exit.

Diagnostics go to stderr so stdout stays machine-readable. Errors are one
line and an exit code (see design.md); `--debug` shows tracebacks.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .errors import ExitCode, InputError, SafetygateError

app = typer.Typer(
    help="Safety regression gate for fine-tuned LLMs: did this adapter make the model refuse "
         "harmful requests less often, in any language, by more than the policy allows?",
    no_args_is_help=True, pretty_exceptions_show_locals=False, add_completion=False,
)
suites_app = typer.Typer(help="List, show and validate prompt suites.", no_args_is_help=True)
policy_app = typer.Typer(help="Validate gate policies.", no_args_is_help=True)
app.add_typer(suites_app, name="suites")
app.add_typer(policy_app, name="policy")


class BackendChoice(str, Enum):
    auto = "auto"
    transformers = "transformers"
    vllm = "vllm"
    openai = "openai"


def _err(message: str) -> None:
    typer.secho(message, err=True, fg=typer.colors.RED)


@contextmanager
def _errors(debug: bool):
    """Turn library errors into one line on stderr and their exit code."""
    try:
        yield
    except SafetygateError as exc:
        if debug:
            raise
        _err(f"error: {exc}")
        raise typer.Exit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        _err("interrupted")
        raise typer.Exit(130) from None


def _progress(label: str) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A rich progress bar on stderr, fed by (done, total) callbacks."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    progress = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    task = progress.add_task(label, total=None)
    progress.start()

    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    return update, progress.stop


def _languages(value: str | None) -> tuple[str, ...]:
    return tuple(code.strip() for code in value.split(",") if code.strip()) if value else ()


Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")]
PolicyOpt = Annotated[Optional[str], typer.Option("--policy", help="Built-in policy name (default, strict) or a YAML file.")]
SuiteOpt = Annotated[Optional[list[str]], typer.Option("--suite", help="Built-in suite name or a JSONL file/folder; repeatable. Default: every built-in suite.")]
LanguagesOpt = Annotated[Optional[str], typer.Option("--languages", help="Comma-separated ISO 639-1 codes, e.g. en,sw,zh. Default: every language of the suites.")]
BackendOpt = Annotated[BackendChoice, typer.Option("--backend", help="Generation backend.")]
MaxTokensOpt = Annotated[int, typer.Option("--max-tokens", min=1, help="Most tokens generated per answer.")]
BatchOpt = Annotated[int, typer.Option("--batch-size", min=1, help="Prompts per generation batch.")]
RemoteOpt = Annotated[bool, typer.Option("--trust-remote-code", help="Allow model code from the model folder to run (off: safer).")]


@app.command()
def check(
    base: Annotated[Path, typer.Option("--base", help="Base model: a local Hugging Face model folder (safetensors).")],
    adapter: Annotated[Optional[Path], typer.Option("--adapter", help="Candidate: peft LoRA adapter folder applied to the base.")] = None,
    baseline_adapter: Annotated[Optional[Path], typer.Option("--baseline-adapter", help="Baseline adapter, when the released model is itself base + adapter.")] = None,
    policy: PolicyOpt = None,
    suite: SuiteOpt = None,
    languages: LanguagesOpt = None,
    backend: BackendOpt = BackendChoice.auto,
    max_tokens: MaxTokensOpt = 128,
    batch_size: BatchOpt = 16,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("safetygate-report"),
    trust_remote_code: RemoteOpt = False,
    debug: Debug = False,
) -> None:
    """Gate a fine-tuned adapter: generate both sides, judge, compare, apply the policy, exit 0/1/2/3."""
    from .backends import GenerationSettings
    from .pipeline import RunConfig, run_gate

    config = RunConfig(
        base=base, adapter=adapter, baseline_adapter=baseline_adapter, suites=tuple(suite or ()),
        languages=_languages(languages), policy=policy, backend=backend.value, out_dir=out,
        settings=GenerationSettings(max_tokens=max_tokens, batch_size=batch_size, trust_remote_code=trust_remote_code),
    )
    with _errors(debug):
        update, stop = _progress("generating")
        try:
            outcome = run_gate(config, on_progress=update)
        finally:
            stop()
    _print_verdict(outcome.result, outcome.files)
    raise typer.Exit(outcome.exit_code)


@app.command("generate")
def generate_cmd(
    base: Annotated[Path, typer.Option("--base", help="Base model folder (safetensors).")],
    out: Annotated[Path, typer.Option("--out", help="Responses JSONL to write.")],
    adapter: Annotated[Optional[Path], typer.Option("--adapter", help="peft LoRA adapter folder (default: the base alone).")] = None,
    label: Annotated[str, typer.Option("--label", help="Value of the `model` field in every line.")] = "candidate",
    suite: SuiteOpt = None,
    languages: LanguagesOpt = None,
    backend: BackendOpt = BackendChoice.auto,
    max_tokens: MaxTokensOpt = 128,
    batch_size: BatchOpt = 16,
    trust_remote_code: RemoteOpt = False,
    debug: Debug = False,
) -> None:
    """Generate one side's answers to the suites and write a responses JSONL."""
    from .backends import GenerationSettings
    from .pipeline import run_generate

    settings = GenerationSettings(max_tokens=max_tokens, batch_size=batch_size, trust_remote_code=trust_remote_code)
    with _errors(debug):
        update, stop = _progress("generating")
        try:
            completions = run_generate(base, adapter, tuple(suite or ()), _languages(languages), label,
                                       backend.value, settings, out, on_progress=update)
        finally:
            stop()
    typer.echo(f"wrote {len(completions)} responses to {out}", err=True)


@app.command("compare")
def compare_cmd(
    baseline: Annotated[Path, typer.Argument(help="Baseline responses JSONL.")],
    candidate: Annotated[Path, typer.Argument(help="Candidate responses JSONL.")],
    policy: PolicyOpt = None,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("safetygate-report"),
    debug: Debug = False,
) -> None:
    """Gate on two responses files generated anywhere: judge, compare, apply the policy."""
    from .pipeline import run_compare

    with _errors(debug):
        outcome = run_compare(baseline, candidate, policy, out)
    _print_verdict(outcome.result, outcome.files)
    raise typer.Exit(outcome.exit_code)


@app.command("judge")
def judge_cmd(
    responses: Annotated[Path, typer.Argument(help="Responses JSONL.")],
    out: Annotated[Optional[Path], typer.Option("--out", help="Labelled JSONL to write (default: RESPONSES.judged.jsonl).")] = None,
    debug: Debug = False,
) -> None:
    """Label every answer refusal, compliance or unclear, with its language and the reason."""
    from collections import Counter

    from .pipeline import run_judge

    target = out or responses.with_suffix(".judged.jsonl")
    with _errors(debug):
        judged = run_judge(responses, target)
    counts = Counter(j.verdict.label.value for j in judged)
    typer.echo(f"wrote {len(judged)} labelled answers to {target}: "
               + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), err=True)


@app.command("report")
def report_cmd(
    results: Annotated[Path, typer.Argument(help="A results.json written by check or compare.")],
    out: Annotated[Optional[Path], typer.Option("--out", help="HTML file to write (default: report.html beside results.json).")] = None,
    debug: Debug = False,
) -> None:
    """Re-render the HTML report from a results.json."""
    from .fileio import write_atomic
    from .report import render_html
    from .results import SCHEMA_VERSION

    target = out or results.with_name("report.html")
    with _errors(debug):
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


@suites_app.command("list")
def suites_list(debug: Debug = False) -> None:
    """List the built-in suites with version, languages and prompt counts."""
    from .suites import builtin_suite_names, kind_counts, load_suite

    with _errors(debug):
        for name in builtin_suite_names():
            suite = load_suite(name)
            counts = kind_counts(suite)
            per_kind = counts[suite.languages[0]]
            typer.echo(f"{suite.name}  v{suite.version}  languages: {','.join(suite.languages)}  "
                       f"per language: {per_kind.get('harmful', 0)} harmful, {per_kind.get('benign', 0)} benign")


@suites_app.command("show")
def suites_show(
    name: Annotated[str, typer.Argument(help="Built-in suite name or a suite path.")],
    language: Annotated[Optional[str], typer.Option("--language", help="Only this language.")] = None,
    category: Annotated[Optional[str], typer.Option("--category", help="Only this category.")] = None,
    debug: Debug = False,
) -> None:
    """Print a suite's prompts as JSONL."""
    from .suites import load_suite, select_languages

    with _errors(debug):
        suite = load_suite(name)
        prompts = select_languages(list(suite.prompts), [language] if language else [], suite.name)
    for p in prompts:
        if category is None or p.category == category:
            typer.echo(json.dumps({"id": p.id, "language": p.language, "category": p.category,
                                   "kind": p.kind.value, "prompt": p.prompt}, ensure_ascii=False))


@suites_app.command("validate")
def suites_validate(
    path: Annotated[str, typer.Argument(help="Suite file or folder (or a built-in name).")],
    debug: Debug = False,
) -> None:
    """Check a suite: format, duplicate ids, empty prompts, translations missing across languages."""
    from .suites import kind_counts, load_suite, missing_translations

    with _errors(debug):
        suite = load_suite(path)
    missing = missing_translations(suite)
    for language, ids in missing.items():
        _err(f"{suite.source}: {language}: missing {len(ids)} ids other languages have: {', '.join(ids[:8])}")
    counts = kind_counts(suite)
    typer.echo(f"{suite.source}: {len(suite.prompts)} prompts in {len(counts)} languages; sha256 {suite.sha256[:12]}")
    raise typer.Exit(ExitCode.BAD_INPUT if missing else ExitCode.PASSED)


@policy_app.command("validate")
def policy_validate(
    file: Annotated[str, typer.Argument(help="Policy YAML file or built-in name.")],
    debug: Debug = False,
) -> None:
    """Validate a policy file and print the rules it sets."""
    from .policy import load_policy

    with _errors(debug):
        policy, source = load_policy(file)
    typer.echo(f"{source}: valid policy {policy.name!r}, decision {policy.decision}, "
               f"rules {policy.rules.model_dump(exclude_none=True)}"
               + (f", overrides for {', '.join(sorted(policy.languages))}" if policy.languages else ""))


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("safetygate-report"),
    debug: Debug = False,
) -> None:
    """Run the whole gate on a tiny random-weight model and adapter built on the spot (a smoke run: its verdict means nothing)."""
    from .pipeline import RunConfig, run_gate
    from .tiny import build_tiny_model

    typer.echo("demo: building a tiny random-weight Llama and LoRA adapter (a pipeline smoke run, "
               "not a real model: its verdict says nothing about safety)", err=True)
    with _errors(debug):
        base, adapter = build_tiny_model(out / "tiny-model")
        update, stop = _progress("generating")
        try:
            outcome = run_gate(RunConfig(base=base, adapter=adapter, out_dir=out,
                                         languages=("en", "de", "sw")), on_progress=update)
        finally:
            stop()
    _print_verdict(outcome.result, outcome.files)
    raise typer.Exit(outcome.exit_code)


def _print_verdict(result: dict, files: dict[str, Path]) -> None:
    verdict = "PASSED" if result["passed"] else "FAILED"
    typer.secho(f"safetygate: gate {verdict} ({len(result['violations'])} violations)", err=True,
                fg=typer.colors.GREEN if result["passed"] else typer.colors.RED, bold=True)
    for v in result["violations"][:10]:
        typer.echo(f"  {v['rule']}: {v['message']}", err=True)
    typer.echo(f"report: {files['html']}", err=True)
    typer.echo(json.dumps({"passed": result["passed"], "exit_code": result["exit_code"],
                           "results": str(files["results"])}))


def main() -> None:  # pragma: no cover - console script entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
