"""The playbook schema: one YAML file per situation, declared once here.

Every model forbids unknown keys, and every field has a description, from
which ``docs/playbooks.md`` is written.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, field_validator

from alerts.model import Severity
from sadap.errors import InputError
from sadap.timeutil import parse_duration
from playbooks.render import template_problem

CHANNELS: tuple[str, ...] = ("social", "press", "email", "line", "internal", "sms")
Channel = Literal["social", "press", "email", "line", "internal", "sms"]

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_NAME = re.compile(r"[a-z0-9][a-z0-9_\-]*")


def _duration(value: Any) -> timedelta:
    if isinstance(value, bool) or value is None:
        raise ValueError(
            "cannot read duration: use a number and a unit: s, m, h, d or w (for example 15m, 24h, 7d)"
        )
    try:
        return parse_duration(value)
    except InputError as err:
        raise ValueError(str(err)) from None


Duration = Annotated[timedelta, BeforeValidator(_duration)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Text(Strict):
    """A text in Thai, with an English version."""

    th: str = Field(min_length=1, description="Thai text (what people read first).")
    en: str | None = Field(None, description="English text; where missing, the Thai text is shown.")

    def get(self, lang: str = "th") -> str:
        if lang == "en" and self.en:
            return self.en
        return self.th


class When(Strict):
    """When the playbook applies to an alert. Every condition given must hold; all are optional.

    A playbook whose ``when`` is empty never matches on its own: only an alert rule that
    names it (``playbook:`` in the rule) opens it.
    """

    rules: list[str] = Field(
        default_factory=list,
        description="Alert rule ids; the alert's rule must be one of them. Each must be a configured rule. "
        "Playbooks listing the alert's rule here are tried before all others.",
    )
    rule_types: list[str] = Field(
        default_factory=list,
        description="Alert rule types (e.g. `watch`, `threshold`); the alert's rule type must be one of them.",
    )
    min_severity: Severity | None = Field(
        None, description="The alert must be at least this severe (`P1` is the most severe, `P5` the least)."
    )
    entities: list[str] = Field(
        default_factory=list,
        description="Watched entities; the alert's key or one of its entities must be among them (case-insensitive).",
    )
    keywords: list[str] = Field(
        default_factory=list,
        description="Words or phrases; one must appear in the alert's query, its top terms or its title "
        "(case-insensitive, substring).",
    )

    @field_validator("rule_types")
    @classmethod
    def _rule_types(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _NAME.fullmatch(item):
                raise ValueError(f"rule type {item!r}: use lowercase letters, digits, - and _ (e.g. watch, threshold)")
        return value

    @field_validator("rules", "entities", "keywords")
    @classmethod
    def _no_blank(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item.strip():
                raise ValueError("empty entries are not allowed")
        return [item.strip() for item in value]

    def is_empty(self) -> bool:
        return not (self.rules or self.rule_types or self.min_severity or self.entities or self.keywords)


class Step(Strict):
    """One thing to do, by one role, by a time counted from when the incident opened."""

    title: Text = Field(description="What to do, in a few words (`th`, `en`).")
    owner: str = Field(min_length=1, description="Who does it: one of the playbook's `owners`.")
    due: Duration = Field(description="When it must be done, counted from the incident's opening (e.g. `15m`, `24h`).")
    checklist: list[str] = Field(default_factory=list, description="The concrete actions, in Thai, one per item.")


class Response(Strict):
    """A prepared message for one channel; filled from the alert when the incident opens."""

    channel: Channel = Field(description="Where it is sent: " + ", ".join(f"`{c}`" for c in CHANNELS) + ".")
    lang: Literal["th", "en"] = Field("th", description="Language of the template: `th` or `en`.")
    template: str = Field(
        min_length=1,
        description="The message, with variables in braces (`{brand}`, `{count}`, …); `{{` and `}}` for literal braces.",
    )

    @field_validator("template")
    @classmethod
    def _template(cls, value: str) -> str:
        problem = template_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class Playbook(Strict):
    """A situation playbook: when it applies, who owns it, what to do, what to say."""

    id: str = Field(description="Unique id: lowercase letters, digits and `-` (e.g. `service-outage`).")
    version: int = Field(1, ge=1, description="Version of this playbook; raise it when the steps change.")
    title: Text = Field(description="Name of the situation (`th`, `en`).")
    description: Text = Field(description="The situation, and how to recognise it (`th`, `en`).")
    when: When = Field(default_factory=When, description="Which alerts it applies to (see Matching).")
    severity: Severity = Field(description="Severity of the incident it opens: `P1` (most severe) … `P5`.")
    owners: list[str] = Field(min_length=1, description="Roles involved (e.g. `on-call`, `pr-lead`); step owners come from here.")
    acknowledge_within: Duration = Field(
        description="Time allowed to acknowledge the incident before it is escalated (e.g. `15m`)."
    )
    steps: list[Step] = Field(description="What to do, in order; at least one.")
    responses: list[Response] = Field(default_factory=list, description="Prepared messages per channel and language.")
    close_reasons: list[str] = Field(
        default_factory=lambda: ["resolved", "false_alarm", "duplicate"],
        description="Reasons allowed when closing the incident.",
    )

    _source: str | None = PrivateAttr(None)
    _line: int | None = PrivateAttr(None)
    _shipped: bool = PrivateAttr(False)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError("use only lowercase letters a-z, digits and - (for example service-outage)")
        return value

    @field_validator("owners")
    @classmethod
    def _owners(cls, value: list[str]) -> list[str]:
        seen = set()
        for item in value:
            if not item.strip():
                raise ValueError("empty owner names are not allowed")
            if item in seen:
                raise ValueError(f"owner {item!r} is listed twice")
            seen.add(item)
        return value

    @field_validator("steps")
    @classmethod
    def _steps(cls, value: list[Step]) -> list[Step]:
        if not value:
            raise ValueError("a playbook needs at least one step (each with title, owner and due)")
        return value

    @field_validator("close_reasons")
    @classmethod
    def _close_reasons(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("give at least one close reason (e.g. resolved)")
        for item in value:
            if not _NAME.fullmatch(item):
                raise ValueError(f"close reason {item!r}: use lowercase letters, digits, - and _ (e.g. false_alarm)")
        return value

    # -- where it came from --------------------------------------------------
    @property
    def source(self) -> str | None:
        """The file it was loaded from (None when built in code)."""
        return self._source

    @property
    def line(self) -> int | None:
        return self._line

    @property
    def shipped(self) -> bool:
        """True for playbooks from the shipped library."""
        return self._shipped

    def responses_for(self, channel: str, lang: str | None = None) -> list[Response]:
        return [r for r in self.responses if r.channel == channel and (lang is None or r.lang == lang)]
