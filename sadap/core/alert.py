"""What a rule produces when it fires."""

from __future__ import annotations

import unicodedata
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from sadap.core.urls import web_url_or_none

Severity = Literal["P1", "P2", "P3", "P4", "P5"]
SEVERITIES: tuple[str, ...] = ("P1", "P2", "P3", "P4", "P5")


#: A notification's text (alerts/message.py) lists at most this many example mentions, under this
#: heading, one line each (:func:`example_line`); its top terms follow this label. Erasing a
#: mention (PDPA) rewrites a queued or sent notification's examples with the same functions
#: (:func:`replace_examples`), so the text stays what it would have been without the mention.
TEXT_EXAMPLES = 5
EXAMPLES_HEADING = {"th": "ตัวอย่าง:", "en": "Examples:"}
TERMS_LABEL = {"th": "คำที่พบบ่อย: ", "en": "Top terms: "}
_EXAMPLE_MARK = "  • ["
_ATTACHED = "\u0e33\u200d"  # sara am (a spacing letter that belongs to the syllable), zero-width joiner
_LEADING = "\u0e40\u0e41\u0e42\u0e43\u0e44"  # vowels written before the consonant they follow in speech


def snippet(text: str, size: int = 120) -> str:
    """``text`` on one line, cut to at most ``size`` characters with "…"."""
    text = " ".join(text.split())
    return text if len(text) <= size else cut(text, size - 1) + "…"


def cut(text: str, size: int) -> str:
    """``text``'s first ``size`` characters or fewer, never parting a letter from the vowel and
    tone marks written on it (``น้ำ`` is cut whole or not at all), nor from a vowel written before
    it (``ไ`` of ``ไม่`` is not left at the end)."""
    end = min(size, len(text))
    while 0 < end < len(text) and (unicodedata.category(text[end]).startswith("M") or text[end] in _ATTACHED
                                   or "\U0001f3fb" <= text[end] <= "\U0001f3ff"):  # skin tones
        end -= 1
    while 0 < end < len(text) and text[end - 1] in _LEADING:  # เ แ โ ใ ไ belong to the letter after them
        end -= 1
    return text[:end]


def example_line(source: str, text: str, url: str | None) -> str:
    """One example mention in a notification's text."""
    link = web_url_or_none(url)  # only http(s) links are rendered
    return f"{_EXAMPLE_MARK}{source}] {snippet(text)}{f' {link}' if link else ''}"


def replace_examples(text: str, examples: list[dict[str, Any]], lang: str, drop_terms: bool = False) -> str:
    """A notification's ``text`` with its example lines made again from ``examples`` (a payload's
    ``mentions``: ``source``, ``text``, ``url``), the heading dropped when none is left, and with
    ``drop_terms`` its top-terms line too."""
    heading = EXAMPLES_HEADING[lang]
    kept: list[str] = []
    at: int | None = None  # where the examples stood
    for line in text.split("\n"):
        if at is None and line == heading:
            at = len(kept)
        elif not (at is not None and line.startswith(_EXAMPLE_MARK)) and not (
                drop_terms and line.startswith(TERMS_LABEL[lang])):
            kept.append(line)
    if at is None:
        return "\n".join(kept)
    block = [heading, *(example_line(str(m.get("source") or ""), str(m.get("text") or ""), m.get("url"))
                        for m in examples[:TEXT_EXAMPLES])] if examples else []
    return "\n".join(kept[:at] + block + kept[at:])


def at_least(severity: str, minimum: str) -> bool:
    """``P1`` is the most severe: ``at_least("P2", "P3")`` is True."""
    return SEVERITIES.index(severity) <= SEVERITIES.index(minimum)


class FiredAlert(BaseModel):
    """One alert: a rule matched for one key in one window."""

    model_config = ConfigDict(extra="forbid")

    rule: str
    rule_type: str
    title_th: str
    title_en: str
    severity: Severity
    key: str | None = Field(None, description="The group the alert is about (e.g. an entity), or None.")
    group_by: str | None = None
    count: int
    mention_ids: list[str] = Field(default_factory=list, description="Example mentions behind it, newest first.")
    window_start: AwareDatetime
    window_end: AwareDatetime
    query: str | None = None
    terms: list[str] = Field(default_factory=list, description="Top terms in its mentions.")
    entities: list[str] = Field(default_factory=list, description="Watched entities in its mentions.")
    detail: dict[str, Any] = Field(default_factory=dict, description="Rule-specific figures (baseline mean, shares, …).")
    playbook_hint: str | None = Field(None, description="Playbook the rule names explicitly, if any.")
    playbook: str | None = None
    incident: str | None = None
    suppressed: bool = Field(False, description="True when still in the rule's cool-down for this key.")
