"""``complaint_sla``: a complaint not answered within its SLA (default 24 hours: the Thai
PR standard asks organisations to follow complaints around the clock).

``scope: mentions`` — complaints in no case published more than ``sla`` ago (within
``lookback``) with no response logged (`sadap mentions respond`) — news coverage
(``NEWS_SOURCE_KINDS``) left out: a news article is answered through press relations, not as a
customer waiting —, and every open complaint
case whose current wait is overdue by the complaint queue's clock, however long ago it began:
the same reading of the case (every mention it holds, a complaint or one linked by hand:
:meth:`~sadap.store.Store.open_case_keys`) and the same decision
(:func:`~sadap.core.complaint_case.current_wait`, :func:`~sadap.core.complaint_case.wait_overdue`).
A case's wait runs since its first mention, or since one posted after our last response (the
customer writing again), until a response is logged to any of its mentions at or after the
latest; then every mention of that wait is listed. The alert lists every overdue complaint; a
complaint newly overdue (in no case), or a case's wait newly overdue, is a new alert even while
older ones keep the rule in its cool-down; the customer writing again while their case is
overdue is listed, not alerted anew. ``scope: incidents`` — open or acknowledged incidents with no
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
from sadap.core.complaint_case import current_wait, wait_complaints, wait_overdue
from sadap.core.settings_types import PositiveDuration
from sadap.store.base import NEWS_SOURCE_KINDS, MentionRow


class ComplaintSlaOptions(RuleOptions):
    scope: Literal["mentions", "incidents"] = Field("mentions", description="What the SLA clock runs on.")
    sla: PositiveDuration = Field(timedelta(hours=24), description="Time allowed before a response must be logged.")
    lookback: PositiveDuration = Field(timedelta(days=7), description=(
        "`mentions`: how far back past the SLA to look for complaints in no case (a complaint case's "
        "overdue wait is found however long ago it began)."))
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
        # Complaints in no case, on their own clock: unanswered, published in [start, due); news
        # coverage only by its case's clock, where a person linked it into one.
        flt = replace(self.base_filter(ctx, since=start, until=due, time_field="published_at"),
                      complaint=True, responded=False, exclude_source_kinds=NEWS_SOURCE_KINDS)
        alone = ctx.store.mention_rows(flt, o.group_by)
        waits, began, in_open = self._overdue_waits(ctx, o.sla)
        # An open case holds most of them: the store is asked only about the others
        rest = [r.id for r in alone if r.id not in in_open]
        held = ctx.store.held_mentions(rest) if rest else set()
        # The window's rows are the overdue waits' too where they are among them (its filter keeps
        # fewer: complaints, unanswered, in the window): only the others are read
        known = {r.id: r for r in alone if r.id in waits}
        rows = ([r for r in alone if r.id not in held and r.id not in in_open] + list(known.values())
                + self._rows(ctx, [i for i in waits if i not in known]))
        rows.sort(key=lambda r: (-r.published, r.id))  # newest first
        by_key: dict[str | None, list[str]] = {}
        for r in rows:
            for key in (r.keys if o.group_by is not None else (None,)):
                by_key.setdefault(key, []).append(r.id)
        matches = []
        for key, every in by_key.items():
            if len(every) >= o.min_count:
                # One new alert per wait: a complaint in no case, a case's wait by its first listed complaint.
                first = {waits[i]: i for i in every if i in waits}  # newest first: the oldest stays
                renew_on = [i for i in every if i not in waits or first[waits[i]] == i]
                # The window reaches back to the oldest wait listed: no alert before it can list
                # one of its mentions (what the engine reads to tell a new wait from one alerted).
                since = min([start, *(began[waits[i]] for i in first.values())])
                matches.append(Match(key, len(every), every, since, due, renew=True, renew_on=renew_on))
        return matches

    def _overdue_waits(self, ctx: EvalContext, sla: timedelta) -> tuple[dict[str, str], dict[str, datetime], set[str]]:
        """The open cases' overdue waits, however long ago they began (the complaint queue's clock
        on the same reading of every open case: :meth:`~sadap.store.Store.open_case_keys`,
        :func:`~sadap.core.complaint_case.current_wait`, :func:`~sadap.core.complaint_case.wait_overdue`):
        each mention of such a wait to its case's id, each such case's id to when its wait began,
        and every mention an open case holds."""
        waits: dict[str, str] = {}
        began: dict[str, datetime] = {}
        in_open: set[str] = set()
        for key in ctx.store.open_case_keys():
            in_open.update(key.mention_ids)
            since, answered = current_wait(key.received_at, [at for at, _ in key.posted], key.responses)
            if wait_overdue(key.state, since, answered, ctx.at, sla):
                began[key.id] = since
                for mid in wait_complaints(key.received_at, since, key.posted, key.mention_ids):
                    waits.setdefault(mid, key.id)
        return waits, began, in_open

    def _rows(self, ctx: EvalContext, ids: list[str]) -> list[MentionRow]:
        """The rows of the overdue waits' mentions that the rule's filters keep (sources, query,
        entities …). Whether each is a complaint, answered on its own or a near-duplicate is the
        case's to say: a person put it in the case."""
        flt = replace(self.base_filter(ctx), include_duplicates=True)
        out: list[MentionRow] = []
        for i in range(0, len(ids), 500):  # SQLite's limit on parameters
            out.extend(ctx.store.mention_rows(replace(flt, ids=tuple(ids[i:i + 500])), self.options.group_by))
        return out

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
