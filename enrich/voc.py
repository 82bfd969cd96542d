"""Voice of the customer: expectation level, category and complaint, by transparent rules.

A first cut driven by word lists (``enrich/lexicons/default.yaml``, extended or replaced in
``sadap.yaml``), not a model: every label can be traced to the words that produced it
(:attr:`VocResult.hits`). The shipped lists were tuned on ``tests/data/enrich_tune`` and
measured on the held-out ``tests/data/enrich_dev``. The rules, in order (see docs/enrichment.md):

1. **Words.** Lexicon entries are matched on the mention's words (PyThaiNLP tokens joined
   without spaces), starting and ending on word boundaries (an English word's inflection
   counts as one: ``crash`` finds ``crashing``), longest entry first, without
   overlaps; entries without letters (emoji) are matched anywhere in the text. A praise word
   right after a negation (``ไม่ประทับใจ``) counts as disappointment; a disappointment word
   right after one (``ไม่เคยเบื่อ``) counts as mild praise. A complaint-type or complaint-signal
   word right after a negation other than ``ไม่ได้`` (``ไม่แพง``, ``ไม่ค้าง``) is ignored, and so
   are words inside a ``not_complaints`` phrase (``ผิวแพ้ง่าย``).
2. **Category.** The category with most hits; ties go to the one listed first; no category
   word: the category the complaint-type words imply (``complaint_type_categories``), else
   ``other``.
3. **Complaint.** The mention complains when it says what is wrong: a complaint signal word,
   or, when its sentiment is ``neg``, a complaint-type or disappointment word or, about an offer, a
   fault construction (:data:`FAULT_MARKS`: too much, "not really", hard to, something missing, a
   repeated bad experience: ``แบนไปหน่อย``, ``ไม่ค่อยเย็น``, ``แปะยาก``) (a ``neg``
   message that only names a product, ``จับบุหรี่ไฟฟ้ายัดตูดแม้ง``, is no complaint), or, when it is
   ``q``, a why-question about a fault (``ทำไมเข้าเว็บไม่ได้``); ``pos`` complains only by rules 5 and 7. A failed
   action with its object in between (:data:`FAILED_ACTIONS`: ``โอนเงินค่าแรงให้คนงานไม่ได้``) is a signal of a
   digital outage; a signal just after a repair word (:data:`REPAIRS`: ``แก้ระบบขัดข้องแล้ว``) is none; an
   organisation's reply that opens with its apology (:data:`REPLY_OPENINGS`) complains of nothing. It is a complaint when it also names something an organisation provides
   (a category or complaint-type hit). Its type is the complaint type
   with most hits (ties: the first listed), else the type its category implies
   (``category_complaint_types``: product_service → product_quality ...), else ``other``.
4. **Expectation.** ``q`` → ``none``. ``pos`` → ``delighted`` with more strong-praise than
   disappointment hits, ``satisfied`` with more praise (strong or mild) than disappointment
   hits, else ``none``. ``neg`` → ``disappointed`` when it is a complaint or has a disappointment
   hit (mood words alone count only about an offer) or one bare praise word about an offer (too
   little to overrule the model), else ``none`` (a post that names an offer and neither faults nor
   evaluates it evaluates nothing). ``neu`` → ``disappointed`` with more
   disappointment than praise hits or when a complaint, ``satisfied`` with more strong-praise
   than disappointment hits about an organisation's offer, else ``none``.

5. **Praise with a failure** (sarcasm: "เก่งมากเลยค่ะแสงทอง ล่มทุกวัน", "สุดยอด โอนเงินไม่เข้าอีกแล้ว"):
   a ``pos`` or ``neu`` message with praise words that also reports a failure about an
   organisation's offer (a complaint signal; a complaint-type word with a repeat word right after
   it: อีกแล้ว, ทุกวัน, ทุกที …; a complaint-type word after ironic thanks: ขอบคุณที่ทำให้) is read
   as ``neg``, a complaint, ``disappointed`` (:attr:`VocResult.sentiment`).
6. **Mild praise** (:data:`MILD_PRAISE`: "โอเคนะ", "ก็ดี", "ใช้ง่าย") in a ``neu`` message with no
   disappointment and no complaint is ``satisfied``; a bare acknowledgement ("โอเคค่ะ") without an
   offer named is no praise, nor are the ``not_praise`` phrases ("ใช้ได้เฉพาะ", "ดีไหม", "น่าจะดี"),
   relief ("ดีนะเราไม่…") or praise by emoji alone (an ad's 😍; still sarcasm around a failure).
7. **Praise, then a fault** after a contrast word ("อร่อย แต่หมูบางจน"): a mixed review,
   ``satisfied`` and a complaint whatever the sentiment; in a ``neg`` message, praise just before the
   contrast and none after it ("รถดี แต่การตลาดส้นตีน") is a mixed review without a known fault:
   ``satisfied``, a complaint only by rule 3.
8. **Praise read as negative**: a ``neg`` message whose evaluative words are all praise, two or
   more, is ``satisfied`` about an offer. Mood words (เบื่อ, โมโห) alone make no complaint; a wish
   for better ("ควรเหนียวกว่านี้") is a complaint signal; wishing to try ("อยากลอง") is no evaluation.

A mention without any word (empty, emoji or masks only) is ``none`` / ``other`` / not a
complaint.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from sadap.core.mention import ExpectationLevel
from sadap.core.yamlsource import safe_load

from enrich.normalize import normalize

LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"
DEFAULT_LEXICON = LEXICON_DIR / "default.yaml"
OTHER = "other"
# The keys of ``enrich.expectation_words``.
ExpectationWordsKey = Literal["delighted", "satisfied", "disappointed", "negations"]
_Name = TypeVar("_Name", bound=str)


class LexiconSettings(Protocol):
    """The ``enrich:`` settings :meth:`Lexicons.from_config` reads (the app layer's config)."""

    @property
    def categories(self) -> Mapping[str, Sequence[str]]: ...

    @property
    def complaint_types(self) -> Mapping[str, Sequence[str]]: ...

    @property
    def expectation_words(self) -> Mapping[ExpectationWordsKey, Sequence[str]]: ...

    @property
    def complaint_signals(self) -> Sequence[str]: ...

    @property
    def replace_default_lexicons(self) -> bool: ...

    @property
    def not_complaints(self) -> Sequence[str]: ...


_NAME = re.compile(r"[a-z][a-z0-9_]*")
_WORD = re.compile(r"\w")
# Words that make a failure a repeated one ("ล่มอีกแล้ว", "เงินไม่เข้าทุกวัน"): right after a
# complaint-type word, a praise message saying one of these is sarcasm or praise-with-complaint
# (rule 5). Whole words only: ทุกวันนี้ ("nowadays") is no repeat.
REPEATS = ("อีกแล้ว", "อีกละ", "อีกแระ", "อีกแล้วค่ะ", "อีกแล้วครับ", "ทุกวัน", "ทุกที", "ทุกครั้ง", "ทุกรอบ", "ตลอด",
           "ตลอดเลย", "ซ้ำซาก", "บ่อย", "บ่อยมาก", "เป็นประจำ", "อยู่เรื่อย", "อยู่เรื่อยๆ", "เรื่อยๆ")
# How far (characters of the joined words) a repeat word may follow the failure it repeats.
REPEAT_WINDOW = 12
# Fault constructions a negative post uses for what is wrong, in words no list can hold: too much
# ("นุ่มเกินไป", "แบนไปหน่อย"), "not really" ("ไม่ค่อยเย็น"), a repeated bad experience ("กินทีไร …
# ทุกที"), hard to ("แปะยาก", not "ไม่ยาก") and something missing ("ไม่มีโปรที่สาขานี้", not a fault
# denied: "ไม่มีปัญหา"). In a negative post about an offer they say it complains (rule 3); whole words.
FAULT_MARKS = ("เกินไป", "ไปหน่อย", "ไปนิด", "ไปนิดนึง", "มากไป", "ไม่ค่อย", "ทีไร", "ยาก", "ไม่มี")
# Mild praise: in a neutral message, these alone make it ``satisfied`` (rule 6).
MILD_PRAISE = frozenset({"โอเคนะ", "ก็ดี", "ก็โอเค", "ใช้ได้", "ใช้ง่าย", "ใช้ดี", "ดีนะ", "ก็ดีนะ", "ไม่เลว", "พอใช้",
                         "พอใช้ได้", "ถือว่าดี", "ถือว่าโอเค", "ดีอยู่", "อร่อยดี", "สวยดี", "ใช้ง่ายดี", "ก็อร่อย", "โอเคเลย"})
# A wish word followed by "than this" says the offer should be better ("ควรเหนียวกว่านี้",
# "อยากให้อร่อยกว่านี้"): a complaint signal.
WISHES = ("ควร", "ควรจะ", "น่าจะ", "อยากให้", "ขอให้", "ช่วย")
BETTER = ("กว่านี้", "กว่านี้หน่อย", "กว่านี้อีก")
# Wishing for an offer one has not used ("อยากลอง", "อยากได้") is no evaluation (the annotation
# guidelines: "entries that only wish for a product are none"), unless the message also says it
# was used ("ใช้แล้ว", "เคยใช้").
WISH_TO_TRY = ("อยากลอง", "อยากได้", "อยากมี", "อยากใช้", "อยากกิน", "อยากจิบ", "อยากดื่ม", "อยากไป", "อยากขับ",
               "ถ้าได้ลอง", "ถ้าได้ใช้", "ถ้ามีโอกาส", "อยากเป็นเจ้าของ")
USED = ("ใช้แล้ว", "ลองแล้ว", "กินแล้ว", "เคยใช้", "เคยกิน", "เคยลอง", "ใช้อยู่", "ใช้มา", "ขับมา", "กินมา", "ซื้อมา")
# Thanks for a fault is ironic ("ขอบคุณที่ทำให้รอสายครึ่งชั่วโมง"): a complaint-type word after one
# of these is a failure for rule 5.
IRONIC_THANKS = ("ขอบคุณที่ทำให้", "ขอบคุณที่ให้", "ขอบใจที่ทำให้", "ขอบคุณมากที่ทำให้", "ขอบคุณนะที่ทำให้")
# Intensifiers: right after mild praise (ชอบ … มาก, อร่อย … สุดๆ) they make it strong praise.
INTENSIFIERS = ("มาก", "มากๆ", "มากมาก", "สุดๆ", "มั่ก", "มั่กๆ", "เว่อ", "เวอร์", "ที่สุด", "สุดยอด", "จริงๆ")
# How close (characters of the joined words) praise must come before the contrast word for a negative
# post to read as a mixed review without a known fault after it ("รถดี แต่…", not praise a sentence back).
NEAR_CONTRAST = 12
# Bare acknowledgements ("โอเคค่ะ", "ok ครับ"): praise only when the message is about an offer.
ACKNOWLEDGEMENTS = frozenset({"โอเค", "ok", "โอเคเลย"})
# Contrast words: praise before one and a fault after it is a mixed review (rule 7).
CONTRASTS = ("แต่", "แต่ว่า", "ติดตรง", "ติดที่", "ข้อเสีย", "ข้อเสียคือ", "เสียตรง", "เสียอย่างเดียว", "ติดอย่างเดียว")
# Dictionary words that glue a praise word to its neighbour, split back for matching: PyThaiNLP
# holds ดีแต่ ("only good at") and มันดี, so "อร่อยดีแต่หวานไป" would hide both the praise and the
# contrast (rule 7), and "มันดีนะ" its praise. Token -> where to cut it.
GLUED = {"ดีแต่": 2, "มันดี": 3}
# Question words that ask why something is wrong ("ทำไมเข้าเว็บไม่ได้", "ใช้นีเวียทำไมหน้ามีแต่สิว"): a
# question about an offer that also negates or names a fault is a complaint (the guidelines' "a
# defect asked about as a question").
WHY = ("ทำไม", "ทำไง", "เพราะอะไร", "เกิดจากอะไร", "เกิดจากไร", "เป็นเพราะ")
# An organisation's reply opens with its apology ("ขออภัยในความไม่สะดวกค่ะ", "ขออภัยคุณลูกค้าค่ะ ทีมงาน
# กำลังตรวจสอบ"); customers open with ขอโทษ. A reply that names the fault it answers ("หากเงินค้างในตู้")
# blames no one: no complaint. Within the first REPLY_WITHIN characters of the joined words
# ("แอดมินขออภัย…", "ธนาคารขออภัย…").
REPLY_OPENINGS = ("ขออภัย", "ต้องขออภัย")
REPLY_WITHIN = 12
# A failed action with its object in between ("โอนเงินค่าแรงให้คนงานไม่ได้", "เข้าแอปธนาคารไม่ได้"): an
# action of a digital service, then ไม่ได้ in the same clause (no space between), within
# FAILED_WITHIN characters. A complaint signal of a digital outage, like โอนไม่ได้ next to each other;
# not a question whether it can be done ("โอนได้ไม่ได้", "โอนได้หรือไม่ได้").
FAILED_ACTIONS = ("โอน", "ถอนเงิน", "กดเงิน", "เข้าแอป", "เข้าแอพ", "เข้าระบบ", "ล็อกอิน", "ล็อคอิน", "login",
                  "สแกนจ่าย", "ทำรายการ", "จ่ายบิล", "ชำระบิล")
FAILED_WITHIN = 30
_FAILED = re.compile("(?:" + "|".join(FAILED_ACTIONS) + r")\S{0," + str(FAILED_WITHIN) + r"}?(?<!ได้)(?<!หรือ)ไม่ได้")
# Repair words: a complaint signal just after one (within REPAIR_WINDOW characters) reports a failure
# put right ("แก้ระบบขัดข้องเสร็จแล้ว", "มาซ่อมท่อแตกให้"), not a failure: it is no signal.
REPAIRS = ("แก้", "แก้ไข", "ซ่อม", "ซ่อมแซม")
REPAIR_WINDOW = 8
_MASK_TOKENS = {"[url]", "url", "@", "โทร", "เลขบัตร", "อีเมล", "เลข", "บัตร"}
_lock = threading.Lock()
_default: dict[str, Any] | None = None


def _key(word: str) -> str:
    """How an entry is compared: normalised like the text, lower case, no spaces, no VS16."""

    return re.sub(r"\s+", "", normalize(word).lower()).replace("\ufe0f", "")


def load_default() -> dict[str, Any]:
    """The shipped lexicons (read once)."""
    global _default
    with _lock:
        if _default is None:
            _default = safe_load(DEFAULT_LEXICON.read_text(encoding="utf-8"))
        return _default


class WordSet:
    """Labelled lexicon entries, matched along word boundaries, longest first, no overlaps.

    ``neutral`` entries are matched like the others (so they stop shorter entries inside
    them from matching) but are not reported.
    """

    def __init__(self, labelled: Mapping[str, Iterable[str]], neutral: Iterable[str] = ()):
        entries: dict[str, str | None] = {}
        for label, words in labelled.items():
            for word in words:
                key = _key(str(word))
                if key and key not in entries:
                    entries[key] = label
        for word in neutral:
            key = _key(str(word))
            if key:
                entries[key] = None
        ordered = sorted(entries.items(), key=lambda kv: -len(kv[0]))
        self.words = [(k, lab) for k, lab in ordered if _WORD.search(k)]
        self.symbols = [(k, lab) for k, lab in ordered if not _WORD.search(k)]
        # Entries by their first two characters: a match starts on a word boundary, so only the
        # entries whose opening appears at one of the text's boundaries need looking for.
        self._by_opening: dict[str, list[int]] = {}
        for i, (key, _) in enumerate(self.words):
            self._by_opening.setdefault(key[:2], []).append(i)

    def find(self, text: "Words") -> list[tuple[str, str, int]]:
        """``(entry, label, start)`` for each match; ``start`` is -1 for symbols."""
        taken: list[tuple[int, int]] = []
        out: list[tuple[str, str, int]] = []
        joined, bounds = text.joined, text.bounds
        # Entry -> the boundaries (in text order) where its opening stands: only there can it match.
        by_opening = self._by_opening
        prefixes = text.prefixes
        at: dict[int, list[int]] = {}
        for prefix in prefixes.keys() & by_opening.keys():
            positions = prefixes[prefix]
            for i in by_opening[prefix]:
                at[i] = positions
        words = self.words
        for i in sorted(at):  # the entries' order: longest first
            key, label = words[i]
            size = len(key)
            for start in at[i]:
                end = start + size
                if end in bounds and joined.startswith(key, start) and not any(
                        s < end and start < e for s, e in taken):
                    taken.append((start, end))
                    if label is not None:
                        out.append((key, label, start))
        for key, label in self.symbols:
            if label is not None:
                out.extend((key, label, -1) for _ in range(text.raw.count(key)))
        return out


_ENGLISH = re.compile(r"[a-z]+")
_ENGLISH_SUFFIXES = ("ing", "ed", "es", "s")


def _english_stem_length(token: str) -> int:
    """Where an English inflection starts in ``token`` (0: none), so that an English entry
    also matches its inflected forms: ``crash`` finds ``crashing`` and ``crashed``, ``bug`` finds
    ``bugs``. Only stems of 3+ letters: ``bus`` stays whole."""
    if token.endswith(_ENGLISH_SUFFIXES) and _ENGLISH.fullmatch(token):  # endswith first: most tokens are Thai
        for suffix in _ENGLISH_SUFFIXES:
            if token.endswith(suffix) and len(token) - len(suffix) >= 3:
                return len(token) - len(suffix)
    return 0


@dataclass(frozen=True)
class Words:
    """A mention's words prepared for matching."""

    joined: str
    bounds: frozenset[int]
    raw: str
    has_words: bool
    # Each word start, in text order, under the first two characters and the first character
    # from it: where a lexicon entry with that opening may match.
    prefixes: dict[str, list[int]] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def of(cls, tokens: Sequence[str], text: str) -> "Words":
        parts: list[str] = []
        bounds = {0}
        pos = 0
        for tok in tokens:
            tok = tok.replace(" ", "")
            if not tok:
                continue
            parts.append(tok)
            stem = _english_stem_length(tok)
            if stem:
                bounds.add(pos + stem)
            pos += len(tok)
            bounds.add(pos)
        has_words = any(t not in _MASK_TOKENS and _WORD.search(t) and not t.isdigit() for t in tokens)
        joined = "".join(parts)
        for glued, cut in GLUED.items():  # a substring test per entry: cheaper than a look-up per token
            if glued in joined:
                i = joined.find(glued)
                while i != -1:
                    if i in bounds and i + len(glued) in bounds:
                        bounds.add(i + cut)
                    i = joined.find(glued, i + 1)
        prefixes: dict[str, list[int]] = {}
        for b in sorted(bounds):
            if b >= pos:
                continue
            two = joined[b:b + 2]
            prefixes.setdefault(two, []).append(b)
            if len(two) == 2:
                prefixes.setdefault(two[0], []).append(b)
        return cls(joined, frozenset(bounds), text.lower().replace("\ufe0f", ""), has_words, prefixes)

    def first(self, words: Iterable[str]) -> int:
        """Where the first of ``words`` starts as whole words (-1: none)."""
        found = [i for w in words for i in self.starts(w) if i + len(w) in self.bounds]
        return min(found, default=-1)

    def starts(self, word: str) -> Iterator[int]:
        i = self.joined.find(word)
        while i != -1:
            if i in self.bounds:
                yield i
            i = self.joined.find(word, i + 1)

    def followed_by(self, end: int, words: Iterable[str], window: int) -> bool:
        """Whether one of ``words`` (whole words) starts within ``window`` characters after ``end``."""
        return any(end <= i <= end + window and i + len(w) in self.bounds for w in words for i in self.starts(w)
                   if i >= end)

    def preceded_by(self, start: int, words: Iterable[str]) -> bool:
        return any(
            start - len(w) in self.bounds and self.joined[start - len(w):start] == w for w in words if 0 < len(w) <= start
        )


@dataclass
class VocResult:
    expectation: ExpectationLevel = "none"
    category: str = OTHER
    is_complaint: bool = False
    complaint_type: str | None = None
    hits: dict[str, list[str]] = field(default_factory=dict)
    sentiment: Literal["neg"] | None = None  # set when rule 5 reads a praise message as a complaint
    # What the learned classifier (enrich/voc_model.py) reads besides the hits: the rules' flags
    # and the type a complaint would get (a complaint the model finds where the rules found none).
    flags: dict[str, bool] = field(default_factory=dict)
    fallback_type: str | None = None


class Lexicons:
    """Compiled lexicons: build with :meth:`build` (shipped defaults merged with configured)."""

    def __init__(
        self,
        expectation: Mapping[str, Iterable[str]],
        complaint_signals: Iterable[str],
        categories: Mapping[str, Iterable[str]],
        complaint_types: Mapping[str, Iterable[str]],
        category_complaint_types: Mapping[str, str] | None = None,
        complaint_type_categories: Mapping[str, str] | None = None,
        not_complaints: Iterable[str] = (),
        not_praise: Iterable[str] = (),
        mood_words: Iterable[str] = (),
    ):
        self.mood_words = frozenset(_key(w) for w in mood_words)
        self.expectation = WordSet({k: expectation.get(k, ()) for k in ("delighted", "satisfied", "disappointed")},
                                   not_praise)
        self.negations = sorted({_key(w) for w in expectation.get("negations", ())}, key=len, reverse=True)
        # Complaint words are not negated by ไม่ได้: it mostly ends the clause before them
        # ("กินไม่ได้ สกปรก"), where ไม่ (ไม่แพง) and ไม่เคย (ไม่เคยค้าง) do negate them.
        self.complaint_negations = [n for n in self.negations if n != _key("ไม่ได้")]
        not_complaints = list(not_complaints)
        self.signals = WordSet({"signal": complaint_signals}, not_complaints)
        self.category_names = [n for n in categories if n != OTHER]
        self.type_names = [n for n in complaint_types if n != OTHER]
        self.categories = WordSet({n: categories[n] for n in self.category_names})
        self.types = WordSet({n: complaint_types[n] for n in self.type_names}, not_complaints)
        # A complaint without a complaint-type word takes the type its category implies
        # (product_service -> product_quality ...), when both names exist.
        self.category_types = {
            c: t for c, t in (category_complaint_types or {}).items() if c in self.category_names and t in self.type_names
        }
        # A mention without a category word takes the category its complaint-type words imply
        # (ไม่อร่อย: product_quality, so product_service).
        self.type_categories = {
            t: c for t, c in (complaint_type_categories or {}).items() if c in self.category_names and t in self.type_names
        }

    @classmethod
    def build(
        cls,
        categories: Mapping[str, Sequence[str]] | None = None,
        complaint_types: Mapping[str, Sequence[str]] | None = None,
        expectation_words: Mapping[ExpectationWordsKey, Sequence[str]] | None = None,
        complaint_signals: Sequence[str] = (),
        replace_defaults: bool = False,
        not_complaints: Sequence[str] = (),
    ) -> "Lexicons":
        """Shipped lexicons merged with configured ones.

        A configured name's words are added to the shipped words of that name; a new name adds
        a category or complaint type (after the shipped ones); an empty list removes the name.
        With ``replace_defaults`` only the configured words are used.
        """
        base = {} if replace_defaults else load_default()

        def merged(shipped: Mapping[str, Sequence[str]], extra: Mapping[_Name, Sequence[str]] | None) -> dict[str, list[str]]:
            out = {k: list(v or ()) for k, v in (shipped or {}).items()}
            for name, words in (extra or {}).items():
                if not words:
                    out.pop(name, None)
                    continue
                out.setdefault(name, [])
                out[name].extend(w for w in words if w not in out[name])
            return out

        return cls(
            expectation=merged(base.get("expectation", {}), expectation_words),
            complaint_signals=list(base.get("complaint_signals", [])) + list(complaint_signals),
            categories=merged(base.get("categories", {}), categories),
            complaint_types=merged(base.get("complaint_types", {}), complaint_types),
            category_complaint_types=base.get("category_complaint_types", {}),
            complaint_type_categories=base.get("complaint_type_categories", {}),
            not_complaints=list(base.get("not_complaints", [])) + list(not_complaints),
            not_praise=list(base.get("not_praise", [])),
            mood_words=list(base.get("mood_words", [])),
        )

    @staticmethod
    def names(kind: str) -> dict[str, tuple[str, str]]:
        """The shipped (Thai, English) names of each ``categories`` or ``complaint_types`` entry."""
        table = load_default().get("names", {}).get(kind, {})
        return {key: (str(th), str(en)) for key, (th, en) in table.items()}

    @classmethod
    def from_config(cls, enrich_config: LexiconSettings) -> "Lexicons":
        return cls.build(
            categories=enrich_config.categories,
            complaint_types=enrich_config.complaint_types,
            expectation_words=enrich_config.expectation_words,
            complaint_signals=enrich_config.complaint_signals,
            replace_defaults=enrich_config.replace_default_lexicons,
            not_complaints=enrich_config.not_complaints,
        )

    # -- the rules ------------------------------------------------------------------
    @staticmethod
    def _best(names: Sequence[str], found: list[tuple[str, str, int]]) -> str | None:
        counts = {n: 0 for n in names}
        for _, label, _ in found:
            counts[label] += 1
        best = max(names, key=lambda n: counts[n], default=None)  # max keeps the first on ties
        return best if best is not None and counts[best] > 0 else None

    @staticmethod
    def _fault_mark(words: Words, negated: Callable[[int], bool], faults: Sequence[tuple[str, str, int]],
                    praised: Sequence[tuple[int, int]] = ()) -> bool:
        """Whether a fault construction (:data:`FAULT_MARKS`) stands in ``words`` as whole words;
        ``faults``: the complaint-type and signal hits, negated ones too (ไม่มี + a fault denies it);
        ``praised``: the spans of praise words, where a mark is part of the praise (แบบนี้หายาก)."""
        joined, bounds = words.joined, words.bounds
        for mark in FAULT_MARKS:
            if mark not in joined:  # a substring test first: most posts have none
                continue
            for start in words.starts(mark):
                end = start + len(mark)
                if end not in bounds or any(s <= start < e for s, e in praised) or (
                        mark == "ยาก" and negated(start)) or (mark == "ไม่มี" and (
                        any(hit[2] == end for hit in faults) or words.followed_by(end, ("ปัญหา",), 0))):
                    continue
                return True
        return False

    def analyze(self, tokens: Sequence[str], text: str, sentiment: str | None) -> VocResult:
        words = Words.of(tokens, text)
        if not words.has_words:
            return VocResult()

        def negated(start: int, negations: Sequence[str] = self.negations) -> bool:
            return start > 0 and words.preceded_by(start, negations)

        delighted: list[str] = []
        satisfied: list[str] = []
        disappointed: list[str] = []
        praise_at: list[int] = []
        praised: list[tuple[int, int]] = []  # spans of praise words (not negated)
        fault_at: list[int] = []
        for key, label, start in self.expectation.find(words):
            if start == 0 and key in ("ดี", "ดีนะ") and words.joined.startswith("ดีนะ") and len(words.joined) > 8:
                continue  # "ดีนะเราไม่กินเบียร์ช้าง": a message opening with "good thing (that)" is relief
            if label == "disappointed":
                if negated(start):
                    satisfied.append(key)
                    praise_at.append(start)
                else:
                    disappointed.append(key)
                    fault_at.append(start)
            elif negated(start):
                disappointed.append(key)
                fault_at.append(start)
            else:
                # "ชอบแสนสิริมากกก": mild praise with an intensifier just after it is strong praise.
                strong = label == "delighted" or words.followed_by(start + len(key), INTENSIFIERS, 12)
                (delighted if strong else satisfied).append(key)
                praise_at.append(start)
                praised.append((start, start + len(key)))
        categories = self.categories.find(words)
        # A complaint word right after a negation is no complaint: ไม่แพง, ไม่ค้าง, ไม่แพ้.
        all_types, all_signals = self.types.find(words), self.signals.find(words)
        types = [hit for hit in all_types if not negated(hit[2], self.complaint_negations)]
        signal_hits = [(k, start) for k, _, start in all_signals if not negated(start, self.complaint_negations)]
        if signal_hits and any(w in words.joined for w in REPAIRS):
            # "ขอบคุณที่แก้ระบบขัดข้องให้เร็ว", "ซ่อมท่อแตกเสร็จแล้ว": a failure reported repaired is no failure
            repaired = [i + len(w) for w in REPAIRS for i in words.starts(w) if i + len(w) in words.bounds]
            signal_hits = [(k, st) for k, st in signal_hits if not any(0 <= st - e <= REPAIR_WINDOW for e in repaired)]
        signals = [k for k, _ in signal_hits]
        best_type = self._best(self.type_names, types)
        category = self._best(self.category_names, categories) or self.type_categories.get(best_type or "") or OTHER
        about_org = bool(categories or types)
        if not about_org and not delighted and satisfied and all(k in ACKNOWLEDGEMENTS for k in satisfied):
            satisfied = []  # "โอเคค่ะ": an acknowledgement, not an evaluation
        emoji_praise = bool(delighted) and not satisfied and not any(_WORD.search(k) for k in delighted)
        if emoji_praise:
            # Praise by emoji alone (❤ 😍 👍👍) decorates ads and chat ("ราคา 400 ไม่รวมส่งจ้า 😍"): no
            # evaluation. With words of praise it still counts ("อร่อยมาก 😍"), and around a failure it is
            # still sarcasm (rule 5: "ล่มอีกแล้ว 👍👍").
            delighted = []
        # Rule 7: praise, then a contrast word, then a fault ("อร่อย แต่หมูบางจน"): a mixed review.
        # (Each test below runs only when the cheaper ones before it leave it open.)
        faults_at = [*fault_at, *(t[2] for t in types), *(st for _, st in signal_hits)]
        mixed = False
        if praise_at and about_org and (faults_at or sentiment == "neg"):
            contrast = words.first(CONTRASTS)
            if contrast >= 0 and any(0 <= start < contrast for start in praise_at):
                # A fault after the contrast; or, in a message the model reads as negative, nothing
                # praised after it ("รถดี แต่การตลาดส้นตีน"): the reader dwells on what is wrong, in words
                # the lists may not know. Such a message is still "satisfied" but not, by that alone,
                # a complaint (rule 3 decides).
                mixed = any(start > contrast for start in faults_at) or (
                    sentiment == "neg" and not any(start > contrast for start in praise_at)
                    and any(contrast - NEAR_CONTRAST <= start < contrast for start in praise_at))
        # Rule 5: praise words with a failure (sarcasm, praise-with-complaint) are a complaint: a
        # complaint signal (ล่ม, เข้าไม่ได้ ...), a complaint-type word followed by a repeat (ทุกวัน),
        # or a complaint-type word after ironic thanks (ขอบคุณที่ทำให้).
        sarcasm = False
        if sentiment in ("pos", "neu") and (delighted or satisfied or emoji_praise) and about_org and not (mixed and not signals):
            sarcasm = bool(signals) or any(
                words.followed_by(start + len(key), REPEATS, REPEAT_WINDOW) for key, _, start in types)
            if not sarcasm and types:
                thanks = words.first(IRONIC_THANKS)
                sarcasm = thanks >= 0 and any(start > thanks for _, _, start in types)
        if sarcasm:
            sentiment = "neg"
        if "กว่านี้" in words.joined:  # "ควรเหนียวกว่านี้": it should be better than this
            wish = words.first(WISHES)
            if wish >= 0 and words.followed_by(wish, BETTER, 40):
                signals.append("กว่านี้")
        # "โอนเงินค่าแรงให้คนงานไม่ได้": a failed action, its object between (a substring test first: most have none)
        if "ไม่ได้" in words.raw and _FAILED.search(words.raw):
            signals.append("ไม่ได้")
            if "digital_outage" in self.type_names and not types:
                types.append(("ไม่ได้", "digital_outage", -1))
                best_type = "digital_outage"
        if sentiment == "neg":
            complaining = bool(signals or types or [k for k in disappointed if k not in self.mood_words]) or (
                about_org and self._fault_mark(words, negated, all_types + all_signals, praised))
        else:
            complaining = (sentiment in ("neu", "q", None) and bool(signals)) or mixed
            if not complaining and sentiment == "q" and about_org and not (delighted or satisfied):
                # "ทำไมเข้าเว็บไม่ได้", "ใช้นีเวียทำไมหน้ามีแต่สิว": why, then a negation or a fault word
                why = words.first(WHY) if any(w in words.joined for w in WHY) else -1
                complaining = why >= 0 and (any(start > why for _, _, start in types)
                                            or words.followed_by(why, self.negations, 40))
        if complaining and words.first(REPLY_OPENINGS) in range(REPLY_WITHIN):
            complaining = False  # "ขออภัยคุณยายค่ะ … หากเงินค้างในตู้จะคืน…": the organisation's reply
        is_complaint = complaining and about_org
        fallback_type = best_type or self.category_types.get(category) or OTHER
        complaint_type = fallback_type if is_complaint else None

        d, s, x = len(delighted), len(satisfied), len(disappointed)
        mild = False
        expectation: ExpectationLevel
        wishing = (sentiment in ("pos", "neu") and not x and any(w in words.joined for w in ("อยาก", "ถ้าได้", "ถ้ามี"))
                   and words.first(WISH_TO_TRY) >= 0 and words.first(USED) < 0)
        if sentiment == "q" or (wishing and sentiment in ("pos", "neu")):
            expectation = "none"
        elif mixed and not sarcasm:  # rule 7: good, but ... is still satisfied (and may be a complaint)
            expectation = "satisfied"
        elif sentiment == "pos":
            if d > x:
                expectation = "delighted"
            elif d + s > x:
                expectation = "satisfied"
            else:
                expectation = "none"
        elif sentiment == "neg":
            # Rule 8: the model reads it negative, but its evaluative words are all praise, more than
            # one ("ใช้งานง่าย แข็งแรง ราคาไม่แพง"): satisfied. One bare "ดี" is too little to overrule it.
            # Mood alone (เบื่อ, เซ็ง) about nothing an organisation offers is a feeling, not an evaluation;
            # a post that names an offer but neither says what is wrong nor evaluates it evaluates
            # nothing ("ขอเหล้าขวดนึง ไม่เอา285"): the guidelines' first rule, none.
            mood_only = x and not is_complaint and not about_org and all(k in self.mood_words for k in disappointed)
            if mood_only:
                expectation = "none"
            elif x or is_complaint or (about_org and s == 1 and not d):
                expectation = "disappointed"
            elif d + s:
                expectation = "satisfied" if about_org else "none"
            else:
                expectation = "none"
        elif x > d + s or is_complaint:
            expectation = "disappointed"
        elif d > x and about_org:
            expectation = "delighted" if d >= 2 and not x else "satisfied"
        elif not x and any(k in MILD_PRAISE for k in satisfied):  # rule 6: mild praise (โอเคนะ, ก็ดี)
            expectation = "satisfied"
            mild = True
        else:
            expectation = "none"
        return VocResult(
            sentiment="neg" if sarcasm else None,
            flags={"about_org": about_org, "mixed": mixed, "sarcasm": sarcasm, "wishing": wishing,
                   "complaining": complaining, "mild_praise": mild, "mood_only": bool(disappointed) and all(k in self.mood_words for k in disappointed)},
            fallback_type=fallback_type,
            expectation=expectation,
            category=category,
            is_complaint=is_complaint,
            complaint_type=complaint_type,
            hits={
                "delighted": delighted,
                "satisfied": satisfied,
                "disappointed": disappointed,
                "signals": signals,
                "categories": [f"{lab}:{k}" for k, lab, _ in categories],
                "complaint_types": [f"{lab}:{k}" for k, lab, _ in types],
            },
        )


def check_lexicon(kind: str, value: Mapping[str, Sequence[str]]) -> Mapping[str, Sequence[str]]:
    """Validation for configured lexicons (raises ValueError, for pydantic)."""
    for name, words in value.items():
        if not _NAME.fullmatch(name):
            raise ValueError(f"{kind} name {name!r}: use lower-case letters, digits and _ (start with a letter)")
        if name == OTHER:
            raise ValueError(f"{kind} name 'other' is reserved: it is what is left when nothing matches")
        for word in words:
            if not str(word).strip():
                raise ValueError(f"{kind} {name!r}: empty word")
    return value
