"""``new_term``: a hashtag, keyword or entity not seen in the baseline period that is now
growing (rumours start this way)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from alerts.rules.base import EvalContext, Match, register, Rule, RuleOptions
from sadap.store.query import Query
from sadap.core.settings_types import PositiveDuration
from sadap.store.base import MentionRow

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
    options: NewTermOptions

    def plan(self, ctx: EvalContext) -> tuple[timedelta, Query | None]:
        o: NewTermOptions = self.options
        return o.window, ctx.query(o.query)

    def evaluate(self, ctx: EvalContext) -> list[Match]:
        """From the running state: the window's terms (every one, however rare on a busy
        source) against the seen-term set (each term's latest time before the window)."""
        o: NewTermOptions = self.options
        start = ctx.at - o.window
        current = self.base_filter(ctx, since=start, until=ctx.at, time_field=o.time_field)
        half = (start + o.window / 2).timestamp()
        w = self.window(ctx, current, o.window, group_by=o.field)
        lo = self.counting_from(ctx, start)  # what is new is still judged before `start`
        rows = [r for r in w.between(lo.timestamp(), ctx.at.timestamp()) if o.include_duplicates or not r.duplicate]
        per_term: dict[str, list[MentionRow]] = {}
        for r in rows:
            for term in r.keys:
                per_term.setdefault(term, []).append(r)
        candidates = {t: rs for t, rs in per_term.items() if len(rs) >= o.min_count}
        if not candidates:
            return []
        last_seen = w.last_seen(ctx.store, ctx.at, start, o.baseline, originals=not o.include_duplicates, terms=candidates)
        since = (start - o.baseline).timestamp()
        matches = []
        for term, term_rows in candidates.items():
            if last_seen.get(term, float("-inf")) >= since:
                continue  # seen in the baseline: not new
            if len({r.author for r in term_rows if r.author is not None}) < o.min_authors:
                continue
            n = len(term_rows)
            late = sum(1 for r in term_rows if r.time(o.time_field) >= half)
            if late < n - late:
                continue  # fading, not growing
            matches.append(Match(term, n, self.sample_rows(term_rows, None, o.time_field), lo, ctx.at))
        return matches
