"""Language identification: the script first, then langdetect (seeded, so repeatable) within it.

Used by the judge (what language did the model answer in?) and by suite
validation (is each prompt in the language it claims?). langdetect alone
reads short Chinese text as Korean or Japanese surprisingly often, but the
script settles those: Hangul is Korean, kana is Japanese, Han characters
with neither are Chinese, Thai script is Thai, Bengali script Bengali, and
Arabic script is Persian when it carries the letters Persian writes and
Arabic does not. Latin, Cyrillic and Devanagari text, shared by many
languages, goes to langdetect.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import cache

# langdetect names Chinese by script variant; suites use the ISO 639-1 code.
_ALIASES = {"zh-cn": "zh", "zh-tw": "zh"}
# Below this many letters a guess is noise: say nothing rather than guess.
_MIN_LETTERS = 12
# Letters Persian writes and Arabic does not (peh, tcheh, jeh, gaf, keheh, farsi yeh), and Arabic's own forms.
_PERSIAN = set("پچژگکی")
_ARABIC = set("يكة")
# A script decides the language when it holds at least this share of the text's letters.
_DOMINANT = 0.5


def _script(ch: str) -> str | None:
    """The script of one letter, for the scripts that settle a language (None: any other)."""
    code = ord(ch)
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9D:
        return "kana"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return "han"
    if 0x0E00 <= code <= 0x0E7F:
        return "thai"
    if 0x0980 <= code <= 0x09FF:
        return "bengali"
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF:
        return "arabic"
    return None


def script_language(text: str) -> str | None:
    """The language a script settles on its own, or None when the text's script is shared by many."""
    letters = [ch for ch in text if ch.isalpha() or unicodedata.category(ch) == "Lo"]
    if not letters:
        return None
    scripts = Counter(_script(ch) for ch in letters)
    cjk = scripts["hangul"] + scripts["kana"] + scripts["han"]
    if cjk >= _DOMINANT * len(letters):
        if scripts["hangul"] >= 0.3 * cjk:
            return "ko"
        # Japanese mixes kana into Han; Chinese writes none (a stray katakana loanword aside).
        return "ja" if scripts["kana"] >= 0.05 * cjk else "zh"
    for script, language in (("thai", "th"), ("bengali", "bn")):
        if scripts[script] >= _DOMINANT * len(letters):
            return language
    if scripts["arabic"] >= _DOMINANT * len(letters):
        persian = sum(ch in _PERSIAN for ch in letters)
        arabic = sum(ch in _ARABIC for ch in letters)
        return "fa" if persian > arabic else "ar"
    return None


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
        by_script = script_language(text)
        # Three Han or Hangul characters are a word; twelve Latin letters are barely two.
        return by_script if by_script and sum(ch.isalpha() for ch in text) >= 4 else None
    by_script = script_language(text)
    if by_script is not None:
        return by_script
    from langdetect import detect
    from langdetect.lang_detect_exception import LangDetectException

    _detector_factory()
    try:
        code = detect(text)
    except LangDetectException:
        return None
    return _ALIASES.get(code, code)


def detectable(code: str) -> bool:
    """True when the script or langdetect can name the language (langdetect has no Javanese, say)."""
    _detector_factory()
    from langdetect.detector_factory import _factory

    known = {_ALIASES.get(lang, lang) for lang in _factory.get_lang_list()}
    return code in known
