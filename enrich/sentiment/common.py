"""What every sentiment engine shares: the label set and the decision from probabilities."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from sadap.core.mention import SentimentLabel

if TYPE_CHECKING:  # numpy is imported where it is used (it is heavy to import)
    import numpy as np
    from numpy.typing import NDArray

    FloatArray = NDArray[np.float64]
    IntArray = NDArray[np.int64]
    BoolArray = NDArray[np.bool_]
    StrArray = NDArray[np.str_]


class SentimentEngine(Protocol):
    """What every engine answers (see :mod:`enrich.sentiment`)."""

    def proba(self, texts: Sequence[str], tokens: Sequence[Sequence[str]]) -> tuple[FloatArray, BoolArray]:
        """Probabilities in :data:`LABELS` order, and whether each text had evidence."""
        ...

    def predict(self, texts: Sequence[str], tokens: Sequence[Sequence[str]]) -> list[tuple[SentimentLabel, float]]:
        ...

LABELS: tuple[SentimentLabel, ...] = ("pos", "neu", "neg", "q")
NEUTRAL = LABELS.index("neu")


def softmax(z: FloatArray) -> FloatArray:
    import numpy as np

    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    out: FloatArray = p / p.sum(axis=1, keepdims=True)
    return out


def decide(texts: Sequence[str], proba: FloatArray, evidence: BoolArray | None = None) -> list[tuple[SentimentLabel, float]]:
    """``(label, probability)`` per row of ``proba`` (columns in :data:`LABELS` order).

    A text with no evidence (blank, or nothing the model knows) is neutral, with the model's
    probability for neutral.
    """
    out: list[tuple[SentimentLabel, float]] = []
    best = proba.argmax(axis=1)
    for i, text in enumerate(texts):
        if not text.strip() or (evidence is not None and not evidence[i]):
            out.append(("neu", float(proba[i, NEUTRAL])))
        else:
            k = int(best[i])
            out.append((LABELS[k], float(proba[i, k])))
    return out


def by_length(texts: Sequence[str], columns: Sequence[int], batch_size: int,
              score: Callable[[list[str]], FloatArray]) -> FloatArray:
    """Probabilities in :data:`LABELS` order from a model that scores a batch of texts
    (``score`` → one row of class probabilities per text; ``columns[c]`` is the label index of
    the model's class ``c``). Texts of similar length share a batch: little padding, so short
    messages stay cheap."""
    import numpy as np

    out = np.zeros((len(texts), len(LABELS)), dtype=np.float64)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        probs = score([texts[i] for i in idx])
        for col, target in enumerate(columns):
            out[idx, target] += probs[:, col]
    return out
