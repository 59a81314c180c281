"""`safetygate plan`: what a policy can tell at a run's prompt counts, before anything runs."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Optional

import typer

from ..config import RunConfig
from ..gate.planning import DROPS, GatePlan
from ..gate.policy import Policy
from ..pipeline import run_plan
from .options import Debug, PolicyOpt, parse_languages
from .output import user_errors


def plan(
    policy: PolicyOpt = None,
    suite: Annotated[
        Optional[list[str]], typer.Option("--suite", help="Suites whose prompt counts to plan for (repeatable).")
    ] = None,
    languages: Annotated[Optional[str], typer.Option("--languages", help="Comma-separated codes to keep.")] = None,
    prompts: Annotated[
        Optional[int], typer.Option("--prompts", min=1, help="Harmful prompts per language, instead of the suites'.")
    ] = None,
    benign: Annotated[
        Optional[int], typer.Option("--benign", min=0, help="Benign prompts per language, instead of the suites'.")
    ] = None,
    baseline_rate: Annotated[
        Optional[float],
        typer.Option("--baseline-rate", min=0.01, max=0.99, help="Assumed baseline refusal rate of harmful prompts."),
    ] = None,
    churn: Annotated[
        Optional[float],
        typer.Option("--churn", min=0.0, max=0.49, help="Assumed share of prompts flipping each way, no net change."),
    ] = None,
    debug: Debug = False,
) -> None:
    """How often a policy fails an unchanged model, which drops it catches, and the prompts it needs.

    Exact sums over every outcome, for the built-in suites' prompt counts (or --prompts), under the policy's
    assumptions (or --baseline-rate and --churn). No model runs.
    """
    with user_errors(debug):
        config = RunConfig(base=None, suites=tuple(suite or ()), languages=parse_languages(languages))
        chosen, gate = run_plan(policy, config, prompts, benign, baseline_rate, churn)
    typer.echo(render_plan(chosen, gate))


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%" if x >= 0.001 or x == 0 else "<0.1%"


def render_plan(policy: Policy, gate: GatePlan) -> str:
    """The plan as text: one row per group of languages with the same counts, then the whole gate."""
    margin = policy.rules.max_refusal_drop
    a = gate.assume
    lines = [
        f"policy {policy.name}: {policy.decision} at alpha {policy.alpha:g}, margin"
        f" {'none' if margin is None else f'{margin * 100:.1f} pts'}",
        f"assuming a baseline that refuses {a.baseline_refusal_rate:.0%} of harmful prompts and"
        f" {a.churn:.1%} of prompts flipping each way with no net change",
        "",
    ]
    if not gate.languages:
        return "\n".join(lines + ["the policy sets no max_refusal_drop: nothing to plan"])
    rows: dict[int, list[str]] = defaultdict(list)  # languages with the same figures share a row
    for code, power in gate.languages.items():
        rows[id(power)].append(code)
    header = f"{'languages':<24}{'harmful':>8}{'unchanged fails':>17}"
    header += "".join(f"{f'{d * 100:g} pts':>9}" for d in DROPS) + f"{'detects':>10}{'needed':>8}"
    lines += [header.rstrip(), f"{'':<49}(chance a drop of this size in the language fails it)"]
    for codes in sorted(rows.values(), key=lambda codes: gate.languages[codes[0]].n):
        power = gate.languages[codes[0]]
        n = power.n
        detects = "-" if power.min_detectable_drop is None else f"{power.min_detectable_drop * 100:.1f} pts"
        needed = "-" if power.prompts_needed is None else str(power.prompts_needed)
        name = " ".join(codes) if len(codes) <= 4 else f"{len(codes)} languages"
        row = f"{name:<24}{n:>8}{_pct(power.p_fail_unchanged):>17}"
        row += "".join(f"{_pct(power.p_catch[d]):>9}" for d in DROPS) + f"{detects:>10}{needed:>8}"
        lines.append(row + ("   underpowered" if power.underpowered else ""))
    first = next(iter(gate.languages))
    target = gate.languages[first].must_catch_drop or 0.15
    lines += [
        "",
        f"whole gate, {len(gate.languages)} languages: an unchanged model fails {_pct(gate.p_fail_unchanged)} of the"
        f" time; a {target * 100:g}-pt drop in one language fails it {_pct(gate.p_catch_one(first, target))} of the"
        f" time",
    ]
    if gate.underpowered:
        lines.append(f"underpowered: {' '.join(gate.underpowered)} (`check` stops before any model loads)")
    return "\n".join(lines)
