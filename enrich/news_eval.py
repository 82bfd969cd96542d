"""Scoring the reading of news (tone, topic, VOC left empty) against annotated articles.

Rows are JSON objects with ``text`` (and optionally ``title``, ``source_kind``, default
``article``, and ``entities``: watched names, each a string or ``[name, alias…]``) plus any of
the gold fields ``tone`` (``pos``/``neu``/``neg``: the event's tone, or the tone toward the
watched names when the row has ``entities``), ``topic`` and ``is_complaint``. Each field present
is scored with :func:`enrich.evaluate.metrics`; ``voc_none`` counts the rows read with no
voice-of-customer labels (expectation ``none``, no category, no complaint) among those whose
gold ``is_complaint`` is not true. Shipped sets: ``tests/data/news_eval/news-tune.jsonl``
(the lexicons were tuned on it) and ``news-test.jsonl`` (held out).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from enrich.entities import Entity
from enrich.evaluate import metrics
from enrich.news import NewsSettings
from enrich.pipeline import Enricher
from enrich.voc import Lexicons
from sadap.core.mention import RawMention, to_mention

Row = dict[str, Any]
TONES = ("pos", "neu", "neg")
NEWS_FIELDS = ("tone", "topic", "is_complaint")


def check_news_row(row: Row) -> str | None:
    if "title" in row and row["title"] is not None and not isinstance(row["title"], str):
        return "'title' must be a string"
    if not any(f in row for f in NEWS_FIELDS):
        return f"no gold field: give at least one of {', '.join(NEWS_FIELDS)}"
    if "tone" in row and row["tone"] not in TONES:
        return f"tone {row['tone']!r} is not one of {', '.join(TONES)}"
    if "topic" in row and not isinstance(row["topic"], str):
        return f"topic must be a string, got {row['topic']!r}"
    if "is_complaint" in row and not isinstance(row["is_complaint"], bool):
        return f"is_complaint must be true or false, got {row['is_complaint']!r}"
    entities = row.get("entities", [])
    if not isinstance(entities, list) or not all(
        isinstance(e, str) or (isinstance(e, list) and e and all(isinstance(x, str) for x in e)) for e in entities
    ):
        return "entities must be a list of names (a string, or [name, alias…])"
    return None


def _entities(rows: Iterable[Row]) -> list[Entity]:
    seen: dict[str, Entity] = {}
    for row in rows:
        for e in row.get("entities", []):
            names = [e] if isinstance(e, str) else list(e)
            seen.setdefault(names[0], Entity(names[0], tuple(names[1:])))
    return list(seen.values())


def evaluate_news(
    rows: Iterable[Row], lexicons: Lexicons | None = None, news: NewsSettings | None = None, custom_words: Iterable[str] = ()
) -> dict[str, Any]:
    """Read each row as news and score the gold fields present; ``errors`` lists the misread rows."""
    rows = list(rows)
    enricher = Enricher(entities=_entities(rows), custom_words=custom_words, lexicons=lexicons, news=news)
    gold: dict[str, list[str]] = {f: [] for f in NEWS_FIELDS}
    predicted: dict[str, list[str]] = {f: [] for f in NEWS_FIELDS}
    voc_none: list[bool] = []
    errors: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        raw = RawMention(source_kind=row.get("source_kind") or "article", source_name="eval", native_id=str(i),
                         text=row["text"], title=row.get("title"))
        m = enricher.enrich([to_mention(raw, pseudonym_key=b"eval")])[0]
        got = {
            "tone": m.sentiment.label if m.sentiment else "neu",
            "topic": m.news_topic or "other",
            "is_complaint": str(bool(m.complaint.is_complaint)).lower(),
        }
        wrong = {}
        for f in NEWS_FIELDS:
            if f in row and row[f] is not None:
                value = row[f]
                gold[f].append(str(value).lower() if isinstance(value, bool) else str(value))
                predicted[f].append(got[f])
                if gold[f][-1] != got[f]:
                    wrong[f] = {"gold": gold[f][-1], "got": got[f]}
        if row.get("is_complaint") is not True:
            voc_none.append(m.expectation == "none" and m.category in (None, "other") and not m.complaint.is_complaint)
        if wrong:
            errors.append({"id": row.get("id", str(i)), "title": row.get("title"), **wrong})
    result: dict[str, Any] = {"n": len(rows), "fields": {f: metrics(gold[f], predicted[f]) for f in NEWS_FIELDS if gold[f]}}
    if voc_none:
        result["voc_none"] = {"n": len(voc_none), "share": sum(voc_none) / len(voc_none)}
    result["errors"] = errors
    return result
