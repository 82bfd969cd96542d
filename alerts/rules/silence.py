"""``silence``: a source (or a query) that usually produces mentions has produced none for a
period — a crawler broke, or a channel went dark. Counted on collection time."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from alerts.rules.base import EvalContext, GroupField, Match, register, Rule, RuleOptions
from alerts.rules.buckets import per_key
from sadap.core.settings_types import PositiveDuration


class SilenceOptions(RuleOptions):
    group_by: GroupField | None = Field("source_name", description="One alert per silent value (default: per source).")
    period: PositiveDuration = Field(timedelta(hours=6), description="No mention collected for this long means silence.")
    baseline: PositiveDuration = Field(timedelta(days=7), description="The period before in which it must have been active.")
    min_baseline: int = Field(10, ge=1, description="Mentions needed in the baseline for it to count as usually active.")


@register
class SilenceRule(Rule):
    type_name = "silence"
    Options = SilenceOptions

    def evaluate(self, ctx: EvalContext) -> list[Match]:
        o: SilenceOptions = self.options
        start = ctx.at - o.period
        recent = self.base_filter(ctx, since=start, until=ctx.at, time_field="collected_at")
        before = ctx.buckets.counts(ctx.store, recent, o.group_by, start - o.baseline, start, o.period, partial=True)
        active = {k: sum(v) for k, v in per_key(before).items() if sum(v) >= o.min_baseline}
        if not active:
            return []
        now = self.groups(ctx, recent)
        return [
            Match(key, 0, [], start, ctx.at, detail={"baseline_count": n})
            for key, n in active.items()
            if now.get(key, 0) == 0
        ]
