"""What a notification says: Thai first, the numbers, example mentions, the playbook's first steps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playbooks.render import first_steps
from playbooks.schema import Playbook
from sadap.core.alert import EXAMPLES_HEADING, TERMS_LABEL, TEXT_EXAMPLES, FiredAlert, example_line, snippet
from sadap.core.incident import Incident
from sadap.core.mention import Mention
from sadap.core.timeutil import show
from sadap.core.urls import web_url_or_none

#: Examples posted this long before the alert's window: their posting time is said too.
OLDER_POSTS = timedelta(hours=1)

_SEVERITY_TH = {"P1": "วิกฤต", "P2": "สูง", "P3": "ปานกลาง", "P4": "ต่ำ", "P5": "แจ้งเพื่อทราบ"}


def counts_accounts(alert: FiredAlert) -> bool:
    """True when the alert's count is of accounts (``coordinated``, ``threshold`` with
    ``metric: distinct_authors``), not of mentions."""
    return alert.rule_type == "coordinated" or alert.detail.get("metric") == "distinct_authors"


def build_payload(alert: FiredAlert, incident: Incident | None, playbook: Playbook | None, examples: list[Mention]) -> dict[str, Any]:
    """The machine-readable alert (what webhooks receive)."""

    return {
        "rule": alert.rule,
        "rule_type": alert.rule_type,
        "title": {"th": alert.title_th, "en": alert.title_en},
        "severity": alert.severity,
        "key": alert.key,
        "count": alert.count,
        "window": {"start": alert.window_start.isoformat(), "end": alert.window_end.isoformat()},
        "terms": alert.terms,
        "playbook": (
            {
                "id": playbook.id,
                "title": {"th": playbook.title.th, "en": playbook.title.en},
                "first_steps": first_steps(playbook, 3, "th"),
            }
            if playbook
            else None
        ),
        "incident": {"id": incident.id, "state": incident.state, "ack": f"sadap incidents ack {incident.id}"} if incident else None,
        "mentions": [
            {
                "id": m.id,
                "source": m.source_name,
                "url": web_url_or_none(m.url),
                "published_at": m.published_at.isoformat(),
                "sentiment": m.sentiment.label if m.sentiment else None,
                "text": snippet(m.text, 280),
            }
            for m in examples
        ],
    }


def build_text(alert: FiredAlert, incident: Incident | None, playbook: Playbook | None, examples: list[Mention], lang: str = "th") -> str:
    """The human-readable alert (console, chat, e-mail)."""

    th = lang == "th"
    sev = f"{alert.severity} {_SEVERITY_TH[alert.severity]}" if th else alert.severity
    title = alert.title_th if th else alert.title_en
    lines = [f"[{sev}] {title}" + (f" — {alert.key}" if alert.key else "")]
    window = f"{show(alert.window_start)} – {show(alert.window_end)}"
    accounts = counts_accounts(alert)
    lines.append(
        (f"{alert.count} {'บัญชี' if accounts else 'ข้อความ'} ช่วง {window} (เวลาไทย)" if th
         else f"{alert.count} {'accounts' if accounts else 'mentions'}, {window} (Bangkok time)")
    )
    posted = [m.published_at for m in examples]
    if posted and min(posted) < alert.window_start - OLDER_POSTS:
        # counted when collected (a first crawl, a backlog): say when they were posted, not only the window
        first, last = show(min(posted)), show(max(posted))
        span = first if first == last else f"{first} – {last}"
        lines.append(f"โพสต์เมื่อ {span} (ก่อนช่วงที่เก็บได้)" if th else f"posted {span} (before they were collected)")
    new = alert.detail.get("new")
    if isinstance(new, int) and new:  # a renewed match (alerts/renewals.py): what is new is listed first
        lines.append(f"ใหม่ตั้งแต่การแจ้งครั้งก่อน {new} ข้อความ (อยู่ต้นรายการ)" if th else f"{new} new since the last alert (listed first)")
    if alert.terms:
        lines.append(TERMS_LABEL["th" if th else "en"] + ", ".join(alert.terms[:8]))
    if examples:
        lines.append(EXAMPLES_HEADING["th" if th else "en"])
        lines.extend(example_line(m.source_name, m.text, m.url) for m in examples[:TEXT_EXAMPLES])
    if playbook:
        lines.append((f"แผนรับมือ: {playbook.title.th} ({playbook.id})" if th else f"Playbook: {playbook.title.en} ({playbook.id})"))
        for step in first_steps(playbook, 3, "th" if th else "en"):
            lines.append(f"  {step}")
    if incident:
        lines.append(
            (f"เหตุการณ์ {incident.id} — รับทราบด้วย: sadap incidents ack {incident.id}" if th
             else f"Incident {incident.id} — acknowledge: sadap incidents ack {incident.id}")
        )
    return "\n".join(lines)
