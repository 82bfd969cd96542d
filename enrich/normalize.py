"""Thai text normalisation: tiny pure steps, composed in order by :func:`normalize`."""

from __future__ import annotations

import html
import importlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
# A Thai or Latin letter repeated four or more times ("ดีมากกกก", "soooo"): keep one.
_REPEAT = re.compile(r"([ก-ฮะ-ูเ-ๅa-zA-Z])\1{3,}")
# Laughter: 555…, ถถถ…, 5555+ → "555" so they become one token and one feature.
_LAUGH = re.compile(r"(?<!\d)5{3,}(?!\d)|ถถถ+|(?<!\w)(?:ha){3,}(?!\w)", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
# HTML elements hidden with their content (when closed), comments and CDATA: the opening part.
_HTML_HIDDEN = re.compile(r"<(script|style|noscript|template)\b[^<>]*>|<!--|<!\[CDATA\[", re.IGNORECASE)
# A tag: "<" then a letter, "/" or "!" right away ("a < b", "<3" and "<<โปร>>" are not tags).
_HTML_TAG = re.compile(r"""</?([A-Za-z][A-Za-z0-9:-]*)(?:\s(?:[^<>"']|"[^"<]*"|'[^'<]*')*)?/?>|<![A-Za-z][^<>]*>""")
# Inline elements sit inside a word ("<b>แสง</b>ทอง"); other tags separate words.
_INLINE = frozenset({"a", "abbr", "b", "bdi", "bdo", "cite", "code", "del", "em", "font", "i", "ins", "kbd",
                     "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "u", "var", "wbr"})
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _drop_hidden(text: str) -> str:
    """Remove script/style/noscript/template elements with their content, comments and CDATA
    sections; an opening without its closing is left (for the tag rule). Linear time."""
    lower = text.lower()
    out: list[str] = []
    pos = 0
    unclosed: set[str] = set()
    match = _HTML_HIDDEN.search(text)
    while match:
        name = (match.group(1) or "").lower()
        closer = f"</{name}" if name else ("-->" if match.group(0) == "<!--" else "]]>")
        end = -1 if closer in unclosed else lower.find(closer, match.end())
        if name and end != -1:
            end = lower.find(">", end)
        if end == -1:
            unclosed.add(closer)  # no closing later on: later openings of this kind have none either
            match = _HTML_HIDDEN.search(text, match.end())
            continue
        end = end + 1 if name else end + len(closer)
        out.append(text[pos:match.start()])
        out.append(" ")
        pos = end
        match = _HTML_HIDDEN.search(text, pos)
    out.append(text[pos:])
    return "".join(out)


def strip_html(text: str) -> str:
    """Remove HTML markup: script, style and comments with their content, then tags (block
    tags become a space), then character references (``&amp;`` → ``&``, ``&#3604;`` → ``ด``).
    Text without ``<`` or ``&`` is returned as is."""
    if "<" in text:
        text = _drop_hidden(text)
        text = _HTML_TAG.sub(lambda m: "" if (m.group(1) or "").lower() in _INLINE else " ", text)
    if "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    return text


# Lone surrogates, and the control characters (Unicode category Cc: U+0000–U+001F and
# U+007F–U+009F, a set the Unicode stability policy fixes) but tab and newline.
_INVALID = re.compile("[\ud800-\udfff\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_invalid(text: str) -> str:
    """Drop lone surrogates and control characters that cannot be stored."""
    return _INVALID.sub("", text)


def remove_zero_width(text: str) -> str:
    return _ZERO_WIDTH.sub("", text)


def unicode_nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# PyThaiNLP's reorder rules that cannot match without a character that most texts lack.
_NEEDS = {"เเ": "เเ", "ํ([่้๊๋]*)า": "ํ", "([^ฤฦ])ๅ": "ๅ"}


class _ThaiMarkRules:
    """PyThaiNLP's ``normalize`` rules, compiled once, each skipped when it cannot match."""

    def __init__(self) -> None:
        rules = importlib.import_module("pythainlp.util.normalize")
        self.rules = rules
        # Each reorder rule with a character it cannot match without ("" when not known).
        self.reorder = [(_NEEDS.get(pattern, ""), re.compile(pattern), repl) for pattern, repl in rules._REORDER_PAIRS]
        # "(ch[ ]*)+ch" → ch: only where ch occurs twice or more, and (when the rule has that
        # form) only where ch is followed by itself or by a space somewhere.
        self.no_repeat = [(ch, re.escape(ch) == ch and pattern == f"({ch}[ ]*)+{ch}", re.compile(pattern))
                          for pattern, ch in rules._NOREPEAT_PAIRS]
        # Runs of tone marks keep their last: a single mark (most) is left as it is.
        tones = importlib.import_module("pythainlp").thai_tonemarks
        if rules._RE_TONEMARKS.pattern != f"[{tones}]+":
            raise ValueError("PyThaiNLP's tone-mark rule changed")
        self.tone_runs = re.compile(f"[{tones}]{{2,}}")
        self.last_char = rules._last_char

    def apply(self, text: str) -> str:
        rules = self.rules
        text = rules.remove_spaces_before_marks(rules.remove_dup_spaces(rules.remove_zw(text)))
        for needs, pattern, repl in self.reorder:  # reorder_vowels
            if needs in text:
                text = pattern.sub(repl, text)
        for ch, known_form, pattern in self.no_repeat:  # remove_repeat_vowels
            if text.count(ch) > 1 and (not known_form or ch + ch in text or ch + " " in text):
                text = pattern.sub(ch, text)
        text = self.tone_runs.sub(self.last_char, text)
        out: str = rules.remove_dangling(text)
        return out


@lru_cache(maxsize=1)
def _thai_mark_rules() -> _ThaiMarkRules | None:
    try:
        return _ThaiMarkRules()
    except (AttributeError, TypeError, ValueError):  # another PyThaiNLP layout: its own function
        return None


def thai_marks(text: str) -> str:
    """Fix vowel/tone-mark order and doubled marks: PyThaiNLP's ``normalize``, with its
    rules compiled once and skipped where they cannot match (the same output, tested
    against it; about a third of its time on social posts)."""
    rules = _thai_mark_rules()
    if rules is None:
        from pythainlp.util import normalize as thai_normalize

        return thai_normalize(text)
    return rules.apply(text)


_THAI_DIGIT = re.compile("[๐-๙]")


def thai_digits(text: str) -> str:
    return text.translate(_THAI_DIGITS) if _THAI_DIGIT.search(text) else text


def laughter(text: str) -> str:
    # Each form holds 555, ถถถ or an h (hahaha, HaHaHa): without any, nothing to replace.
    if "555" in text or "ถถถ" in text or "h" in text or "H" in text:
        return _LAUGH.sub("555", text)
    return text


def repeated_chars(text: str) -> str:
    return _REPEAT.sub(r"\1", text)


def collapse_spaces(text: str) -> str:
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines()).strip()


STEPS: tuple[Callable[[str], str], ...] = (
    strip_html,
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
    if not text:  # every step maps "" to "" (most mentions have no title)
        return text
    for step in steps:
        text = step(text)
    return text
