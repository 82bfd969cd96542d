"""What every rule type shares: the options model with alert hygiene, and the one hook."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from alerts.rules.buckets import BucketCounts
from alerts.rules.running import RunningState, Window, newest
from sadap.core.alert import Severity
from sadap.core.errors import InputError
from sadap.core.settings_types import Duration, at_least
from sadap.store import GROUP_FIELDS, RULE_GROUP_FIELDS, MentionFilter, Store
from sadap.store.base import MentionRow
from sadap.store.query import Query, parse_query

if TYPE_CHECKING:
    GroupField = str
else:
    GroupField = Literal[RULE_GROUP_FIELDS]

MIN_COOLDOWN = timedelta(minutes=1)
Cooldown = Annotated[timedelta, BeforeValidator(at_least(
    MIN_COOLDOWN, "a shorter cool-down alerts again on every check (use for example 15m, 1h)"))]

_KEY_FILTER = {name: GROUP_FIELDS[name].filter for name in RULE_GROUP_FIELDS}


class LocalText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    th: str = Field(description="Thai.")
    en: str = Field(description="English.")


class RuleOptions(BaseModel):
    """Options every rule type has. Each type extends this with its own."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Unique rule id (letters, digits, - and _).")
    type: str = Field(description="Rule type name.")
    title: LocalText = Field(description="What the alert is about, in Thai and English.")
    severity: Severity = Field("P3", description="P1 (most severe) to P5.")
    enabled: bool = Field(True, description="Set false to keep the rule without evaluating it.")
    owner: str | None = Field(None, description="Role that owns alerts from this rule.")
    cooldown: Cooldown = Field(
        timedelta(hours=1), description="No new alert for the same rule and key within this time (at least `1m`)."
    )
    group_by: GroupField | None = Field(None, description="Split into one alert per value of this field.")
    playbook: str | None = Field(None, description="Playbook to open for this rule (else matched by the playbooks' `when`).")
    query: str | None = Field(None, description="Thai full-text query: words AND, `OR`, \"phrases\", -not.")
    sentiment: list[Literal["pos", "neu", "neg", "q"]] = Field(default_factory=list, description="Only these sentiments.")
    sources: list[str] = Field(default_factory=list, description="Only these source names.")
    entities: list[str] = Field(default_factory=list, description="Only mentions of these watched entities.")
    include_duplicates: bool = Field(False, description="Count near-duplicate copies too.")
    max_spam_score: float | None = Field(
        None, ge=0.0, le=1.0,
        description="Ignore spam/bot-like mentions: those with a spam score above this (0 to 1) do not count; "
        "mentions without a score still do.",
    )
    query_delay: Duration = Field(
        timedelta(0), description="Evaluate as of this long before now, for sources that are slow to arrive."
    )

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: object) -> object:
        return {"th": value, "en": value} if isinstance(value, str) else value

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", value):
            raise ValueError("use only letters, digits, - and _")
        return value

    @model_validator(mode="after")
    def _query(self) -> RuleOptions:
        if self.query:
            parsed = parse_query(self.query)  # raises InputError on a malformed query
            if not parsed.all_of:  # `-ล่ม` alone would count every mention but those
                raise InputError(
                    f"query {self.query!r} only leaves words out: give at least one word to look for (e.g. "
                    f"'แอป {self.query.strip()}'), or leave query out to count every mention the other filters keep"
                )
        return self


@dataclass
class Match:
    key: str | None
    count: int
    mention_ids: list[str]
    window_start: datetime
    window_end: datetime
    detail: dict[str, Any] = field(default_factory=dict)
    #: An existing incident the match is about (``complaint_sla`` with ``scope: incidents``):
    #: the alert goes on that incident's timeline and is notified; it is never matched to a
    #: playbook, so it never opens an incident.
    incident: str | None = None
    #: Inside the cool-down, a match listing an id that no alert for its rule and key listed
    #: yet is a new alert (``complaint_sla`` with ``scope: mentions``: a newly overdue complaint).
    renew: bool = False
    #: With ``renew``: the ids that make the match a new alert when no alert listed them yet
    #: (None: any of ``mention_ids``). ``complaint_sla`` names one per wait — a complaint in
    #: no case, the first listed complaint of a case's overdue wait — so a customer writing
    #: again while their case is overdue is listed, not alerted anew.
    renew_on: list[str] | None = None


@dataclass
class EvalContext:
    store: Store
    at: datetime
    custom_words: tuple[str, ...] = ()
    ids: tuple[str, ...] | None = None  # set at ingest: only these just-stored mentions
    buckets: BucketCounts = field(default_factory=BucketCounts)  # shared baseline cache (the engine keeps one)
    # Running state between cycles (the engine keeps one; a fresh one evaluates from scratch).
    running: RunningState = field(default_factory=RunningState)
    delay: timedelta = timedelta(0)  # the rule's query_delay: its own lane of running state
    # The end of a maintenance window for this rule, over by now: the current window counts
    # from there (alerts/maintenance.py, ``Rule.counting_from``).
    counted_from: datetime | None = None
    _queries: dict[str, Query] = field(default_factory=dict)

    def query(self, text: str | None) -> Query | None:
        if not text:
            return None
        if text not in self._queries:
            self._queries[text] = parse_query(text, self.custom_words)
        return self._queries[text]


class Rule:
    """A rule type: subclasses set ``type_name`` and ``Options`` and implement ``evaluate``."""

    type_name: ClassVar[str]
    Options: ClassVar[type[RuleOptions]] = RuleOptions
    options: RuleOptions  # each rule type narrows it to its Options
    at_ingest: ClassVar[bool] = False  # evaluated on each stored batch as well as on schedule
    examples: ClassVar[int] = 5

    def __init__(self, options: RuleOptions) -> None:
        self.options = options

    @property
    def id(self) -> str:
        return self.options.id

    def evaluate(self, ctx: EvalContext) -> list[Match]:  # the one hook
        raise NotImplementedError

    def plan(self, ctx: EvalContext) -> tuple[timedelta, Query | None] | None:
        """What this rule will ask the running state, if anything: how far back and with which
        query (so that it is read once per cycle for every rule)."""
        return None

    # -- shared helpers for subclasses ---------------------------------
    def counting_from(self, ctx: EvalContext, start: datetime) -> datetime:
        """Where the current window's count starts: ``start``, or the end of a maintenance window
        for this rule when that is later (what was posted during planned work does not alert
        once it is over). Baselines keep ``start``."""
        return max(start, ctx.counted_from) if ctx.counted_from is not None else start

    def base_filter(self, ctx: EvalContext, **window: Any) -> MentionFilter:
        o = self.options
        return MentionFilter(
            query=ctx.query(o.query),
            sentiment=tuple(o.sentiment),
            source_names=tuple(o.sources),
            entities=tuple(o.entities),
            collected_until=ctx.at,
            ids=tuple(ctx.ids) if ctx.ids is not None else (),
            include_duplicates=o.include_duplicates,
            max_spam_score=o.max_spam_score,
            **window,
        )

    def keyed(self, flt: MentionFilter, key: str) -> MentionFilter:
        name = _KEY_FILTER.get(self.options.group_by or "")
        if name is None:
            raise ValueError(f"rule {self.id}: group_by={self.options.group_by!r} has no filter")
        changes: dict[str, Any] = {name: (key,)}
        return replace(flt, **changes)

    def groups(self, ctx: EvalContext, flt: MentionFilter) -> dict[str | None, int]:
        if self.options.group_by is None:
            n = ctx.store.count(flt)
            return {None: n} if n else {}
        return {k: n for k, n in ctx.store.count_by(flt, self.options.group_by, limit=1000).items()}

    def voices(self, ctx: EvalContext, flt: MentionFilter, least: int) -> dict[str | None, int]:
        """Per key, how many *voices* (``include_duplicates: false``, the default) or mentions
        (``true``) match: a voice is one person's (or one outlet's) text, so a near-duplicate
        by another author counts, and copies by the same author or outlet, or one press
        release syndicated by many news sites, count once (``Store.count_voices``). Only keys
        with at least ``least`` mentions are counted (voices are never more than mentions)."""
        if self.options.include_duplicates:
            return self.groups(ctx, flt)
        every = replace(flt, include_duplicates=True)
        out: dict[str | None, int] = {}
        for key, n in self.groups(ctx, every).items():
            if n >= least:
                out[key] = ctx.store.count_voices(self.keyed(every, key) if key is not None else every)
        return out

    def window(self, ctx: EvalContext, flt: MentionFilter, span: timedelta, group_by: str | None = None) -> Window:
        """The running state for this rule's question, current as of ``ctx.at`` and holding at
        least ``span`` back (see alerts/rules/running.py)."""
        w = ctx.running.window(flt, group_by if group_by is not None else self.options.group_by, ctx.delay)
        w.sync(ctx.store, ctx.at, span, ctx.running.cycle)
        return w

    def count_key(self, ctx: EvalContext, flt: MentionFilter, key: str | None) -> int:
        return ctx.store.count(self.keyed(flt, key) if key is not None else flt)

    def sample_rows(self, rows: Iterable[MentionRow], key: str | None, time_field: str = "published_at") -> list[str]:
        """Example ids from running-state rows, as :meth:`sample` picks them from the store:
        the newest with this key (copies left out unless ``include_duplicates``)."""
        keep = (r for r in rows if (key is None or key in r.keys) and (self.options.include_duplicates or not r.duplicate))
        return newest(keep, time_field, self.examples)

    def sample(self, ctx: EvalContext, flt: MentionFilter, key: str | None) -> list[str]:
        if key is not None:
            flt = self.keyed(flt, key)
        return ctx.store.ids(flt, limit=self.examples)


RULE_TYPES: dict[str, type[Rule]] = {}
R = TypeVar("R", bound=type[Rule])


def register(cls: R) -> R:
    """Register a rule type under its ``type_name`` (the ``type`` of its rules)."""
    RULE_TYPES[cls.type_name] = cls
    return cls
