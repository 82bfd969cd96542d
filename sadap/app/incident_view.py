"""Showing one incident: its playbook's steps and its timeline."""

from __future__ import annotations

import json
from collections.abc import Callable

from playbooks.render import first_steps
from sadap.app.config import Config, configured_playbooks
from sadap.app.stakeholders import who_to_inform
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
        registry = store.list_stakeholders()
    if as_json:
        data = incident.model_dump(mode="json")
        data["timeline"] = [e.model_dump(mode="json") for e in events]
        playbook_ = {p.id: p for p in configured_playbooks(config, check_references=False)}.get(incident.playbook)
        data["inform"] = [
            {"entry": r["index"], "name": r["name"], "role": r["role"], "how": r["how"],
             "due": r["due"].isoformat() if r["due"] else None,
             "targets": [{"stakeholder": t["stakeholder"].id if t["stakeholder"] else None, "channel": t["channel"],
                          "informed_by": t["informed"].actor if t["informed"] else None} for t in r["targets"]]}
            for r in who_to_inform(incident, playbook_, registry, events)
        ]
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
        rows = who_to_inform(incident, playbook, registry, events)
        if rows:
            echo("ผู้ที่ต้องแจ้ง (`sadap stakeholders inform INCIDENT ENTRY`):")
        for row in rows:
            due = f" ภายใน {show(row['due'])}" if row["due"] else ""
            echo(f"  [{row['index']}] {row['name']} ({row['role']}) ทาง {row['how']}{due}")
            for t in row["targets"]:
                tick = f"✓ แจ้งแล้วโดย {t['informed'].actor} {show(t['informed'].at)}" if t["informed"] else "ยังไม่ได้แจ้ง"
                if t["stakeholder"] is not None:
                    contact = t["contacts"][0] if t["contacts"] else None
                    via = f" — {contact.name} ทาง {contact.channel} {contact.address}" if contact else ""
                    echo(f"      {t['stakeholder'].id}: {t['stakeholder'].name}{via} · {tick}")
                else:
                    echo(f"      {tick}")
    if mentions:
        echo("ข้อความตัวอย่าง:")
        for m in mentions:
            echo(f"  • [{m.source_name}] {' '.join(m.text.split())[:120]}")
    echo("ลำดับเหตุการณ์:")
    for e in events:
        echo(f"  {show(e.at)}  {e.kind:<13} {e.actor:<10} {e.text}")
