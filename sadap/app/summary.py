"""Counts that the demo summary, the console and the API share."""

from __future__ import annotations

from typing import Any

from sadap.store import MentionFilter, Store


def overview(store: Store) -> dict[str, Any]:
    everything = MentionFilter()
    total = store.count(everything)
    return {
        "total": total,
        "near_duplicates": total - store.count(MentionFilter(include_duplicates=False)),
        "by_sentiment": store.count_by(everything, "sentiment"),
        "by_source": store.count_by(everything, "source_name"),
        "by_source_kind": store.count_by(everything, "source_kind"),
        "by_entity": store.count_by(everything, "entity", limit=10),
        "by_language": store.count_by(everything, "language"),
        "by_expectation": store.count_by(everything, "expectation"),
        "by_category": store.count_by(everything, "category"),
        "complaints": store.count(MentionFilter(complaint=True)),
        "by_complaint_type": store.count_by(MentionFilter(complaint=True), "complaint_type"),
        "top_hashtags": store.count_by(everything, "hashtag", limit=10),
    }
