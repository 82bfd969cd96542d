"""Read-through memo of store queries for one evaluation cycle: rules that ask the same
question (same filter, same grouping) in the same cycle share one answer. The mentions do
not change during a cycle, so this is exact. The incremental rules' running state
(alerts/rules/running.py) shares its increments per question the same way."""

from __future__ import annotations

from typing import Any

from sadap.store import Store


class CycleMemo:
    _CACHED = ("count", "count_by", "count_distinct", "count_voices", "exists", "ids", "histogram", "get",
               "mention_rows", "bucket_counts", "terms_last_seen")

    def __init__(self, store: Store) -> None:
        self._store = store
        self._memo: dict[tuple[Any, ...], Any] = {}

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if name not in self._CACHED:
            return target

        def cached(*args: Any, **kwargs: Any) -> Any:
            key = (name, args, tuple(sorted(kwargs.items())))
            try:
                return self._memo[key]
            except KeyError:
                value = self._memo[key] = target(*args, **kwargs)
                return value
            except TypeError:  # an unhashable argument: ask the store
                return target(*args, **kwargs)

        return cached
