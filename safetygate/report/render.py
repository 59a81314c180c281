"""Pure renderers over the gate result: the HTML report and the Markdown summary.

Model output is untrusted HTML, so the HTML template is autoescaped; the
report runs one inline script, allowed by its hash in the page's CSP.
With several candidates (a sweep) both open with a candidates x languages
overview, then give each candidate's comparison in its own section.
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
from .result import CandidateResult, GateResult, PowerRecord

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


def shared_warnings(comparisons: dict[str, CandidateResult]) -> list[str]:
    """Warnings every candidate of a sweep carries (underpowered languages): said once, not per candidate."""
    first, *rest = comparisons.values()
    return [w for w in first.warnings if rest and all(w in c.warnings for c in rest)]


def _power(comparisons: dict[str, CandidateResult], language: str) -> PowerRecord | None:
    """A language's power: it depends on the prompt count alone, the same for every candidate."""
    found = (c.languages[language].power for c in comparisons.values() if language in c.languages)
    return next((p for p in found if p is not None), None)


def view(result: GateResult) -> dict[str, Any]:
    """What both templates read: each candidate's comparison, and in a sweep what spans them."""
    comparisons = result.comparisons()
    languages = list(dict.fromkeys(code for c in comparisons.values() for code in c.languages))
    shared = shared_warnings(comparisons)
    return {
        "r": result,
        "sweep": bool(result.candidates),
        "cands": comparisons,
        "languages": languages,
        "powers": {code: _power(comparisons, code) for code in languages},
        "failed": [name for name, c in comparisons.items() if not c.passed],
        "run_warnings": list(dict.fromkeys([*result.warnings, *shared])),
        "own_warnings": {name: [w for w in c.warnings if w not in shared] for name, c in comparisons.items()},
    }


def render_html(result: GateResult) -> str:
    """The self-contained HTML report."""
    script, script_hash = _script()
    return _env.get_template("report.html.j2").render(**view(result), script=script, script_hash=script_hash)


def render_markdown(result: GateResult) -> str:
    """A short Markdown verdict for a pull request comment or a CI step summary."""
    return _env.get_template("summary.md.j2").render(**view(result))
