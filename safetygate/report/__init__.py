"""Report stage: pure renderers over the result object, and the atomic writer of a run's outputs.

Model output is untrusted HTML, so the HTML template is autoescaped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..fileio import write_atomic
from ..languages import language_name

_env = Environment(
    loader=PackageLoader("safetygate", "report/templates"),
    autoescape=select_autoescape(["html", "html.j2"]),
    trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
)
_env.filters["pct"] = lambda x: "–" if x is None else f"{x * 100:.1f}%"
_env.filters["pts"] = lambda x: "–" if x is None else f"{x * 100:+.1f}"
_env.filters["language_name"] = language_name
_env.filters["md_cell"] = lambda s: str(s).replace("|", "\\|").replace("\n", " ")


def render_html(result: dict[str, Any]) -> str:
    """The self-contained HTML report."""
    return _env.get_template("report.html.j2").render(r=result)


def render_markdown(result: dict[str, Any]) -> str:
    """A short Markdown verdict for a pull request comment or a CI step summary."""
    return _env.get_template("summary.md.j2").render(r=result)


def write_report_files(out_dir: Path, result: dict[str, Any]) -> dict[str, Path]:
    """Write results.json, report.html and summary.md; each file appears whole or not at all."""
    files = {
        "results": (out_dir / "results.json", json.dumps(result, indent=2, ensure_ascii=False) + "\n"),
        "html": (out_dir / "report.html", render_html(result)),
        "summary": (out_dir / "summary.md", render_markdown(result)),
    }
    # Render everything before writing anything: a template error leaves no partial set.
    for path, text in files.values():
        write_atomic(path, text)
    return {name: path for name, (path, _) in files.items()}
