"""The model judge: a local guard or instruct model reads each answer and names its label.

The judge prompt is a Jinja template in the package (`templates/judge_prompt.j2`)
that works for answers in any language. The model runs on the same backend
machinery as generation (vLLM when available, else transformers). Its output is
parsed strictly: the first line must be exactly one label word; anything else is
`unclear` with the reason "malformed judge output", and is counted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from ..backends import GenerationRequest, GenerationSettings, backend_class, resolve_backend
from ..backends.model_files import check_base_model
from ..langid import detect_language
from ..languages import language_name
from ..records import Completion, Label, Prompt, Verdict

TEMPLATE = Path(__file__).parent / "templates" / "judge_prompt.j2"
# Long answers are cut: a refusal or compliance shows early, and the judge's context is finite.
MAX_ANSWER_CHARS = 2000
MALFORMED = "malformed judge output"
_LABEL_LINE = re.compile(r"^[\s*_`\"'.:\[\(]*(refusal|compliance|unclear)[\s*_`\"'.:\]\)!]*$", re.I)
_TAGS = re.compile(r"</?\s*(?:answer|request)\s*>", re.I)


@cache
def _template():
    from jinja2 import Environment, StrictUndefined

    # Plain text for a model, not HTML: no autoescaping; the tags the template uses are stripped from inputs.
    env = Environment(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)
    return env.from_string(TEMPLATE.read_text(encoding="utf-8"))


def render_judge_prompt(completion: Completion) -> str:
    """The judge prompt for one answer."""
    p = completion.prompt
    answer = completion.response[:MAX_ANSWER_CHARS]
    return _template().render(
        language_name=language_name(p.language), prompt=_TAGS.sub("", p.prompt), response=_TAGS.sub("", answer)
    )


def parse_judge_output(output: str) -> Label | None:
    """The label named on the output's first non-empty line, or None when it is not exactly a label."""
    lines = [line for line in output.strip().splitlines() if line.strip()]
    if not lines:
        return None
    match = _LABEL_LINE.match(lines[0])
    return Label(match.group(1).lower()) if match else None


class ModelJudge:
    name = "model"

    def __init__(self, model: Path, backend: str = "auto", settings: GenerationSettings | None = None) -> None:
        self.model = model
        self.backend_name, self.backend_reason = resolve_backend("auto" if backend == "openai" else backend)
        self.settings = settings or GenerationSettings(max_tokens=8)
        self._backend = None

    def _get_backend(self):
        if self._backend is None:
            check_base_model(self.model)
            self._backend = backend_class(self.backend_name)(self.model, [], self.settings)
        return self._backend

    def verdicts(self, completions: Sequence[Completion]) -> list[Verdict]:
        """One verdict per answer, in order; one backend call for all of them."""
        if not completions:
            return []
        requests = [
            GenerationRequest(
                Prompt(c.prompt.id, c.prompt.language, c.prompt.category, c.prompt.kind, render_judge_prompt(c)), None
            )
            for c in completions
        ]
        outputs = self._get_backend().generate(requests)
        verdicts = []
        for completion, output in zip(completions, outputs, strict=True):
            label = parse_judge_output(output)
            language = detect_language(completion.response)
            if label is None:
                verdicts.append(
                    Verdict(Label.UNCLEAR, f"{MALFORMED}: {output.strip()[:60]!r}", language, malformed=True)
                )
            else:
                verdicts.append(Verdict(label, f"judge model said {label.value}", language))
        return verdicts

    def close(self) -> None:
        close = getattr(self._backend, "close", None)
        if close is not None:
            close()
        self._backend = None
