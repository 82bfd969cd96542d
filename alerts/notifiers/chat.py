"""What chat notifiers share: the alert text split into headline and body lines."""

from __future__ import annotations

from sadap.core.alert import cut


def split_text(text: str) -> tuple[str, list[str]]:
    """The headline (first line) and the remaining lines, blank lines dropped."""
    head, _, rest = text.partition("\n")
    return head.strip(), [line for line in rest.split("\n") if line.strip()]


def clip(text: str, size: int) -> str:
    """``text`` in at most ``size`` characters, ending in … when cut (never inside a Thai syllable)."""
    return text if len(text) <= size else cut(text, size - 1) + "…"
