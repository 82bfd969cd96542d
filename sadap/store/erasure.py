"""Erasure (PDPA) in the documents that refer to mentions: alerts, incident timelines,
notifications and complaint cases lose what named or quoted the erased mentions, and alerts,
incidents and notifications keyed by the erased person's handle (a hashtag or keyword that is
their handle, e.g. a ``new_term`` alert on ``#somchai_k``) lose that key. Plain functions on a
document's JSON, shared by the backends (each applies them to its own rows or documents)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
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


#: What an erased person's handle becomes where an alert, incident or notification was keyed by it.
ERASED_KEY = "[ลบแล้ว]"


def person_keys(names: Iterable[str], pseudonyms: Iterable[str] = ()) -> frozenset[str]:
    """The alert keys that name the person: each form of their handle or name as a hashtag or
    keyword key is stored (lower-cased, without ``#`` or ``@``), and their pseudonyms."""
    forms = {n.strip().lstrip("#@").strip().lower() for n in names}
    return frozenset(f for f in forms | {p for p in pseudonyms} if f)


def names_person(key: object, keys: frozenset[str]) -> bool:
    """Whether an alert's, incident's, snooze's or cool-down's key is one of ``keys``."""
    return isinstance(key, str) and key.strip().lstrip("#@").strip().lower() in keys


def mask_key(data: Any, key: str) -> tuple[Any, bool]:
    """``data`` (a document's JSON) with ``key`` (any case) replaced by :data:`ERASED_KEY` in every
    string: the key itself, titles (``… — key``), notification texts and rendered escalations."""
    pattern = re.compile(re.escape(key.strip().lstrip("#@").strip()), re.IGNORECASE)
    changed = False

    def walk(value: Any) -> Any:
        nonlocal changed
        if isinstance(value, str):
            new = pattern.sub(ERASED_KEY, value)
            changed = changed or new != value
            return new
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk(data), changed


def scrub_keyed(data: dict[str, Any], keys: frozenset[str], incident_key: str | None = None) -> bool:
    """Mask, in place, the key of an alert, incident or delivery document (a delivery's is its
    payload's) when it names the person, wherever the document writes it; and ``incident_key``,
    the masked key of the incident the document belongs to (a timeline event, an escalation),
    given by the caller. True if any changed."""
    payload = data.get("payload")
    own = data.get("key") if "key" in data else payload.get("key") if isinstance(payload, dict) else None
    found = [k for k in (own if names_person(own, keys) else None, incident_key) if isinstance(k, str) and k.strip()]
    changed = False
    for key in found:
        masked, hit = mask_key(data, key)
        if hit:
            data.clear()
            data.update(masked)
            changed = True
    return changed
