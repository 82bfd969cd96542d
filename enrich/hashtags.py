"""Hashtags and the words inside them.

``#แอปล่มอีกแล้ว`` is split with the same Thai tokenizer (and custom dictionary, so brand
names stay whole) as the text; ``#SaengThongDown``, ``#saengthong_down`` and
``#AppDown2024`` at camelCase, underscore and letter/digit boundaries; an all-lower-case
Latin run is also split around a known word (``#saengthongdown`` → ``saengthong``, ``down``
when ``Saengthong`` is a watched spelling). Words are lower-cased.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from enrich.tokenize import tokenize

_HASHTAG = re.compile(r"#([0-9A-Za-z_\u0e00-\u0e7f]+)")
# Runs of one script inside a tag: Thai, or Latin letters and digits. `_` and anything else split.
_RUN = re.compile(r"[\u0e00-\u0e7f]+|[A-Za-z0-9]+")
# camelCase pieces: "ATMDown" → ATM, Down; "AppDown2024" → App, Down, 2024.
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
MAX_TAGS = 50  # tags whose words are extracted per text (a spam post may carry hundreds)
MIN_KNOWN = 4  # shortest known Latin word split off an unbroken lower-case run


def hashtags(text: str) -> list[str]:
    """The distinct tags in ``text``, lower-cased, without ``#``, in order of appearance."""
    seen: list[str] = []
    for tag in _HASHTAG.findall(text):
        tag = tag.lower()
        if tag not in seen:
            seen.append(tag)
    return seen


@lru_cache(maxsize=16)
def _known_latin(custom_words: tuple[str, ...]) -> tuple[str, ...]:
    """Custom words usable to split an unbroken Latin run: ASCII, compacted, longest first."""
    forms = {re.sub(r"[^a-z0-9]", "", w.lower()) for w in custom_words if w.isascii()}
    return tuple(sorted((f for f in forms if len(f) >= MIN_KNOWN), key=len, reverse=True))


def _split_known(run: str, known: tuple[str, ...]) -> list[str]:
    """Split a lower-case run around the longest known word that starts or ends it."""
    for word in known:
        if len(run) > len(word):
            if run.startswith(word):
                return [word, *_split_known(run[len(word):], known)]
            if run.endswith(word):
                return [*_split_known(run[: -len(word)], known), word]
    return [run]


def split_hashtag(tag: str, custom_words: Iterable[str] = ()) -> list[str]:
    """Words of one hashtag (with or without ``#``), lower-cased, in order.

    >>> split_hashtag("#SaengThongDown")
    ['saeng', 'thong', 'down']
    """
    return _split(tag, tuple(custom_words))[0]


def _split(tag: str, custom_words: tuple[str, ...]) -> tuple[list[str], bool]:
    """The tag's words, and whether a Latin run of it was cut into several words."""

    words: list[str] = []
    cut = False
    for run in _RUN.findall(tag):
        if "\u0e00" <= run[0] <= "\u0e7f":
            words.extend(tokenize(run, custom_words))
        else:
            latin = _latin_words(run, custom_words)
            cut = cut or len(latin) > 1
            words.extend(latin)
    return words, cut


def _latin_words(run: str, custom_words: tuple[str, ...]) -> list[str]:
    """A Latin run's words: at camelCase and letter/digit boundaries, else around known words."""
    pieces = _CAMEL.findall(run)
    if len(pieces) == 1 and pieces[0].isalpha():
        return _split_known(pieces[0].lower(), _known_latin(custom_words))
    return [p.lower() for p in pieces]


def split_tags(text: str, custom_words: Iterable[str] = ()) -> list[tuple[list[str], bool]]:
    """Each of the first :data:`MAX_TAGS` distinct tags in ``text``, split once: its words, and
    whether a Latin run of it was cut (see :func:`hashtag_words`, :func:`hashtag_search_words`)."""
    custom_words = tuple(custom_words)
    seen: set[str] = set()
    out: list[tuple[list[str], bool]] = []
    for tag in _HASHTAG.findall(text):
        if tag.lower() not in seen:
            seen.add(tag.lower())
            out.append(_split(tag, custom_words))
            if len(out) == MAX_TAGS:
                break
    return out


def distinct_words(splits: list[tuple[list[str], bool]]) -> list[str]:
    """The distinct words of split tags, in order."""
    out: list[str] = []
    for words, _ in splits:
        for word in words:
            if word not in out:
                out.append(word)
    return out


def search_words(splits: list[tuple[list[str], bool]]) -> list[list[str]]:
    """For full-text search: the words of each split tag that has a Latin run cut inside
    (``#SaengThongDown`` → saeng, thong, down; ``#saengthongdown`` → saengthong, down when
    Saengthong is a custom word). Other tags' words are already among the text's tokens: Thai
    runs are tokenised alike, and the search index splits at ``_`` and between scripts."""
    out: list[list[str]] = []
    for words, cut in splits:
        if cut and words not in out:
            out.append(words)
    return out


def hashtag_words(text: str, custom_words: Iterable[str] = ()) -> list[str]:
    """The distinct words of the first :data:`MAX_TAGS` distinct hashtags in ``text``."""
    return distinct_words(split_tags(text, custom_words))


def hashtag_search_words(text: str, custom_words: Iterable[str] = ()) -> list[list[str]]:
    """:func:`search_words` of the first :data:`MAX_TAGS` distinct hashtags in ``text``."""
    return search_words(split_tags(text, custom_words))
