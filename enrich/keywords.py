"""Content words of a mention: tokens without Thai/English stop words, digits or single letters."""

from __future__ import annotations

import threading
from collections import Counter
from functools import lru_cache

from enrich.privacy import MASKS
from enrich.tokenize import tokenize

_lock = threading.Lock()
_stop: frozenset[str] | None = None
MAX_KEYWORDS = 12


def stopwords() -> frozenset[str]:
    global _stop
    with _lock:
        if _stop is None:
            from pythainlp.corpus import thai_stopwords

            english = {"the", "a", "an", "and", "or", "is", "are", "to", "of", "in", "on", "for", "it", "this", "that", "with", "at", "be"}
            _stop = frozenset(thai_stopwords()) | frozenset(english) | {"555", "ค่ะ", "ครับ", "คะ", "นะ", "จ้า"}
        return _stop


@lru_cache(maxsize=None)
def _mask_words(mask: str) -> tuple[str, ...]:
    return tuple(tokenize(mask.lower()))


def mask_tokens(text: str) -> Counter[str]:
    """The tokens that the personal-data masks in ``text`` (``[URL]``, ``[โทร]`` …) became, with how
    often: placeholders, not words the author wrote, so no term count or top term should list
    them (``[โทร]`` tokenises as the everyday word โทร, which a real one keeps)."""
    found: Counter[str] = Counter()
    if "[" not in text:
        return found
    for mask in MASKS:
        times = text.count(mask)
        if times:
            for word in _mask_words(mask):
                found[word] += times
    return found


def without_masks(tokens: list[str], text: str) -> list[str]:
    """``tokens`` less one occurrence of each token a mask in ``text`` became, the last ones (a
    word the author wrote beside a mask keeps its place)."""
    left = mask_tokens(text)
    if not left:
        return tokens
    out: list[str] = []
    for token in reversed(tokens):
        if left[token] > 0:
            left[token] -= 1
        else:
            out.append(token)
    return out[::-1]


def keywords(tokens: list[str], limit: int = MAX_KEYWORDS, text: str = "") -> list[str]:
    """The first ``limit`` distinct content words of ``tokens``; ``text``, the masked text they
    come from, to leave out what its masks became."""
    stop = stopwords()
    out: list[str] = []
    for token in without_masks(tokens, text) if text else tokens:
        if len(token) > 1 and not token.isdigit() and token not in stop and token not in out:
            out.append(token)
            if len(out) == limit:
                break
    return out
