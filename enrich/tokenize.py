"""Thai word tokenisation (PyThaiNLP newmm) with the organisation's own words kept whole."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache

_lock = threading.Lock()
_WORD = re.compile(r"\w", re.UNICODE)
# Everyday words newmm's dictionary lacks (it splits แอป into แอ + ป).
EXTRA_WORDS = ("แอป", "แอพ", "แอปพลิเคชัน", "โมบายแบงก์กิ้ง", "ออนไลน์", "แอดมิน", "คิวอาร์")


@lru_cache(maxsize=8)
def _trie(custom_words: frozenset[str]):
    from pythainlp.corpus import thai_words
    from pythainlp.util import Trie

    return Trie(set(thai_words()) | set(EXTRA_WORDS) | custom_words)


def dictionary(custom_words: Iterable[str] = ()):
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
