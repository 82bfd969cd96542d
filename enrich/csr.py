"""CSR pillars (standard 000: CSR balanced across economy, society and environment).

A mention is about a CSR activity when its words name an activity (``activity`` in
``enrich/lexicons/csr.yaml``: โครงการ, มอบ, บริจาค, จิตอาสา, อนุรักษ์ …) and at least one pillar's
words; it is tagged with every pillar whose words it names. Words are matched as the
voice-of-customer lexicons are (:class:`enrich.voc.WordSet`: normalised, along word boundaries,
longest first, no overlaps), so every tag can be traced to the words behind it. Organisations
extend the lists in ``sadap.yaml`` (``enrich.csr``); measured by ``sadap eval csr``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from enrich.voc import LEXICON_DIR, WordSet, Words
from sadap.core.yamlsource import safe_load

CSR_LEXICON: Path = LEXICON_DIR / "csr.yaml"
#: The three pillars, in the order reports show them.
PILLARS: tuple[str, ...] = ("economy", "society", "environment")
ACTIVITY = "activity"
_lock = threading.Lock()
_default: dict[str, Any] | None = None


def load_csr_default() -> dict[str, Any]:
    """The shipped CSR lexicons (read once)."""
    global _default
    with _lock:
        if _default is None:
            _default = safe_load(CSR_LEXICON.read_text(encoding="utf-8"))
        return _default


def pillar_names() -> dict[str, tuple[str, str]]:
    """``pillar: (Thai, English)``."""
    table = load_csr_default().get("names", {})
    return {p: (str(table[p][0]), str(table[p][1])) for p in PILLARS}


def check_csr_lexicon(value: Mapping[str, Sequence[str]]) -> Mapping[str, Sequence[str]]:
    """Validation of ``enrich.csr`` (raises ValueError, for pydantic)."""
    allowed = (ACTIVITY, *PILLARS)
    for name, words in value.items():
        if name not in allowed:
            raise ValueError(f"csr: unknown list {name!r} (allowed: {', '.join(allowed)})")
        for word in words:
            if not str(word).strip():
                raise ValueError(f"csr {name!r}: empty word")
    return value


class CsrLexicon:
    """Compiled CSR lexicons: the shipped lists plus the configured words."""

    def __init__(self, extra: Mapping[str, Sequence[str]] | None = None):
        shipped = load_csr_default()
        extra = extra or {}
        activity = list(shipped.get(ACTIVITY, [])) + list(extra.get(ACTIVITY, []))
        pillars = {p: list(shipped.get("pillars", {}).get(p, [])) + list(extra.get(p, [])) for p in PILLARS}
        self.activity = WordSet({ACTIVITY: activity})
        self.pillars = WordSet(pillars)

    def classify(self, tokens: Sequence[str], text: str) -> list[str]:
        """The pillars a mention's CSR activity serves (empty: no CSR activity named)."""
        words = Words.of(tokens, text)
        if not words.has_words or not self.activity.find(words):
            return []
        found = {label for _, label, _ in self.pillars.find(words)}
        return [p for p in PILLARS if p in found]


def evaluate_csr(rows: Sequence[Mapping[str, Any]], predicted: Sequence[Sequence[str]]) -> dict[str, Any]:
    """Per-pillar precision, recall and F1 (multi-label: each pillar is a yes/no question on every
    row), micro and macro averages, and how often "any CSR" is right."""
    out: dict[str, Any] = {"n": len(rows), "per_pillar": {}}
    totals = [0, 0, 0]
    f1s = []
    for p in PILLARS:
        tp = fp = fn = 0
        for row, pred in zip(rows, predicted):
            gold = p in row["csr"]
            said = p in pred
            tp += gold and said
            fp += said and not gold
            fn += gold and not said
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out["per_pillar"][p] = {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
                                "support": tp + fn, "predicted": tp + fp}
        totals = [totals[0] + tp, totals[1] + fp, totals[2] + fn]
        f1s.append(f1)
    tp, fp, fn = totals
    mp = tp / (tp + fp) if tp + fp else 0.0
    mr = tp / (tp + fn) if tp + fn else 0.0
    out["micro_f1"] = round(2 * mp * mr / (mp + mr), 3) if mp + mr else 0.0
    out["macro_f1"] = round(sum(f1s) / len(f1s), 3)
    any_right = sum(bool(row["csr"]) == bool(pred) for row, pred in zip(rows, predicted))
    out["csr_or_not_accuracy"] = round(any_right / len(rows), 3) if rows else 0.0
    return out
