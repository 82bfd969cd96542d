"""Read-through memo of store queries for one evaluation cycle: rules that ask the same
question (same filter, same grouping) in the same cycle share one answer. The mentions do
not change during a cycle, so this is exact."""

from __future__ import annotations


class CycleMemo:
    _CACHED = ("count", "count_by", "count_distinct", "exists", "ids", "histogram", "get")

    def __init__(self, store):
        self._store = store
        self._memo: dict = {}

    def __getattr__(self, name):
        target = getattr(self._store, name)
        if name not in self._CACHED:
            return target

        def cached(*args, **kwargs):
            key = (name, args, tuple(sorted(kwargs.items())))
            try:
                return self._memo[key]
            except KeyError:
                value = self._memo[key] = target(*args, **kwargs)
                return value
            except TypeError:  # an unhashable argument: ask the store
                return target(*args, **kwargs)

        return cached
