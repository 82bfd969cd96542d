"""``coordinated``: many distinct accounts posting near-identical text in a short window
(brigading, copy-paste campaigns). Uses the near-duplicate clusters from enrichment.

* The window is on **publication** time (only mentions already collected count): a week
  crawled or imported in one batch is not a burst.
* **Syndicated news is not a campaign**: many outlets carrying one press release (source
  kinds in ``NEWS_SOURCE_KINDS``: rss, article, google_news, sitemap, news) do not count as accounts; only social posts do.
* **One alert per key** (``group_by``, default ``entity``), with every cluster that qualifies
  in it: one incident per entity and situation, with clusters added to it while it is active,
  not one incident per copied text."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from pydantic import Field

from alerts.rules.base import EvalContext, GroupField, Match, register, Rule, RuleOptions
from sadap.core.settings_types import PositiveDuration
from sadap.store import NEWS_SOURCE_KINDS


class CoordinatedOptions(RuleOptions):
    include_duplicates: bool = Field(True, description="Copies are what this rule counts; leave true.")
    group_by: GroupField | None = Field(
        "entity", description="One alert (and incident) per value of this field, with every copied text in it."
    )
    window: PositiveDuration = Field(timedelta(hours=1), description="How far back, on publication time.")
    min_authors: int = Field(4, ge=2, description="Distinct accounts (not news outlets) posting the same text.")
    min_length: int = Field(
        30, ge=0, description="Ignore texts shorter than this (characters): many people post the same short reply or emoji."
    )


@register
class CoordinatedRule(Rule):
    type_name = "coordinated"
    Options = CoordinatedOptions
    options: CoordinatedOptions

    def evaluate(self, ctx: EvalContext) -> list[Match]:
        o: CoordinatedOptions = self.options
        start = self.counting_from(ctx, ctx.at - o.window)
        flt = self.base_filter(ctx, since=start, until=ctx.at + timedelta(microseconds=1), time_field="published_at")
        by_key: dict[str | None, Match] = {}
        for cluster, n in ctx.store.count_by(flt, "cluster", limit=500).items():
            if n < o.min_authors:
                break  # ordered by count: the rest are smaller
            same = replace(flt, clusters=(cluster,))
            kinds = ctx.store.count_by(same, "source_kind", limit=50)
            social = tuple(k for k in kinds if k not in NEWS_SOURCE_KINDS)
            if not social:
                continue  # syndicated news: one press release, many outlets
            posts = replace(same, source_kinds=social)
            authors = ctx.store.count_distinct(posts, "author_id")
            if authors < o.min_authors:
                continue
            original = ctx.store.get(cluster)
            words = " ".join((original.text if original else cluster).split())
            if len(words) < o.min_length:
                continue
            text = words if len(words) <= 40 else words[:39] + "…"
            keys: list[str | None] = [None]
            if o.group_by is not None:
                keys = [k for k in ctx.store.count_by(posts, o.group_by, limit=1)] or [None]
            key = keys[0]
            ids = ctx.store.ids(posts, limit=self.examples)
            match = by_key.get(key)
            if match is None:
                by_key[key] = Match(key, authors, ids, start, ctx.at,
                                    detail={"clusters": [cluster], "texts": [text], "copies": n})
            else:  # another copied text about the same key: the same situation
                match.count += authors
                match.mention_ids = list(dict.fromkeys(match.mention_ids + ids))[: self.examples * 2]
                match.detail["clusters"].append(cluster)
                match.detail["texts"].append(text)
                match.detail["copies"] += n
        return list(by_key.values())
