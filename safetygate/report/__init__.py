"""Report stage: render the gate result as results.json, report.html, summary.md and junit.xml, atomically."""

from __future__ import annotations

from pathlib import Path

from ..fileio import write_atomic
from .junit import render_junit
from .render import render_html, render_markdown
from .result import GateResult


def render_all(result: GateResult, out_dir: Path) -> dict[str, tuple[Path, str]]:
    """Every output file's path and text; nothing written yet."""
    return {
        "results": (out_dir / "results.json", result.to_json()),
        "html": (out_dir / "report.html", render_html(result)),
        "summary": (out_dir / "summary.md", render_markdown(result)),
        "junit": (out_dir / "junit.xml", render_junit(result)),
    }


def write_report_files(out_dir: Path, result: GateResult) -> dict[str, Path]:
    """Write the four outputs; each file appears whole or not at all."""
    files = render_all(result, out_dir)
    # Render everything before writing anything: a template error leaves no partial set.
    for path, text in files.values():
        write_atomic(path, text)
    return {name: path for name, (path, _) in files.items()}
