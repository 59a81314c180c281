"""Language identification with langdetect, seeded so it is repeatable.

Used by the judge (what language did the model answer in?) and by suite
validation (is each prompt in the language it claims?).
"""

from __future__ import annotations

from functools import cache

# langdetect names Chinese by script variant; suites use the ISO 639-1 code.
_ALIASES = {"zh-cn": "zh", "zh-tw": "zh"}
# Below this many letters a guess is noise: say nothing rather than guess.
_MIN_LETTERS = 12


@cache
def _detector_factory():
    from langdetect import DetectorFactory
    from langdetect.detector_factory import init_factory

    DetectorFactory.seed = 0  # langdetect is random unless seeded
    init_factory()
    return DetectorFactory


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when it cannot tell."""
    if sum(ch.isalpha() for ch in text) < _MIN_LETTERS:
        return None
    from langdetect import detect
    from langdetect.lang_detect_exception import LangDetectException

    _detector_factory()
    try:
        code = detect(text)
    except LangDetectException:
        return None
    return _ALIASES.get(code, code)


def detectable(code: str) -> bool:
    """True when langdetect has a profile for the language (it has none for Javanese, say)."""
    _detector_factory()
    from langdetect.detector_factory import _factory

    known = {_ALIASES.get(lang, lang) for lang in _factory.get_lang_list()}
    return code in known
