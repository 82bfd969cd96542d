"""What a rule produces when it fires."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Severity = Literal["P1", "P2", "P3", "P4", "P5"]
SEVERITIES: tuple[str, ...] = ("P1", "P2", "P3", "P4", "P5")


def at_least(severity: str, minimum: str) -> bool:
    """``P1`` is the most severe: ``at_least("P2", "P3")`` is True."""
    return SEVERITIES.index(severity) <= SEVERITIES.index(minimum)


class FiredAlert(BaseModel):
    """One alert: a rule matched for one key in one window."""

    model_config = ConfigDict(extra="forbid")

    rule: str
    rule_type: str
    title_th: str
    title_en: str
    severity: Severity
    key: str | None = Field(None, description="The group the alert is about (e.g. an entity), or None.")
    group_by: str | None = None
    count: int
    mention_ids: list[str] = Field(default_factory=list, description="Example mentions behind it, newest first.")
    window_start: AwareDatetime
    window_end: AwareDatetime
    query: str | None = None
    terms: list[str] = Field(default_factory=list, description="Top terms in its mentions.")
    entities: list[str] = Field(default_factory=list, description="Watched entities in its mentions.")
    detail: dict[str, Any] = Field(default_factory=dict, description="Rule-specific figures (baseline mean, shares, …).")
    playbook_hint: str | None = Field(None, description="Playbook the rule names explicitly, if any.")
    playbook: str | None = None
    incident: str | None = None
    suppressed: bool = Field(False, description="True when still in the rule's cool-down for this key.")
