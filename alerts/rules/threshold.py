"""``threshold``: how many mentions (or distinct authors) in a window, per key, above a limit."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from alerts.rules.base import EvalContext, Match, register, Rule, RuleOptions
from sadap.core.settings_types import PositiveDuration


class ThresholdOptions(RuleOptions):
    window: PositiveDuration = Field(timedelta(hours=1), description="How far back to count from the evaluation time.")
    limit: int = Field(ge=1, description="Fire when the count reaches this number.")
    metric: Literal["count", "distinct_authors"] = Field("count", description="Count mentions or distinct authors.")
    time_field: Literal["published_at", "collected_at"] = Field(
        "published_at",
        description="Window on publication time (default) or collection time. Either way only mentions "
        "already collected at the evaluation time count.",
    )


@register
class ThresholdRule(Rule):
    type_name = "threshold"
    Options = ThresholdOptions

    def evaluate(self, ctx: EvalContext) -> list[Match]:
        o: ThresholdOptions = self.options
        start = ctx.at - o.window
        flt = self.base_filter(ctx, since=start, until=ctx.at, time_field=o.time_field)
        matches = []
        for key, n in self.groups(ctx, flt).items():
            if o.metric == "distinct_authors":
                n = ctx.store.count_distinct(self.keyed(flt, key) if key is not None else flt, "author_id")
            if n >= o.limit:
                matches.append(Match(key, n, self.sample(ctx, flt, key), start, ctx.at))
        return matches
