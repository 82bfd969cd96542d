"""Incident lifecycle: open → acknowledged → resolved (reopen allowed), with a timeline."""

from __future__ import annotations

from datetime import datetime, timedelta

from sadap.core.alert import FiredAlert
from sadap.core.errors import InputError
from alerts.message import counts_accounts
from playbooks.render import duration_words
from playbooks.schema import Playbook
from sadap.core.incident import EventKind, Incident, IncidentEvent, IncidentState, new_incident_id
from sadap.store import Store
from sadap.core.timeutil import now_utc

_ALLOWED: dict[IncidentState, tuple[IncidentState, ...]] = {
    "acknowledged": ("open",),
    "resolved": ("open", "acknowledged"),
    "open": ("resolved",),  # reopen
}


#: Timeline events of the outbox, which do not end a `still_active` stretch.
_DELIVERY_KINDS = frozenset({"queued", "notified", "notify_failed", "gave_up"})


class _Ask:
    """Marks "ask the store" (the default of ``open_or_update``'s ``active``)."""


ASK = _Ask()


def open_or_update(store: Store, alert: FiredAlert, playbook: Playbook, at: datetime,
                   active: Incident | None | _Ask = ASK) -> tuple[Incident, bool]:
    """The incident for this playbook and key: an active one gets the alert added, else a new one.
    ``active``: the active incident for them (or None), when the caller has read it already.

    Returns (incident, opened_now)."""
    incident = store.find_incident(playbook.id, alert.key) if isinstance(active, _Ask) else active
    event_data = {"rule": alert.rule, "count": alert.count, "mentions": alert.mention_ids}
    if counts_accounts(alert):
        event_data["accounts"] = True  # the count is of accounts, not mentions
    if alert.detail.get("clusters"):
        event_data["clusters"] = sorted(alert.detail["clusters"])
    if incident is None:
        title = playbook.title.th + (f" — {alert.key}" if alert.key else "")
        incident = Incident(
            playbook=playbook.id,
            rule=alert.rule,
            key=alert.key,
            severity=min(playbook.severity, alert.severity),  # "P1" < "P2": the more severe
            title=title,
            opened_at=at,
            updated_at=at,
            mention_ids=list(alert.mention_ids),
            mention_count=alert.count,
        )
        while not store.add_incident(incident):  # its id drawn by another incident already: draw again
            incident.id = new_incident_id()
        store.add_event(incident.id, IncidentEvent(at=at, kind="opened", text=alert.title_th, data=event_data))
        return incident, True
    if not alert.suppressed:
        incident.alert_count += 1
    incident.updated_at = at
    incident.severity = min(incident.severity, alert.severity)
    incident.mention_ids = list(dict.fromkeys(alert.mention_ids + incident.mention_ids))[:50]
    incident.mention_count = alert.count
    store.save_incident(incident)
    if alert.suppressed:
        # Still matching inside the cool-down: one `still_active` per stretch, not one per
        # evaluation (the incident's updated_at says how recent; a new alert starts a new stretch).
        last = next((e for e in reversed(store.events(incident.id)) if e.kind not in _DELIVERY_KINDS), None)
        if (last is not None and last.kind == "still_active" and last.data.get("rule") == alert.rule
                and last.data.get("clusters") == event_data.get("clusters")):
            return incident, False
        store.add_event(incident.id, IncidentEvent(at=at, kind="still_active", text=alert.title_th, data=event_data))
        return incident, False
    store.add_event(incident.id, IncidentEvent(at=at, kind="alert", text=alert.title_th, data=event_data))
    return incident, False


def sla_overdue_event(alert: FiredAlert, at: datetime) -> IncidentEvent:
    """``sla_overdue``: an alert about an incident itself (``complaint_sla``, ``scope:
    incidents``), for that incident's timeline."""
    sla = alert.detail.get("sla_seconds")
    text = alert.title_th
    if isinstance(sla, int):
        text += f" — ยังไม่มีการตอบกลับภายใน {duration_words(timedelta(seconds=sla), 'th')} หลังเปิดเหตุการณ์"
    return IncidentEvent(at=at, kind="sla_overdue", text=text, data={"rule": alert.rule, "sla_seconds": sla})


def transition(store: Store, incident_id: str, state: IncidentState, actor: str, note: str = "", at: datetime | None = None) -> Incident:
    incident = store.get_incident(incident_id)
    if incident is None:
        raise InputError(f"no incident {incident_id!r} (see `sadap incidents list`)")
    allowed_from = _ALLOWED[state]
    if incident.state not in allowed_from:
        raise InputError(
            f"incident {incident_id} is {incident.state}; it can become {state} only from: {', '.join(allowed_from)}"
        )
    at = at or now_utc()
    event_of: dict[IncidentState, EventKind] = {"acknowledged": "acknowledged", "resolved": "resolved", "open": "reopened"}
    kind = event_of[state]
    if state == "open":  # reopened: its escalation starts again, from now
        incident.reopened_at = at
        incident.escalation_level = 0
    incident.state = state
    incident.updated_at = at
    store.save_incident(incident)
    store.add_event(incident_id, IncidentEvent(at=at, kind=kind, actor=actor, text=note))
    return incident


def add_note(store: Store, incident_id: str, actor: str, text: str, at: datetime | None = None, kind: EventKind = "note", channel: str | None = None) -> None:
    """A note, or (``kind="response"``) a response sent to the public, on the timeline."""
    if store.get_incident(incident_id) is None:
        raise InputError(f"no incident {incident_id!r} (see `sadap incidents list`)")
    data = {"channel": channel} if channel else {}
    store.add_event(incident_id, IncidentEvent(at=at or now_utc(), kind=kind, actor=actor, text=text, data=data))
