"""``sentiment_shift``: the share of negative (or disappointed) mentions for a key rises
above its baseline share by a margin, with a minimum volume in both periods."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Literal

from pydantic import Field, model_validator

from alerts.rules.base import EvalContext, Match, register, Rule, RuleOptions
from sadap.store.query import Query
from alerts.rules.buckets import check_baseline, per_key
from alerts.rules.running import baseline_span, tally
from sadap.core.settings_types import PositiveDuration


class SentimentShiftOptions(RuleOptions):
    window: PositiveDuration = Field(timedelta(hours=3), description="The current window.")
    baseline: PositiveDuration = Field(timedelta(days=7), description="The period before the window it is compared with.")
    labels: list[Literal["neg", "pos", "neu", "q"]] = Field(["neg"], description="Sentiments whose share is watched.")
    expectations: list[Literal["delighted", "satisfied", "disappointed", "none"]] = Field(
        default_factory=list, description="Or: expectation levels whose share is watched (e.g. `[disappointed]`)."
    )
    margin: float = Field(0.2, gt=0, lt=1, description="Fire when the share rises by at least this much (0.2 = 20 points).")
    min_count: int = Field(10, ge=1, description="Mentions needed in the window.")
    min_baseline: int = Field(20, ge=1, description="Mentions needed in the baseline (no history, no alert).")
    time_field: Literal["published_at", "collected_at"] = Field("published_at", description="Which time the windows use.")

    @model_validator(mode="after")
    def _periods(self) -> SentimentShiftOptions:
        check_baseline(self.window, self.baseline)
        return self


@register
class SentimentShiftRule(Rule):
    type_name = "sentiment_shift"
    Options = SentimentShiftOptions
    options: SentimentShiftOptions

    def plan(self, ctx: EvalContext) -> tuple[timedelta, Query | None]:
        o: SentimentShiftOptions = self.options
        return baseline_span(o.window), ctx.query(o.query)

    def evaluate(self, ctx: EvalContext) -> list[Match]:
        """Shares of voices (see ``Rule.voices``; of mentions with ``include_duplicates``), in
        the window and in the baseline, from the running state."""
        o: SentimentShiftOptions = self.options
        start = ctx.at - o.window
        current = self.base_filter(ctx, since=start, until=ctx.at, time_field=o.time_field)
        watched = {"expectations": tuple(o.expectations)} if o.expectations else {"sentiment": tuple(o.labels)}
        voices = not o.include_duplicates
        span = baseline_span(o.window)
        lo = self.counting_from(ctx, start)  # the baseline keeps `start`
        w_all = self.window(ctx, current, span)
        now_totals = {k: n for k, n in tally(w_all.between(lo.timestamp(), ctx.at.timestamp()), o.group_by, voices).items()
                      if n >= o.min_count}
        if not now_totals:
            return []
        hits = replace(current, **watched)
        w_hits = self.window(ctx, hits, span)
        hit_rows = list(w_hits.between(lo.timestamp(), ctx.at.timestamp()))
        now_hits = tally(hit_rows, o.group_by, voices)
        base_totals = {k: sum(v) for k, v in per_key(w_all.buckets(ctx.store, ctx.at, start - o.baseline, start, o.window, voices)).items()}
        base_hits = {k: sum(v) for k, v in per_key(w_hits.buckets(ctx.store, ctx.at, start - o.baseline, start, o.window, voices)).items()}
        matches = []
        for key, n in now_totals.items():
            base_n = base_totals.get(key, 0)
            if base_n < o.min_baseline:
                continue
            share_now = now_hits.get(key, 0) / n
            share_base = base_hits.get(key, 0) / base_n
            if share_now - share_base >= o.margin:
                matches.append(Match(key, n, self.sample_rows(hit_rows, key, o.time_field), lo, ctx.at,
                                     detail={"share": round(share_now, 3), "baseline_share": round(share_base, 3)}))
        return matches
