"""Baseline counts in fixed time buckets, cached once a bucket has settled.

Rules that compare now with a baseline (spike, sentiment_shift, silence) would otherwise
re-count days of mentions on every cycle. Buckets sit on a fixed grid (aligned to Bangkok
midnight, one window wide), so a closed bucket never moves. A bucket is *settled* once
``SETTLE`` has passed since it closed; from then on it counts the mentions collected
within ``SETTLE`` of its end — the same number whenever it is asked, so live evaluation,
``alerts check --at`` and backtests agree — and is cached. Newer buckets are counted as of
the evaluation time, like everything else.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime, timedelta

from sadap.store import MentionFilter, Store
from sadap.core.timeutil import UTC, format_duration

SETTLE = timedelta(hours=6)
BANGKOK_OFFSET = timedelta(hours=7)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC) - BANGKOK_OFFSET  # a Bangkok midnight


def grid(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """Starts of the whole grid buckets inside [start, end)."""
    first = _EPOCH + step * -(-(start - _EPOCH) // step)  # ceil to the grid
    out = []
    b = first
    while b + step <= end:
        out.append(b)
        b += step
    return out


def check_baseline(window: timedelta, baseline: timedelta) -> None:
    """Raise ValueError (for the options model) unless ``baseline`` holds at least one whole
    bucket wherever the window ends: the buckets are one ``window`` wide on the Bangkok-midnight
    grid, so a baseline shorter than twice the window can hold none and the rule never fires."""
    if baseline < window * 2:
        raise ValueError(
            f"baseline ({format_duration(baseline)}) must be at least twice the window ({format_duration(window)}): "
            f"it is counted in whole {format_duration(window)} buckets from Bangkok midnight; "
            f"use baseline: {format_duration(window * 2)} or longer"
        )


class BucketCounts:
    def __init__(self, max_entries: int = 100_000):
        self._cache: OrderedDict[tuple[MentionFilter, str | None, int], dict[str | None, int]] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def counts(
        self, store: Store, flt: MentionFilter, group_by: str | None, start: datetime, end: datetime, step: timedelta,
        *, partial: bool = False, limit: int = 10_000,
    ) -> dict[datetime, dict[str | None, int]]:
        """Per grid bucket in [start, end): counts per ``group_by`` value (or under None).
        With ``partial``, the pieces before the first and after the last whole bucket are
        counted too (not cached), so the buckets cover exactly [start, end)."""
        at = flt.collected_until
        out: dict[datetime, dict[str | None, int]] = {}
        whole = grid(start, end, step)
        if partial:
            edges = [(start, whole[0] if whole else end)]
            if whole and whole[-1] + step < end:
                edges.append((whole[-1] + step, end))
            for lo, hi in edges:
                if lo < hi:
                    piece = replace(flt, since=lo, until=hi)
                    if group_by:
                        out[lo] = {k: n for k, n in store.count_by(piece, group_by, limit=limit).items()}
                    else:
                        out[lo] = {None: store.count(piece)}
        for b in whole:
            settled = at is not None and b + step + SETTLE <= at
            bucket = replace(flt, since=b, until=b + step, collected_until=(b + step + SETTLE) if settled else at)
            key = (bucket, group_by, limit)
            if settled:
                with self._lock:
                    hit = self._cache.get(key)
                    if hit is not None:
                        self._cache.move_to_end(key)
                        out[b] = hit
                        continue
            counts: dict[str | None, int]
            if group_by is None:
                n = store.count(bucket)
                counts = {None: n} if n else {}
            else:
                counts = {k: n for k, n in store.count_by(bucket, group_by, limit=limit).items()}
            out[b] = counts
            if settled:
                with self._lock:
                    self._cache[key] = counts
                    while len(self._cache) > self._max:
                        self._cache.popitem(last=False)
        return out


def per_key(buckets: Mapping[Any, dict[str | None, int]]) -> dict[str | None, list[int]]:
    """Bucket counts regrouped per key (buckets where the key had none are left out)."""
    out: dict[str | None, list[int]] = {}
    for counts in buckets.values():
        for key, n in counts.items():
            out.setdefault(key, []).append(n)
    return out
