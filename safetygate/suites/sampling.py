"""Seeded, stratified samples of a suite for quick runs.

`--sample N` keeps N items per language, spread over (kind, category) strata
in proportion to their size, and keeps the same ids in every language so
translations stay comparable. The same seed gives the same sample.
"""

from __future__ import annotations

import random
from collections import defaultdict

from ..records import Prompt


def sample_prompts(prompts: list[Prompt], n: int, seed: int = 0) -> list[Prompt]:
    """About n prompts per language (all of a stratum's ids when it is small), order kept."""
    strata: dict[tuple[str, str], set[str]] = defaultdict(set)
    for p in prompts:
        strata[(p.kind.value, p.category)].add(p.id)
    total = sum(len(ids) for ids in strata.values())
    if n >= total:
        return prompts
    # Largest-remainder allocation: every stratum gets its share, the total is exactly n.
    shares = {key: n * len(ids) / total for key, ids in strata.items()}
    counts = {key: int(share) for key, share in shares.items()}
    for key in sorted(shares, key=lambda k: (counts[k] - shares[k], k))[: n - sum(counts.values())]:
        counts[key] += 1
    rng = random.Random(seed)
    chosen: set[str] = set()
    for key in sorted(strata):
        chosen.update(rng.sample(sorted(strata[key]), counts[key]))
    return [p for p in prompts if p.id in chosen]
