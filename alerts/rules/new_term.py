"""``new_term``: a hashtag, keyword or entity not seen in the baseline period that is now
growing (rumours start this way)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Literal

from pydantic import Field

from alerts.rules.base import EvalContext, Match, register, Rule, RuleOptions
from sadap.core.settings_types import PositiveDuration

_FILTER = {"hashtag": "hashtags", "keyword": "keywords", "entity": "entities"}


class NewTermOptions(RuleOptions):
    field: Literal["hashtag", "keyword", "entity"] = Field("hashtag", description="What counts as a term.")
    window: PositiveDuration = Field(timedelta(hours=3), description="The current window.")
    baseline: PositiveDuration = Field(timedelta(days=14), description="A term seen in this period before the window is not new.")
    min_count: int = Field(5, ge=1, description="Mentions of the term needed in the window.")
    min_authors: int = Field(3, ge=1, description="Distinct authors needed in the window.")
    time_field: Literal["published_at", "collected_at"] = Field("published_at", description="Which time the windows use.")


@register
class NewTermRule(Rule):
    type_name = "new_term"
    Options = NewTermOptions

    def evaluate(self, ctx: EvalContext) -> list[Match]:
        o: NewTermOptions = self.options
        start = ctx.at - o.window
        current = self.base_filter(ctx, since=start, until=ctx.at, time_field=o.time_field)
        half = start + o.window / 2
        candidates = {t: n for t, n in ctx.store.count_by(current, o.field, limit=200).items() if n >= o.min_count}
        if not candidates:
            return []
        seen: set = set()
        for counts in ctx.buckets.counts(ctx.store, current, o.field, start - o.baseline, start, o.window, partial=True, limit=100_000).values():
            seen.update(counts)
        matches = []
        for term, n in candidates.items():
            if term in seen:
                continue  # seen in the baseline: not new
            with_term = replace(current, **{_FILTER[o.field]: (term,)})
            if ctx.store.count_distinct(with_term, "author_id") < o.min_authors:
                continue
            late = ctx.store.count(replace(with_term, since=half))
            if late < n - late:
                continue  # fading, not growing
            matches.append(Match(term, n, ctx.store.ids(with_term, limit=self.examples), start, ctx.at))
        return matches
