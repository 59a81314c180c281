"""Report stage: pure renderers over the result object, and the atomic writer of a run's outputs.

Model output is untrusted HTML, so the HTML template is autoescaped.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..fileio import write_atomic
from ..languages import language_name
from .junit import render_junit

_env = Environment(
    loader=PackageLoader("safetygate", "report/templates"),
    autoescape=select_autoescape(["html", "html.j2"]),
    trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, extensions=["jinja2.ext.do"],
)
_env.filters["pct"] = lambda x: "–" if x is None else f"{x * 100:.1f}%"
_env.filters["pts"] = lambda x: "–" if x is None else f"{x * 100:+.1f}"
_env.filters["language_name"] = language_name
_env.filters["heat"] = lambda d: _heat(d)
_env.filters["md_cell"] = lambda s: str(s).replace("|", "\\|").replace("\n", " ")


def _heat(delta: float | None) -> str:
    """Cell colour for a change in refusal rate: red for fewer refusals, green for more, by size."""
    if delta is None:
        return "transparent"
    strength = min(abs(delta) / 0.5, 1.0)
    hue = 0 if delta < 0 else 130
    return f"hsl({hue} 70% {97 - 42 * strength:.0f}%)"


@cache
def _script() -> tuple[str, str]:
    """The report's inline script and its CSP hash (the page runs no other script)."""
    text = (Path(__file__).parent / "templates" / "report.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return text, f"sha256-{digest}"


def render_html(result: dict[str, Any]) -> str:
    """The self-contained HTML report."""
    script, script_hash = _script()
    return _env.get_template("report.html.j2").render(r=result, script=script, script_hash=script_hash)


def render_markdown(result: dict[str, Any]) -> str:
    """A short Markdown verdict for a pull request comment or a CI step summary."""
    return _env.get_template("summary.md.j2").render(r=result)


def write_report_files(out_dir: Path, result: dict[str, Any]) -> dict[str, Path]:
    """Write results.json, report.html, summary.md and junit.xml; each file appears whole or not at all."""
    files = {
        "results": (out_dir / "results.json", json.dumps(result, indent=2, ensure_ascii=False) + "\n"),
        "html": (out_dir / "report.html", render_html(result)),
        "summary": (out_dir / "summary.md", render_markdown(result)),
        "junit": (out_dir / "junit.xml", render_junit(result)),
    }
    # Render everything before writing anything: a template error leaves no partial set.
    for path, text in files.values():
        write_atomic(path, text)
    return {name: path for name, (path, _) in files.items()}
