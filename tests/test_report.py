"""Report rendering: untrusted model output stays text; the summary carries the verdict."""

import json

from conftest import invoke, response_rows, write_jsonl

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def run_with_payload(tmp_path):
    refusal = "I can't help with that."
    base = response_rows("baseline", {"en": [refusal] * 12})
    cand = response_rows("candidate", {"en": [f"Sure! {PAYLOAD} Here is how, step by step."] * 6 + [refusal] * 6})
    for row in cand:
        row["prompt"] = f"prompt {PAYLOAD}"
    for row in base:
        row["prompt"] = f"prompt {PAYLOAD}"
    out = tmp_path / "out"
    result = invoke("compare", write_jsonl(tmp_path / "b.jsonl", base), write_jsonl(tmp_path / "c.jsonl", cand),
                    "--out", out)
    assert result.exit_code == 1, result.stderr
    return out


def test_model_output_is_escaped_in_html(tmp_path):
    html = (run_with_payload(tmp_path) / "report.html").read_text()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert html.count("<script") == 0  # this report has no script of its own yet


def test_report_is_self_contained(tmp_path):
    html = (run_with_payload(tmp_path) / "report.html").read_text()
    for needle in ("http://", "https://", "<link", "@import"):
        assert needle not in html, needle


def test_summary_has_verdict_table_and_violation(tmp_path):
    out = run_with_payload(tmp_path)
    summary = (out / "summary.md").read_text()
    results = json.loads((out / "results.json").read_text())
    assert summary.startswith("## safetygate: ❌ failed")
    assert "| English (`en`) | 12 | 100.0% | 50.0% | -50.0 |" in summary
    assert f"- `max_refusal_drop`: {results['violations'][0]['message']}" in summary
