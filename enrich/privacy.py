"""PDPA masking of personal data in the text Sadap stores: tiny pure steps, composed in order.

:func:`mask_personal_data` replaces, in this order (earlier steps protect what later steps
would misread: an e-mail address holds an ``@``, a URL may hold digits or an ``@``):

==========================  ==============  =================================================
what                        becomes         recognised forms
==========================  ==============  =================================================
URLs                        ``[URL]``       ``http(s)://…``, ``www.…``, bare ``host.tld/path``
e-mail addresses            ``[อีเมล]``      ``name@host.tld``; spelled out: ``name [at] host [dot] com``,
                                            ``(at)``/``{at}``/``แอท`` and ``(dot)``/``ดอท``/``.``,
                                            ``name at host dot com``
Thai national ID numbers    ``[เลขบัตร]``    13 digits, plain or grouped ``1-2345-67890-12-3``
                                            (dashes, spaces or dots), or other dash groupings
                                            (``11017-0023-0708``); only with a right check digit
Thai phone numbers          ``[โทร]``        mobile ``0[689]x-xxx-xxxx`` (any single space, dash
                                            or dot between digits), landline ``0[2-7]x-xxx-xxx``,
                                            ``+66``/``0066`` forms of both, a bracketed prefix
                                            ``(081) 234-5678``, digits spelled one by one
                                            ``0 8 1 2 3 4 5 6 7 8``
@handles                    ``[@]``         ``@name`` (Latin letters, digits, ``_`` and ``.``)
==========================  ==============  =================================================

Thai digits (``๐๘๑…``) are recognised as well, and, by :func:`fold_disguises` first, full-width
forms, zero-width characters inside a number or an address and other dashes between digits;
``(+66)``, and an ID number broken over a line. Prices (``1,299 บาท``), dates
(``12/03/2567``), times and numbers of other lengths (order numbers, tracking codes) are left
alone: a number is only masked when it is a whole number, not part of a longer run of digits
or of a code that starts with Latin letters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

URL_MASK = "[URL]"
EMAIL_MASK = "[อีเมล]"
ID_MASK = "[เลขบัตร]"
PHONE_MASK = "[โทร]"
HANDLE_MASK = "[@]"
MASKS = (URL_MASK, EMAIL_MASK, ID_MASK, PHONE_MASK, HANDLE_MASK)

_D = "[0-9๐-๙]"
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
_URL = re.compile(
    rf"(?:https?://|www\.){_URL_CHARS}+"
    rf"|(?<![A-Za-z0-9_@.\-])(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{{2,}}/{_URL_CHARS}*",
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?)]'\""
# Not inside a longer address; a Thai letter may come right before (Thai runs words together).
_EMAIL = re.compile(r"(?<![A-Za-z0-9_.+%\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,}(?![A-Za-z0-9])")
# Not inside a longer number or code: no digit (or digit plus one separator) before or after,
# no Latin letter right before.
_BEFORE = rf"(?<![0-9๐-๙A-Za-z])(?<!{_D}[\-.])"
# Nor a date's digits run on into a time (08.12.2567 10:30): no ":" and a digit after it.
_AFTER = rf"(?!{_D})(?![\-.:]{_D})"
# One separator between digits: a space (also no-break, as scraped HTML has it), a dash (also
# the en dash) or a dot.
_SEPARATORS = " \u00a0-\u2013."
_SEP = r"[ \u00a0\-\u2013.]?"
_ZERO, _MOBILE, _LAND = "[0๐]", "[689๖๘๙]", "[2-7๒-๗]"  # first digits, Arabic or Thai
_NATIONAL_ID = re.compile(rf"{_BEFORE}(?:{_D}{{13}}|{_D}([ \-.]){_D}{{4}}\1{_D}{{5}}\1{_D}{{2}}\1{_D}){_AFTER}")
# An ID number broken over a line (``1-1017-⏎00230-70-8``, ``1101700⏎230708``): masked only when
# its 13 digits have a right check digit.
_ID_SPLIT = re.compile(rf"{_BEFORE}{_D}(?:[ \-]?{_D})*[ \-]?[ \t]*\r?\n[ \t]*[ \-]?{_D}(?:[ \-]?{_D})*{_AFTER}")
# +66, 0066 or (+66), then an optional (0): ``+66 (0)81 …``.
_COUNTRY_CODE = r"(?:\(\s?(?:\+|[0๐]{2})[6๖]{2}\s?\)|(?:\+|[0๐]{2})[6๖]{2})[ \-]?(?:\([0๐]\)[ \-]?)?"
_PHONE = re.compile(
    _BEFORE
    + r"(?:"
    + rf"{_COUNTRY_CODE}(?:{_MOBILE}(?:{_SEP}{_D}){{8}}|{_LAND}(?:{_SEP}{_D}){{7}})"
    + rf"|{_ZERO}{_MOBILE}(?:{_SEP}{_D}){{8}}"
    + rf"|{_ZERO}{_SEP}{_LAND}(?:{_SEP}{_D}){{7}}"  # 02-123-4567, and 0 2202 4444 as offices print it
    + r")"
    + _AFTER
)
_COUNTRY = re.compile("^" + _COUNTRY_CODE)
# Grouped differently from the card (``11017-0023-0708``): 13 digits in up to 5 groups joined
# by the same dash or space; masked only with a right check digit (see mask_national_ids).
_ID_GROUPS = re.compile(rf"{_BEFORE}{_D}+(?:([ \-]){_D}+(?:\1{_D}+){{0,3}})?{_AFTER}")
# A phone number whose prefix is in brackets: (081) 234-5678, (02) 123 4567, (053) 123-456.
_PHONE_BRACKETED = re.compile(
    rf"(?<![0-9๐-๙A-Za-z])\(\s?({_ZERO}{_D}{{1,2}})\s?\)[ \-.]?({_D}(?:[ \-.]?{_D}){{5,7}}){_AFTER}"
)
# Digits spelled out one by one: 0 8 1 2 3 4 5 6 7 8 (one space, dash or dot between each).
_PHONE_SPACED = re.compile(
    rf"{_BEFORE}{_ZERO}([ \-.])(?:{_MOBILE}(?:\1{_D}){{8}}|{_LAND}(?:\1{_D}){{7}}){_AFTER}"
)
# Addresses written to dodge filters: somchai [at] example [dot] com, somchai(at)mail(dot)co(dot)th,
# somchai แอท gmail ดอท com, somchai at gmail dot com (plain words only with a spelled "dot").
_AT_BRACKETED = r"\s*(?:\[\s*at\s*\]|\(\s*at\s*\)|\{\s*at\s*\}|แอท)\s*"
_DOT_ANY = r"(?:\s*(?:\[\s*dot\s*\]|\(\s*dot\s*\)|\{\s*dot\s*\}|ดอท)\s*|\.)"
_LOCAL = r"(?<![A-Za-z0-9_.+%\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*"
_EMAIL_SPELLED = re.compile(
    rf"{_LOCAL}{_AT_BRACKETED}[A-Za-z0-9\-]+(?:{_DOT_ANY}[A-Za-z0-9\-]+)*{_DOT_ANY}[A-Za-z]{{2,}}(?![A-Za-z0-9])"
    rf"|{_LOCAL}\s+at\s+[A-Za-z0-9\-]+(?:\s+dot\s+[A-Za-z0-9\-]+)*\s+dot\s+[A-Za-z]{{2,}}(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"(?<![A-Za-z0-9_.@\-])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?(?![A-Za-z0-9_])")
_MAX_SEPARATORS = 3  # "081 234 5678" has 2; "0 8 1 2 3 4 5 6 7 8" is not a phone number


# Written to slip past the patterns: full-width forms (a Thai or CJK input method's ０８１, ＠, ．),
# zero-width characters inside a number or an address, and other dashes between digits
# (hyphen, non-breaking hyphen, figure dash, em dash, minus). Folded first, so every step sees
# 081-234-5678; the stored text keeps the folded form where it changed (NFKC would do the same).
_FULL_WIDTH = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff20\uff0e\uff0d\uff0b\uff3f\uff08\uff09]")  # not ｀ in (´･ω･｀)
_WORD_CHAR = "[0-9๐-๙A-Za-z@._+\\-]"
_ZERO_WIDTH = re.compile(f"(?<={_WORD_CHAR})[\u200b\u200c\u200d\u2060\ufeff\u00ad]+(?={_WORD_CHAR})")
_OTHER_DASH = re.compile("(?<=[0-9๐-๙])[\u2010\u2011\u2012\u2014\u2015\u2212\ufe63](?=[0-9๐-๙])")
_FOLD_NEEDED = re.compile("[\uff08-\uff5a\u200b\u200c\u200d\u2060\ufeff\u00ad\u2010\u2011\u2012\u2014\u2015\u2212\ufe63]")


def fold_disguises(text: str) -> str:
    """``text`` with full-width letters, digits, ``@ . - + _ ( )`` as ASCII, zero-width characters inside
    numbers and addresses removed, and other dashes between digits as ``-``."""
    if not _FOLD_NEEDED.search(text):
        return text
    text = _FULL_WIDTH.sub(lambda m: chr(ord(m.group(0)) - 0xFEE0), text)
    text = _ZERO_WIDTH.sub("", text)
    return _OTHER_DASH.sub("-", text)


def _digits(text: str) -> str:
    return "".join(ch for ch in text.translate(_THAI_DIGITS) if ch.isdigit())


def valid_national_id(number: str) -> bool:
    """True when ``number`` (digits, dashes and spaces allowed) is 13 digits with a right check digit."""
    digits = _digits(number)
    if len(digits) != 13:
        return False
    total = sum(int(d) * (13 - i) for i, d in enumerate(digits[:12]))
    return (11 - total % 11) % 10 == int(digits[12])


_DIGIT = re.compile(_D)


def mask_urls(text: str) -> str:
    if "/" not in text and "." not in text:  # every URL form holds one (://, www., host.tld/)
        return text

    def repl(match: re.Match[str]) -> str:
        url = match.group(0)
        trimmed = url.rstrip(_URL_TRAILING)
        # Keep a closing bracket the URL did not open ("(ดู https://x.co/a)").
        return URL_MASK + url[len(trimmed):]

    return _URL.sub(repl, text)


def mask_emails(text: str) -> str:
    if "@" in text:
        text = _EMAIL.sub(EMAIL_MASK, text)
    if "at" in text.lower() or "แอท" in text:
        text = _EMAIL_SPELLED.sub(EMAIL_MASK, text)
    return text


def _id_grouping_ok(found: str, sep: str | None) -> bool:
    """Dashes may group the 13 digits any way; spaces only in the card's way (1 4 5 2 1) or
    in groups of at least 3, so that a list of small numbers is never read as an ID."""
    if sep is None or sep == "-":
        return True
    sizes = [len(g) for g in found.split(sep)]
    return sizes == [1, 4, 5, 2, 1] or min(sizes) >= 3


def mask_national_ids(text: str) -> str:
    if not _DIGIT.search(text):  # numbers only
        return text

    def repl(match: re.Match[str]) -> str:
        found: str = match.group(0)
        return ID_MASK if valid_national_id(found) else found

    def repl_groups(match: re.Match[str]) -> str:
        found: str = match.group(0)
        if len(_digits(found)) == 13 and _id_grouping_ok(found, match.group(1)) and valid_national_id(found):
            return ID_MASK
        return found

    text = _ID_GROUPS.sub(repl_groups, _NATIONAL_ID.sub(repl, text))
    if "\n" in text:
        text = _ID_SPLIT.sub(_split_id, text)
    return text


def _split_id(match: re.Match[str]) -> str:
    found: str = match.group(0)
    return ID_MASK if valid_national_id(found) else found


def mask_phones(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        found = match.group(0)
        body = _COUNTRY.sub("", found)
        separators = sum(1 for ch in body if ch in _SEPARATORS)
        if separators <= _MAX_SEPARATORS:
            return PHONE_MASK
        groups = re.split(f"[{re.escape(_SEPARATORS)}]", body)  # 08 88 88 88 88: pairs are a way of reading a number out
        return PHONE_MASK if len(set(re.findall(f"[{re.escape(_SEPARATORS)}]", body))) == 1 and min(map(len, groups)) >= 2 else found

    def repl_bracketed(match: re.Match[str]) -> str:
        prefix, rest = _digits(match.group(1)), _digits(match.group(2))
        total = len(prefix) + len(rest)
        mobile = prefix[1] in "689"
        separators = sum(1 for ch in match.group(2) if ch in " -.")
        if separators <= 2 and total == (10 if mobile else 9):
            return PHONE_MASK
        whole: str = match.group(0)
        return whole

    if not _DIGIT.search(text):  # numbers only
        return text
    text = _PHONE.sub(repl, text)
    if "(" in text:
        text = _PHONE_BRACKETED.sub(repl_bracketed, text)
    return _PHONE_SPACED.sub(PHONE_MASK, text)


def mask_handles(text: str) -> str:
    return _HANDLE.sub(HANDLE_MASK, text) if "@" in text else text


STEPS: tuple[Callable[[str], str], ...] = (fold_disguises, mask_urls, mask_emails, mask_national_ids, mask_phones, mask_handles)


def mask_personal_data(text: str, steps: Iterable[Callable[[str], str]] = STEPS) -> str:
    """``text`` with URLs, e-mail addresses, national ID numbers, phone numbers and @handles masked."""
    if not text:
        return text
    for step in steps:
        text = step(text)
    return text


#: The contacts alone: e-mail addresses, national ID numbers and phone numbers (no URL, no @handle).
CONTACT_STEPS: tuple[Callable[[str], str], ...] = (fold_disguises, mask_emails, mask_national_ids, mask_phones)


def mask_contacts(text: str) -> str:
    """``text`` with e-mail addresses, national ID numbers and phone numbers masked as in a
    text: for an author's display name where it is kept (``privacy.keep_author_names``), which
    a shop or seller often writes its number into ("ร้านป้าแดง โทร 081-234-5678")."""
    return mask_personal_data(text, CONTACT_STEPS)


def mask_link_query(url: str) -> str:
    """``url`` with each query value that is an e-mail address, a phone number or an ID number
    (the whole value, so that a post's or product's own number is kept) replaced by its mask: a
    shop's review page may carry its reviewer's contacts (``?email=…&tel=…``)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    masked = [(k, _whole_mask(v)) for k, v in pairs]
    if masked == pairs:
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(masked), parts.fragment))


def _whole_mask(value: str) -> str:
    masked = mask_personal_data(value.strip(), CONTACT_STEPS)
    return masked if masked in MASKS else value
