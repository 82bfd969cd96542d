"""The search query language, parsed once and translated by each store backend.

``แอป ล่ม`` — both words; ``ล่ม OR ขัดข้อง`` — either; ``"โอนเงิน ไม่ได้"`` — a phrase;
``-โปรโมชั่น`` — not. Each word is tokenised like stored text, so Thai without spaces
(``แอปล่ม``) means the phrase of its words.

The tokenizer keeps custom words whole, so a post saying ``ธนาคารแสงทอง`` (an alias) is
indexed under that one word, not under ``แสงทอง``. A phrase is therefore widened, here,
to every way the stored words can spell it (:func:`spellings`): ``แสงทอง`` also matches
the compounds that contain it (``ธนาคารแสงทอง``, ``แอปแสงทองพลัส``), ``แสงทอง ล่ม`` also
``ธนาคารแสงทอง ล่ม``, and ``ธนาคารแสงทอง`` also ``ธนาคาร แสงทอง`` written apart. The
stored index is untouched, so stores made before this need nothing, and a changed alias
list applies to what is already stored.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from enrich.normalize import normalize
from enrich.tokenize import compound_parts, index_terms, tokenize
from sadap.core.errors import InputError

log = logging.getLogger(__name__)
_PART = re.compile(r'-?"[^"]*"|\S+')
MAX_SPELLINGS = 64  # alternatives one query phrase may widen to (more: the first ones, logged)


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

    if text is None or not str(text).strip():
        return Query(text="")
    if text.count('"') % 2:
        raise InputError(f"query {_shown(text)}: unbalanced double quote")
    groups: list[list[tuple[str, ...]]] = []
    negatives: list[tuple[str, ...]] = []
    pending_or = False
    compounds = compound_parts(custom_words)
    for part in _PART.findall(text):
        if part == "OR":
            if not groups:
                raise InputError(f"query {_shown(text)}: OR needs a term on each side")
            pending_or = True
            continue
        negative = part.startswith("-") and len(part) > 1
        raw = part[1:] if negative else part
        raw = raw.strip('"')
        phrase = tuple(tokenize(normalize(raw), custom_words))
        if not phrase:
            continue
        alternatives = spellings(phrase, compounds)
        if negative:
            negatives.extend(a for a in alternatives if a not in negatives)
        elif pending_or:
            groups[-1].extend(a for a in alternatives if a not in groups[-1])
        else:
            groups.append(alternatives)
        pending_or = False
    if pending_or:
        raise InputError(f"query {_shown(text)}: OR needs a term on each side")
    if not groups and not negatives:  # only signs or punctuation: not "everything"
        raise InputError(
            f'query {_shown(text)} has no words to search (give at least one word; quote phrases with "…")'
        )
    return Query(tuple(tuple(g) for g in groups), tuple(negatives), text)


def _shown(text: str, most: int = 60) -> str:
    """``text`` quoted for an error line, cut after ``most`` characters (a query may be long)."""
    return repr(text if len(text) <= most else text[:most] + "…")


def spellings(phrase: tuple[str, ...], compounds: dict[str, tuple[str, ...]]) -> list[tuple[str, ...]]:
    """``phrase`` and every other run of stored words that contains it, given the compounds
    the tokenizer keeps whole (:func:`enrich.tokenize.compound_parts`); phrase first.

    Both sides are compared as their finest words (a compound as its parts): a run of stored
    words matches when the phrase's words lie inside its words' and it starts and ends
    within the phrase. So the first stored word may be a compound that ends with the
    phrase's first words, the last one a compound that starts with its last words, one in
    between a compound whose parts are all the phrase's words there; or a single compound
    that contains the whole phrase."""

    if not compounds:
        return [phrase]
    words = [x for tok in phrase for t in index_terms(tok) for x in compounds.get(t, (t,))]
    if not any(w in part for w in words for part in compounds.values()):
        return [phrase]
    n = len(words)
    seen = {tuple(t for tok in phrase for t in index_terms(tok))}
    out = [phrase]

    def fits(parts: tuple[str, ...], run: list[str], first: bool, last: bool) -> bool:
        k = len(run)
        if first and last:
            return any(list(parts[i : i + k]) == run for i in range(len(parts) - k + 1))
        if first:
            return list(parts[-k:]) == run
        if last:
            return list(parts[:k]) == run
        return list(parts) == run

    # A compound's parts number at most ``longest``, so no stored word covers a longer run of
    # the phrase's words: runs longer than that have no options and need no looking at.
    longest = max(len(parts) for parts in compounds.values())
    options_at: dict[int, list[tuple[int, str]]] = {}

    def options(i: int) -> list[tuple[int, str]]:
        """The stored words that can start at word ``i``, each with where the next one starts."""
        if i not in options_at:
            found: list[tuple[int, str]] = []
            for j in range(i + 1, min(n, i + longest) + 1):
                run = words[i:j]
                if j == i + 1:
                    found.append((j, run[0]))
                found += [(j, w) for w, parts in compounds.items() if fits(parts, run, i == 0, j == n)]
            options_at[i] = found
        return options_at[i]

    def walk() -> bool:
        """Depth first over the ways to spell the words, in order, collecting each whole one
        into ``out`` (a loop, not recursion: a phrase may have thousands of words). False
        once there are more than MAX_SPELLINGS."""
        path: list[str] = []
        stack = [iter(options(0))]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                if path:
                    path.pop()
                continue
            j, word = step
            if j < n:
                path.append(word)
                stack.append(iter(options(j)))
                continue
            done = (*path, word)
            if done not in seen:
                seen.add(done)
                out.append(done)
            if len(out) > MAX_SPELLINGS:
                return False
        return True

    if not walk():
        del out[MAX_SPELLINGS:]
        log.warning("search phrase %r: more than %d spellings with compound words; using the first ones",
                    " ".join(phrase), MAX_SPELLINGS)
    return out


def matches_tokens(query: Query, tokens: list[str]) -> bool:
    """Evaluate a query against a token list as the stores do (used by tests and in-memory
    checks): tokens and phrases are compared as index terms."""

    terms = [t for tok in tokens for t in index_terms(tok)]

    def has(phrase: tuple[str, ...]) -> bool:
        want = tuple(t for tok in phrase for t in index_terms(tok))
        n = len(want)
        return n > 0 and any(tuple(terms[i : i + n]) == want for i in range(len(terms) - n + 1))

    return all(any(has(p) for p in group) for group in query.all_of) and not any(has(p) for p in query.none_of)
