"""Language of a text from its letters' scripts.

Values: ``th``, ``en`` (Latin script), ``mixed`` (Thai and Latin), an ISO 639-1 code where
the script names one language (``lo``, ``km``, ``my``, ``ko``, ``ja``, ``zh``, ``el``,
``he``, ``ka``, ``hy``), a BCP 47 "undetermined language in this script" tag where several
languages share it (``und-Arab``, ``und-Cyrl``, ``und-Deva``, ``und-Beng``, ``und-Taml``),
``other`` for anything else, and ``und`` when there are no letters.

What is not counted: masks (``[URL]``, ``[@]``, ``[โทร]`` …), URLs, e-mail addresses,
@handles and #hashtags (hashtags only when nothing else has letters), digits, emoji.

Thresholds, with ``T`` and ``L`` the shares of Thai and Latin letters:

* ``th`` when T ≥ 0.8, or T ≥ 0.5 with at most 2 Latin words (a Thai post naming
  ``ST Plus`` or saying ``OK`` is Thai);
* ``en`` when L ≥ 0.8, or L ≥ 0.5 with at most 8 Thai letters (about two Thai words);
* ``mixed`` when T + L ≥ 0.8 otherwise;
* else the script holding at least half of the letters (Han with 5 % or more kana is ``ja``,
  Hangul ``ko``), else ``other``.
"""

from __future__ import annotations

import bisect
import re

from enrich.privacy import EMAIL_MASK, HANDLE_MASK, ID_MASK, PHONE_MASK, URL_MASK

_IGNORED = re.compile(
    "|".join(re.escape(m) for m in (URL_MASK, HANDLE_MASK, PHONE_MASK, ID_MASK, EMAIL_MASK))
    + r"|(?:https?://|www\.)\S+"
    + r"|(?<![\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"
    + r"|(?<![\w@])@[A-Za-z0-9_.]+",
    re.IGNORECASE,
)
_HASHTAG = re.compile(r"#\w+")
_THAI = re.compile(r"[\u0e01-\u0e3a\u0e40-\u0e4e]")
_THAI_NOT_LETTERS = frozenset("\u0e2f\u0e46")  # ฯ ๆ: punctuation-like
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+")
_OTHER = re.compile(r"[^\x00-\u024f\u0e00-\u0e7f\u1e00-\u1eff]")

# (first code point, last code point, script); code points between ranges have no script here.
_RANGES = sorted([
    (0x0370, 0x03FF, "el"), (0x1F00, 0x1FFF, "el"),
    (0x0400, 0x052F, "und-Cyrl"), (0x1C80, 0x1C8F, "und-Cyrl"), (0x2DE0, 0x2DFF, "und-Cyrl"), (0xA640, 0xA69F, "und-Cyrl"),
    (0x0530, 0x058F, "hy"),
    (0x0590, 0x05FF, "he"), (0xFB1D, 0xFB4F, "he"),
    (0x0600, 0x06FF, "und-Arab"), (0x0750, 0x077F, "und-Arab"), (0x08A0, 0x08FF, "und-Arab"),
    (0xFB50, 0xFDFF, "und-Arab"), (0xFE70, 0xFEFF, "und-Arab"),
    (0x0900, 0x097F, "und-Deva"), (0xA8E0, 0xA8FF, "und-Deva"),
    (0x0980, 0x09FF, "und-Beng"),
    (0x0B80, 0x0BFF, "und-Taml"),
    (0x0E80, 0x0EFF, "lo"),
    (0x1000, 0x109F, "my"), (0xA9E0, 0xA9FF, "my"), (0xAA60, 0xAA7F, "my"),
    (0x10A0, 0x10FF, "ka"), (0x2D00, 0x2D2F, "ka"),
    (0x1100, 0x11FF, "ko"), (0x3130, 0x318F, "ko"), (0xA960, 0xA97F, "ko"), (0xAC00, 0xD7FF, "ko"),
    (0x1780, 0x17FF, "km"), (0x19E0, 0x19FF, "km"),
    (0x3040, 0x30FF, "kana"), (0x31F0, 0x31FF, "kana"), (0xFF66, 0xFF9F, "kana"),
    (0x3400, 0x4DBF, "han"), (0x4E00, 0x9FFF, "han"), (0xF900, 0xFAFF, "han"), (0x20000, 0x3FFFF, "han"),
])
_STARTS = [r[0] for r in _RANGES]
TH_MIN, EN_MIN, MIXED_MIN, SCRIPT_MIN = 0.8, 0.8, 0.8, 0.5
TH_SOFT, MAX_LATIN_WORDS = 0.5, 2  # Thai with a few Latin names is still Thai
EN_SOFT, MAX_THAI_LETTERS = 0.5, 8  # English with a Thai word or two is still English
KANA_MIN = 0.05  # share of kana among Han + kana letters that makes it Japanese


def script_of(ch: str) -> str | None:
    """The language or script tag of one non-Thai, non-Latin letter (None: not classified)."""
    cp = ord(ch)
    i = bisect.bisect_right(_STARTS, cp) - 1
    if i >= 0 and cp <= _RANGES[i][1]:
        return _RANGES[i][2]
    return None


def _counts(text: str) -> tuple[int, int, int, dict[str, int]]:
    thai = len(_THAI.findall(text)) - sum(text.count(c) for c in _THAI_NOT_LETTERS)
    latin_words = _LATIN_WORD.findall(text)
    others: dict[str, int] = {}
    for ch in _OTHER.findall(text):
        if ch.isalpha() or "\u3040" <= ch <= "\u30ff":  # kana marks (ー) count with kana
            tag = script_of(ch) or "other"
            others[tag] = others.get(tag, 0) + 1
    return thai, sum(map(len, latin_words)), len(latin_words), others


def detect_language(text: str) -> str:
    """``th``, ``en``, ``mixed``, a language or script tag, ``other``, or ``und``; see the module doc."""
    text = _IGNORED.sub(" ", text)
    thai, latin, latin_words, others = _counts(_HASHTAG.sub(" ", text))
    if not (thai or latin or others):
        thai, latin, latin_words, others = _counts(text)  # nothing but hashtags: read them
    letters = thai + latin + sum(others.values())
    if letters == 0:
        return "und"
    t, lat = thai / letters, latin / letters
    if t >= TH_MIN or (t >= TH_SOFT and latin_words <= MAX_LATIN_WORDS):
        return "th"
    if lat >= EN_MIN or (lat >= EN_SOFT and thai <= MAX_THAI_LETTERS):
        return "en"
    if thai and latin and t + lat >= MIXED_MIN:
        return "mixed"
    cjk = others.pop("han", 0) + (kana := others.pop("kana", 0))
    if cjk:
        others["ja" if kana >= KANA_MIN * cjk else "zh"] = cjk
    if "ko" in others and "zh" in others:  # Korean text may carry Hanja
        others["ko"] += others.pop("zh")
    tag, n = max(others.items(), key=lambda kv: kv[1], default=("other", 0))
    return tag if n / letters >= SCRIPT_MIN else "other"
