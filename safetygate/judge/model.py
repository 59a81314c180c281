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
from .formats import detect_format, parse_guard, parse_label

TEMPLATE = Path(__file__).parent / "templates" / "judge_prompt.j2"
# Long answers are cut: a refusal or compliance shows early, and the judge's context is finite.
MAX_ANSWER_CHARS = 2000
MALFORMED = "malformed judge output"
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


class ModelJudge:
    name = "model"

    def __init__(
        self, model: Path, backend: str = "auto", settings: GenerationSettings | None = None, format: str = "auto"
    ) -> None:
        self.model = model
        self.backend_name, self.backend_reason = resolve_backend("auto" if backend == "openai" else backend)
        self.format = detect_format(model) if format == "auto" else format
        # A guard writes three short lines; a label judge one word.
        self.settings = settings or GenerationSettings(max_tokens=32 if self.format == "qwen3guard" else 8)
        self._backend = None

    def _get_backend(self):
        if self._backend is None:
            check_base_model(self.model)
            self._backend = backend_class(self.backend_name)(self.model, [], self.settings)
        return self._backend

    def _request(self, c: Completion) -> GenerationRequest:
        if self.format == "qwen3guard":
            conversation = (("user", c.prompt.prompt), ("assistant", c.response[:MAX_ANSWER_CHARS]))
            return GenerationRequest(c.prompt, None, conversation=conversation)
        judged = Prompt(c.prompt.id, c.prompt.language, c.prompt.category, c.prompt.kind, render_judge_prompt(c))
        return GenerationRequest(judged, None)

    def _verdict(self, completion: Completion, output: str) -> Verdict:
        language = detect_language(completion.response)
        if self.format == "qwen3guard":
            label, safety = parse_guard(output)
            said = f"guard model: Refusal {'Yes' if label is Label.REFUSAL else 'No'}" + (
                f", Safety {safety}" if safety else ""
            )
        else:
            label = parse_label(output)
            said = f"judge model said {label.value}" if label else ""
        if label is None:
            return Verdict(Label.UNCLEAR, f"{MALFORMED}: {output.strip()[:60]!r}", language, malformed=True)
        return Verdict(label, said, language)

    def verdicts(self, completions: Sequence[Completion]) -> list[Verdict]:
        """One verdict per answer, in order; one backend call for all of them."""
        if not completions:
            return []
        outputs = self._get_backend().generate([self._request(c) for c in completions])
        return [self._verdict(c, output) for c, output in zip(completions, outputs, strict=True)]

    def close(self) -> None:
        close = getattr(self._backend, "close", None)
        if close is not None:
            close()
        self._backend = None
