"""The same inputs give the same results.json and summary.md as the golden run (tests/golden/).

The golden files hold a run on hand-written answer files (three languages, harmful and benign prompts,
categories, unclear answers on both sides) under each built-in policy, written by schema version 2.
Within a version a field may be added, never changed or dropped: every golden value must be in
today's output as it was. (Schema 1's golden run agreed with schema 2 on every value whose meaning
stayed: rates, counts, p-values and the flipped answers; intervals and verdicts changed with the rules.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke

GOLDEN = Path(__file__).parent / "golden"
# Where the run happened, not what it found.
VOLATILE = {("policy", "source"), ("run", "baseline_responses"), ("run", "candidate_responses")}


def contained(golden, new, path=()) -> list[str]:
    """Where `new` drops or changes something `golden` holds."""
    if path in VOLATILE:
        return []
    if isinstance(golden, dict):
        if not isinstance(new, dict):
            return [f"{'.'.join(path)}: not an object"]
        return [
            p
            for k, v in golden.items()
            for p in ([f"{'.'.join(path + (k,))}: missing"] if k not in new else contained(v, new[k], path + (k,)))
        ]
    if path == ("flipped",):
        keyed = {(f["id"], f["language"]): f for f in new}
        return [p for f in golden for p in contained(f, keyed.get((f["id"], f["language"]), {}), path + (f["id"],))]
    if isinstance(golden, list):
        if len(golden) != len(new):
            return [f"{'.'.join(path)}: {len(golden)} items, now {len(new)}"]
        return [p for i, (g, n) in enumerate(zip(golden, new)) for p in contained(g, n, path + (str(i),))]
    return [] if golden == new else [f"{'.'.join(path)}: {golden!r} -> {new!r}"]


@pytest.mark.parametrize("policy", ["default", "strict"])
def test_results_and_summary_match_the_golden_run(policy, tmp_path):
    out = tmp_path / "out"
    result = invoke("compare", GOLDEN / "baseline.jsonl", GOLDEN / "candidate.jsonl", "--policy", policy, "--out", out)
    assert result.exit_code == 1, result.stderr
    golden = json.loads((GOLDEN / f"results.{policy}.json").read_text())
    new = json.loads((out / "results.json").read_text())
    assert not contained(golden, new)
    assert sum(lang["lost"] for lang in new["languages"].values()) == len(new["flipped"])
    assert (out / "summary.md").read_text() == (GOLDEN / f"summary.{policy}.md").read_text()


def test_the_comparison_reports_a_change_it_should():
    golden = {"languages": {"de": {"delta": -0.2}}, "flipped": [{"id": "a", "language": "de", "prompt": "p"}]}
    assert (
        contained(
            golden,
            {
                "languages": {"de": {"delta": -0.2, "new": 1}},
                "flipped": [{"id": "b", "language": "de"}, {"id": "a", "language": "de", "prompt": "p"}],
            },
        )
        == []
    )
    assert contained(golden, {"languages": {"de": {"delta": -0.3}}, "flipped": []}) == [
        "languages.de.delta: -0.2 -> -0.3",
        "flipped.a.id: missing",
        "flipped.a.language: missing",
        "flipped.a.prompt: missing",
    ]
