"""Maintenance windows: planned periods when rules raise no alerts (``maintenance:`` in sadap.yaml)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field, model_validator

from sadap.core.settings_types import Strict


class MaintenanceWindow(Strict):
    """A period when alerts are not raised (planned work), for all rules or some."""

    start: AwareDatetime = Field(description="Start, ISO 8601 with offset (e.g. 2026-12-01T01:00:00+07:00).")
    end: AwareDatetime = Field(description="End, ISO 8601 with offset.")
    rules: list[str] = Field(default_factory=list, description="Rule ids it silences; empty means every rule.")
    reason: str = Field("", description="Why (shown to on-call staff).")

    @model_validator(mode="after")
    def _order(self) -> "MaintenanceWindow":
        if self.end <= self.start:
            raise ValueError(f"`end` ({self.end.isoformat()}) must be after `start` ({self.start.isoformat()})")
        return self

    def silences(self, rule_id: str, at: datetime) -> bool:
        """True when this window covers ``rule_id`` at ``at``."""
        return self.start <= at < self.end and (not self.rules or rule_id in self.rules)
