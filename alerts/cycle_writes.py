"""The bookkeeping of matches that keep firing inside their cool-down, written once per
evaluation cycle: the cool-down extensions, the incidents' updates and their ``still_active``
events go to the store in one :meth:`Store.write_alert_state` (one transaction, or one bulk
request on Elasticsearch) instead of four requests per match.

It answers ``open_or_update``'s reads (the events of an incident) from one read of all the
cycle's incidents plus what it holds, so a cycle with many continuing matches costs a
constant number of requests. The engine flushes it before any other alert-state write, so
the store sees the writes in the order they were made."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sadap.core.incident import Incident, IncidentEvent
from sadap.store import Store


class CycleWrites:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._cooling: list[tuple[str, str, datetime]] = []
        self._incidents: dict[str, Incident] = {}  # the latest state of each, written at the flush
        self._events: list[tuple[str, IncidentEvent]] = []
        self._known: dict[str, list[IncidentEvent]] = {}  # incident id -> its stored events

    def read_events(self, incident_ids: Iterable[str]) -> None:
        """Read the stored events of these incidents at once (those not read yet)."""
        wanted = [i for i in dict.fromkeys(incident_ids) if i not in self._known]
        if wanted:
            self._known.update(self.store.events_many(wanted))

    # -- what open_or_update and the engine call ------------------------------------------
    def set_last_fired(self, rule_id: str, key: str, at: datetime) -> None:
        self._cooling.append((rule_id, key, at))

    def save_incident(self, incident: Incident) -> None:
        self._incidents[incident.id] = incident

    def add_event(self, incident_id: str, event: IncidentEvent) -> None:
        self._events.append((incident_id, event))

    def events(self, incident_id: str) -> list[IncidentEvent]:
        stored = self._known.get(incident_id)
        if stored is None:
            stored = self._known[incident_id] = self.store.events(incident_id)
        return stored + [e for i, e in self._events if i == incident_id]

    def find_incident(self, playbook: str, key: str | None, states: tuple[str, ...] = ("open", "acknowledged")) -> Incident | None:
        self.flush()
        return self.store.find_incident(playbook, key, states)

    def flush(self) -> None:
        if not (self._cooling or self._incidents or self._events):
            return
        self.store.write_alert_state(self._cooling, list(self._incidents.values()), self._events)
        for incident_id, event in self._events:
            if incident_id in self._known:
                self._known[incident_id].append(event)
        self._cooling, self._incidents, self._events = [], {}, []
