"""Content words of a mention: tokens without Thai/English stop words, digits or single letters."""

from __future__ import annotations

import threading

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


def keywords(tokens: list[str], limit: int = MAX_KEYWORDS) -> list[str]:
    stop = stopwords()
    out: list[str] = []
    for token in tokens:
        if len(token) > 1 and not token.isdigit() and token not in stop and token not in out:
            out.append(token)
            if len(out) == limit:
                break
    return out
