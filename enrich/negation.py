"""Negation marking for bag-of-words models: the word after a Thai negator gets a ``NOT_`` prefix.

``ไม่ แย่ นะ`` → ``ไม่ NOT_แย่ นะ``: the model then learns "not bad" apart from "bad", instead of
adding the weight of ``แย่`` to every "ไม่แย่". A pure step over tokens, used by ``linear-v3`` (and ``linear-v2`` before it) both
when it is trained and when it scores (the negators and the window are stored in its model file).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

NEGATORS: tuple[str, ...] = (
    "ไม่", "ไม่ได้", "ไม่ค่อย", "ไม่มี", "ไม่เคย", "ไม่ต้อง", "ไม่ใช่", "ไม่เลย", "มิ", "ห้าม",
)
PREFIX = "NOT_"


def mark_negation(tokens: Sequence[str], negators: Iterable[str] = NEGATORS, window: int = 1) -> list[str]:
    """``tokens`` with the ``window`` non-blank tokens after each negator prefixed ``NOT_``.

    A negator itself is kept as it is (and restarts the window); blanks are kept and not counted.
    """
    if window <= 0:
        return list(tokens)
    negators = negators if isinstance(negators, (set, frozenset)) else frozenset(negators)
    out: list[str] = []
    left = 0
    for tok in tokens:
        if tok in negators:
            out.append(tok)
            left = window
        elif left > 0 and tok.strip():
            out.append(PREFIX + tok)
            left -= 1
        else:
            out.append(tok)
    return out
