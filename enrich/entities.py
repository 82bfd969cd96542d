"""Watched entities: find a brand, product, person or topic by any of its spellings.

Thai spellings (anything with a non-ASCII letter) are matched on the text without spaces,
through a *loose key* (:func:`loose_key`) that forgives common Thai misspellings; ASCII
spellings are matched on whole Latin words, with case, spacing and hyphen variants and, for
long ones, one typo. Rules (docs/enrichment.md has the table):

* Thai spellings of 5 characters or more match loosely: tone marks and other silent marks
  are ignored and similar-sounding letters are one class (``แสงทอง`` = ``แสงท้อง`` =
  ``แสงธอง``). The match must not cut a syllable: no leading vowel (เ แ โ ใ ไ) just before
  it, no dependent vowel (ั า ำ ิ ี ุ ู …) just after it. Nor may it be part of a longer
  word: a space inside it must fall between two words of the name (``แสง ทอง``, not
  ``มา มา`` for the one word ``มาม่า``), and when a Thai letter touches it, no word of the
  dictionary (PyThaiNLP's and the watched names) that newmm picks around it may run across
  either end (``สิงห์`` is not in ``สิงห์บุรี``, ``สมศักดิ์`` not in ``สมศักดิ์ศรี``, ``ไทยรัฐ``
  not in ``ไทย รัฐบาล``). Allowed across an end: a watched compound at its parts
  (``ธนาคาร|แสงทอง``, ``แสงทอง|พลัส``), an organisation word of :data:`NAME_HEADS` before it
  (``ธนาคารออมสิน``), ``ฯ`` after it (``กรุงศรีฯ``), and a tie — the exact spelling kept whole
  costs newmm no more words and leaves no lone consonant (``ทองคำ|เป็น``, not
  ``ทอง|คำเป็น``). Text the dictionary does not know (a misspelling, a new brand) never
  vetoes (``ฮอนด้าบรีโอ้``).
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
from typing import TYPE_CHECKING

from enrich.normalize import normalize
from enrich.tokenize import EXTRA_WORDS, compound_parts, dictionary
from enrich.transliterate import romanize

if TYPE_CHECKING:
    from pythainlp.util import Trie

_ASCII = re.compile(r"^[\x00-\x7f]+$")
_SPACE = re.compile(r"\s+")
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
WORD_CONTEXT = 12  # Thai letters either side tokenised to check a Thai spelling's word boundaries
MAX_WORD_CHECKS = 50  # occurrences of one Thai spelling checked per text
# Words PyThaiNLP's dictionary fuses with the proper name after them (ธนาคารออมสิน, พรรคเพื่อไทย,
# มหาวิทยาลัยศิลปากร): a long Thai name right after one of them still starts a word.
NAME_HEADS = frozenset({"ธนาคาร", "พรรค", "บริษัท", "สายการบิน", "มหาวิทยาลัย", "โรงพยาบาล"})

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


def _pattern(key: str, loose: bool) -> re.Pattern[str]:
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


_THAI_LETTERS = "[\u0e01-\u0e2e\u0e30-\u0e3e\u0e40-\u0e45\u0e47-\u0e4e]"  # as _is_thai_letter
_CONTEXT_BEFORE = re.compile(_THAI_LETTERS + "{0,%d}$" % WORD_CONTEXT)
_CONTEXT_AFTER = re.compile(_THAI_LETTERS + "{0,%d}" % WORD_CONTEXT)


def _thai_context(lower: str, s: int, e: int) -> tuple[int, int]:
    """Bounds of the Thai letters around ``lower[s:e]``, up to :data:`WORD_CONTEXT` each side."""
    before = _CONTEXT_BEFORE.search(lower, max(0, s - WORD_CONTEXT), s)
    after = _CONTEXT_AFTER.match(lower, e)
    assert before is not None and after is not None  # both patterns match the empty string
    return before.start(), after.end()


def _crossed(trie: Trie, text: str, s: int, e: int) -> bool:
    """Some word of ``trie`` in ``text`` runs across position ``s`` or ``e`` (``s`` < ``e``)."""
    for i in range(e):
        for w in trie.prefixes(text, i):
            j = i + len(w)
            if (i < s < j) or (i < e < j):
                return True
    return False


def _lone_consonant(token: str) -> bool:
    return len(token) == 1 and "\u0e01" <= token <= "\u0e2e"


def _words(tokens: list[str]) -> int:
    return sum(1 for t in tokens if not t.isspace())


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

    ``custom_words`` are given to the tokenizer that checks Thai spellings' word boundaries,
    with every spelling; ``romanize`` adds romanised Thai spellings.
    """

    def __init__(self, entities: Iterable[Entity], custom_words: Iterable[str] = (), romanize: bool = True):
        # (entity, loose key, pattern, short, spelling: normalised, lower case, single spaces)
        self._thai: list[tuple[str, str, re.Pattern[str], bool, str]] = []
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
                    self._thai.append((entity.name, key, _pattern(key, True), False, " ".join(form.split())))
                    if romanize and not re.search(r"[^\u0e00-\u0e7f\s]", form):
                        latin.append((entity.name, _romanized(form), False))
                elif loose_key(compact):
                    self._thai.append((entity.name, loose_key(compact), _pattern(compact, False), True, compact))
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
        self._trie: Trie | None = None
        self._compound_cuts: dict[str, tuple[int, ...]] | None = None
        self._space_cuts: dict[str, frozenset[int]] = {}

    # -- Thai -------------------------------------------------------------------------
    def _thai_ok(self, lower: str, pattern: re.Pattern[str], short: bool, spelling: str) -> bool:
        """Some occurrence of ``pattern`` in ``lower`` is a real match (see the module doc)."""
        n, checks = len(lower), 0
        for m in pattern.finditer(lower):
            s, e = m.span()
            if short:
                if self._whole_word(lower, s, e):
                    return True
            else:
                while e < n and lower[e] in _TRAILING_MARKS:
                    e += 1
                if (s > 0 and lower[s - 1] in _LEADING_VOWELS) or (e < n and lower[e] in _DEPENDENT_VOWELS):
                    continue  # cuts a syllable: no tokenising needed
                if self._on_word_edges(lower, s, e, spelling):
                    return True
            checks += 1
            if checks == MAX_WORD_CHECKS:
                return False  # bounded work on adversarial text
        return False

    def _dictionary(self) -> Trie:
        if self._trie is None:
            self._trie = dictionary(self.custom_words)
        return self._trie

    def _compounds(self) -> dict[str, tuple[int, ...]]:
        """Watched spellings that the tokenizer keeps whole but that hold another one
        (``ธนาคารแสงทอง``, ``แสงทองพลัส``), each with the offsets of its inner word boundaries."""
        if self._compound_cuts is None:
            cuts = {}
            for word, parts in compound_parts(self.custom_words).items():
                offsets, pos = [], 0
                for part in parts[:-1]:
                    pos += len(part)
                    offsets.append(pos)
                cuts[word] = tuple(offsets)
            self._compound_cuts = cuts
        return self._compound_cuts

    def _on_word_edges(self, lower: str, s: int, e: int, spelling: str) -> bool:
        """The loose match ``lower[s:e]`` of the long ``spelling`` is not part of a longer word
        (see the module doc)."""
        match = lower[s:e]
        if _SPACE.search(match) and not self._spaces_fit(match, spelling):
            return False
        n = len(lower)
        before = s > 0 and _is_thai_letter(lower[s - 1])
        after = e < n and _is_thai_letter(lower[e])
        if not (before or after):
            return True
        a, b = _thai_context(lower, s, e)
        window, s, e = lower[a:b], s - a, e - a
        trie = self._dictionary()
        if not _crossed(trie, window, s, e):
            return True  # newmm cannot cut the name
        compounds = self._compounds()
        crossed, pos, first, last, words = False, 0, None, 0, 0  # newmm's words over the match
        for t in self._tokens(window):
            end = pos + len(t)
            for edge in (s, e):
                if pos < edge < end and t in trie and edge - pos not in compounds.get(t, ()):
                    if not (edge == s and t[: s - pos] in NAME_HEADS) and not (edge == e and t[e - pos] == "ฯ"):
                        crossed = True
            if pos < e and end > s:
                first, last, words = pos if first is None else first, end, words + (not t.isspace())
            pos = end
        if not crossed:
            return True
        assert first is not None  # a crossed edge lies inside a word that overlaps the match
        if "".join(match.split()) != spelling.replace(" ", ""):
            return False  # a loose spelling needs clear word edges (สิ่ง|หนึ่ง is not สิงห์)
        # A tie: over the stretch of newmm's words that overlap the name, keeping the name whole
        # costs no more words (ทองคำ|เป็น against ทอง|คำเป็น) and breaks no word (no lone
        # consonant); a name inside a longer word (สิงห์|บุรี against สิงห์บุรี) costs one more.
        left = self._tokens(window[first:s]) if first < s else []
        right = self._tokens(window[e:last]) if e < last else []
        if (left and _lone_consonant(left[-1])) or (right and _lone_consonant(right[0])):
            return False
        return _words(left) + len(match.split()) + _words(right) <= words

    def _spaces_fit(self, match: str, spelling: str) -> bool:
        """Each space in ``match`` falls between two words of ``spelling`` (``แสง ทอง`` for
        แสงทอง, but not ``มา มา`` for the one word มาม่า)."""
        cuts = self._space_cuts.get(spelling)
        if cuts is None:
            cuts = self._space_cuts[spelling] = self._word_cuts(spelling)
        return all(len(loose_key(match[: m.start()])) in cuts for m in _SPACE.finditer(match))

    def _word_cuts(self, spelling: str) -> frozenset[int]:
        """Loose-key offsets of the word boundaries inside ``spelling``: its spaces, and within
        each space-free piece the cuts of a watched compound (แสงทอง|พลัส), none in a word of
        PyThaiNLP's dictionary (มาม่า), else newmm's cuts with the words inside it (แสง|ทอง)."""
        from pythainlp.corpus import thai_words
        from pythainlp.tokenize import word_tokenize
        from pythainlp.util import Trie

        trie, compounds, cuts, done = self._dictionary(), self._compounds(), set(), ""
        for piece in spelling.split():
            inner = {w for i in range(len(piece)) for w in trie.prefixes(piece, i)} - {piece}
            if piece in compounds:
                bounds = (0, *compounds[piece], len(piece))
                parts = [piece[i:j] for i, j in zip(bounds, bounds[1:])]
            elif piece in thai_words() or piece in EXTRA_WORDS or not inner:
                parts = [piece]
            else:
                parts = word_tokenize(piece, custom_dict=Trie(inner), engine="newmm")
            for part in parts:
                done += part
                cuts.add(len(loose_key(done)))
        return frozenset(cuts)

    def _tokens(self, text: str) -> list[str]:
        from pythainlp.tokenize import word_tokenize

        return word_tokenize(text, custom_dict=self._dictionary(), engine="newmm", keep_whitespace=True)

    def _whole_word(self, lower: str, s: int, e: int) -> bool:
        before = s > 0 and _is_thai_letter(lower[s - 1])
        after = e < len(lower) and _is_thai_letter(lower[e])
        if not (before or after):
            return True
        a, b = _thai_context(lower, s, e)
        tokens = self._tokens(lower[a:b])
        offsets, pos = [0], 0
        for t in tokens:
            pos += len(t)
            offsets.append(pos)
        if s - a not in offsets or e - a not in offsets:
            return False
        i, j = offsets.index(s - a), offsets.index(e - a)

        def lone(k: int) -> bool:
            return 0 <= k < len(tokens) and _lone_consonant(tokens[k])

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
            for name, key, pattern, short, spelling in self._thai:
                if name not in found and key in loose and self._thai_ok(lower, pattern, short, spelling):
                    found.append(name)
        self._latin_found(lower, found)
        return found


def _romanized(thai: str) -> str:

    return romanize(thai)
