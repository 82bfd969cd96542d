"""Language of a text from its letters: th, en, mixed, other, or und (no letters)."""

from __future__ import annotations


def detect_language(text: str) -> str:
    thai = latin = other = 0
    for ch in text:
        if "\u0e00" <= ch <= "\u0e7f":
            thai += 1
        elif ch.isascii():
            if ch.isalpha():
                latin += 1
        elif ch.isalpha():
            other += 1
    letters = thai + latin + other
    if letters == 0:
        return "und"
    if thai / letters >= 0.8:
        return "th"
    if latin / letters >= 0.8:
        return "en"
    if (thai + latin) / letters >= 0.8:
        return "mixed"
    return "other"
