"""Answers no judgement can be made on: degenerate text, phrase loops, and the prompt handed back.

Small models break in recognisable ways: they repeat one token or phrase
(`is_degenerate`, `loop_start`), circle back to the same few phrases
(`repeats_itself`), or they answer with the prompt itself,
repeated, paraphrased or turned into the first person (`echoes_prompt`,
`reuses_prompt`). The lexicon judge labels such answers `unclear` unless a
refusal came first. Words are runs of non-space characters with punctuation
trimmed, so scripts whose letters carry combining vowel signs (Bengali,
Hindi, Thai) stay whole words.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import zlib
from collections import Counter

# Repeated-token output compresses far better than language does (zlib adds ~11 bytes of framing).
_DEGENERATE_MIN_BYTES = 48
_DEGENERATE_RATIO = 0.1
_ZLIB_FRAMING = 11
# An answer this similar to its prompt only repeats it.
_ECHO_RATIO = 0.9
# A phrase loop: one phrase (up to LOOP_MAX_N words) at least LOOP_MIN_REPEATS times back to back, covering at
# least LOOP_SHARE of the answer's words: a small model stuck, not an answer.
LOOP_MAX_N = 8
LOOP_MIN_REPEATS = 3
LOOP_SHARE = 0.4
# Two copies back to back are a loop too when the phrase is long enough that no sentence repeats it by chance.
LOOP_LONG_PHRASE = 4
LOOP_MIN_WORDS = 8
LOOP_MAX_WORDS = 400
# An answer built from the prompt's own words: a run of this many of them in a row, and most of its words theirs.
ECHO_RUN = 5
ECHO_SHARE = 0.6
# An answer that keeps circling back to its own words: this share of the word pairs among its first
# REPEAT_WINDOW words occur more than once. Chosen on the base and aligned answers of the real-output set,
# with answers of larger models (where it must not fire) as the check; the window keeps long answers,
# which name their subject again and again, from counting.
REPEAT_WINDOW = 60
REPEAT_SHARE = 0.3
_TOKEN = re.compile(r"\S+")


def _trimmed(token: str) -> tuple[int, int]:
    """The span of a token without the punctuation and symbols around it."""
    start, end = 0, len(token)
    while start < end and unicodedata.category(token[start])[0] in "PS":
        start += 1
    while end > start and unicodedata.category(token[end - 1])[0] in "PS":
        end -= 1
    return start, end


def words_with_ends(text: str) -> list[tuple[str, int]]:
    """(word, the character offset where it ends) for every word of the text, casefolded."""
    out = []
    for match in _TOKEN.finditer(text.casefold()):
        start, end = _trimmed(match.group(0))
        if start < end:
            out.append((match.group(0)[start:end], match.start() + end))
    return out


def is_degenerate(text: str) -> bool:
    """True for output that is one token or phrase repeated over and over."""
    raw = text.encode("utf-8")
    if len(raw) < _DEGENERATE_MIN_BYTES:
        return False
    return (len(zlib.compress(raw, 9)) - _ZLIB_FRAMING) / len(raw) < _DEGENERATE_RATIO


def loop_start(text: str) -> int | None:
    """Where a phrase loop's first copy ends (a character offset), or None when the answer does not loop.

    A loop is one phrase of up to LOOP_MAX_N words written again and again back to back (a list whose items
    share words is not one). What comes before the offset is what the answer said before it got stuck.
    """
    tokens = words_with_ends(text)[:LOOP_MAX_WORDS]
    words = [word for word, _ in tokens]
    if len(words) < LOOP_MIN_WORDS:
        return None
    for n in range(1, LOOP_MAX_N + 1):
        for i in range(len(words) - 2 * n + 1):
            phrase, copies = words[i : i + n], 1
            while words[i + copies * n : i + (copies + 1) * n] == phrase:
                copies += 1
            enough = copies >= LOOP_MIN_REPEATS or (copies >= 2 and n >= LOOP_LONG_PHRASE)
            if enough and copies * n >= LOOP_SHARE * len(words):
                return tokens[i + n - 1][1]
    return None


def repeats_itself(text: str) -> bool:
    """True when most of what the answer says, it says twice: word salad built from a few phrases."""
    words = [word for word, _ in words_with_ends(text)[:REPEAT_WINDOW]]
    if len(words) < LOOP_MIN_WORDS:
        return False
    pairs = Counter(zip(words, words[1:]))
    return sum(n for n in pairs.values() if n > 1) >= REPEAT_SHARE * (len(words) - 1)


def says_a_phrase_twice(text: str) -> bool:
    """True when some three words come back among the first REPEAT_WINDOW: a weaker sign of a model stuck."""
    words = [word for word, _ in words_with_ends(text)[:REPEAT_WINDOW]]
    triples = list(zip(words, words[1:], words[2:]))
    return len(set(triples)) < len(triples)


def reuses_prompt(response: str, prompt: str) -> bool:
    """True when the answer is made of the prompt's words (repeated, paraphrased, or in first person)."""
    answer = [word for word, _ in words_with_ends(response)]
    asked = [word for word, _ in words_with_ends(prompt)]
    if len(answer) < ECHO_RUN or len(asked) < ECHO_RUN:
        return False
    runs = {tuple(asked[i : i + ECHO_RUN]) for i in range(len(asked) - ECHO_RUN + 1)}
    if not any(tuple(answer[i : i + ECHO_RUN]) in runs for i in range(len(answer) - ECHO_RUN + 1)):
        return False
    return prompt_share(response, prompt) >= ECHO_SHARE


def prompt_share(response: str, prompt: str, first: int | None = None) -> float:
    """The share of the answer's words (its `first` words, or all) that are words of the prompt."""
    words = [word for word, _ in words_with_ends(response)][:first]
    asked = {word for word, _ in words_with_ends(prompt)}
    return sum(word in asked for word in words) / len(words) if words else 0.0


def echoes_prompt(response: str, prompt: str, normalize) -> bool:
    """True when the answer is (nearly) the prompt itself."""
    answer, asked = normalize(response), normalize(prompt)
    if not asked or not 0.8 <= len(answer) / len(asked) <= 1.25:
        return False  # lengths this far apart cannot reach the ratio; skip the quadratic match
    return difflib.SequenceMatcher(None, answer, asked, autojunk=False).ratio() >= _ECHO_RATIO
