"""``watch``: a mention matching a query. Evaluated on every stored batch (seconds after
ingest) and, on schedule, over the mentions collected in the last ``window``."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from pydantic import Field

from alerts.rules.base import EvalContext, Match, register, Rule, RuleOptions
from sadap.core.settings_types import PositiveDuration


class WatchOptions(RuleOptions):
    window: PositiveDuration = Field(timedelta(hours=1), description="On schedule: look at mentions collected this recently.")
    min_count: int = Field(1, ge=1, description="Fire only when at least this many mentions match (per key).")


@register
class WatchRule(Rule):
    type_name = "watch"
    Options = WatchOptions
    options: WatchOptions
    at_ingest = True

    def evaluate(self, ctx: EvalContext) -> list[Match]:
        o: WatchOptions = self.options
        start = self.counting_from(ctx, ctx.at - o.window)
        flt = self.base_filter(ctx, since=start, until=ctx.at + timedelta(microseconds=1), time_field="collected_at")
        window = replace(flt, ids=())
        every = replace(window, include_duplicates=True)
        if ctx.ids is not None:
            # At ingest: fire for keys that the new batch touches, counting the whole window.
            triggered = self.groups(ctx, replace(flt, include_duplicates=True))
            counts = {key: self.count_key(ctx, every, key) for key in triggered}
            if not o.include_duplicates:  # voices, not copies (see Rule.voices)
                counts = {
                    key: ctx.store.count_voices(self.keyed(every, key) if key is not None else every)
                    for key, n in counts.items() if n >= o.min_count
                }
        else:
            counts = self.voices(ctx, window, o.min_count)
        matches = []
        for key, n in counts.items():
            if n >= o.min_count:
                matches.append(Match(key, n, self.sample(ctx, window, key), start, ctx.at))
        return matches
