"""The playbook schema: one YAML file per situation, declared once here.

Every model forbids unknown keys, and every field has a description, from
which ``docs/playbooks.md`` is written.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from enrich.normalize import normalize
from sadap.core.alert import Severity
from sadap.core.settings_types import Duration, Strict
from sadap.core.timeutil import format_duration
from sadap.core.yamlsource import Loc, format_loc
from playbooks.render import template_problem

CHANNELS: tuple[str, ...] = ("social", "press", "email", "line", "internal", "sms")
Channel = Literal["social", "press", "email", "line", "internal", "sms"]

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _not_negative(value: timedelta) -> timedelta:
    if value < timedelta(0):
        raise ValueError("must be 0s or longer (a time counted from the incident's opening)")
    return value


#: A duration counted from the incident's opening: 0s or longer.
ClockDuration = Annotated[Duration, AfterValidator(_not_negative)]
_NAME = re.compile(r"[a-z0-9][a-z0-9_\-]*")


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
    def _no_blank(cls, value: list[str], info: ValidationInfo) -> list[str]:
        for item in value:
            if not item.strip():
                raise ValueError("empty entries are not allowed")
        if info.field_name == "rules":
            return [item.strip() for item in value]
        # written as mention text is stored, so that what looks the same matches (ํ + า is ำ …)
        out = [normalize(item).strip() for item in value]
        if not all(out):
            raise ValueError("empty entries are not allowed (an entry with only markup or invisible characters)")
        return out

    def is_empty(self) -> bool:
        return not (self.rules or self.rule_types or self.min_severity or self.entities or self.keywords)


class Step(Strict):
    """One thing to do, by one role, by a time counted from when the incident opened."""

    title: Text = Field(description="What to do, in a few words (`th`, `en`).")
    owner: str = Field(min_length=1, description="Who does it: one of the playbook's `owners`.")
    due: ClockDuration = Field(description="When it must be done, counted from the incident's opening (e.g. `15m`, `24h`).")
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


def _plain_text(value: Any) -> Any:
    """A plain string where a Text is expected is read as its Thai text."""
    if isinstance(value, str):
        return {"th": value}
    return value


#: A Text that may also be written as a plain (Thai) string.
TextOrStr = Annotated[Text, BeforeValidator(_plain_text)]


def _clean_names(value: list[str], what: str) -> list[str]:
    out: list[str] = []
    for item in value:
        item = item.strip()
        if not item:
            raise ValueError(f"empty {what} are not allowed")
        if item in out:
            raise ValueError(f"{what[:-1]} {item!r} is listed twice")
        out.append(item)
    return out


class Sla(Strict):
    """Service-level clocks, each counted from when the incident opened. All optional."""

    acknowledge: ClockDuration | None = Field(
        None,
        description="Time allowed to acknowledge the incident (e.g. `15m`). Replaces the older top-level "
        "`acknowledge_within`; give one of the two (both only if they are equal).",
    )
    first_response: ClockDuration | None = Field(
        None,
        description="Time by which the first response must reach the public or the complainants "
        "(e.g. `2h`; `24h` is the Thai PR standard's limit for following up a complaint). "
        "Not shorter than `acknowledge`.",
    )
    resolve: ClockDuration | None = Field(
        None,
        description="Time by which the incident should be resolved (e.g. `3d`). Not shorter than "
        "`acknowledge` or `first_response`.",
    )


class EscalationLevel(Strict):
    """One level of escalation: who is called in when the incident is still not acknowledged."""

    after: ClockDuration = Field(
        description="When this level starts, counted from the incident's opening, while it is still not "
        "acknowledged (e.g. `30m`). The first level's `after` is at least the time to acknowledge; "
        "each later level's is strictly later than the one before."
    )
    notify: list[str] = Field(
        default_factory=list,
        description="Notifier ids (from `notifiers:` in sadap.yaml) to send the escalation to; each must exist. "
        "Empty: the notifiers the alert itself went to.",
    )
    roles: list[str] = Field(
        default_factory=list,
        description="Roles called in at this level: the playbook's `owners` or other role names "
        "(e.g. `executive`, `ceo`); named in the escalation message.",
    )
    message: Text | None = Field(
        None,
        description="What the escalation says (`th`, `en`); may use the template variables. "
        "Missing: a standard message naming the playbook, the time passed and the roles.",
    )

    @field_validator("notify")
    @classmethod
    def _notify(cls, value: list[str]) -> list[str]:
        return _clean_names(value, "notifier ids")

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: list[str]) -> list[str]:
        return _clean_names(value, "roles")

    @field_validator("message")
    @classmethod
    def _message(cls, value: Text | None) -> Text | None:
        if value is not None:
            for text in (value.th, value.en):
                problem = template_problem(text) if text else None
                if problem:
                    raise ValueError(problem)
        return value


class Stakeholder(Strict):
    """Someone who must be informed in this situation (regulator, executives, partners, community leaders …)."""

    name: TextOrStr = Field(
        description="Who: a name or office, as text (`th`, `en`) or a plain Thai string "
        "(e.g. `สำนักงานคณะกรรมการอาหารและยา (อย.)`)."
    )
    role: str = Field(
        min_length=1,
        description="What they are to the organisation (e.g. `regulator`, `executive`, `board`, `partner`, "
        "`community-leader`, `local-authority`).",
    )
    how: Channel = Field(description="Channel to inform them by: " + ", ".join(f"`{c}`" for c in CHANNELS) + ".")
    when: ClockDuration | None = Field(
        None,
        description="Inform them within this time of the incident's opening (e.g. `72h`). "
        "Missing: as soon as the facts are confirmed.",
    )
    ref: str | None = Field(
        None,
        description="Id of a stakeholder in the registry (`sadap stakeholders list`). Missing: the registry's "
        "stakeholders whose name or alias is this name, or who are informed as this role (`inform_as`).",
    )

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("give the stakeholder's role (e.g. regulator, executive, community-leader)")
        return value.strip()


def timing_problems(
    acknowledge_within: timedelta | None,
    sla: "Sla | dict[str, timedelta | None]",
    escalation_after: list[timedelta | None],
) -> list[tuple[Loc, str]]:
    """Problems across the clocks of a playbook, each with where it is (``loc``).

    - ``sla.acknowledge`` and ``acknowledge_within`` both given must be equal;
    - ``acknowledge`` ≤ ``sla.first_response`` ≤ ``sla.resolve`` (those given);
    - the first escalation level's ``after`` is at least the time to acknowledge, and every
      later level's ``after`` is strictly later than the one before.

    A value that is ``None`` (missing, or invalid and reported elsewhere) is skipped. A missing
    time to acknowledge is not reported here.
    """
    get = sla.get if isinstance(sla, dict) else (lambda name: getattr(sla, name))
    sla_ack, first, resolve = get("acknowledge"), get("first_response"), get("resolve")
    show = format_duration
    problems: list[tuple[Loc, str]] = []
    ack: timedelta | None = sla_ack if sla_ack is not None else acknowledge_within
    ack_name = "sla.acknowledge" if sla_ack is not None else "acknowledge_within"
    if acknowledge_within is not None and sla_ack is not None and acknowledge_within != sla_ack:
        problems.append(
            (
                ("sla", "acknowledge"),
                f"{show(sla_ack)} differs from acknowledge_within ({show(acknowledge_within)}): give the time "
                "to acknowledge once, as sla.acknowledge (or give both, equal)",
            )
        )
        ack = None  # which one is meant is unknown: nothing else is measured against it
    if first is not None and ack is not None and first < ack:
        problems.append(
            (
                ("sla", "first_response"),
                f"{show(first)} is shorter than the time to acknowledge ({ack_name}: {show(ack)}); "
                "first_response must be at least that",
            )
        )
    if resolve is not None:
        for name, other in (("first_response", first), (ack_name, ack)):
            if other is not None and resolve < other:
                problems.append(
                    (("sla", "resolve"), f"{show(resolve)} is shorter than {name} ({show(other)}); resolve must be at least that")
                )
                break
    previous: tuple[int, timedelta] | None = None
    for i, after in enumerate(escalation_after):
        if after is None:
            continue
        loc: Loc = ("escalation", i, "after")
        if previous is None:
            if ack is not None and after < ack:
                problems.append(
                    (
                        loc,
                        f"the first level starts after {show(after)}, before the time to acknowledge "
                        f"({ack_name}: {show(ack)}) has passed; the first level's after must be at least "
                        f"{show(ack)}",
                    )
                )
        elif after <= previous[1]:
            problems.append(
                (
                    loc,
                    f"after {show(after)} is not later than escalation[{previous[0]}].after ({show(previous[1])}); "
                    "each level's after must be strictly later than the one before",
                )
            )
        previous = (i, after)
    return problems


class Playbook(Strict):
    """A situation playbook: when it applies, who owns it, what to do, what to say."""

    id: str = Field(description="Unique id: lowercase letters, digits and `-` (e.g. `service-outage`).")
    version: int = Field(1, ge=1, description="Version of this playbook; raise it when the steps change.")
    title: Text = Field(description="Name of the situation (`th`, `en`).")
    description: Text = Field(description="The situation, and how to recognise it (`th`, `en`).")
    when: When = Field(default_factory=When, description="Which alerts it applies to (see Matching).")
    severity: Severity = Field(description="Severity of the incident it opens: `P1` (most severe) … `P5`.")
    owners: list[str] = Field(min_length=1, description="Roles involved (e.g. `on-call`, `pr-lead`); step owners come from here.")
    acknowledge_within: ClockDuration | None = Field(
        None,
        description="Time allowed to acknowledge the incident before it is escalated (e.g. `15m`). "
        "The older spelling of `sla.acknowledge`: give one of the two (both only if they are equal). "
        "Once loaded, both hold the same value.",
    )
    steps: list[Step] = Field(description="What to do, in order; at least one.")
    responses: list[Response] = Field(default_factory=list, description="Prepared messages per channel and language.")
    sla: Sla = Field(
        default_factory=Sla,
        description="Service-level clocks counted from the incident's opening: `acknowledge`, `first_response`, `resolve`.",
    )
    escalation: list[EscalationLevel] = Field(
        default_factory=list,
        description="Who is called in, and when, while the incident is not acknowledged; levels in order "
        "of `after`. Empty: no escalation chain.",
    )
    stakeholders: list[Stakeholder] = Field(
        default_factory=list,
        description="Who must be informed in this situation (regulator, executives, partners, community leaders …), "
        "how and by when.",
    )
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
        for i, item in enumerate(value):
            if not _NAME.fullmatch(item):
                raise ValueError(f"close reason {item!r}: use lowercase letters, digits, - and _ (e.g. false_alarm)")
            if item in value[:i]:
                raise ValueError(f"close reason {item!r} is listed twice")
        return value

    @model_validator(mode="after")
    def _clocks(self, info: ValidationInfo) -> "Playbook":
        """One time to acknowledge, filled into both ``acknowledge_within`` and ``sla.acknowledge``;
        the clocks and escalation levels in order.

        The loader passes ``context={"checked_by_loader": True}``: it reports these problems itself,
        each with its own file:line, so here they are only checked for playbooks built in code.
        """
        by_loader = bool(info.context and info.context.get("checked_by_loader"))
        if not by_loader:
            problems: list[str] = []
            if self.acknowledge_within is None and self.sla.acknowledge is None:
                problems.append("acknowledge_within: required but missing (give sla.acknowledge, or acknowledge_within)")
            problems += [
                f"{format_loc(loc)}: {what}"
                for loc, what in timing_problems(
                    self.acknowledge_within, self.sla, [level.after for level in self.escalation]
                )
            ]
            if problems:
                raise ValueError("; ".join(problems))
        ack = self.sla.acknowledge if self.sla.acknowledge is not None else self.acknowledge_within
        self.acknowledge_within = ack
        self.sla.acknowledge = ack
        return self

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

    def escalation_due(self, elapsed: timedelta) -> list[EscalationLevel]:
        """The escalation levels whose ``after`` has passed ``elapsed`` after the incident opened
        (for an incident still not acknowledged), in order."""
        return [level for level in self.escalation if level.after <= elapsed]
