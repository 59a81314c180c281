"""Checks on a loaded suite beyond its format: translations missing across languages, counts per kind,
and whether each prompt is in the language it claims (`safetygate suites validate`)."""

from __future__ import annotations

from collections import Counter, defaultdict

from ..langid import detect_language, detectable
from ..records import Prompt, Suite


def missing_translations(suite: Suite) -> dict[str, list[str]]:
    """For each language, the ids other languages have and it lacks."""
    by_language: dict[str, set[str]] = defaultdict(set)
    for p in suite.prompts:
        by_language[p.language].add(p.id)
    every_id = set().union(*by_language.values())
    return {lang: sorted(every_id - ids) for lang, ids in sorted(by_language.items()) if every_id - ids}


def kind_counts(suite: Suite) -> dict[str, Counter]:
    """Per language, how many prompts of each kind."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for p in suite.prompts:
        counts[p.language][p.kind.value] += 1
    return dict(sorted(counts.items()))


def language_agreement(suite: Suite) -> dict[str, tuple[int, int, list[str]]]:
    """Per language langdetect knows: (prompts it agrees on, prompts, ids it disagrees on)."""
    by_language: dict[str, list[Prompt]] = defaultdict(list)
    for p in suite.prompts:
        by_language[p.language].append(p)
    out = {}
    for language, prompts in sorted(by_language.items()):
        if not detectable(language):
            continue
        wrong = [p.id for p in prompts if detect_language(p.prompt) != language]
        out[language] = (len(prompts) - len(wrong), len(prompts), wrong)
    return out
