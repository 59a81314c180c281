"""Report stage: render the gate result as results.json, report.html, summary.md and junit.xml."""

from __future__ import annotations

from pathlib import Path

from .junit import render_junit
from .render import render_html, render_markdown
from .result import GateResult

REPORT_FILES = {"results": "results.json", "html": "report.html", "summary": "summary.md", "junit": "junit.xml"}


def render_all(result: GateResult, out_dir: Path) -> dict[str, tuple[Path, str]]:
    """Every output file's path and text; nothing written yet."""
    texts = {
        "results": result.to_json(),
        "html": render_html(result),
        "summary": render_markdown(result),
        "junit": render_junit(result),
    }
    return {name: (out_dir / REPORT_FILES[name], text) for name, text in texts.items()}
