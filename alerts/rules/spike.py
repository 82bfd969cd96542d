"""``spike``: the current window against the same-length windows of a baseline period
(ratio to the mean and mean + k·σ), with a minimum volume. A key with no history never
fires (0 against 0 is not a spike); a spike that stays high keeps its incident open."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Literal

from pydantic import Field, model_validator

from alerts.rules.base import EvalContext, Match, register, Rule, RuleOptions
from sadap.store.query import Query
from alerts.rules.buckets import check_baseline, per_key
from alerts.rules.running import baseline_span, tally
from sadap.core.settings_types import PositiveDuration


class SpikeOptions(RuleOptions):
    window: PositiveDuration = Field(timedelta(hours=1), description="The current window, back from the evaluation time.")
    baseline: PositiveDuration = Field(timedelta(days=7), description="The period before the window it is compared with.")
    ratio: float = Field(3.0, gt=1, description="Fire only if the window's count is at least this many times the baseline mean.")
    k: float = Field(3.0, ge=0, description="…and at least the baseline mean plus k standard deviations.")
    min_count: int = Field(10, ge=1, description="…and at least this many mentions in the window.")
    time_field: Literal["published_at", "collected_at"] = Field("published_at", description="Which time the windows use.")

    @model_validator(mode="after")
    def _periods(self) -> SpikeOptions:
        check_baseline(self.window, self.baseline)
        return self


def baseline_stats(counts: list[int], buckets: int) -> tuple[float, float]:
    """Mean and standard deviation over ``buckets`` windows (missing ones count as zero)."""
    total = sum(counts)
    mean = total / buckets
    var = (sum((c - mean) ** 2 for c in counts) + (buckets - len(counts)) * mean**2) / buckets
    return mean, math.sqrt(var)


@register
class SpikeRule(Rule):
    type_name = "spike"
    Options = SpikeOptions
    options: SpikeOptions

    def plan(self, ctx: EvalContext) -> tuple[timedelta, Query | None]:
        o: SpikeOptions = self.options
        return baseline_span(o.window), ctx.query(o.query)

    def evaluate(self, ctx: EvalContext) -> list[Match]:
        """Voices (see ``Rule.voices``; every mention with ``include_duplicates``) in the window
        and in each baseline bucket, from the running state."""
        o: SpikeOptions = self.options
        start = ctx.at - o.window
        current = self.base_filter(ctx, since=start, until=ctx.at, time_field=o.time_field)
        voices = not o.include_duplicates
        w = self.window(ctx, current, baseline_span(o.window))
        lo = self.counting_from(ctx, start)  # the baseline keeps `start`
        rows = list(w.between(lo.timestamp(), ctx.at.timestamp()))
        now_counts = {k: n for k, n in tally(rows, o.group_by, voices).items() if n >= o.min_count}
        if not now_counts:
            return []
        base = w.buckets(ctx.store, ctx.at, start - o.baseline, start, o.window, voices)
        buckets = len(base)
        history = per_key({b: {k: n for k, n in c.items() if n} for b, c in base.items()})
        matches = []
        for key, n in now_counts.items():
            counts = history.get(key)
            if not counts or not buckets:
                continue  # no history for this key: not a spike
            mean, sd = baseline_stats(counts, buckets)
            if n >= o.ratio * mean and n >= mean + o.k * sd:
                matches.append(Match(key, n, self.sample_rows(rows, key, o.time_field), lo, ctx.at,
                                     detail={"baseline_mean": round(mean, 2), "baseline_sd": round(sd, 2)}))
        return matches
