"""What every sentiment engine shares: the label set and the decision from probabilities."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

LABELS: tuple[str, ...] = ("pos", "neu", "neg", "q")
NEUTRAL = LABELS.index("neu")


def softmax(z: Any) -> Any:
    import numpy as np

    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def decide(texts: Sequence[str], proba: Any, evidence: Any = None) -> list[tuple[str, float]]:
    """``(label, probability)`` per row of ``proba`` (columns in :data:`LABELS` order).

    A text with no evidence (blank, or nothing the model knows) is neutral, with the model's
    probability for neutral.
    """
    out: list[tuple[str, float]] = []
    best = proba.argmax(axis=1)
    for i, text in enumerate(texts):
        if not text.strip() or (evidence is not None and not evidence[i]):
            out.append(("neu", float(proba[i, NEUTRAL])))
        else:
            k = int(best[i])
            out.append((LABELS[k], float(proba[i, k])))
    return out


def by_length(texts: Sequence[str], columns: Sequence[int], batch_size: int,
              score: Callable[[list[str]], Any]) -> Any:
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
