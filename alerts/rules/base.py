"""What every rule type shares: the options model with alert hygiene, and the one hook."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alerts.rules.buckets import BucketCounts
from sadap.core.alert import Severity
from sadap.core.settings_types import Duration
from sadap.store import GROUP_FIELDS, RULE_GROUP_FIELDS, MentionFilter, Store
from sadap.store.query import Query, parse_query

if TYPE_CHECKING:
    GroupField = str
else:
    GroupField = Literal[RULE_GROUP_FIELDS]

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
    cooldown: Duration = Field(timedelta(hours=1), description="No new alert for the same rule and key within this time.")
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
    def _title(cls, value):
        return {"th": value, "en": value} if isinstance(value, str) else value

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", value):
            raise ValueError("use only letters, digits, - and _")
        return value

    @model_validator(mode="after")
    def _query(self):
        if self.query:
            parse_query(self.query)  # raises InputError on a malformed query
        return self


@dataclass
class Match:
    key: str | None
    count: int
    mention_ids: list[str]
    window_start: datetime
    window_end: datetime
    detail: dict = field(default_factory=dict)


@dataclass
class EvalContext:
    store: Store
    at: datetime
    custom_words: tuple[str, ...] = ()
    ids: tuple[str, ...] | None = None  # set at ingest: only these just-stored mentions
    buckets: BucketCounts | None = None  # shared baseline cache (the engine keeps one)
    _queries: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.buckets is None:
            self.buckets = BucketCounts()

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
    at_ingest: ClassVar[bool] = False  # evaluated on each stored batch as well as on schedule
    examples: ClassVar[int] = 5

    def __init__(self, options: RuleOptions):
        self.options = options

    @property
    def id(self) -> str:
        return self.options.id

    def evaluate(self, ctx: EvalContext) -> list[Match]:  # the one hook
        raise NotImplementedError

    # -- shared helpers for subclasses ---------------------------------
    def base_filter(self, ctx: EvalContext, **window) -> MentionFilter:
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
        name = _KEY_FILTER[self.options.group_by]
        return replace(flt, **{name: (key,)})

    def groups(self, ctx: EvalContext, flt: MentionFilter) -> dict[str | None, int]:
        if self.options.group_by is None:
            n = ctx.store.count(flt)
            return {None: n} if n else {}
        return ctx.store.count_by(flt, self.options.group_by, limit=1000)

    def count_key(self, ctx: EvalContext, flt: MentionFilter, key: str | None) -> int:
        return ctx.store.count(self.keyed(flt, key) if key is not None else flt)

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
