"""Showing one incident: its playbook's steps and its timeline."""

from __future__ import annotations

import json
from datetime import datetime
from collections.abc import Callable

from playbooks.render import first_steps
from sadap.app.config import Config, configured_playbooks
from sadap.core.errors import InputError
from sadap.core.labels import INCIDENT_STATE, th
from sadap.core.timeutil import show
from sadap.store import open_store


def show_incident(config: Config, incident_id: str, *, as_json: bool, echo: Callable[[str], None]) -> None:

    with open_store(config) as store:
        incident = store.get_incident(incident_id)
        if incident is None:
            raise InputError(f"no incident {incident_id!r} (see `sadap incidents list`)")
        events = store.events(incident_id)
        mentions = [m for m in (store.get(i) for i in incident.mention_ids[:5]) if m]
    if as_json:
        data = incident.model_dump(mode="json")
        data["timeline"] = [e.model_dump(mode="json") for e in events]
        echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    playbooks = {p.id: p for p in configured_playbooks(config, check_references=False)}
    echo(f"{incident.id}  {incident.severity}  {th(INCIDENT_STATE, incident.state)}  {incident.title}")
    echo(f"เปิดเมื่อ {show(incident.opened_at)} · แจ้งเตือน {incident.alert_count} ครั้ง · กฎ {incident.rule}")
    playbook = playbooks.get(incident.playbook)
    if playbook:
        echo(f"แผนรับมือ: {playbook.title.th} ({playbook.id})")
        for line in first_steps(playbook, len(playbook.steps), "th"):
            echo(f"  {line}")
    if mentions:
        echo("ข้อความตัวอย่าง:")
        for m in mentions:
            echo(f"  • [{m.source_name}] {' '.join(m.text.split())[:120]}")
    echo("ลำดับเหตุการณ์:")
    for e in events:
        folded = ""
        last = e.data.get("last_at")
        if isinstance(e.data.get("times"), int) and isinstance(last, str):  # one delivery failing again and again
            folded = f"×{e.data['times']} (ล่าสุด {show(datetime.fromisoformat(last))}) "
        echo(f"  {show(e.at)}  {e.kind:<13} {e.actor:<10} {folded}{e.text}")
