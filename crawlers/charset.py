"""Thai pages and feeds that declare a Latin-1 charset but are TIS-620 (windows-874).

Old PHP and Apache defaults send ``charset=iso-8859-1`` (or a ``<meta>`` saying latin-1) for
every page, Thai ones included; read as declared, TIS-620 Thai is mojibake (``¢èÒÇ`` for
``ข่าว``). The two encodings share the high half of the byte range, so the bytes alone do not
tell them apart: what does is that Thai read from them is in a possible order (a tone mark or an
above vowel after a consonant, a leading vowel before one, letters in runs), which the accented
letters of French or German read as Thai never are (``é`` is a tone mark after a Latin letter).
"""

from __future__ import annotations

import codecs

#: Encodings whose declaration Thai sites get wrong; Scrapy reads ``latin-1`` as windows-1252.
LATIN_1_FAMILY = frozenset({"iso8859-1", "cp1252", "iso8859-15", "ascii"})

# Thai letters by where they may stand (Unicode block U+0E00, which TIS-620 0xA1-0xFB maps onto).
_CONSONANTS = frozenset(chr(c) for c in range(0x0E01, 0x0E2F))  # ก-ฮ, with ฤ ฦ
_LEADING = frozenset("เแโใไ")  # written before the consonant they follow in speech
_FOLLOWING = frozenset("ะาำๅ")  # after a consonant (or its marks)
_VOWEL_MARKS = frozenset("\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47")  # above or below a consonant
_TONE_MARKS = frozenset("\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e")  # above a consonant or its vowel mark
_LETTERS = _CONSONANTS | _LEADING | _FOLLOWING | _VOWEL_MARKS | _TONE_MARKS

#: Share of the high bytes in TIS-620's Thai range, and of Thai letters in a possible place.
_THAI_RANGE_SHARE = 0.9
_PLAUSIBLE_SHARE = 0.85
#: Fewer Thai letters than this is too little to overrule a declaration.
_MIN_LETTERS = 20


def is_latin_1_family(encoding: str | None) -> bool:
    """Whether ``encoding`` (any of its names) is Latin-1, windows-1252 or their kin."""
    if not encoding:
        return False
    try:
        return codecs.lookup(encoding).name in LATIN_1_FAMILY
    except LookupError:
        return False


def looks_like_tis_620(body: bytes) -> bool:
    """Whether ``body`` is Thai in TIS-620/windows-874 rather than the Latin-1 text it may claim to be."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return False  # ASCII or UTF-8: nothing to re-read
    # 0x80-0xA0 hold the same quotes, dashes and no-break space in both encodings: they tell nothing.
    high = [byte for byte in body if byte > 0xA0]
    in_thai_range = sum(1 for byte in high if 0xA1 <= byte <= 0xFB)
    if in_thai_range < _MIN_LETTERS or in_thai_range < _THAI_RANGE_SHARE * len(high):
        return False
    text = body.decode("cp874", errors="replace")
    letters = plausible = 0
    for i, char in enumerate(text):
        if char not in _LETTERS:
            continue
        letters += 1
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        plausible += _in_place(char, before, after)
    return letters >= _MIN_LETTERS and plausible >= _PLAUSIBLE_SHARE * letters


def _in_place(char: str, before: str, after: str) -> bool:
    if char in _LEADING:
        return after in _CONSONANTS
    if char in _VOWEL_MARKS:
        return before in _CONSONANTS
    if char in _TONE_MARKS:
        return before in _CONSONANTS or before in _VOWEL_MARKS
    if char in _FOLLOWING:
        return before in _LETTERS
    return before in _LETTERS or after in _LETTERS  # a consonant: Thai words are runs of letters
