"""Evaluates rules as of a time, applies cool-downs, opens incidents and notifies.

Live evaluation, ``sadap alerts check --at`` and the ingest-time path all go through
:meth:`AlertEngine.check`: time is a parameter, never read from the clock inside."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from alerts.incidents import open_or_update
from alerts.maintenance import MaintenanceWindow
from alerts.memo import CycleMemo
from alerts.message import build_payload, build_text
from alerts.notifiers import Notification, Notifier
from alerts.rules.base import EvalContext, Match, Rule
from alerts.rules.buckets import BucketCounts
from enrich.keywords import stopwords
from playbooks.match import match_playbook
from playbooks.render import render_template
from playbooks.schema import Playbook
from sadap.core.alert import FiredAlert
from sadap.core.errors import NotifyError
from sadap.core.incident import Incident, IncidentEvent
from sadap.core.mention import Mention
from sadap.core.timeutil import format_duration
from sadap.store import Store

log = logging.getLogger(__name__)


class AlertEngine:
    def __init__(
        self,
        store: Store,
        rules: list[Rule],
        playbooks: list[Playbook] | None = None,
        notifiers: list[Notifier] | None = None,
        custom_words: tuple[str, ...] = (),
        maintenance: list[MaintenanceWindow] | None = None,
    ) -> None:
        self.store = store
        self.maintenance = maintenance or []
        self.buckets = BucketCounts()
        self.rules = rules
        self.playbooks = playbooks or []
        self.notifiers = notifiers or []
        self.custom_words = tuple(custom_words)
        self._stop: frozenset[str] | None = None

    # -- evaluation --------------------------------------------------------
    def check(self, at: datetime, *, ids: list[str] | None = None, notify: bool = True) -> list[FiredAlert]:
        """Evaluate enabled rules as of ``at``. With ``ids`` (a just-stored batch), only the
        ingest-time rules, and only over those mentions."""
        if ids is not None and not ids:
            return []
        fired: list[FiredAlert] = []
        memo = CycleMemo(self.store)
        for rule in self.rules:
            if not rule.options.enabled or (ids is not None and not rule.at_ingest):
                continue
            ctx = EvalContext(
                memo, at - rule.options.query_delay, self.custom_words,
                tuple(ids) if ids is not None else None, self.buckets,
            )
            try:
                matches = rule.evaluate(ctx)
            except Exception:  # one broken rule must not stop the others
                log.exception("rule %s failed to evaluate", rule.id)
                continue
            for match in matches:
                alert = self._fire(rule, match, at, notify)
                if alert is not None:
                    fired.append(alert)
        if ids is None:
            self.escalate(at, notify=notify)
        return fired

    def _in_maintenance(self, rule_id: str, at: datetime) -> bool:
        return any(window.silences(rule_id, at) for window in self.maintenance)

    def _fire(self, rule: Rule, match: Match, at: datetime, notify: bool) -> FiredAlert | None:
        o = rule.options
        key = match.key or "*"
        if self._in_maintenance(rule.id, at):
            return None
        snoozed = self.store.snoozed_until(rule.id, key)
        if snoozed is not None and at < snoozed:
            return None
        last = self.store.last_fired(rule.id, key)
        cooling = last is not None and last <= at < last + o.cooldown
        examples = [m for m in (self.store.get(i) for i in match.mention_ids) if m is not None]
        alert = FiredAlert(
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
        playbook = match_playbook(alert, self.playbooks)
        if cooling:
            # Still matching inside the cool-down: no new notification, but an active
            # incident stays current, so a crisis that stays high does not look over.
            if playbook is not None and self.store.find_incident(playbook.id, alert.key) is not None:
                open_or_update(self.store, alert, playbook, at)
            return None
        incident = None
        if playbook is not None:
            incident, _ = open_or_update(self.store, alert, playbook, at)
            alert.playbook = playbook.id
            alert.incident = incident.id
        self.store.set_last_fired(rule.id, key, at)
        self.store.record_alert(alert.model_dump_json(), rule.id, key, at, alert.incident)
        if notify:
            self._notify(alert, incident, playbook, examples, at)
        return alert

    # -- escalation -----------------------------------------------------------
    def escalate(self, at: datetime, *, notify: bool = True) -> list[tuple[str, int]]:
        """Notify the next level for open incidents not acknowledged in time (the playbook's
        escalation chain). Returns (incident id, level) for each escalation made."""
        by_id = {p.id: p for p in self.playbooks}
        done: list[tuple[str, int]] = []
        for incident in self.store.list_incidents(("open",)):
            playbook = by_id.get(incident.playbook)
            if playbook is None:
                continue
            due = playbook.escalation_due(at - incident.opened_at)
            level = incident.escalation_level
            for step in due[level:]:
                level += 1
                targets = [n for n in self.notifiers if not step.notify or n.id in step.notify]
                roles = ", ".join(step.roles) if step.roles else ""
                text_th = f"⚠️ ยกระดับ (ระดับ {level}): {incident.id} ยังไม่มีผู้รับทราบหลัง {format_duration(step.after)} — {incident.title}"
                text_en = f"Escalation level {level}: {incident.id} not acknowledged after {format_duration(step.after)} — {incident.title}"
                if step.message is not None:
                    text_th += "\n" + self._render(step.message.th, incident, "th")
                    text_en += "\n" + self._render(step.message.en or step.message.th, incident, "en")
                if roles:
                    text_th += f"\nแจ้ง: {roles}"
                    text_en += f"\nRoles: {roles}"
                payload = {"escalation": level, "incident": incident.model_dump(mode="json"), "roles": list(step.roles)}
                self.store.add_event(incident.id, IncidentEvent(at=at, kind="escalated", text=text_th, data={"level": level}))
                if notify:
                    self._deliver(targets, Notification(text_th=text_th, text_en=text_en, payload=payload), incident, at)
                done.append((incident.id, level))
            if level != incident.escalation_level:
                incident.escalation_level = level
                self.store.save_incident(incident)
        return done

    def _top_terms(self, mentions: list[Mention], n: int = 8) -> list[str]:
        if self._stop is None:
            # Stop words, and the watched names themselves: every example contains those.
            self._stop = stopwords() | {w.lower() for w in self.custom_words}
        counts: Counter[str] = Counter()
        for m in mentions:
            counts.update(list(dict.fromkeys(t for t in m.tokens if len(t) > 1 and t not in self._stop and not t.isdigit())))
        return [t for t, _ in counts.most_common(n)]

    @staticmethod
    def _render(template: str, incident: Incident, lang: str) -> str:
        variables = {"brand": incident.key, "key": incident.key, "count": incident.alert_count, "rule": incident.rule,
                     "playbook": incident.playbook, "since": incident.opened_at}
        return render_template(template, variables, lang)

    def _notify(
        self, alert: FiredAlert, incident: Incident | None, playbook: Playbook | None, examples: list[Mention], at: datetime
    ) -> None:
        if not self.notifiers:
            return
        note = Notification(
            text_th=build_text(alert, incident, playbook, examples, "th"),
            text_en=build_text(alert, incident, playbook, examples, "en"),
            payload=build_payload(alert, incident, playbook, examples),
        )
        self._deliver(self.notifiers, note, incident, at)

    def _deliver(self, notifiers: list[Notifier], note: Notification, incident: Incident | None, at: datetime) -> None:
        for notifier in notifiers:
            try:
                notifier.send(note)
                kind, text = "notified", notifier.id
            except NotifyError as err:
                log.error("%s", err)
                kind, text = "notify_failed", str(err)
            except Exception as err:  # never let a notifier crash the scheduler
                log.exception("notifier %s crashed", notifier.id)
                kind, text = "notify_failed", f"{notifier.id}: {type(err).__name__}"
            if incident is not None:
                self.store.add_event(incident.id, IncidentEvent(at=at, kind=kind, text=text))
