"""Incidents: what on-call staff work on when an alert matches a playbook."""

from __future__ import annotations

import secrets
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

IncidentState = Literal["open", "acknowledged", "resolved"]
EventKind = Literal[
    "opened", "alert", "still_active", "notified", "notify_failed", "escalated",
    "acknowledged", "resolved", "reopened", "note", "step_done", "response", "queued", "gave_up", "informed",
    "sla_overdue",
]


def new_incident_id() -> str:
    return "INC-" + secrets.token_hex(4).upper()


class IncidentEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: AwareDatetime
    kind: EventKind
    actor: str = "sadap"
    text: str = ""
    data: dict[str, Any] = Field(default_factory=dict)


class Incident(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(default_factory=new_incident_id)
    playbook: str
    rule: str
    key: str | None = None
    severity: str
    title: str
    state: IncidentState = "open"
    opened_at: AwareDatetime
    updated_at: AwareDatetime
    alert_count: int = 1
    #: Mentions behind the latest alert (what escalation messages say as {count}).
    mention_count: int = 0
    escalation_level: int = Field(0, description="Escalation levels already notified (since it was last reopened).")
    reopened_at: AwareDatetime | None = Field(None, description="When it was last reopened: escalation runs from then.")
    mention_ids: list[str] = Field(default_factory=list)
