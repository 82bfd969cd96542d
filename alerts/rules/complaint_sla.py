"""``complaint_sla``: a complaint not answered within its SLA (default 24 hours: the Thai
PR standard asks organisations to follow complaints around the clock).

``scope: mentions`` — complaint mentions published more than ``sla`` ago (within
``lookback``) with no response logged (`sadap mentions respond`). The alert lists every
overdue complaint; a complaint newly overdue is a new alert even while older ones keep the
rule in its cool-down. ``scope: incidents`` — open or acknowledged incidents with no
`response` on their timeline ``sla`` after opening: the alert goes on that incident's own
timeline (`sla_overdue`) and is notified; it never opens an incident, so such a rule names
no ``playbook``."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from alerts.rules.base import EvalContext, Match, register, Rule, RuleOptions
from sadap.core.settings_types import PositiveDuration


class ComplaintSlaOptions(RuleOptions):
    scope: Literal["mentions", "incidents"] = Field("mentions", description="What the SLA clock runs on.")
    sla: PositiveDuration = Field(timedelta(hours=24), description="Time allowed before a response must be logged.")
    lookback: PositiveDuration = Field(timedelta(days=7), description="`mentions`: how far back past the SLA to look.")
    min_count: int = Field(1, ge=1, description="`mentions`: overdue complaints needed to fire (per key).")

    @model_validator(mode="after")
    def _no_playbook_for_incidents(self) -> ComplaintSlaOptions:
        if self.scope == "incidents" and self.playbook:
            # Reported at `playbook` (file:line of that key), not at the rule.
            message = ("not allowed with `scope: incidents`: the alert goes on the overdue incident's own "
                       "timeline and never opens an incident (remove `playbook`)")
            raise ValidationError.from_exception_data(type(self).__name__, [InitErrorDetails(
                type=PydanticCustomError("value_error", message), loc=("playbook",), input=self.playbook)])
        return self


@register
class ComplaintSlaRule(Rule):
    type_name = "complaint_sla"
    Options = ComplaintSlaOptions
    options: ComplaintSlaOptions

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
                every = ctx.store.ids(self.keyed(overdue, key) if key is not None else overdue, limit=n)
                matches.append(Match(key, n, every, due - o.lookback, due, renew=True))
        return matches

    def _incidents(self, ctx: EvalContext, due: datetime) -> list[Match]:
        matches = []
        for incident in ctx.store.list_incidents(("open", "acknowledged")):
            if incident.opened_at > due:
                continue
            if any(e.kind == "response" for e in ctx.store.events(incident.id)):
                continue
            detail = {"incident": incident.id, "playbook": incident.playbook,
                      "sla_seconds": int(self.options.sla.total_seconds())}
            matches.append(Match(incident.id, incident.mention_count or len(incident.mention_ids),
                                 incident.mention_ids[: self.examples], incident.opened_at, ctx.at,
                                 detail=detail, incident=incident.id))
        return matches
