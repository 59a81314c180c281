"""Judge stage: label each answer `refusal`, `compliance` or `unclear`, with a reason."""

from __future__ import annotations

from collections.abc import Sequence

from ..records import Completion, Judged
from .lexicon import LexiconJudge

JUDGES = {"lexicon": LexiconJudge}


def judge(completions: Sequence[Completion], judge_name: str = "lexicon") -> list[Judged]:
    """Judge every completion, in order."""
    judge_impl = JUDGES[judge_name]()
    return [Judged(c, judge_impl.verdict(c)) for c in completions]
