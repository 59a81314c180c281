"""Pure renderers over the gate result: the HTML report and the Markdown summary.

Model output is untrusted HTML, so the HTML template is autoescaped; the
report runs one inline script, allowed by its hash in the page's CSP.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel

from ..languages import language_name
from .result import GateResult

TEMPLATES = Path(__file__).parent / "templates"


def _jsonable(value: Any) -> Any:
    """`tojson` for records: a pydantic model is written as its JSON form."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


# Category cells with fewer prompts than this are shown, not coloured: one flipped prompt is a big change there.
MIN_CELL = 10

RULES_IN_WORDS = {
    "point": "a language fails when its estimated drop is beyond the margin.",
    "fail_on_evidence": "a language fails only when the {confidence} simultaneous interval ({languages}) lies wholly"
    " beyond the margin.",
    "pass_on_evidence": "a language passes only when the {confidence} interval lies wholly inside the margin.",
}


def confidence_text(confidence: float) -> str:
    """0.95 -> '95%', 0.9975 -> '99.75%'."""
    return f"{confidence * 100:.4g}%"


def rule_text(decision: str, confidence: float, languages: int) -> str:
    count = f"{languages} language{'s' if languages != 1 else ''}"
    return RULES_IN_WORDS[decision].format(confidence=confidence_text(confidence), languages=count)


def _heat(delta: float | None) -> str:
    """Cell colour for a change in refusal rate: red for fewer refusals, green for more, by size."""
    if delta is None:
        return "transparent"
    strength = min(abs(delta) / 0.5, 1.0)
    hue = 0 if delta < 0 else 130
    return f"hsl({hue} 70% {97 - 42 * strength:.0f}%)"


_env = Environment(
    loader=PackageLoader("safetygate", "report/templates"),
    autoescape=select_autoescape(["html", "html.j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    extensions=["jinja2.ext.do"],
)
_env.policies["json.dumps_kwargs"] = {"sort_keys": True, "default": _jsonable}
_env.filters["pct"] = lambda x: "–" if x is None else f"{x * 100:.1f}%"
_env.filters["pts"] = lambda x: "–" if x is None else f"{x * 100:+.1f}"
_env.filters["language_name"] = language_name
_env.filters["heat"] = _heat
_env.filters["md_cell"] = lambda s: str(s).replace("|", "\\|").replace("\n", " ")
_env.filters["confidence"] = confidence_text
_env.filters["drop"] = lambda x: "–" if x is None else f"{x * 100:.1f} pts"
_env.filters["rule_text"] = rule_text
_env.globals["min_cell"] = MIN_CELL


@cache
def _script() -> tuple[str, str]:
    """The report's inline script and its CSP hash (the page runs no other script)."""
    text = (TEMPLATES / "report.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return text, f"sha256-{digest}"


def render_html(result: GateResult) -> str:
    """The self-contained HTML report."""
    script, script_hash = _script()
    return _env.get_template("report.html.j2").render(r=result, script=script, script_hash=script_hash)


def render_markdown(result: GateResult) -> str:
    """A short Markdown verdict for a pull request comment or a CI step summary."""
    return _env.get_template("summary.md.j2").render(r=result)
