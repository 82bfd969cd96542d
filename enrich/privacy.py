"""PDPA masking of personal data in the text Sadap stores: tiny pure steps, composed in order.

:func:`mask_personal_data` replaces, in this order (earlier steps protect what later steps
would misread: an e-mail address holds an ``@``, a URL may hold digits or an ``@``):

==========================  ==============  =================================================
what                        becomes         recognised forms
==========================  ==============  =================================================
URLs                        ``[URL]``       ``http(s)://…``, ``www.…``, bare ``host.tld/path``
e-mail addresses            ``[อีเมล]``      ``name@host.tld``
Thai national ID numbers    ``[เลขบัตร]``    13 digits, plain or grouped ``1-2345-67890-12-3``
                                            (dashes or spaces); only when the check digit is right
Thai phone numbers          ``[โทร]``        mobile ``0[689]x-xxx-xxxx`` (any single space, dash
                                            or dot between digits), landline ``0[2-7]x-xxx-xxx``,
                                            ``+66``/``0066`` forms of both
@handles                    ``[@]``         ``@name`` (Latin letters, digits, ``_`` and ``.``)
==========================  ==============  =================================================

Thai digits (``๐๘๑…``) are recognised as well. Prices (``1,299 บาท``), dates
(``12/03/2567``), times and numbers of other lengths (order numbers, tracking codes) are left
alone: a number is only masked when it is a whole number, not part of a longer run of digits
or of a code that starts with Latin letters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

URL_MASK = "[URL]"
EMAIL_MASK = "[อีเมล]"
ID_MASK = "[เลขบัตร]"
PHONE_MASK = "[โทร]"
HANDLE_MASK = "[@]"

_D = "[0-9๐-๙]"
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
_URL = re.compile(
    rf"(?:https?://|www\.){_URL_CHARS}+"
    rf"|(?<![\w@.\-])(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{{2,}}/{_URL_CHARS}*",
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?)]'\""
_EMAIL = re.compile(r"(?<![\w.+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,}(?![A-Za-z0-9])")
# Not inside a longer number or code: no digit (or digit plus one separator) before or after,
# no Latin letter right before.
_BEFORE = rf"(?<![0-9๐-๙A-Za-z])(?<!{_D}[\-.])"
_AFTER = rf"(?!{_D})(?![\-.]{_D})"
_SEP = r"[ \-.]?"
_ZERO, _MOBILE, _LAND = "[0๐]", "[689๖๘๙]", "[2-7๒-๗]"  # first digits, Arabic or Thai
_NATIONAL_ID = re.compile(rf"{_BEFORE}(?:{_D}{{13}}|{_D}([ \-]){_D}{{4}}\1{_D}{{5}}\1{_D}{{2}}\1{_D}){_AFTER}")
_PHONE = re.compile(
    _BEFORE
    + r"(?:"
    + rf"(?:\+|00)66[ \-]?(?:\(0\)[ \-]?)?(?:{_MOBILE}(?:{_SEP}{_D}){{8}}|{_LAND}(?:{_SEP}{_D}){{7}})"
    + rf"|{_ZERO}{_MOBILE}(?:{_SEP}{_D}){{8}}"
    + rf"|{_ZERO}{_LAND}(?:{_SEP}{_D}){{7}}"
    + r")"
    + _AFTER
)
_COUNTRY = re.compile(r"^(?:\+|00)66[ \-]?(?:\(0\)[ \-]?)?")
_HANDLE = re.compile(r"(?<![A-Za-z0-9_.@\-])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?(?![A-Za-z0-9_])")
_MAX_SEPARATORS = 3  # "081 234 5678" has 2; "0 8 1 2 3 4 5 6 7 8" is not a phone number


def _digits(text: str) -> str:
    return "".join(ch for ch in text.translate(_THAI_DIGITS) if ch.isdigit())


def valid_national_id(number: str) -> bool:
    """True when ``number`` (digits, dashes and spaces allowed) is 13 digits with a right check digit."""
    digits = _digits(number)
    if len(digits) != 13:
        return False
    total = sum(int(d) * (13 - i) for i, d in enumerate(digits[:12]))
    return (11 - total % 11) % 10 == int(digits[12])


def mask_urls(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        url = match.group(0)
        trimmed = url.rstrip(_URL_TRAILING)
        # Keep a closing bracket the URL did not open ("(ดู https://x.co/a)").
        return URL_MASK + url[len(trimmed):]

    return _URL.sub(repl, text)


def mask_emails(text: str) -> str:
    return _EMAIL.sub(EMAIL_MASK, text)


def mask_national_ids(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        return ID_MASK if valid_national_id(match.group(0)) else match.group(0)

    return _NATIONAL_ID.sub(repl, text)


def mask_phones(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        found = match.group(0)
        body = _COUNTRY.sub("", found)
        separators = sum(1 for ch in body if ch in " -.")
        return PHONE_MASK if separators <= _MAX_SEPARATORS else found

    return _PHONE.sub(repl, text)


def mask_handles(text: str) -> str:
    return _HANDLE.sub(HANDLE_MASK, text)


STEPS: tuple[Callable[[str], str], ...] = (mask_urls, mask_emails, mask_national_ids, mask_phones, mask_handles)


def mask_personal_data(text: str, steps: Iterable[Callable[[str], str]] = STEPS) -> str:
    """``text`` with URLs, e-mail addresses, national ID numbers, phone numbers and @handles masked."""
    if not text:
        return text
    for step in steps:
        text = step(text)
    return text
