"""The languages safetygate knows: ISO 639-1 code to English name."""

# fmt: off
LANGUAGES: dict[str, str] = {
    "en": "English", "zh": "Chinese", "es": "Spanish", "fr": "French",
    "de": "German", "it": "Italian", "pt": "Portuguese", "ru": "Russian",
    "ja": "Japanese", "ko": "Korean", "ar": "Arabic", "hi": "Hindi",
    "bn": "Bengali", "th": "Thai", "vi": "Vietnamese", "id": "Indonesian",
    "sw": "Swahili", "jv": "Javanese", "tr": "Turkish", "fa": "Persian",
}
# fmt: on


def language_name(code: str) -> str:
    """English name of a language code, or the code itself when unknown."""
    return LANGUAGES.get(code, code)


# Every ISO 639-1 code, so a typo ("sp" for Spanish) is caught on load while a
# user's own suite in a language outside the built-in twenty still works.
ISO_639_1 = frozenset(
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs"
    " cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha"
    " he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn"
    " ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb"
    " nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd"
    " se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw"
    " ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu".split()
)


def is_known_language(code: str) -> bool:
    """True for an ISO 639-1 code (lower case, two letters)."""
    return code in ISO_639_1
