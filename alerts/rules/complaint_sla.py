"""``complaint_sla``: a complaint not answered within its SLA (default 24 hours: the Thai
PR standard asks organisations to follow complaints around the clock).

``scope: mentions`` — complaint mentions published more than ``sla`` ago (within
``lookback``) with no response logged (`sadap mentions respond`). A complaint in a complaint
case is judged by the case's clock instead, the one the complaint queue reads
(:func:`~sadap.core.complaint_case.current_wait`): it is overdue while the case is open and
its current wait — since the first complaint, or since a follow-up posted after our last
response — is unanswered past ``sla`` (a response logged to any of the case's mentions at or
after the customer's latest message ends it), and then every complaint of that wait is listed.
The alert lists every overdue complaint; a complaint newly overdue (in no case), or a case's
wait newly overdue, is a new alert even while older ones keep the rule in its cool-down; the
customer writing again while their case is overdue is listed, not alerted anew. ``scope: incidents`` — open or acknowledged incidents with no
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
from sadap.core.complaint_case import current_wait, wait_complaints
from sadap.core.settings_types import PositiveDuration
from sadap.store import case_times


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
        start = due - o.lookback
        # Unanswered complaints that may be overdue: on their own clock those published before
        # `due`, in a case any of the case's current wait (a follow-up posted since `due` too).
        flt = replace(self.base_filter(ctx, since=start, time_field="published_at"), complaint=True, responded=False)
        rows = sorted(ctx.store.mention_rows(flt, o.group_by), key=lambda r: (-r.published, r.id))  # newest first
        waits = self._waits(ctx, [r.id for r in rows], start, due)
        by_key: dict[str | None, list[str]] = {}
        for r in rows:
            if waits[r.id] is not None if r.id in waits else r.published < due.timestamp():
                for key in (r.keys if o.group_by is not None else (None,)):
                    by_key.setdefault(key, []).append(r.id)
        matches = []
        for key, every in by_key.items():
            if len(every) >= o.min_count:
                # One new alert per wait: a complaint in no case, a case's wait by its first listed complaint.
                first = {waits[i]: i for i in every if waits.get(i) is not None}  # newest first: the oldest stays
                renew_on = [i for i in every if i not in waits or first[waits[i]] == i]
                matches.append(Match(key, len(every), every, start, due, renew=True, renew_on=renew_on))
        return matches

    def _waits(self, ctx: EvalContext, ids: list[str], start: datetime, due: datetime) -> dict[str, str | None]:
        """Of ``ids``, those a case holds: to the case's id where they are in its current wait
        and that wait is overdue (began in [``start``, ``due``), unanswered, the case open: the
        complaint queue's clock, :func:`~sadap.core.complaint_case.current_wait`), else to None
        (answered, or the case closed). Complaints in no case are not in it."""
        held = ctx.store.held_mentions(ids) if ids else set()
        if not held:
            return {}
        waits: dict[str, str | None] = dict.fromkeys(held)
        open_cases = ctx.store.cases_holding(held, ("open",))
        times = case_times(ctx.store, open_cases)
        for case in open_cases:
            posted, responses = times[case.id]
            since, answered = current_wait(case.received_at, [at for at, _ in posted], responses)
            if answered is None and start <= since < due:
                for mid in wait_complaints(case.received_at, since, posted, case.mention_ids):
                    if mid in waits:
                        waits[mid] = case.id
        return waits

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
