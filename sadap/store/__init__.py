"""Store backends behind one interface."""

from __future__ import annotations

from sadap.core.files import private_dir
from sadap.store.base import (
    GROUP_FIELDS,
    CaseKey,
    NEWS_SOURCE_KINDS,
    RULE_GROUP_FIELDS,
    Delivery,
    Fingerprint,
    MentionFilter,
    PageKey,
    ResponseRow,
    Store,
    StoreSource,
    UpsertResult,
    case_first_responses,
    case_times,
    page_key,
)
from sadap.store.sqlite import SQLiteStore

__all__ = ["GROUP_FIELDS", "CaseKey", "NEWS_SOURCE_KINDS", "RULE_GROUP_FIELDS", "Delivery", "Fingerprint", "MentionFilter", "PageKey", "ResponseRow", "Store", "UpsertResult", "case_first_responses", "case_times", "open_store", "page_key"]


def open_store(config: StoreSource) -> Store:
    """The store named by ``config.store``. The data folder is made private (0700) first."""
    private_dir(config.data_path)
    if config.store.backend == "sqlite":
        return SQLiteStore(config.store_path)
    if config.store.backend == "elasticsearch":
        from sadap.store.elasticsearch import ElasticsearchStore

        return ElasticsearchStore.from_config(config)
    raise ValueError(f"unknown store backend {config.store.backend!r}")
