"""What every command shares: option types, one-line error handling, the progress bar."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import SafetygateError


class BackendChoice(str, Enum):
    auto = "auto"
    transformers = "transformers"
    vllm = "vllm"
    openai = "openai"


def print_error(message: str) -> None:
    typer.secho(message, err=True, fg=typer.colors.RED)


@contextmanager
def user_errors(debug: bool):
    """Turn library errors into one line on stderr and their exit code."""
    try:
        yield
    except SafetygateError as exc:
        if debug:
            raise
        print_error(f"error: {exc}")
        raise typer.Exit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        print_error("interrupted")
        raise typer.Exit(130) from None


def progress_bar(label: str) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A rich progress bar on stderr with answers/s, fed by (done, total) callbacks."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TimeElapsedColumn
    from rich.text import Text

    class Speed(ProgressColumn):
        def render(self, task) -> Text:
            return Text(f"{task.speed:.1f} answers/s" if task.speed else "")

    progress = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), Speed(),
                        TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    task = progress.add_task(label, total=None)
    progress.start()

    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    return update, progress.stop


def parse_languages(value: str | None) -> tuple[str, ...]:
    return tuple(code.strip() for code in value.split(",") if code.strip()) if value else ()


Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")]
PolicyOpt = Annotated[Optional[str], typer.Option("--policy", help="Built-in policy name (default, strict) or a YAML file.")]
SuiteOpt = Annotated[Optional[list[str]], typer.Option("--suite", help="Built-in suite name, a JSONL or CSV file, a suite folder, or hf:DATASET[:split]; repeatable. Default: the default built-in suites.")]
SampleOpt = Annotated[Optional[int], typer.Option("--sample", min=1, help="Keep N items per language, stratified by kind and category, seeded (quick runs).")]
ColumnsOpt = Annotated[Optional[str], typer.Option("--suite-columns", help="Map table columns for CSV and hf: suites, e.g. prompt=goal,language=lang,id=uid.")]
LanguagesOpt = Annotated[Optional[str], typer.Option("--languages", help="Comma-separated ISO 639-1 codes, e.g. en,sw,zh. Default: every language of the suites.")]
BackendOpt = Annotated[BackendChoice, typer.Option("--backend", help="Generation backend.")]
MaxTokensOpt = Annotated[int, typer.Option("--max-tokens", min=1, help="Most tokens generated per answer.")]
BatchOpt = Annotated[int, typer.Option("--batch-size", min=1, help="Prompts per generation batch.")]
RemoteOpt = Annotated[bool, typer.Option("--trust-remote-code", help="Allow model code from the model folder to run (off: safer).")]


TensorParallelOpt = Annotated[int, typer.Option("--tensor-parallel-size", min=1, help="vLLM: GPUs to shard the model over.")]
MemoryOpt = Annotated[Optional[float], typer.Option("--gpu-memory-utilization", min=0.05, max=1.0, help="vLLM: share of accelerator memory to use (default: vLLM's on GPU, 0.4 on CPU).")]
MaxLenOpt = Annotated[Optional[int], typer.Option("--max-model-len", min=16, help="vLLM: context length to reserve (default: the model's).")]
DtypeOpt = Annotated[str, typer.Option("--dtype", help="Weights dtype: auto, bfloat16, float16, float32.")]
CacheDirOpt = Annotated[Optional[Path], typer.Option("--cache-dir", help="Generation cache folder (default: $SAFETYGATE_CACHE_DIR or ~/.cache/safetygate).")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Generate every answer afresh; store nothing (no resume either).")]


def cache_dir(no_cache: bool, given: Path | None) -> Path | None:
    """The cache folder to use, or None when caching is off."""
    from ..cache import default_cache_dir

    return None if no_cache else (given or default_cache_dir())
SaveEveryOpt = Annotated[int, typer.Option("--save-every", min=1, help="Answers per backend call; each call's answers are cached as it returns, so a killed run resumes there.")]
BaseUrlOpt = Annotated[Optional[str], typer.Option("--base-url", help="openai backend: server URL, e.g. http://127.0.0.1:8000/v1.")]
ApiKeyEnvOpt = Annotated[Optional[str], typer.Option("--api-key-env", help="openai backend: environment variable holding the API key.")]
ConcurrencyOpt = Annotated[int, typer.Option("--concurrency", min=1, help="openai backend: requests in flight at once.")]


def served_models(backend: BackendChoice, base_url: str | None, baseline: str | None, candidate: str | None,
                  api_key_env: str | None, concurrency: int):
    """The server options as one object, only with --backend openai (and complete)."""
    from ..config import ServedModels
    if backend is not BackendChoice.openai:
        if base_url:
            raise typer.BadParameter("only with --backend openai", param_hint="--base-url")
        return None
    missing = [flag for flag, value in (("--base-url", base_url), ("--baseline-model", baseline),
                                        ("--candidate-model", candidate)) if not value]
    if missing:
        raise typer.BadParameter(f"--backend openai needs {', '.join(missing)}")
    return ServedModels(base_url, baseline, candidate, api_key_env, concurrency)


def suite_columns(spec: str | None) -> tuple[tuple[str, str], ...]:
    from ..tables import parse_columns

    return tuple(parse_columns(spec).items())


class JudgeChoice(str, Enum):
    lexicon = "lexicon"
    model = "model"
    ensemble = "ensemble"


JudgeOpt = Annotated[JudgeChoice, typer.Option("--judge", help="lexicon: cue phrases per language (fast, no model); model: a local judge model reads each answer; ensemble: the lexicon where it is confident, the model for the rest.")]
JudgeModelOpt = Annotated[Optional[Path], typer.Option("--judge-model", help="Local model folder for --judge model/ensemble (a guard or instruct model).")]


def judge_spec(judge: JudgeChoice, model: Path | None, backend: str = "auto"):
    from ..judge import JudgeSpec, as_spec

    return as_spec(JudgeSpec(judge.value, model, backend))
