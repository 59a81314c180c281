"""A sweep's outputs: several candidates against one baseline, built from hand-made judged answers (no model).

report.html opens with a candidates x languages table of drops, then each candidate's detail; summary.md and
junit.xml carry one section or suite per candidate; one candidate keeps today's layout.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser

import pytest

from safetygate.gate import load_policy
from safetygate.gate.verdict import decide
from safetygate.records import Completion, Judged, Kind, Label, Prompt, Verdict
from safetygate.report.build import build_result
from safetygate.report.junit import render_junit
from safetygate.report.render import render_html, render_markdown
from safetygate.report.result import AdapterRecord, GateResult, JudgeRecord, RunRecord, load_result

PLANTED = '<script>alert("x")</script>'
# Harmful refusals each candidate lost, of 60 per language: one passes, two fail.
SWEEP = {"ckpt-100": {}, "ckpt-200": {"de": 30}, f"ckpt-{PLANTED}": {"en": 20, "de": 40}}
LANGUAGES = ("en", "de")


def answers(model: str, lost: dict[str, int], harmful: int = 60, benign: int = 20) -> list[Judged]:
    """The baseline refuses every harmful prompt; a candidate complies with the first `lost` of a language."""
    out = []
    for language in LANGUAGES:
        for i in range(harmful):
            prompt = Prompt(f"harmful-{i:03d}", language, "cyber" if i % 2 else "fraud", Kind.HARMFUL, f"prompt {i}")
            label = Label.COMPLIANCE if i < lost.get(language, 0) else Label.REFUSAL
            response = "Sure, step one." if label is Label.COMPLIANCE else "I can't help with that."
            out.append(Judged(Completion(prompt, model, response), Verdict(label, "test", language)))
        for i in range(benign):
            prompt = Prompt(f"benign-{i:03d}", language, "benign", Kind.BENIGN, f"question {i}")
            out.append(Judged(Completion(prompt, model, "Here you go."), Verdict(Label.COMPLIANCE, "test", language)))
    return out


def gate(candidates: dict[str, dict[str, int]]) -> GateResult:
    """A gate result for these candidates against one baseline: the sweep layout when there are several."""
    policy, source = load_policy("default")
    baseline = answers("baseline", {})
    decided = {name: decide(baseline, answers(name, lost), policy) for name, lost in candidates.items()}
    run = RunRecord(
        safetygate_version="test",
        languages=sorted(LANGUAGES),
        judge=JudgeRecord(name="given"),
        base_model="base",
        baseline_adapter=AdapterRecord(path="/ckpt/baseline"),
        candidates={name: AdapterRecord(path=f"/ckpt/{name}", kind="model", sha256="ab" * 32) for name in candidates}
        if len(candidates) > 1
        else {},
    )
    return build_result(decided, policy, source, run, ["a note about the whole run"])


@pytest.fixture(scope="module")
def sweep() -> GateResult:
    return gate(SWEEP)


@pytest.fixture(scope="module")
def html(sweep) -> str:
    return render_html(sweep)


class Elements(HTMLParser):
    """Every start tag's attributes, in page order."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def sweep_cells(html: str) -> dict[str, dict[str, str]]:
    """Candidate -> language -> the class of its cell in the sweep table, and "verdict" -> the last cell's."""
    table = html[html.index('id="sweep"') : html.index("</table>", html.index('id="sweep"'))]
    rows: dict[str, list[dict[str, str]]] = {}
    for tag, attrs in Elements(table).tags:
        if tag == "tr" and "data-candidate" in attrs:
            cells = rows.setdefault(attrs["data-candidate"], [])
        elif tag == "td":
            cells.append(attrs)
    by_language = {
        name: {c["data-language"]: c["class"] for c in cells if "data-language" in c} for name, cells in rows.items()
    }
    return {name: {**by_language[name], "verdict": cells[-1]["class"]} for name, cells in rows.items()}


def test_the_sweep_table_has_a_row_per_candidate_coloured_by_verdict(sweep, html):
    assert sweep.candidates and not sweep.languages and not sweep.passed
    cells = sweep_cells(html)
    assert list(cells) == list(SWEEP)
    for name, outcome in sweep.candidates.items():
        for code, lang in outcome.languages.items():
            assert ("cell-pass" if lang.passed else "cell-fail") in cells[name][code], (name, code)
        assert cells[name]["verdict"] == ("pass-cell" if outcome.passed else "fail-cell")
    assert cells["ckpt-100"]["de"].endswith("cell-pass") and cells["ckpt-200"]["de"].endswith("cell-fail")
    assert cells["ckpt-200"]["en"].endswith("cell-pass")


def test_the_banner_counts_failed_candidates_and_the_table_shows_drops_and_power(sweep, html):
    assert "2 of 3 candidates failed" in html[html.index('id="verdict"') : html.index("</header>")]
    table = html[html.index('id="sweep"') : html.index("</table>", html.index('id="sweep"'))]
    assert "-50.0" in table and "-66.7" in table  # ckpt-200 and the third lost 30 and 40 of 60 in de
    power = sweep.candidates["ckpt-100"].languages["de"].power
    assert power.underpowered  # 60 harmful prompts under the default policy
    assert f"detects {power.min_detectable_drop * 100:.1f} pts" in table and "underpowered" in table


def test_every_id_is_unique_and_each_candidate_has_its_own_blocks(html):
    ids = [attrs["id"] for _, attrs in Elements(html).tags if "id" in attrs]
    assert not [i for i, n in Counter(ids).items() if n > 1]
    for k, lost in enumerate(SWEEP.values(), start=1):
        blocks = ["candidate", "languages", "heatmap", "over-refusal"]
        blocks += ["violations", "flip-language", "flip-count"] if lost else []  # a passing one has none
        for block in blocks:
            assert f"{block}-{k}" in ids, f"{block}-{k}"
    assert "languages" not in ids  # the single-candidate ids stay the single-candidate page's


def test_each_candidate_section_holds_its_own_flipped_answers(sweep, html):
    for k, (name, lost) in enumerate(SWEEP.items(), start=1):
        count = sum(lost.values())
        assert len(sweep.candidates[name].flipped) == count
        if count:
            assert f'id="flip-count-{k}">{count} shown<' in html


def test_a_candidate_name_with_markup_stays_text(html, sweep):
    assert "<script>alert" not in html
    assert html.count("<script") == 1  # the report's own, pinned by its CSP hash
    assert "ckpt-&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    suites = ET.fromstring(render_junit(sweep).split("?>", 1)[1]).findall("testsuite")
    assert suites[-1].get("name").endswith(f"candidate ckpt-{PLANTED}")  # escaped by the writer, whole when read


def test_warnings_every_candidate_shares_are_said_once(sweep, html):
    underpowered = next(w for w in sweep.candidates["ckpt-100"].warnings if "underpowered" in w)
    assert all(underpowered in c.warnings for c in sweep.candidates.values())
    assert html.count(underpowered) == 1 and html.count("a note about the whole run") == 1
    assert render_markdown(sweep).count(underpowered) == 1


def test_the_run_section_lists_each_candidates_checkpoint(html):
    run = html[html.index('id="run"') : html.index("</dl>", html.index('id="run"'))]
    for name in ("ckpt-100", "ckpt-200"):
        assert f"<dt>{name}</dt><dd>/ckpt/{name} " in run
    assert "full model, sha256 abababababababab" in run and "<dt>baseline</dt><dd>/ckpt/baseline " in run
    assert "<dt>candidate</dt>" not in run


def test_summary_has_an_overview_and_a_section_per_candidate(sweep):
    summary = render_markdown(sweep)
    assert summary.startswith("## safetygate: ❌ failed (2 of 3 candidates failed)\n")
    sections = re.findall(r"^### (.+): (?:✅ passed|❌ failed)$", summary, flags=re.MULTILINE)
    assert sections == list(SWEEP)
    assert "| candidate | German (`de`) ⚠ | English (`en`) ⚠ | verdict |" in summary  # both underpowered
    assert "| ckpt-100 | +0.0 ✅ | +0.0 ✅ | pass |" in summary
    assert "| ckpt-200 | **-50.0** ❌ | +0.0 ✅ | **fail** (1 violation) |" in summary
    assert summary.count("| English (`en`) | 60 |") == len(SWEEP) and summary.count("#### Violations") == 2
    assert summary.endswith("Full report: report.html\n")


def test_one_candidate_keeps_the_single_layout():
    single = gate({"candidate": {"de": 30}})
    assert not single.candidates and single.languages and single.violations
    html, summary = render_html(single), render_markdown(single)
    assert 'id="sweep"' not in html and 'id="languages"' in html and 'id="flip-count"' in html
    assert "candidates failed" not in html and summary.startswith("## safetygate: ❌ failed\n")
    assert "<dt>candidate</dt><dd>base model alone</dd>" in html


def test_junit_has_a_suite_per_candidate_with_its_failures(sweep):
    root = ET.fromstring(render_junit(sweep).split("?>", 1)[1])
    suites = root.findall("testsuite")
    assert len(suites) == len(SWEEP)
    for suite, (name, outcome) in zip(suites, sweep.candidates.items(), strict=True):
        assert name in suite.get("name")
        cases = suite.findall("testcase")
        failed = [c for c in cases if c.find("failure") is not None]
        assert suite.get("tests") == str(len(cases)) and suite.get("failures") == str(len(failed))
        assert sorted((c.get("classname"), c.get("name")) for c in failed) == sorted(
            (f"safetygate.{name}.{v.language}", v.rule) for v in outcome.violations
        )
        assert len(failed) == {"ckpt-100": 0, "ckpt-200": 1}.get(name, 2)
    assert root.get("tests") == str(sum(int(s.get("tests")) for s in suites))
    assert root.get("failures") == "3"


def test_a_sweep_result_round_trips_through_json(sweep, tmp_path):
    assert GateResult.model_validate_json(sweep.to_json()) == sweep
    path = tmp_path / "results.json"
    path.write_text(sweep.to_json(), encoding="utf-8")
    again = load_result(path)
    assert again == sweep and render_html(again) == render_html(sweep)
