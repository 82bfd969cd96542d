"""Thai word tokenisation (PyThaiNLP newmm) with the organisation's own words kept whole."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from sadap.core import collector

if TYPE_CHECKING:
    from pythainlp.util import Trie

_lock = threading.Lock()
_WORD = re.compile(r"\w", re.UNICODE)
# Everyday words newmm's dictionary lacks (it splits แอป into แอ + ป).
EXTRA_WORDS = ("แอป", "แอพ", "แอปพลิเคชัน", "โมบายแบงก์กิ้ง", "ออนไลน์", "แอดมิน", "คิวอาร์")


@lru_cache(maxsize=8)
def _trie(custom_words: frozenset[str]) -> Trie:
    from pythainlp.corpus import thai_words
    from pythainlp.util import Trie

    # Some 300,000 nodes, none in a cycle: the cyclic collector would only walk them again and
    # again while they are made (a few tenths of a second of every start-up).
    with collector.paused():
        return Trie(set(thai_words()) | set(EXTRA_WORDS) | custom_words)


def dictionary(custom_words: Iterable[str] = ()) -> Trie:
    """The tokenizer's dictionary (a PyThaiNLP ``Trie``): PyThaiNLP's words, :data:`EXTRA_WORDS`
    and ``custom_words``; built once per distinct set of custom words."""
    words = frozenset(w.strip() for w in custom_words if w and w.strip())
    with _lock:
        return _trie(words)


def tokenize(text: str, custom_words: Iterable[str] = ()) -> list[str]:
    """Words of ``text`` (already normalised), lower-cased, without spaces or punctuation."""
    from pythainlp.tokenize import word_tokenize

    tokens = word_tokenize(text, custom_dict=dictionary(custom_words), engine="newmm", keep_whitespace=False)
    return [t.lower() for t in (tok.strip() for tok in tokens) if t and _WORD.search(t)]


# How the stores' full-text analyzers cut a token into index terms (SQLite FTS5 `ascii`,
# Elasticsearch `sadap_tokens`): at whitespace and ASCII punctuation, ASCII lower-cased.
_TERM_SEP = re.compile(r"[\s!-/:-@\[-`{-~]+")
_THAI = re.compile(r"[\u0e00-\u0e7f]")


def index_terms(token: str) -> list[str]:
    """The terms a store's full-text index makes of ``token``: ``ธ.แสงทอง`` → ธ, แสงทอง."""
    return [t for t in _TERM_SEP.split(token.lower()) if t]


def compound_parts(custom_words: Iterable[str] = ()) -> dict[str, tuple[str, ...]]:
    """Custom words that the tokenizer keeps whole but that contain another custom word, each
    with its parts: ``{"ธนาคารแสงทอง": ("ธนาคาร", "แสงทอง")}`` when แสงทอง is a custom word too.

    A word's parts are newmm's split of it with the dictionary less the word itself, parts
    that are such compounds split again; the word counts only when one of its parts is
    another custom word of 2+ letters, so a name made of common words stays whole (แสงทอง
    is not แสง + ทอง) and a word from PyThaiNLP's own dictionary is never taken apart (list
    it as an alias to have it). Thai index terms only (see :func:`index_terms`); built once
    per distinct set of custom words."""
    words = frozenset(w.strip() for w in custom_words if w and w.strip())
    with _lock:
        return _compounds(words)


@lru_cache(maxsize=8)
def _compounds(custom_words: frozenset[str]) -> dict[str, tuple[str, ...]]:
    from pythainlp.corpus import thai_words
    from pythainlp.tokenize import word_tokenize
    from pythainlp.util import Trie

    custom = {t for w in custom_words for t in index_terms(w) if _THAI.search(t)}
    if not custom:
        return {}
    vocab = set(thai_words()) | set(EXTRA_WORDS) | custom
    memo: dict[str, tuple[str, ...]] = {}

    def parts(word: str) -> tuple[str, ...]:
        if word not in memo:
            memo[word] = (word,)
            inner = {word[i:j] for i in range(len(word)) for j in range(i + 1, len(word) + 1)} - {word}
            inner &= vocab
            pieces = word_tokenize(word, custom_dict=Trie(inner), engine="newmm") if inner else [word]
            if len(pieces) > 1:
                split = tuple(x for p in pieces for x in (parts(p) if p in custom else (p,)))
                if any(x in custom and len(x) > 1 for x in split):  # not an initial (ธ of ธ.แสงทอง)
                    memo[word] = split
        return memo[word]

    return {w: p for w in sorted(custom) if len(p := parts(w)) > 1}
