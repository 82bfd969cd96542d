"""Evaluates rules as of a time, applies cool-downs, opens incidents and notifies.

Live evaluation, ``sadap alerts check --at`` and the ingest-time path all go through
:meth:`AlertEngine.check`: time is a parameter, never read from the clock inside."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from alerts.cycle_writes import CycleWrites
from alerts.incidents import open_or_update, sla_overdue_event
from alerts.maintenance import MaintenanceWindow, counted_from
from alerts.memo import CycleMemo
from alerts.message import build_payload, build_text
from alerts.notifiers import Notification, Notifier
from alerts.outbox import OUTCOMES, OutboxSettings, OutboxWorker, new_deliveries, queued_events
from alerts.renewals import Alerted, renewed
from alerts.rules.base import EvalContext, Match, Rule
from alerts.rules.buckets import BucketCounts
from alerts.rules.running import RunningState
from enrich.keywords import stopwords
from playbooks.match import match_playbook
from playbooks.render import duration_words, incident_variables, render_template, top_terms
from playbooks.schema import Playbook
from sadap.core.alert import FiredAlert
from sadap.core.incident import Incident, IncidentEvent
from sadap.core.mention import Mention
from sadap.core.timeutil import now_utc
from sadap.store import MentionFilter, Store

log = logging.getLogger(__name__)

#: A match that keeps firing inside its cool-down writes the extension and updates its
#: incident at most this often (and at least twice per cool-down).
KEEP_CURRENT = timedelta(minutes=30)



class AlertEngine:
    def __init__(
        self,
        store: Store,
        rules: list[Rule],
        playbooks: list[Playbook] | None = None,
        notifiers: list[Notifier] | None = None,
        custom_words: tuple[str, ...] = (),
        maintenance: list[MaintenanceWindow] | None = None,
        outbox: OutboxSettings | None = None,
        clock: Callable[[], datetime] = now_utc,
        incremental: bool = True,
    ) -> None:
        self.store = store
        self.maintenance = maintenance or []
        self.buckets = BucketCounts()
        self.rules = rules
        self.playbooks = playbooks or []
        self.notifiers = notifiers or []
        self.custom_words = tuple(custom_words)
        self._stop: frozenset[str] | None = None
        self.worker = OutboxWorker(store, self.notifiers, outbox, clock)
        # Incremental evaluation (alerts/rules/running.py): per-question state kept between
        # cycles; ``incremental=False`` starts from the store every cycle (a full re-evaluation).
        self.incremental = incremental
        self.running = RunningState()
        # Matches that keep firing inside their cool-down: (rule, key) -> (last match, last
        # written). Their cool-down and incident are written at most every ``_keep_current``.
        self._firing: dict[tuple[str, str], tuple[datetime, datetime]] = {}
        self._snoozes: dict[tuple[str, str], datetime] | None = None
        self._alerted = Alerted(store)  # what the alerts of renewing matches listed (Match.renew)
        # Active incidents by (playbook, key), read once per cycle when first needed.
        self._active: dict[tuple[str, str | None], Incident] | None = None
        self._read: list[Incident] = []
        # What one cycle read ahead for its matches (cool-downs, example mentions) and the
        # writes of its matches that keep firing.
        self._last: dict[tuple[str, str], datetime | None] = {}
        self._found: dict[str, Mention] = {}
        self._built: dict[tuple[str, str], FiredAlert] = {}  # alerts of cooling matches, built by the read-ahead
        self._writes = CycleWrites(store)

    # -- evaluation --------------------------------------------------------
    def check(
        self, at: datetime, *, ids: list[str] | None = None, notify: bool = True, dry_run: bool = False
    ) -> list[FiredAlert]:
        """Evaluate enabled rules as of ``at``. With ``ids`` (a just-stored batch), only the
        ingest-time rules, and only over those mentions.

        Notifications go to the outbox with their alert, then the outbox worker sends what is
        due (this alert's and any earlier one still waiting). ``dry_run``: write and send nothing,
        only say what would fire."""
        if ids is not None and not ids:
            return []
        fired: list[FiredAlert] = []
        memo = cast(Store, CycleMemo(self.store))  # answers as the store does (read-through)
        running = self.running if self.incremental and ids is None else RunningState()
        running.cycle += 1
        self._snoozes = None  # read once per cycle, when a rule first matches
        self._active = None  # likewise the active incidents
        work = [
            (rule, EvalContext(
                memo, at - rule.options.query_delay, self.custom_words,
                tuple(ids) if ids is not None else None, self.buckets, running=running, delay=rule.options.query_delay,
                counted_from=counted_from(self.maintenance, rule.id, at),
            ))
            for rule in self.rules if rule.options.enabled and (ids is None or rule.at_ingest)
        ]
        if ids is None:  # what the rules will ask the running state: it reads once, as far back as needed
            for rule, ctx in work:
                need = rule.plan(ctx)
                if need is not None:
                    running.expect(ctx.delay, *need)
        evaluated: list[tuple[Rule, list[Match]]] = []
        for rule, ctx in work:
            try:
                evaluated.append((rule, rule.evaluate(ctx)))
            except Exception:  # one broken rule must not stop the others
                log.exception("rule %s failed to evaluate", rule.id)
        self._writes = CycleWrites(self.store)
        self._last, self._found, self._built = {}, {}, {}
        try:
            self._prefetch(evaluated, at, dry_run)
            for rule, matches in evaluated:
                for match in matches:
                    alert = self._fire(rule, match, at, notify, dry_run)
                    if alert is not None:
                        fired.append(alert)
            self._writes.flush()
            if dry_run:
                return fired
            if ids is None:
                self.escalate(at, notify=notify)
            if notify:
                self.deliver()
            return fired
        finally:
            # Nothing read this cycle is kept for later calls (mentions may be erased between).
            self._active = None
            self._last, self._found, self._built = {}, {}, {}

    def deliver(self) -> dict[str, int]:
        """Send what is due in the outbox (one pass); counts by outcome."""
        try:
            return self.worker.run()
        except Exception:  # the store went away: what is queued stays queued for the next pass
            log.exception("outbox delivery pass failed")
            return dict.fromkeys(OUTCOMES, 0)

    def _in_maintenance(self, rule_id: str, at: datetime) -> bool:
        return any(window.silences(rule_id, at) for window in self.maintenance)

    @staticmethod
    def _keep_current(cooldown: timedelta) -> timedelta:
        """How often a match that keeps firing inside its cool-down writes the cool-down's
        extension and updates its incident: every half hour, and at least twice per cool-down
        (so a restart in between still finds the key cooling)."""
        return min(KEEP_CURRENT, cooldown / 2)

    def _snoozed_until(self, rule_id: str, key: str) -> datetime | None:
        """The latest snooze end for this rule and key (or every key), from one read of the
        snoozes per cycle."""
        if self._snoozes is None:
            try:
                rows = self.store.snoozes()
            except NotImplementedError:
                return self.store.snoozed_until(rule_id, key)
            self._snoozes = {}
            for row in rows:
                k = (row["rule_id"], row["key"])
                if k not in self._snoozes or row["until"] > self._snoozes[k]:
                    self._snoozes[k] = row["until"]
        ends = [u for u in (self._snoozes.get((rule_id, key)), self._snoozes.get((rule_id, "*"))) if u is not None]
        return max(ends) if ends else None

    def _incidents(self) -> dict[tuple[str, str | None], Incident]:
        """The active (open or acknowledged) incidents by playbook and key, the latest opened of
        each (as ``Store.find_incident``): one read per cycle for every match and escalation,
        kept up to date with what this cycle writes."""
        if self._active is None:
            self._active = {}
            self._read = self.store.list_incidents(("open", "acknowledged"))
            for incident in self._read:
                self._active.setdefault((incident.playbook, incident.key), incident)
        return self._active

    def _open_or_update(self, alert: FiredAlert, playbook: Playbook, at: datetime, store: Store | None = None) -> Incident:
        incident, _ = open_or_update(store or self.store, alert, playbook, at, self._incidents().get((playbook.id, alert.key)))
        self._incidents()[(playbook.id, alert.key)] = incident
        return incident

    def _examples(self, ids: list[str]) -> list[Mention]:
        """The example mentions, in the match's order, in one read (none when the cycle's
        prefetch holds them)."""
        missing = tuple(dict.fromkeys(i for i in ids if i not in self._found))
        if missing:
            self._found.update((m.id, m) for m in self.store.search(MentionFilter(ids=missing), limit=len(missing)))
        return [self._found[i] for i in ids if i in self._found]

    def _quiet(self, rule: Rule, match: Match, at: datetime, dry_run: bool) -> str | None:
        """Why a match is dropped before any read, if it is: a maintenance window, a match
        still firing and written recently (unless it may list an id not alerted yet), or a snooze."""
        key = match.key or "*"
        if self._in_maintenance(rule.id, at):
            return "maintenance"
        firing = self._firing.get((rule.id, key))
        if not dry_run and firing is not None and not self._alerted.maybe_new(rule.id, key, match):
            last_match, last_written = firing
            cooldown = rule.options.cooldown
            if last_match <= at < last_match + cooldown and at - last_written < self._keep_current(cooldown):
                return "firing"
        snoozed = self._snoozed_until(rule.id, key)
        return "snoozed" if snoozed is not None and at < snoozed else None

    def _prefetch(self, evaluated: list[tuple[Rule, list[Match]]], at: datetime, dry_run: bool) -> None:
        """Read what firing the cycle's matches needs in a few requests instead of a few per
        match: their cool-downs, their example mentions and, for matches inside their
        cool-down, the timelines of their active incidents."""
        live = [(rule, match) for rule, matches in evaluated for match in matches
                if self._quiet(rule, match, at, dry_run) is None]
        if not live:
            return
        pairs = [(rule.id, match.key or "*") for rule, match in live]
        found = self.store.last_fired_many(pairs)
        self._last = {pair: found.get(pair) for pair in pairs}  # None: never fired
        self._examples([i for _, match in live for i in match.mention_ids])
        if dry_run:
            return
        cooling = []
        for rule, match in live:
            last = self._last.get((rule.id, match.key or "*"))
            if last is None or not last <= at < last + rule.options.cooldown:
                continue
            alert = self._alert(rule, match, self._examples(match.mention_ids), True)
            self._built[(rule.id, match.key or "*")] = alert  # _fire uses it, not a second build
            playbook = self._playbook(alert, match)
            incident = self._incidents().get((playbook.id, alert.key)) if playbook is not None else None
            if incident is not None:
                cooling.append(incident.id)
        self._writes.read_events(cooling)

    def _playbook(self, alert: FiredAlert, match: Match) -> Playbook | None:
        """The playbook the alert opens or updates an incident for: none for a match about an
        existing incident (its alert goes on that incident's timeline instead)."""
        return None if match.incident is not None else match_playbook(alert, self.playbooks)

    def _incident_by_id(self, incident_id: str) -> Incident | None:
        """An incident as this cycle read it (else from the store)."""
        for incident in (*self._incidents().values(), *self._read):
            if incident.id == incident_id:
                return incident
        return self.store.get_incident(incident_id)

    def _alert(self, rule: Rule, match: Match, examples: list[Mention], cooling: bool) -> FiredAlert:
        o = rule.options
        return FiredAlert(
            rule=rule.id,
            rule_type=rule.type_name,
            title_th=o.title.th,
            title_en=o.title.en,
            severity=o.severity,
            key=match.key,
            group_by=o.group_by,
            count=match.count,
            mention_ids=match.mention_ids,
            window_start=match.window_start,
            window_end=match.window_end,
            query=o.query,
            terms=self._top_terms(examples),
            entities=sorted({e for m in examples for e in m.entities}),
            detail=match.detail,
            playbook_hint=o.playbook,
            suppressed=cooling,
        )

    def _fire(self, rule: Rule, match: Match, at: datetime, notify: bool, dry_run: bool = False) -> FiredAlert | None:
        o = rule.options
        key = match.key or "*"
        quiet = self._quiet(rule, match, at, dry_run)
        if quiet == "firing":  # still firing, cool-down and incident written recently: nothing to redo
            self._firing[(rule.id, key)] = (at, self._firing[(rule.id, key)][1])
        if quiet is not None:
            return None
        last = self._last[(rule.id, key)] if (rule.id, key) in self._last else self.store.last_fired(rule.id, key)
        cooling = last is not None and last <= at < last + o.cooldown
        built = self._built.pop((rule.id, key), None)
        if cooling and match.renew:
            # Inside the cool-down, ids no alert listed yet (a complaint newly overdue) are a
            # new alert: listed first, and counted in its detail (`new`).
            new = self._alerted.new_ids(rule.id, key, match)
            if new:
                cooling, built, match = False, None, renewed(match, new)
        examples = self._examples(match.mention_ids)
        alert = (built if cooling else None) or self._alert(rule, match, examples, cooling)
        playbook = self._playbook(alert, match)
        if dry_run:
            if cooling:
                return None
            alert.playbook = playbook.id if playbook is not None else None
            alert.incident = match.incident
            return alert
        if cooling:
            # Still matching inside the cool-down: no new notification, but an active
            # incident stays current, so a crisis that stays high does not look over; and the
            # cool-down runs from this match, so a situation that stays active alerts once.
            # Written with the cycle's other such matches (CycleWrites).
            self._writes.set_last_fired(rule.id, key, at)
            if playbook is not None and (playbook.id, alert.key) in self._incidents():
                self._open_or_update(alert, playbook, at, cast(Store, self._writes))
            self._firing[(rule.id, key)] = (at, at)
            return None
        self._writes.flush()  # what earlier matches keep, before this alert's writes
        incident = None
        events: list[tuple[str, IncidentEvent]] = []
        if match.incident is not None:  # about an existing incident: on its timeline, never a new one
            incident = self._incident_by_id(match.incident)
            alert.incident = match.incident
            events.append((match.incident, sla_overdue_event(alert, at)))
        elif playbook is not None:
            incident = self._open_or_update(alert, playbook, at)
            alert.playbook = playbook.id
            alert.incident = incident.id
        deliveries = []
        if notify and self.notifiers:
            note = Notification(
                text_th=build_text(alert, incident, playbook, examples, "th"),
                text_en=build_text(alert, incident, playbook, examples, "en"),
                payload=build_payload(alert, incident, playbook, examples),
            )
            deliveries = new_deliveries(self.notifiers, note, alert.incident, self.worker.clock())
        # The alert, its cool-down and its notifications, together: none without the others.
        self.store.record_fired(
            alert.model_dump_json(), rule.id, key, at, alert.incident, deliveries, [*events, *queued_events(deliveries, at)]
        )
        self._firing.pop((rule.id, key), None)  # the next match inside the cool-down is written (still_active)
        if match.renew:
            self._alerted.fired(rule.id, key, alert.mention_ids)
        return alert

    # -- escalation -----------------------------------------------------------
    def escalate(self, at: datetime, *, notify: bool = True) -> list[tuple[str, int]]:
        """Notify the next level for open incidents not acknowledged in time (the playbook's
        escalation chain). Returns (incident id, level) for each escalation made."""
        by_id = {p.id: p for p in self.playbooks}
        done: list[tuple[str, int]] = []
        if self._active is None:  # not read this cycle: only the open ones are needed
            active = self.store.list_incidents(("open",))
        else:  # as read this cycle, with what the cycle wrote since
            current = {i.id: i for i in self._read}
            current.update((i.id, i) for i in self._active.values())
            active = [i for i in current.values() if i.state == "open"]
        for incident in active:
            playbook = by_id.get(incident.playbook)
            if playbook is None:
                continue
            due = playbook.escalation_due(at - (incident.reopened_at or incident.opened_at))
            level = incident.escalation_level
            for step in due[level:]:
                level += 1
                targets = [n for n in self.notifiers if not step.notify or n.id in step.notify]
                roles = ", ".join(step.roles) if step.roles else ""
                text_th = (f"⚠️ ยกระดับ (ระดับ {level}): {incident.id} ยังไม่มีผู้รับทราบหลัง {duration_words(step.after, 'th')} "
                           f"— {incident.title}")
                text_en = (f"Escalation level {level}: {incident.id} not acknowledged after {duration_words(step.after, 'en')} "
                           f"— {incident.title}")
                if step.message is not None:
                    text_th += "\n" + self._render(step.message.th, incident, "th", at)
                    text_en += "\n" + self._render(step.message.en or step.message.th, incident, "en", at)
                if roles:
                    text_th += f"\nแจ้ง: {roles}"
                    text_en += f"\nRoles: {roles}"
                payload = {"escalation": level, "incident": incident.model_dump(mode="json"), "roles": list(step.roles)}
                note = Notification(text_th=text_th, text_en=text_en, payload=payload)
                deliveries = new_deliveries(targets, note, incident.id, self.worker.clock(), kind="escalation") if notify else []
                escalated = IncidentEvent(at=at, kind="escalated", text=text_th, data={"level": level})
                self.store.enqueue(deliveries, [(incident.id, escalated), *queued_events(deliveries, at)])
                done.append((incident.id, level))
            if level != incident.escalation_level:
                incident.escalation_level = level
                self.store.save_incident(incident)
        if done and notify:
            self.deliver()
        return done

    def _stopwords(self) -> frozenset[str]:
        if self._stop is None:
            # Stop words, and the watched names themselves: every example contains those.
            self._stop = stopwords() | {w.lower() for w in self.custom_words}
        return self._stop

    def _top_terms(self, mentions: list[Mention], n: int = 8) -> list[str]:
        return top_terms(mentions, self._stopwords(), n)

    def _render(self, template: str, incident: Incident, lang: str, at: datetime | None = None) -> str:
        """Fill an escalation message: every template variable has a value (never a literal
        ``{key}``), and ``count`` is the mentions behind the incident's latest alert, not the
        number of alerts (:func:`playbooks.render.incident_variables`, as the workspace does)."""
        examples = self._examples(incident.mention_ids[:20])
        playbook = {p.id: p for p in self.playbooks}.get(incident.playbook)
        variables = incident_variables(incident, playbook, lang, examples, at, self._stopwords())
        return render_template(template, variables, lang)
