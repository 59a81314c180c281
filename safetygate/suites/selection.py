"""The prompts of one run: the named suites merged, the chosen languages kept, a seeded sample taken."""

from __future__ import annotations

from ..config import RunConfig
from ..errors import SuiteError
from ..languages import is_known_language
from ..lines import SeenKeys
from ..records import Prompt, Suite
from .loading import default_suite_names, load_suite
from .sampling import sample_prompts


def select_languages(
    prompts: list[Prompt], languages: list[str] | None, source: str, option: str = "--languages"
) -> list[Prompt]:
    """Keep the prompts in `languages`; a language the suites lack is an input error naming `option`."""
    if not languages:
        return prompts
    available = sorted({p.language for p in prompts})
    for code in languages:
        if not is_known_language(code):
            raise SuiteError(f"{option}: unknown language code {code!r} (expected ISO 639-1, e.g. 'sw')")
        if code not in available:
            raise SuiteError(f"{option}: {code!r} is not in {source} (available: {', '.join(available)})")
    wanted = set(languages)
    return [p for p in prompts if p.language in wanted]


def load_prompts(config: RunConfig) -> tuple[list[Prompt], list[Suite]]:
    """Load and merge suites, keep the chosen languages, sample; the same (id, language) twice is an error."""
    columns = dict(config.suite_columns)
    suites = [load_suite(spec, columns) for spec in (config.suites or tuple(default_suite_names()))]
    prompts: list[Prompt] = []
    seen = SeenKeys(SuiteError)
    for suite in suites:
        for p in suite.prompts:
            seen.add(p, f"suite {suite.source}")
            prompts.append(p)
    source = ", ".join(s.name for s in suites)
    prompts = select_languages(prompts, list(config.languages), f"suites {source}")
    if config.sample:
        prompts = sample_prompts(prompts, config.sample, config.settings.seed)
    return prompts, suites
