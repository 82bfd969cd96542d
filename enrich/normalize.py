"""Thai text normalisation: tiny pure steps, composed in order by :func:`normalize`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
# A Thai or Latin letter repeated four or more times ("ดีมากกกก", "soooo"): keep one.
_REPEAT = re.compile(r"([ก-ฮะ-ูเ-ๅa-zA-Z])\1{3,}")
# Laughter: 555…, ถถถ…, 5555+ → "555" so they become one token and one feature.
_LAUGH = re.compile(r"(?<!\d)5{3,}(?!\d)|ถถถ+|(?<!\w)(?:ha){3,}(?!\w)", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_SURROGATES = re.compile("[\ud800-\udfff]")


def strip_invalid(text: str) -> str:
    """Drop lone surrogates and control characters that cannot be stored."""
    text = _SURROGATES.sub("", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def remove_zero_width(text: str) -> str:
    return _ZERO_WIDTH.sub("", text)


def unicode_nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def thai_marks(text: str) -> str:
    """Fix vowel/tone-mark order and doubled marks (PyThaiNLP's normaliser)."""
    from pythainlp.util import normalize as thai_normalize

    return thai_normalize(text)


def thai_digits(text: str) -> str:
    return text.translate(_THAI_DIGITS)


def laughter(text: str) -> str:
    return _LAUGH.sub("555", text)


def repeated_chars(text: str) -> str:
    return _REPEAT.sub(r"\1", text)


def collapse_spaces(text: str) -> str:
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines()).strip()


STEPS: tuple[Callable[[str], str], ...] = (
    strip_invalid,
    remove_zero_width,
    unicode_nfc,
    thai_marks,
    thai_digits,
    laughter,
    repeated_chars,
    collapse_spaces,
)


def normalize(text: str, steps: Iterable[Callable[[str], str]] = STEPS) -> str:
    for step in steps:
        text = step(text)
    return text
