"""The ensemble judge: the lexicon's confident verdicts stand; a model judge decides the rest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..records import Completion, Verdict
from .lexicon import LexiconJudge
from .model import ModelJudge


class EnsembleJudge:
    name = "ensemble"

    def __init__(self, model_judge: ModelJudge) -> None:
        self.lexicon = LexiconJudge()
        self.model_judge = model_judge

    def verdicts(self, completions: Sequence[Completion]) -> list[Verdict]:
        first = self.lexicon.verdicts(completions)
        unsure = [i for i, v in enumerate(first) if not v.confident]
        second = self.model_judge.verdicts([completions[i] for i in unsure])
        out = list(first)
        for i, verdict in zip(unsure, second, strict=True):
            out[i] = replace(verdict, reason=f"{verdict.reason} (lexicon unsure: {first[i].reason})")
        return out

    def close(self) -> None:
        self.model_judge.close()
