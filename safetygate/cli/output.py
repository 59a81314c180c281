"""What the CLI shows: one-line errors, progress, the verdict; nothing here decides anything.

Diagnostics go to stderr so stdout stays machine-readable. In a terminal,
progress is a live bar; in a CI log (no terminal) it is a plain line every
10% or 30 s, so a long run is never silent until it ends.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from typer.core import TyperCommand, TyperGroup

from ..errors import SafetygateError
from ..plural import counted
from ..report.result import GateResult

Progress = Callable[[int, int], None]
PLAIN_EVERY_S = 30.0
PLAIN_EVERY_SHARE = 0.10


def print_error(message: str) -> None:
    typer.secho(message, err=True, fg=typer.colors.RED)


@contextmanager
def user_errors(debug: bool) -> Iterator[None]:
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


def quiet_engines(verbose: bool) -> None:
    """Keep vLLM's INFO logging (hundreds of lines) out of the user's output unless asked for.

    Set in the environment before vLLM is imported, so its engine processes inherit it.
    """
    if not verbose:
        os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")


class PlainProgress:
    """Progress as plain lines for logs: at every 10% step, or every 30 s, whichever comes first."""

    def __init__(
        self,
        label: str,
        clock: Callable[[], float] = time.monotonic,
        write: Callable[[str], None] = lambda line: typer.echo(line, err=True),
    ) -> None:
        self.label, self.clock, self.write = label, clock, write
        self.started = self.last_time = clock()
        self.last_done = 0
        self.first_done: int | None = None

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if self.first_done is None:
            self.first_done = done  # answers already cached are not generation speed
            return
        step = max(1, int(total * PLAIN_EVERY_SHARE))
        if done < total and done - self.last_done < step and now - self.last_time < PLAIN_EVERY_S:
            return
        if done == self.last_done:
            return
        elapsed = now - self.started
        rate = (done - self.first_done) / elapsed if elapsed > 0 else 0.0
        self.write(f"{self.label}: {done}/{total} answers ({done / total:.0%}), {rate:.2f} answers/s, {elapsed:.0f} s")
        self.last_done, self.last_time = done, now


@contextmanager
def progress(label: str) -> Iterator[Progress]:
    """A (done, total) callback: a rich bar on a terminal, plain lines otherwise."""
    if not sys.stderr.isatty():
        yield PlainProgress(label)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TimeElapsedColumn
    from rich.text import Text

    class Speed(ProgressColumn):
        def render(self, task) -> Text:
            return Text(f"{task.speed:.1f} answers/s" if task.speed else "")

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        Speed(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task(label, total=None)
    bar.start()
    try:
        yield lambda done, total: bar.update(task, completed=done, total=total)
    finally:
        bar.stop()


def print_verdict(result: GateResult, files: dict[str, Path]) -> None:
    """The verdict on stderr for people; one JSON line on stdout for scripts."""
    if result.run.backend:
        typer.echo(f"backend: {result.run.backend_reason}", err=True)
    loads = result.run.engine_loads
    if len(loads) > 1:  # full-model sides load one after another: say what that cost
        each = ", ".join(f"{Path(load.model).name} {load.seconds:.0f} s" for load in loads)
        typer.echo(f"engines: {len(loads)} loaded one after another ({each})", err=True)
    generation = result.run.generation
    if generation is not None and generation.decision_tokens:
        typer.echo(
            f"two phases: every answer to {generation.decision_tokens} tokens, then {generation.prompts_continued}"
            f" of {counted(result.run.prompts, 'prompt')} continued to {generation.max_tokens}"
            f" ({counted(sum(generation.continued.values()), 'answer')} grew)",
            err=True,
        )
    elif generation is not None and generation.one_phase_reason:  # two were asked for and could not run
        typer.echo(f"one phase: {generation.one_phase_reason}", err=True)
    verdict = "PASSED" if result.passed else "FAILED"
    comparisons = result.comparisons()
    if result.candidates:
        failed = sum(not c.passed for c in comparisons.values())
        headline = f"{failed} of {len(comparisons)} candidates failed"
    else:
        headline = counted(len(result.violations), "violation")
    typer.secho(
        f"safetygate: gate {verdict} ({headline})",
        err=True,
        fg=typer.colors.GREEN if result.passed else typer.colors.RED,
        bold=True,
    )
    for name, comparison in comparisons.items():
        if result.candidates:
            failing = [code for code, lang in comparison.languages.items() if not lang.passed]
            state = f"FAILED in {', '.join(failing)}" if not comparison.passed else "passed"
            typer.echo(f"{name}: {state} ({counted(len(comparison.violations), 'violation')})", err=True)
        shown = comparison.violations[: 10 if not result.candidates else 3]
        for v in shown:
            typer.echo(f"  {v.rule}: {v.message}", err=True)
        if len(comparison.violations) > len(shown):
            typer.echo(f"  ... and {len(comparison.violations) - len(shown)} more in {files['results']}", err=True)
    typer.echo(f"report: {files['html']}", err=True)
    typer.echo(json.dumps({"passed": result.passed, "exit_code": result.exit_code, "results": str(files["results"])}))


# typer carries its own copy of click: its usage error is the one its runner turns into a message and exit 2.
_USAGE_ERROR = typer.BadParameter.__mro__[1]


class OnceCommand(TyperCommand):
    """A command whose single-value options may be given once: click would silently keep the last one."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        single = {
            opt: param
            for param in self.params
            if param.param_type_name == "option" and not param.multiple and not getattr(param, "is_flag", False)
            for opt in param.opts
        }
        seen: dict[str, str] = {}
        for arg in args:
            if arg == "--":
                break
            given = arg.split("=", 1)[0]
            param = single.get(given)
            if param is None:
                continue
            if param.name in seen:
                first = "" if seen[param.name] == given else f" (first as {seen[param.name]})"
                raise _USAGE_ERROR(
                    f"{given} is given twice{first}: it takes one value, and only the last would be used", ctx=ctx
                )
            seen[param.name] = given
        return super().parse_args(ctx, args)

    def make_context(self, info_name, args, parent=None, **extra):
        with one_line_usage(info_name):
            return super().make_context(info_name, args, parent=parent, **extra)


class OneLineGroup(TyperGroup):
    """A command group whose usage mistakes (an unknown command or option) are one line, as its commands' are."""

    def make_context(self, info_name, args, parent=None, **extra):
        with one_line_usage(info_name):
            return super().make_context(info_name, args, parent=parent, **extra)

    def resolve_command(self, ctx, args):
        with one_line_usage(ctx.command_path):
            return super().resolve_command(ctx, args)


@contextmanager
def one_line_usage(name: str | None) -> Iterator[None]:
    """A usage mistake is bad input like any other: one line and exit 2, not a usage block and a boxed message."""
    try:
        yield
    except _USAGE_ERROR as exc:
        where = exc.ctx.command_path if exc.ctx else name
        typer.echo(f"error: {exc.format_message()} (see '{where} --help')", err=True)
        raise typer.Exit(2) from None
