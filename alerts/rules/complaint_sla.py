"""``complaint_sla``: a complaint not answered within its SLA (default 24 hours: the Thai
PR standard asks organisations to follow complaints around the clock).

``scope: mentions`` — complaint mentions published more than ``sla`` ago (within
``lookback``) with no response logged (`sadap mentions respond`). ``scope: incidents`` —
open or acknowledged incidents with no `response` on their timeline ``sla`` after opening."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Literal

from pydantic import Field

from alerts.rules.base import EvalContext, Match, register, Rule, RuleOptions
from sadap.core.settings_types import PositiveDuration


class ComplaintSlaOptions(RuleOptions):
    scope: Literal["mentions", "incidents"] = Field("mentions", description="What the SLA clock runs on.")
    sla: PositiveDuration = Field(timedelta(hours=24), description="Time allowed before a response must be logged.")
    lookback: PositiveDuration = Field(timedelta(days=7), description="`mentions`: how far back past the SLA to look.")
    min_count: int = Field(1, ge=1, description="`mentions`: overdue complaints needed to fire (per key).")


@register
class ComplaintSlaRule(Rule):
    type_name = "complaint_sla"
    Options = ComplaintSlaOptions

    def evaluate(self, ctx: EvalContext) -> list[Match]:
        o: ComplaintSlaOptions = self.options
        due = ctx.at - o.sla
        if o.scope == "incidents":
            return self._incidents(ctx, due)
        flt = self.base_filter(ctx, since=due - o.lookback, until=due, time_field="published_at")
        overdue = replace(flt, complaint=True, responded=False)
        matches = []
        for key, n in self.groups(ctx, overdue).items():
            if n >= o.min_count:
                matches.append(Match(key, n, self.sample(ctx, overdue, key), due - o.lookback, due))
        return matches

    def _incidents(self, ctx: EvalContext, due) -> list[Match]:
        matches = []
        for incident in ctx.store.list_incidents(("open", "acknowledged")):
            if incident.opened_at > due:
                continue
            if any(e.kind == "response" for e in ctx.store.events(incident.id)):
                continue
            matches.append(Match(incident.id, 1, incident.mention_ids[: self.examples], incident.opened_at, ctx.at,
                                 detail={"incident": incident.id, "playbook": incident.playbook}))
        return matches
