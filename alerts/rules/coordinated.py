"""``coordinated``: many distinct authors posting near-identical text in a short window
(brigading, copy-paste campaigns). Uses the near-duplicate clusters from enrichment."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from pydantic import Field

from alerts.rules.base import EvalContext, Match, register, Rule, RuleOptions
from sadap.core.settings_types import PositiveDuration


class CoordinatedOptions(RuleOptions):
    include_duplicates: bool = Field(True, description="Copies are what this rule counts; leave true.")
    window: PositiveDuration = Field(timedelta(hours=1), description="How far back, on collection time.")
    min_authors: int = Field(4, ge=2, description="Distinct authors posting the same text.")
    min_length: int = Field(
        30, ge=0, description="Ignore texts shorter than this (characters): many people post the same short reply or emoji."
    )


@register
class CoordinatedRule(Rule):
    type_name = "coordinated"
    Options = CoordinatedOptions

    def evaluate(self, ctx: EvalContext) -> list[Match]:
        o: CoordinatedOptions = self.options
        start = ctx.at - o.window
        flt = self.base_filter(ctx, since=start, until=ctx.at + timedelta(microseconds=1), time_field="collected_at")
        matches = []
        for cluster, n in ctx.store.count_by(flt, "cluster", limit=500).items():
            if n < o.min_authors:
                break  # ordered by count: the rest are smaller
            same = replace(flt, clusters=(cluster,))
            authors = ctx.store.count_distinct(same, "author_id")
            if authors >= o.min_authors:
                original = ctx.store.get(cluster)
                words = " ".join((original.text if original else cluster).split())
                if len(words) < o.min_length:
                    continue
                # The key people read: the start of the copied text (stable for the cluster).
                key = words if len(words) <= 40 else words[:39] + "…"
                matches.append(Match(key, authors, ctx.store.ids(same, limit=self.examples), start, ctx.at,
                                     detail={"copies": n, "cluster": cluster}))
        return matches
