"""Store backends behind one interface."""

from __future__ import annotations

from sadap.store.base import (
    GROUP_FIELDS,
    RULE_GROUP_FIELDS,
    Fingerprint,
    MentionFilter,
    Store,
    UpsertResult,
)
from sadap.store.sqlite import SQLiteStore

__all__ = ["GROUP_FIELDS", "RULE_GROUP_FIELDS", "Fingerprint", "MentionFilter", "Store", "UpsertResult", "open_store"]


def open_store(config) -> Store:
    """The store named by ``config.store``."""
    if config.store.backend == "sqlite":
        return SQLiteStore(config.store_path)
    if config.store.backend == "elasticsearch":
        from sadap.store.elasticsearch import ElasticsearchStore

        return ElasticsearchStore.from_config(config)
    raise ValueError(f"unknown store backend {config.store.backend!r}")
