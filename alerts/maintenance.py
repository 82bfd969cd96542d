"""Maintenance windows: planned periods when rules raise no alerts (``maintenance:`` in sadap.yaml),
nor alert afterwards on what was posted during them (:func:`counted_from`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field, model_validator

from sadap.core.settings_types import Strict


class MaintenanceWindow(Strict):
    """A period when alerts are not raised (planned work), for all rules or some; once it is over,
    what was posted during it does not count in the rules' current window (docs/alerts.md)."""

    start: AwareDatetime = Field(description="Start, ISO 8601 with offset (e.g. 2026-12-01T01:00:00+07:00).")
    end: AwareDatetime = Field(description="End, ISO 8601 with offset.")
    rules: list[str] = Field(default_factory=list, description="Rule ids it silences; empty means every rule.")
    reason: str = Field("", description="Why (shown to on-call staff).")

    @model_validator(mode="after")
    def _order(self) -> "MaintenanceWindow":
        if self.end <= self.start:
            raise ValueError(f"`end` ({self.end.isoformat()}) must be after `start` ({self.start.isoformat()})")
        return self

    def covers(self, rule_id: str) -> bool:
        """True when this window is for ``rule_id`` (it names it, or names no rule)."""
        return not self.rules or rule_id in self.rules

    def silences(self, rule_id: str, at: datetime) -> bool:
        """True when this window covers ``rule_id`` at ``at``."""
        return self.start <= at < self.end and self.covers(rule_id)


def counted_from(windows: list[MaintenanceWindow], rule_id: str, at: datetime) -> datetime | None:
    """The end of the latest window for ``rule_id`` that is over by ``at``, if any.

    What was posted during planned work is expected (the outage was planned), so once the
    window ends the rule's current window counts only from its end: a 1-hour window at 05:10
    after a window that ended at 05:00 counts 05:00–05:10, and from 06:00 on the whole hour
    again (an end that long ago no longer clips anything)."""
    return max((w.end for w in windows if w.covers(rule_id) and w.end <= at), default=None)
