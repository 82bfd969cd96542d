"""Sentiment evaluation without scikit-learn: accuracy, macro-F1, per-class P/R/F1, confusion."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from enrich.normalize import normalize
from enrich.sentiment import DEFAULT_ENGINE, predict
from enrich.tokenize import tokenize

LABELS = ("pos", "neu", "neg", "q")


def metrics(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] | None = None) -> dict[str, Any]:
    """Scores of ``predicted`` against ``gold`` (same length).

    ``labels`` fixes the class order (default: :data:`LABELS` first, then any other label seen).
    Macro-F1 averages over the labels that occur in ``gold`` or ``predicted`` (as scikit-learn's
    ``f1_score(average="macro")`` does); a class never predicted has precision 0.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    seen = set(gold) | set(predicted)
    if labels is None:
        labels = [lab for lab in LABELS if lab in seen] + sorted(seen - set(LABELS))
    labels = list(labels)
    index = {lab: i for i, lab in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted):
        if g not in index or p not in index:
            raise ValueError(f"label outside {labels}: gold {g!r}, predicted {p!r}")
        matrix[index[g]][index[p]] += 1
    n = len(gold)
    correct = sum(matrix[i][i] for i in range(len(labels)))
    per_class: dict[str, dict[str, float | int]] = {}
    f1s: list[float] = []
    for i, lab in enumerate(labels):
        tp = matrix[i][i]
        support = sum(matrix[i])
        predicted_n = sum(row[i] for row in matrix)
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[lab] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
        if lab in seen:
            f1s.append(f1)
    return {
        "n": n,
        "accuracy": correct / n if n else 0.0,
        "macro_f1": sum(f1s) / len(f1s) if f1s else 0.0,
        "per_class": per_class,
        "confusion": {"labels": labels, "matrix": matrix},
    }


def fold_questions(labels: Iterable[str]) -> list[str]:
    """The 3-class view: a question (``q``) counts as neutral."""
    return ["neu" if lab == "q" else lab for lab in labels]


def evaluate(rows: Iterable[dict[str, Any]], engine: str = DEFAULT_ENGINE, batch_size: int = 512) -> dict[str, Any]:
    """Score ``engine`` on rows with raw ``text`` and gold ``label`` (e.g. Wisesight JSON lines).

    Texts are normalised and tokenised as the enrichment pipeline does before prediction. The
    result has the four-class scores and, under ``three_class``, the pos/neu/neg view (``q`` counted
    as neutral).
    """

    gold: list[str] = []
    predicted: list[str] = []
    batch: list[str] = []

    def flush() -> None:
        predicted.extend(label for label, _ in predict(batch, [tokenize(t) for t in batch], engine=engine))
        batch.clear()

    for row in rows:
        gold.append(str(row["label"]))
        batch.append(normalize(str(row["text"])))
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    result = metrics(gold, predicted)
    three = metrics(fold_questions(gold), fold_questions(predicted))
    result["three_class"] = {k: three[k] for k in ("accuracy", "macro_f1", "per_class")}
    return result
