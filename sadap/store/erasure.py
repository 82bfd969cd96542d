"""Erasure (PDPA) in the documents that refer to mentions: alerts, incident timelines,
notifications and complaint cases lose what named or quoted the erased mentions. Plain functions
on a document's JSON, shared by the backends (each applies them to its own rows or documents)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sadap.core.alert import replace_examples


def scrub_ids(data: object, gone: set[str]) -> bool:
    """Remove ``gone`` mention ids from the id lists (``mention_ids``, ``mentions``) and id
    fields (``mention_id``) of an alert or event document, in place; True if any changed. An
    alert's copied-text clusters (``detail.clusters``, with their ``texts``) lose the gone ones,
    and an alert left with none of its example mentions loses its top terms, which may be the
    erased person's words alone."""
    if not isinstance(data, dict):
        return False
    changed = False
    for key in ("mention_ids", "mentions"):
        value = data.get(key)
        if isinstance(value, list):
            kept = [i for i in value if i not in gone]
            if len(kept) != len(value):
                data[key] = kept
                changed = True
                if key == "mention_ids" and not kept and data.get("terms"):
                    data["terms"] = []
    if data.get("mention_id") in gone:
        data["mention_id"] = None
        changed = True
    detail = data.get("detail")
    if isinstance(detail, dict) and isinstance(detail.get("clusters"), list):
        clusters = detail["clusters"]
        given = detail.get("texts")
        texts: list[Any] = given if isinstance(given, list) else []
        keep = [i for i, c in enumerate(clusters) if c not in gone]
        if len(keep) != len(clusters):
            detail["clusters"] = [clusters[i] for i in keep]
            detail["texts"] = [texts[i] for i in keep if i < len(texts)]
            changed = True
    return changed


def scrub_delivery(data: dict[str, Any], gone: set[str]) -> bool:
    """Remove ``gone`` mentions from an outbox delivery's document (queued or sent): its payload's
    example mentions (id, excerpt, link) and the example lines of its texts, made again from
    those left (:func:`sadap.core.alert.replace_examples`); with none left, its top terms too."""
    payload = data.get("payload")
    mentions = payload.get("mentions") if isinstance(payload, dict) else None
    if not isinstance(payload, dict) or not isinstance(mentions, list):
        return False
    kept = [m for m in mentions if not (isinstance(m, dict) and m.get("id") in gone)]
    if len(kept) == len(mentions):
        return False
    payload["mentions"] = kept
    if not kept:
        payload["terms"] = []
    for key, lang in (("text_th", "th"), ("text_en", "en")):
        if isinstance(data.get(key), str):
            data[key] = replace_examples(data[key], kept, lang, drop_terms=not kept)
    return True


def scrub_case(data: dict[str, Any], gone: set[str], author_left: Callable[[list[str], str], bool]) -> bool:
    """Remove ``gone`` mention ids from a complaint case document (its mentions and its events),
    and the complainant's pseudonym once none of the mentions left is theirs (``author_left``:
    whether any of these mention ids is by this author, asked of the store), and the thread once
    no mention is left; True if any changed."""
    changed = scrub_ids(data, gone)
    for event in data.get("events") or []:
        changed = scrub_ids(event.get("data") if isinstance(event, dict) else None, gone) or changed
    if not changed:
        return False
    left = data.get("mention_ids") or []
    author = data.get("author_id")
    if author and (not left or not author_left(left, author)):
        data["author_id"] = None
    if not left:
        data["thread"] = None
    return True
