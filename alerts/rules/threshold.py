"""``threshold``: how many mentions (or distinct authors) in a window, per key, above a limit."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from alerts.rules.base import EvalContext, Match, register, Rule, RuleOptions
from sadap.store.query import Query
from alerts.rules.running import tally
from sadap.core.settings_types import PositiveDuration


class ThresholdOptions(RuleOptions):
    window: PositiveDuration = Field(timedelta(hours=1), description="How far back to count from the evaluation time.")
    limit: int = Field(ge=1, description="Fire when the count reaches this number.")
    metric: Literal["count", "distinct_authors"] = Field(
        "count",
        description="Count mentions (voices unless `include_duplicates`) or distinct authors (every account "
        "in the window, near-duplicate copies included).",
    )
    time_field: Literal["published_at", "collected_at"] = Field(
        "published_at",
        description="Window on publication time (default) or collection time. Either way only mentions "
        "already collected at the evaluation time count.",
    )


@register
class ThresholdRule(Rule):
    type_name = "threshold"
    Options = ThresholdOptions
    options: ThresholdOptions

    def plan(self, ctx: EvalContext) -> tuple[timedelta, Query | None]:
        o: ThresholdOptions = self.options
        return o.window, ctx.query(o.query)

    def evaluate(self, ctx: EvalContext) -> list[Match]:
        o: ThresholdOptions = self.options
        start = self.counting_from(ctx, ctx.at - o.window)
        flt = self.base_filter(ctx, since=start, until=ctx.at, time_field=o.time_field)
        if ctx.ids is not None:  # not an ingest-time rule; kept for direct calls
            return []
        rows = list(self.window(ctx, flt, o.window).between(start.timestamp(), ctx.at.timestamp()))
        if o.metric == "distinct_authors":
            # distinct accounts among every mention in the window, near-duplicate copies included:
            # twelve accounts posting the same complaint are twelve authors
            authors: dict[str | None, set[str]] = {}
            for r in rows:
                for key in (r.keys if o.group_by is not None else (None,)):
                    bucket = authors.setdefault(key, set())
                    if r.author is not None:
                        bucket.add(r.author)
            counts = {k: len(v) for k, v in authors.items()}
        else:
            counts = tally(rows, o.group_by, voices=not o.include_duplicates)
        detail = {"metric": o.metric} if o.metric == "distinct_authors" else {}
        matches = []
        for key, n in counts.items():
            if n >= o.limit:
                matches.append(Match(key, n, self.sample_rows(rows, key, o.time_field), start, ctx.at, detail=dict(detail)))
        return matches
