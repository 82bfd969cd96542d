"""Watched entities: find a brand, product, person or topic by any of its spellings.

Thai spellings (anything with a non-ASCII letter) are matched on the text without spaces,
through a *loose key* (:func:`loose_key`) that forgives common Thai misspellings; ASCII
spellings are matched on whole Latin words, with case, spacing and hyphen variants and, for
long ones, one typo. Rules (docs/enrichment.md has the table):

* Thai spellings of 5 characters or more match loosely: tone marks and other silent marks
  are ignored and similar-sounding letters are one class (``แสงทอง`` = ``แสงท้อง`` =
  ``แสงธอง``). The match must not cut a syllable: no leading vowel (เ แ โ ใ ไ) just before
  it, no dependent vowel (ั า ำ ิ ี ุ ู …) just after it.
* Shorter Thai spellings (``ทรู``, ``ปตท``) must match exactly and stand as whole words:
  when a Thai letter touches either side, the surrounding Thai run is tokenised (PyThaiNLP
  newmm with the watched names) and the match must start and end on word boundaries, next
  to no lone consonant (``บทรูปแบบ`` is บท|รูปแบบ, not ทรู).
* Latin spellings match whole words (``[a-z0-9]`` runs), joined across spaces, hyphens,
  underscores, dots, ``&`` and apostrophes: ``Saeng Thong`` = ``saeng-thong`` =
  ``SaengThong`` = ``saengthong``. A spelling of 6+ letters whose words all have 3+ letters
  also matches with one typo (Damerau–Levenshtein distance 1: ``saengthomg``).
* Each Thai spelling of 5+ characters also gets its Royal Institute romanisation
  (``แสงทอง`` → ``saengthong``) as an extra Latin spelling, matched exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from enrich.normalize import normalize

_ASCII = re.compile(r"^[\x00-\x7f]+$")
_LATIN_TOKEN = re.compile(r"[a-z0-9]+")
# What may sit between the words of one Latin name: "saeng thong", "saeng-thong", "h&m", "st. bank".
_JOINER = re.compile(r"[\s\-_.&'’+/]{1,3}")
# camelCase pieces of a configured spelling: "SaengThong" → Saeng, Thong; "KBank" → K, Bank.
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")

LOOSE_MIN = 5  # Thai spellings this long (characters, without spaces) match loosely
FUZZY_MIN = 6  # Latin spellings this long (letters and digits) match with one typo
FUZZY_WORD_MIN = 3  # ... if each of their words has at least this many
ROMANIZE_MIN = 6  # romanised Thai spellings shorter than this are not used ("thru")
MAX_JOIN = 4  # Latin words a spelling may span in the text
WORD_CONTEXT = 12  # Thai letters either side tokenised to check a short spelling's word boundaries
MAX_WORD_CHECKS = 50  # occurrences of one short spelling checked per text

# The loose key. Dropped: tone marks ่ ้ ๊ ๋, mai taikhu ็, thanthakhat ์, phinthu ฺ, sara a ะ,
# mai han-akat ั, and whitespace. One letter per class of similar sounds:
_LOOSE_CLASSES = {
    "ส": "ศษ",  # s
    "ท": "ธฑฒ",  # th  (and ทร → ซ, below)
    "ต": "ฏ",  # t
    "ด": "ฎ",  # d
    "ถ": "ฐ",  # th (aspirated, high class)
    "ค": "ฅฆ",  # kh
    "ข": "ฃ",  # kh (high class)
    "น": "ณ",  # n
    "ล": "ฬ",  # l
    "พ": "ภ",  # ph
    "ย": "ญ",  # y
    "ช": "ฌ",  # ch
    "ไ": "ใ",  # ai
    "ิ": "ี",  # i / ii (vowel length)
    "ึ": "ื",  # ue / uee
    "ุ": "ู",  # u / uu
}
LOOSE_DROPPED = "\u0e48\u0e49\u0e4a\u0e4b\u0e47\u0e4c\u0e3a\u0e30\u0e31"
_LOOSE_TABLE: dict[int, str | None] = {ord(c): None for c in LOOSE_DROPPED + " \t\n\r\u00a0\u3000"}
for _rep, _members in _LOOSE_CLASSES.items():
    _LOOSE_TABLE.update({ord(c): _rep for c in _members})

_LEADING_VOWELS = frozenset("เแโใไ")
# Marks that end the syllable of the letter before them (tone marks, ็, ์, ะ): a loose match
# takes them in ("แสงท้อง" ends after the tone mark; "เกาะ" spelt "เกา" still ends at ะ).
_TRAILING_MARKS = frozenset("\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e47\u0e30")
# Dependent vowels: the consonant before one goes on into its syllable, so a match cannot end there.
_DEPENDENT_VOWELS = frozenset("\u0e31\u0e32\u0e33\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e45\u0e4d")


def loose_key(text: str) -> str:
    """Lower-case ``text`` without spaces, tone marks and silent marks, with similar-sounding
    Thai letters folded to one per class (``ทร`` → ``ซ``): equal keys are "the same name".

    >>> loose_key("ธนาคาร แสงท้อง") == loose_key("ธนาคารแสงทอง")
    True
    """
    return text.lower().replace("ทร", "ซ").translate(_LOOSE_TABLE)


def _pattern(key: str, loose: bool) -> re.Pattern:
    """A regex over lower-cased text for one Thai spelling: its characters (each loose class
    when ``loose``, ``ซ`` also as ``ทร``) with spaces, and when ``loose`` dropped marks, between."""
    gap = "[\\s" + LOOSE_DROPPED + "]*" if loose else "\\s*"
    parts = []
    for ch in key:
        if loose and ch == "ซ":
            parts.append("(?:ซ|ทร)")
        elif loose and ch in _LOOSE_CLASSES:
            parts.append("[" + ch + _LOOSE_CLASSES[ch] + "]")
        else:
            parts.append(re.escape(ch))
    return re.compile(gap.join(parts))


def latin_words(spelling: str) -> tuple[str, ...]:
    """Lower-case words of a Latin spelling, split at spaces, punctuation and camelCase."""
    return tuple(p.lower() for chunk in re.findall(r"[A-Za-z0-9]+", spelling) for p in _CAMEL.findall(chunk))


def within_one_edit(a: str, b: str) -> bool:
    """Damerau–Levenshtein distance (optimal string alignment) of ``a`` and ``b`` at most 1."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    short = min(la, lb)
    while i < short and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1:] == b[i + 1:] or (
            i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:]
        )
    if la > lb:
        return a[i + 1:] == b[i:]
    return a[i:] == b[i + 1:]


def _is_thai_letter(ch: str) -> bool:
    return "\u0e01" <= ch <= "\u0e4e" and ch not in "\u0e2f\u0e3f\u0e46"  # not ฯ ฿ ๆ


@dataclass(frozen=True)
class Entity:
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Latin:
    entity: str
    words: frozenset[tuple[str, ...]]  # configured word splits: always accepted when joined
    joinable: bool  # may match across any word split ("saeng thong" for "Saengthong")


class EntityMatcher:
    """Finds watched entities in normalised text by every spelling (see the module doc).

    ``custom_words`` are given to the tokenizer that checks short Thai spellings, with every
    spelling; ``romanize`` adds romanised Thai spellings.
    """

    def __init__(self, entities: Iterable[Entity], custom_words: Iterable[str] = (), romanize: bool = True):
        self._thai: list[tuple[str, str, re.Pattern, bool]] = []  # (entity, loose key, pattern, short)
        self._latin: dict[str, list[_Latin]] = {}  # compact form → spellings
        self._fuzzy: dict[str, list[tuple[str, str]]] = {}  # first/last two letters → (entity, compact)
        words = set(custom_words)
        latin: list[tuple[str, str, bool]] = []  # (entity, spelling, configured)
        for entity in entities:
            spellings = list(dict.fromkeys([entity.name, *entity.aliases]))
            words.update(spellings)
            for spelling in spellings:
                form = normalize(spelling).lower()
                if not form:
                    continue
                if _ASCII.match(form):
                    latin.append((entity.name, normalize(spelling), True))
                    continue
                compact = "".join(form.split())
                if len(compact) >= LOOSE_MIN:
                    key = loose_key(compact)
                    self._thai.append((entity.name, key, _pattern(key, True), False))
                    if romanize and not re.search(r"[^\u0e00-\u0e7f\s]", form):
                        latin.append((entity.name, _romanized(form), False))
                elif loose_key(compact):
                    self._thai.append((entity.name, loose_key(compact), _pattern(compact, False), True))
        for name, spelling, configured in latin:
            split = latin_words(spelling)
            compact = "".join(split)
            if not compact or (not configured and len(compact) < ROMANIZE_MIN):
                continue
            plain = tuple(re.findall(r"[a-z0-9]+", spelling.lower()))
            entry = _Latin(name, frozenset({split, plain}), len(compact) >= LOOSE_MIN)
            if entry not in self._latin.setdefault(compact, []):
                self._latin[compact].append(entry)
            if configured and len(compact) >= FUZZY_MIN and all(len(w) >= FUZZY_WORD_MIN for w in plain):
                for key in {compact[:2], compact[-2:]}:
                    self._fuzzy.setdefault(key, []).append((name, compact))
        self._prefixes = frozenset(c[:k] for c in self._latin for k in range(1, len(c)))
        self.custom_words = tuple(sorted(w for w in words if w and w.strip()))
        self._trie = None

    # -- Thai -------------------------------------------------------------------------
    def _thai_ok(self, lower: str, pattern: re.Pattern, short: bool) -> bool:
        """Some occurrence of ``pattern`` in ``lower`` is a real match (see the module doc)."""
        n, checks = len(lower), 0
        for m in pattern.finditer(lower):
            s, e = m.span()
            if short:
                if self._whole_word(lower, s, e):
                    return True
                checks += 1
                if checks == MAX_WORD_CHECKS:
                    return False  # bounded work on adversarial text
                continue
            while e < n and lower[e] in _TRAILING_MARKS:
                e += 1
            if not (s > 0 and lower[s - 1] in _LEADING_VOWELS) and not (e < n and lower[e] in _DEPENDENT_VOWELS):
                return True
        return False

    def _dictionary(self):
        if self._trie is None:
            from enrich.tokenize import dictionary

            self._trie = dictionary(self.custom_words)
        return self._trie

    def _whole_word(self, lower: str, s: int, e: int) -> bool:
        before = s > 0 and _is_thai_letter(lower[s - 1])
        after = e < len(lower) and _is_thai_letter(lower[e])
        if not (before or after):
            return True
        from pythainlp.tokenize import word_tokenize

        a, b = s, e
        while a > 0 and s - a < WORD_CONTEXT and _is_thai_letter(lower[a - 1]):
            a -= 1
        while b < len(lower) and b - e < WORD_CONTEXT and _is_thai_letter(lower[b]):
            b += 1
        tokens = word_tokenize(lower[a:b], custom_dict=self._dictionary(), engine="newmm", keep_whitespace=True)
        offsets, pos = [0], 0
        for t in tokens:
            pos += len(t)
            offsets.append(pos)
        if s - a not in offsets or e - a not in offsets:
            return False
        i, j = offsets.index(s - a), offsets.index(e - a)
        lone = lambda k: 0 <= k < len(tokens) and len(tokens[k]) == 1 and "\u0e01" <= tokens[k] <= "\u0e2e"  # noqa: E731
        return not lone(i - 1) and not lone(j)

    # -- Latin ------------------------------------------------------------------------
    def _latin_found(self, lower: str, found: list[str]) -> None:
        if not self._latin:
            return
        tokens = [(m.group(), m.start(), m.end()) for m in _LATIN_TOKEN.finditer(lower)]
        prefixes = self._prefixes
        for i, (compact, _, end) in enumerate(tokens):
            parts = [compact]
            for j in range(i, min(len(tokens), i + MAX_JOIN)):
                if j > i:
                    if compact not in prefixes:
                        break  # no spelling goes on from here
                    word, start, next_end = tokens[j]
                    if not _JOINER.fullmatch(lower, end, start):
                        break
                    compact += word
                    parts.append(word)
                    end = next_end
                entries = self._latin.get(compact)
                if entries:
                    for entry in entries:
                        if entry.entity not in found and (
                            j == i or tuple(parts) in entry.words or (entry.joinable and all(len(p) >= 2 for p in parts))
                        ):
                            found.append(entry.entity)
                elif (
                    self._fuzzy and len(compact) >= FUZZY_MIN - 1
                    and (j == i or all(len(p) >= FUZZY_WORD_MIN for p in parts))
                ):
                    for key in {compact[:2], compact[-2:]}:
                        for name, alias in self._fuzzy.get(key, ()):
                            if name not in found and within_one_edit(compact, alias):
                                found.append(name)

    def find(self, normalised_text: str) -> list[str]:
        """Names of the entities mentioned in ``normalised_text``, Thai spellings first."""
        lower = normalised_text.lower()
        found: list[str] = []
        if self._thai:
            loose = loose_key(lower)
            for name, key, pattern, short in self._thai:
                if name not in found and key in loose and self._thai_ok(lower, pattern, short):
                    found.append(name)
        self._latin_found(lower, found)
        return found


def _romanized(thai: str) -> str:
    from enrich.transliterate import romanize

    return romanize(thai)
