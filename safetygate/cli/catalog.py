"""`safetygate suites ...` and `safetygate policy ...`: look at and validate the gate's inputs."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from ..errors import ExitCode, InputError, did_you_mean
from ..gate import load_policy
from ..lines import prompt_line
from ..plural import counted
from ..suites import builtin_suite_names, load_suite, select_languages
from ..suites.validation import kind_counts, language_agreement, missing_translations
from .options import Debug
from .output import OnceCommand, OneLineGroup, print_error, user_errors

suites_app = typer.Typer(help="List, show and validate prompt suites.", no_args_is_help=True, cls=OneLineGroup)
policy_app = typer.Typer(help="Validate gate policies.", no_args_is_help=True, cls=OneLineGroup)


@suites_app.command("list", cls=OnceCommand)
def suites_list(debug: Debug = False) -> None:
    """List the built-in suites with version, languages and prompt counts."""
    with user_errors(debug):
        for name in builtin_suite_names():
            suite = load_suite(name)
            counts = kind_counts(suite)
            per_kind = counts[suite.languages[0]]
            typer.echo(
                f"{suite.name}  v{suite.version}  languages: {','.join(suite.languages)}  "
                f"per language: {per_kind.get('harmful', 0)} harmful, {per_kind.get('benign', 0)} benign"
            )


@suites_app.command("show", cls=OnceCommand)
def suites_show(
    name: Annotated[str, typer.Argument(help="Built-in suite name or a suite path.")],
    language: Annotated[Optional[str], typer.Option("--language", help="Only this language.")] = None,
    category: Annotated[Optional[str], typer.Option("--category", help="Only this category.")] = None,
    debug: Debug = False,
) -> None:
    """Print a suite's prompts as JSONL."""
    with user_errors(debug):
        suite = load_suite(name)
        prompts = select_languages(
            list(suite.prompts), [] if language is None else [language], suite.name, "--language"
        )
        categories = sorted({p.category for p in prompts})
        if category is not None and category not in categories:
            raise InputError(
                f"--category: no category {category!r} in {suite.name} (categories: {', '.join(categories)})"
                + did_you_mean(category, categories)
            )
    for p in prompts:
        if category is None or p.category == category:
            typer.echo(json.dumps(prompt_line(p), ensure_ascii=False))


@suites_app.command("validate", cls=OnceCommand)
def suites_validate(
    path: Annotated[str, typer.Argument(help="Suite file or folder (or a built-in name).")],
    min_agreement: Annotated[
        float,
        typer.Option(
            "--min-agreement",
            min=0.0,
            max=1.0,
            help="Fail when langdetect agrees with a language's label on fewer prompts than this share.",
        ),
    ] = 0.9,
    debug: Debug = False,
) -> None:
    """Check a suite: format, duplicate ids, empty prompts, translations missing across languages,
    and whether langdetect agrees that each prompt is in its language."""
    with user_errors(debug):
        suite = load_suite(path)
    missing = missing_translations(suite)
    for language, ids in missing.items():
        print_error(
            f"{suite.source}: {language}: missing {counted(len(ids), 'id')} other languages have: {', '.join(ids[:8])}"
        )
    counts = kind_counts(suite)
    typer.echo(
        f"{suite.source}: {counted(len(suite.prompts), 'prompt')} in {counted(len(counts), 'language')};"
        f" sha256 {suite.sha256[:12]}"
    )
    agreement = language_agreement(suite)
    low = []
    for language, (agreed, total, wrong) in agreement.items():
        rate = agreed / total
        listed = f"; disagrees on {', '.join(wrong[:10])}" + (" ..." if len(wrong) > 10 else "") if wrong else ""
        typer.echo(f"  {language}: langdetect agrees on {agreed}/{total} ({rate:.1%}){listed}")
        if rate < min_agreement:
            low.append(language)
    unchecked = sorted(set(counts) - set(agreement))
    if unchecked:
        typer.echo(f"  not checked (langdetect does not know them): {', '.join(unchecked)}")
    for language in low:
        print_error(f"{suite.source}: {language}: langdetect agrees on fewer than {min_agreement:.0%} of prompts")
    raise typer.Exit(ExitCode.BAD_INPUT if missing or low else ExitCode.PASSED)


@policy_app.command("validate", cls=OnceCommand)
def policy_validate(
    file: Annotated[str, typer.Argument(help="Policy YAML file or built-in name.")],
    debug: Debug = False,
) -> None:
    """Validate a policy file and print the rules it sets."""
    with user_errors(debug):
        policy, source = load_policy(file)
    typer.echo(
        f"{source}: valid policy {policy.name!r}, decision {policy.decision}, "
        f"rules {policy.rules.model_dump(exclude_none=True)}"
        + (f", overrides for {', '.join(sorted(policy.languages))}" if policy.languages else "")
    )
