"""The search query language, parsed once and translated by each store backend.

``แอป ล่ม`` — both words; ``ล่ม OR ขัดข้อง`` — either; ``"โอนเงิน ไม่ได้"`` — a phrase;
``-โปรโมชั่น`` — not. Each word is tokenised like stored text, so Thai without spaces
(``แอปล่ม``) means the phrase of its words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sadap.errors import InputError

_PART = re.compile(r'-?"[^"]*"|\S+')


@dataclass(frozen=True)
class Query:
    """``all_of`` groups must all match; within a group, any phrase; ``none_of`` must not match.

    A phrase is a tuple of tokens that must appear next to each other.
    """

    all_of: tuple[tuple[tuple[str, ...], ...], ...] = ()
    none_of: tuple[tuple[str, ...], ...] = field(default=())
    text: str = ""

    @property
    def empty(self) -> bool:
        return not self.all_of and not self.none_of


def parse_query(text: str, custom_words: tuple[str, ...] = ()) -> Query:
    from enrich.normalize import normalize
    from enrich.tokenize import tokenize

    if text is None or not str(text).strip():
        return Query(text="")
    if text.count('"') % 2:
        raise InputError(f"query {text!r}: unbalanced double quote")
    groups: list[list[tuple[str, ...]]] = []
    negatives: list[tuple[str, ...]] = []
    pending_or = False
    for part in _PART.findall(text):
        if part == "OR":
            if not groups:
                raise InputError(f"query {text!r}: OR needs a term on each side")
            pending_or = True
            continue
        negative = part.startswith("-") and len(part) > 1
        raw = part[1:] if negative else part
        raw = raw.strip('"')
        phrase = tuple(tokenize(normalize(raw), custom_words))
        if not phrase:
            continue
        if negative:
            negatives.append(phrase)
        elif pending_or:
            groups[-1].append(phrase)
        else:
            groups.append([phrase])
        pending_or = False
    if pending_or:
        raise InputError(f"query {text!r}: OR needs a term on each side")
    return Query(tuple(tuple(g) for g in groups), tuple(negatives), text)


def matches_tokens(query: Query, tokens: list[str]) -> bool:
    """Evaluate a query against a token list (used by tests and in-memory checks)."""

    def has(phrase: tuple[str, ...]) -> bool:
        n = len(phrase)
        return any(tuple(tokens[i : i + n]) == phrase for i in range(len(tokens) - n + 1))

    return all(any(has(p) for p in group) for group in query.all_of) and not any(has(p) for p in query.none_of)
