"""Thai pages and feeds that declare a Latin-1 charset but are TIS-620 (windows-874).

Old PHP and Apache defaults send ``charset=iso-8859-1`` (or a ``<meta>`` saying latin-1) for
every page, Thai ones included; read as declared, TIS-620 Thai is mojibake (``¢èÒÇ`` for
``ข่าว``). The two encodings share the high half of the byte range, so the bytes alone do not
tell them apart: what does is that Thai read from them is in a possible order (a tone mark or an
above vowel after a consonant, a leading vowel before one, letters in runs), which the accented
letters of French or German read as Thai never are (``é`` is a tone mark after a Latin letter).

Sitemaps and feeds are XML, read from their bytes (lxml, feedparser) rather than as Scrapy decodes
them: :func:`xml_charset` says what they are in, TIS-620 Thai that declares nothing (or Latin-1) included,
and :func:`xml_as_utf8` rewrites them as UTF-8 for the parser.
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

from w3lib.encoding import read_bom, resolve_encoding

#: In ``Response.flags`` of a page or feed that :class:`crawlers.middlewares.ThaiCharsetMiddleware` re-read.
THAI_CHARSET_FLAG = "thai_charset"
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


# -- sitemaps and feeds ---------------------------------------------------------------------------
# The encoding an XML declaration names, at the very start of the bytes (after a BOM, if any).
_XML_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:\-]+)["']""")
# The same declaration in decoded text, to drop once the text is UTF-8 again.
_XML_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?)\s+encoding\s*=\s*["'][^"']*["']""")


class XmlCharset(NamedTuple):
    """What a sitemap or feed is read as. ``encoding`` None: nothing to go by (not UTF-8, nothing
    declared, not Thai); the caller guesses. ``thai``: read as windows-874 although it declared
    Latin-1 or UTF-8, or declared nothing."""

    encoding: str | None
    thai: bool = False


def xml_declared_encoding(body: bytes) -> str | None:
    """The encoding named in ``body``'s XML declaration (``<?xml version="1.0" encoding="TIS-620"?>``)."""
    found = _XML_DECLARED.match(body[:1024])
    return found.group(1).decode("ascii") if found else None


def xml_charset(body: bytes, header_charset: str | None = None) -> XmlCharset:
    """The encoding of an XML sitemap or feed, which lxml and feedparser would take from its XML
    declaration alone (a sitemap) or as windows-1252 (a feed served as ``application/octet-stream``).

    In order: a BOM; UTF-8 when the bytes are UTF-8 (whatever a template declared); the XML
    declaration, else the Content-Type charset, when it names an encoding (a Latin-1 one on bytes that
    look like TIS-620 Thai, :func:`looks_like_tis_620`, is windows-874); undeclared, windows-874 when
    the bytes look like TIS-620, else nothing decided."""
    bom, _ = read_bom(body)
    if bom is not None:
        return XmlCharset(bom)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return XmlCharset("utf-8")
    thai = looks_like_tis_620(body)
    for declared in (xml_declared_encoding(body), header_charset):
        encoding = resolve_encoding(declared) if declared else None
        if encoding is None or encoding == "utf-8":  # unknown, or UTF-8 that the bytes are not: not a declaration
            continue
        if thai and is_latin_1_family(encoding):
            return XmlCharset("cp874", thai=True)
        return XmlCharset(encoding)
    return XmlCharset("cp874", thai=True) if thai else XmlCharset(None)


def xml_as_utf8(body: bytes, encoding: str) -> bytes:
    """``body`` read as ``encoding`` and written as UTF-8, the encoding its XML declaration named
    dropped (a parser given the bytes then reads them as UTF-8, the default)."""
    _, bom = read_bom(body)
    text = body[len(bom or b""):].decode(encoding, errors="replace")
    return _XML_ENCODING.sub(r"\1", text, count=1).encode("utf-8")
