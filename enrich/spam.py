"""A simple spam/bot score in [0, 1] for a mention: transparent signals, no model.

Each signal is in [0, 1]; they combine as a weighted noisy-OR,
``score = 1 − Π (1 − weightᵢ · signalᵢ)``, so one strong signal is enough to stand out and
several weak ones add up. With ``W`` the words (tokens, without the words of masks such as
``[URL]``):

=============  ======  =================================================================
signal         weight  value
=============  ======  =================================================================
links          0.7     ``L`` links (``[URL]`` masks, or URLs when masking is off):
                       ``5L / (5L + W)``: 1 for a bare link, 0.5 for a link and 5 words
repetition     0.6     the larger of: the share of distinct words (with W ≥ 5; over a
                       window of 50 words moved along the text when it is longer, so a
                       long article's repeated function words do not count) below 0.6,
                       scaled to 1 at 0.2; and the longest run of one repeated character
                       (emoji, punctuation; not digits, not ``- = _ * . ~`` and dashes or
                       box lines, which rule off sections) beyond 10, scaled to 1 at 30
tags           0.5     share of the non-space characters inside #hashtags and @handles
                       (``[@]``) above 0.3, scaled to 1 at 0.7, times min(1, tags / 3)
promo          0.7     distinct promotional phrases (:data:`PROMO_PHRASES`: ทักแชท, inbox,
                       ไลน์ไอดี, สนใจสั่งซื้อ, โปรโมชั่น, รายได้เสริม, สล็อต …) plus one for a
                       masked phone number or e-mail address, divided by 3, at most 1
short          0.3     1 with no words at all, 0.5 with one or two, else 0
=============  ======  =================================================================

A bare link scores 0.79, a promotion with three phrases 0.7, an ordinary complaint 0.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

from enrich.privacy import (
    EMAIL_MASK,
    HANDLE_MASK,
    ID_MASK,
    PHONE_MASK,
    URL_MASK,
    mask_handles,
    mask_urls,
)
from enrich.tokenize import tokenize

DIVERSITY_WINDOW = 50  # words; a whole short post is one window, as before
WEIGHTS = {"links": 0.7, "repetition": 0.6, "tags": 0.5, "promo": 0.7, "short": 0.3}
# Lower-case, without spaces (matched on the text with spaces removed).
PROMO_PHRASES = (
    # contact me / order now
    "ทักแชท", "ทักแชต", "ทักไลน์", "inbox", "ทักข้อความ", "สอบถามทางแชท", "dmมา",
    "ไลน์ไอดี", "ไอดีไลน์", "แอดไลน์", "addline", "lineid", "line@", "สนใจสั่งซื้อ", "สั่งซื้อได้ที่",
    "สนใจติดต่อ", "สั่งเลย", "คลิกเลย", "คลิกที่ลิงก์", "กดลิงก์", "สมัครเลย", "สมัครฟรี",
    # offers
    "โปรโมชั่น", "โปรโมชัน", "ราคาพิเศษ", "ลดราคา", "ส่งฟรี", "ส่วนลดพิเศษ", "จำนวนจำกัด",
    "เก็บเงินปลายทาง", "ของแท้100", "รับประกันผล",
    # jobs, money, gambling
    "รับสมัคร", "รายได้เสริม", "รายได้ดี", "งานออนไลน์", "ทำงานที่บ้าน", "งานพาร์ทไทม์",
    "สินเชื่อด่วน", "กู้เงินด่วน", "เงินด่วน", "ไม่เช็คบูโร", "สล็อต", "บาคาร่า", "เว็บตรง",
    "เครดิตฟรี", "ฝากถอน", "แทงบอล", "คาสิโน",
)
_CONTACT_MASKS = (PHONE_MASK, EMAIL_MASK)
_MASKS = (URL_MASK, HANDLE_MASK, PHONE_MASK, ID_MASK, EMAIL_MASK)
_TAG = re.compile(r"#[0-9A-Za-z_\u0e00-\u0e7f]+")
# a run of one character; not digits (5555: laughter), not the lines that rule off a section
_RUN = re.compile(r"([^\s\d\-=_*.~\u2010-\u2015\u2500-\u257f])\1{10,}")
_SPACE = re.compile(r"\s+")


def _clamp(x: float) -> float:
    return 0.0 if x <= 0 else 1.0 if x >= 1 else x


def _masked_links(text: str) -> str:
    """``text`` with URLs and @handles masked (skipping the regexes when none can be there)."""
    if "/" in text or "www." in text.lower():
        text = mask_urls(text)
    return mask_handles(text) if "@" in text else text


@lru_cache(maxsize=64)
def _mask_words(mask: str, custom_words: tuple[str, ...]) -> int:
    """How many tokens the tokenizer makes of a mask (``[URL]``: 1, ``[@]``: 0, ``[เลขบัตร]``: 2)."""

    return len(tokenize(mask, custom_words))


def distinct_share(tokens: Sequence[str], window: int = DIVERSITY_WINDOW) -> float:
    """The share of distinct words in ``tokens``; for more than ``window`` words, its mean over
    every run of ``window`` consecutive words (the moving-average type-token ratio), which does
    not fall as a text grows longer the way the plain share does."""
    n = len(tokens)
    if n <= window:
        return len(set(tokens)) / n if n else 1.0
    counts = Counter(tokens[:window])
    distinct = total = len(counts)
    for entering, leaving in zip(tokens[window:], tokens):
        counts[entering] += 1
        distinct += counts[entering] == 1
        counts[leaving] -= 1
        distinct -= counts[leaving] == 0
        total += distinct
    return total / ((n - window + 1) * window)


def spam_signals(
    text: str, tokens: Sequence[str] | None = None, raw: str | None = None, custom_words: Iterable[str] = ()
) -> dict[str, float]:
    """Each signal of :func:`spam_score`, in [0, 1].

    ``text`` is the normalised (and usually masked) text; ``tokens`` its words, if already
    known; ``raw`` the text before masking, if at hand (its links are counted too);
    ``custom_words`` the tokenizer's custom words (to reuse its dictionary).
    """
    custom_words = tuple(custom_words)
    seen = _masked_links(text)  # URLs and @handles look the same, masked or not
    if tokens is None or seen != text:  # (unmasked links would count as words)
        tokens = tokenize(seen, custom_words)
    mask_counts = {mask: seen.count(mask) for mask in _MASKS}
    words = max(0, len(tokens) - sum(n * _mask_words(mask, custom_words) for mask, n in mask_counts.items() if n))

    links = mask_counts[URL_MASK]
    if raw:
        links = max(links, _masked_links(raw).count(URL_MASK))
    link = 5 * links / (5 * links + words) if links else 0.0

    repetition = 0.0
    if words >= 5:
        repetition = _clamp((0.6 - distinct_share(tokens)) / 0.4)
    runs = [len(m.group(0)) for m in _RUN.finditer(text)]
    if runs:
        repetition = max(repetition, _clamp((max(runs) - 10) / 20))

    tags = _TAG.findall(seen)
    n_tags = len(tags) + mask_counts[HANDLE_MASK]
    chars = len(_SPACE.sub("", seen))
    tag = 0.0
    if n_tags and chars:
        share = (sum(len(t) for t in tags) + len(HANDLE_MASK) * mask_counts[HANDLE_MASK]) / chars
        tag = _clamp((share - 0.3) / 0.4) * min(1.0, n_tags / 3)

    compact = _SPACE.sub("", seen.lower())
    hits = sum(1 for phrase in PROMO_PHRASES if phrase in compact)
    hits += any(mask_counts[m] for m in _CONTACT_MASKS)
    promo = min(1.0, hits / 3)

    short = 1.0 if words == 0 else 0.5 if words <= 2 else 0.0
    return {"links": link, "repetition": repetition, "tags": tag, "promo": promo, "short": short}


def spam_score(
    text: str, tokens: Sequence[str] | None = None, raw: str | None = None, custom_words: Iterable[str] = ()
) -> float:
    """How much ``text`` looks like spam or a bot post, 0 (not at all) to 1; see the module doc.

    >>> spam_score("[URL]")
    0.79
    """
    signals = spam_signals(text, tokens, raw, custom_words)
    keep = math.prod(1 - WEIGHTS[name] * value for name, value in signals.items())
    return round(1 - keep, 3)
