"""The partner news network (standard 000: "a news-sharing network with partners").

Outgoing, each partner in ``partners:`` gets a feed of the mentions and incidents it was
chosen to see (JSON Feed 1.1 or Atom, at ``/partners/<name>/feed.json|atom``, read with the
partner's token) and, with ``webhook``, a signed push of what is new since the last push.
Personal data never leaves: authors are left out, and text and titles go through the same
masking as the store (phones, e-mail addresses, national ID numbers, @handles, links). Every
share is recorded in the store (partner, when, channel, the ids shared): the audit.

Incoming, a partner's feed is the ``partner_feed`` source kind (see ``crawlers/spiders/``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from xml.etree import ElementTree

import httpx
from pydantic import Field, field_validator

from enrich.privacy import mask_personal_data
from sadap.core.alert import SEVERITIES, Severity
from sadap.core.errors import ConfigError, NotifyError
from sadap.core.incident import Incident
from sadap.core.mention import Mention
from sadap.core.settings_types import PositiveDuration, Strict, secret_in_value
from sadap.core.signing import signed_headers
from sadap.core.timeutil import UTC, now_utc
from sadap.core.urls import has_user_info, is_web_url, web_url_or_none, without_author
from sadap.store import MentionFilter, Store

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
JSON_FEED_TYPE = "application/feed+json; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
ATOM_NS = "http://www.w3.org/2005/Atom"
USER_AGENT = "Sadap-partner-feed/1"
BACKLOG = 10000  # most not-yet-pushed mentions looked at per push (the oldest max_items go)


Shared = Literal["mentions", "incidents"]
SHARED: tuple[Shared, ...] = ("incidents", "mentions")


class PartnerConfig(Strict):
    """An organisation Sadap shares selected mentions and incidents with (masked)."""

    name: str = Field(description="Short name in feed URLs and the audit (letters, digits, - and _).")
    title: str = Field("", description="Name shown on the Partners page (e.g. the partner's Thai name).")
    token_env: str = Field(
        description="Environment variable holding the token shared with this partner: it reads the feed "
                    "(`Authorization: Bearer`) and signs webhook pushes (HMAC-SHA256)."
    )
    share: list[Shared] = Field(default_factory=lambda: list(SHARED), description="What the partner receives.")
    entities: list[str] = Field(default_factory=list, description="Only these watched names (empty: all).")
    categories: list[str] = Field(default_factory=list, description="Only mentions in these voice-of-customer categories.")
    sentiments: list[Literal["pos", "neu", "neg", "q"]] = Field(default_factory=list, description="Only mentions with these sentiments.")
    min_severity: Severity = Field("P3", description="Only incidents at least this severe (P1 is the most).")
    days: int = Field(7, ge=1, le=90, description="How many days back the feed reaches.")
    max_items: int = Field(100, ge=1, le=1000, description="Most items in one feed or push.")
    webhook: str | None = Field(None, description="http(s) URL that receives a signed JSON Feed of what is new.")
    push_every: PositiveDuration = Field(timedelta(minutes=15), description="How often `sadap run` pushes to the webhook.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_\-]{1,64}", value):
            raise ValueError("use only letters, digits, - and _ (at most 64)")
        return value

    @field_validator("webhook")
    @classmethod
    def _webhook(cls, value: str | None) -> str | None:
        if value is not None and not is_web_url(value):
            raise ValueError("use an http:// or https:// address")
        if value is not None and has_user_info(value):
            raise secret_in_value("no user name or password in the address: the partner's token (token_env) "
                                  "signs each push")
        return value

    def token(self) -> str:
        """The shared token from the environment; :class:`ConfigError` (naming the variable, never a value)."""
        value = os.environ.get(self.token_env, "")
        if len(value) < 16:
            why = "is not set" if not value else "is shorter than 16 characters"
            raise ConfigError(f"partner {self.name!r}: environment variable {self.token_env} {why} (token_env)")
        return value


def check_unique_names(partners: list[PartnerConfig]) -> list[PartnerConfig]:
    seen: set[str] = set()
    for p in partners:
        if p.name in seen:
            raise ValueError(f"two partners are named {p.name!r}; names must be unique")
        seen.add(p.name)
    return partners


@dataclass
class SharedItem:
    """One mention or incident as a partner sees it (masked, no author)."""

    id: str  # "mention:<id>" or "incident:<id>"
    title: str
    text: str
    published: datetime
    updated: datetime
    url: str | None = None
    tags: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def shared_url(url: str | None) -> str | None:
    """A mention's link as a partner gets it: http(s) only, and an X post's without the author's
    handle (``x.com/<handle>/status/<id>`` → ``x.com/i/web/status/<id>``, which opens the same
    post): no author, ever, in what is shared."""
    url = web_url_or_none(url)
    return without_author(url) if url else None


def _mention_item(m: Mention) -> SharedItem:
    tags = [t for t in (m.category, m.sentiment.label if m.sentiment else None) if t] + list(m.entities)
    return SharedItem(
        id=f"mention:{m.id}", title=mask_personal_data(m.title or ""), text=mask_personal_data(m.text),
        published=m.published_at, updated=m.collected_at, url=shared_url(m.url), tags=tags,
        data={"kind": "mention", "source_kind": m.source_kind, "source_name": m.source_name,
              "sentiment": m.sentiment.label if m.sentiment else None, "category": m.category,
              "expectation": m.expectation, "complaint_type": m.complaint.type if m.complaint.is_complaint else None,
              "entities": list(m.entities)},
    )


def _incident_item(i: Incident) -> SharedItem:
    return SharedItem(
        id=f"incident:{i.id}", title=mask_personal_data(i.title), text=mask_personal_data(i.title),
        published=i.opened_at, updated=i.updated_at, tags=[i.severity, i.state, i.playbook],
        data={"kind": "incident", "severity": i.severity, "state": i.state, "playbook": i.playbook, "key": i.key,
              "mentions": i.mention_count, "alerts": i.alert_count},
    )


def select(store: Store, partner: PartnerConfig, now: datetime, *, after: datetime | None = None
           ) -> tuple[list[SharedItem], datetime | None]:
    """What ``partner`` may see now and the newest collection/update time among it.

    Without ``after`` (the feed): the newest ``max_items`` of the last ``days``, newest first.
    With ``after`` (a push): the *oldest* ``max_items`` collected or updated since then, oldest
    first, so a backlog larger than one push goes out over several pushes, none skipped."""
    items: list[SharedItem] = []
    if "mentions" in partner.share:
        flt = MentionFilter(
            since=after or now - timedelta(days=partner.days), until=now,
            time_field="collected_at" if after else "published_at",
            entities=tuple(partner.entities), categories=tuple(partner.categories),
            sentiment=tuple(partner.sentiments), include_duplicates=False,
        )
        if after is None:
            found = store.search(flt, partner.max_items)
        else:
            ids = tuple(store.ids(flt, limit=BACKLOG)[-partner.max_items:])
            found = store.search(MentionFilter(ids=ids), len(ids)) if ids else []
        items.extend(_mention_item(m) for m in found if after is None or m.collected_at > after)
    if "incidents" in partner.share:
        floor = after or now - timedelta(days=partner.days)
        least = SEVERITIES.index(partner.min_severity)
        items.extend(
            _incident_item(i) for i in store.list_incidents()
            if SEVERITIES.index(i.severity) <= least and floor < i.updated_at <= now
            and (not partner.entities or i.key in partner.entities)
        )
    items.sort(key=lambda it: it.updated, reverse=after is None)
    items = items[: partner.max_items]
    return items, max((it.updated for it in items), default=None)


# -- formats -----------------------------------------------------------------------------------
def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def json_feed(partner: PartnerConfig, items: list[SharedItem], feed_url: str, org: str = "Sadap") -> bytes:
    entries = []
    for it in items:
        entry: dict[str, Any] = {"id": it.id, "title": it.title, "content_text": it.text,
                                 "date_published": _iso(it.published), "date_modified": _iso(it.updated),
                                 "tags": it.tags, "_sadap": it.data}
        if it.url:
            entry["url"] = it.url
        entries.append(entry)
    feed = {"version": JSON_FEED_VERSION, "title": f"{org} → {partner.title or partner.name}",
            "feed_url": feed_url, "items": entries}
    return json.dumps(feed, ensure_ascii=False, indent=1).encode("utf-8")


def atom_feed(partner: PartnerConfig, items: list[SharedItem], feed_url: str, now: datetime, org: str = "Sadap") -> bytes:
    ElementTree.register_namespace("", ATOM_NS)

    def sub(parent: ElementTree.Element, tag: str, text: str | None = None, **attrs: str) -> ElementTree.Element:
        el = ElementTree.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    root = ElementTree.Element(f"{{{ATOM_NS}}}feed")
    sub(root, "id", f"urn:sadap:partner:{partner.name}")
    sub(root, "title", f"{org} → {partner.title or partner.name}")
    sub(root, "updated", _iso(max((it.updated for it in items), default=now)))
    sub(root, "link", rel="self", href=feed_url)
    sub(sub(root, "author"), "name", org)
    for it in items:
        entry = sub(root, "entry")
        sub(entry, "id", f"urn:sadap:{it.id}")
        sub(entry, "title", it.title or it.text[:80])
        sub(entry, "published", _iso(it.published))
        sub(entry, "updated", _iso(it.updated))
        if it.url:
            sub(entry, "link", rel="alternate", href=it.url)
        for tag in it.tags:
            sub(entry, "category", term=str(tag))
        sub(entry, "content", it.text, type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + bytes(ElementTree.tostring(root, encoding="utf-8"))


def record(store: Store, partner: PartnerConfig, channel: str, items: list[SharedItem], actor: str,
           at: datetime, upto: datetime | None = None) -> None:
    store.record_share({"partner": partner.name, "at": at, "channel": channel, "actor": actor, "upto": upto,
                        "items": [it.id for it in items]})


# -- the webhook push --------------------------------------------------------------------------
@dataclass
class PushResult:
    partner: str
    sent: int = 0
    batches: int = 0


def push(store: Store, partner: PartnerConfig, *, now: datetime | None = None, actor: str = "sadap",
         org: str = "Sadap", timeout: float = 15.0, max_batches: int = 20) -> PushResult:
    """POST what is new for ``partner`` since its last successful push, oldest first, in signed
    JSON Feed batches of ``max_items`` with an ``Idempotency-Key`` each, recording each batch.
    Nothing new: nothing sent. A failed batch raises :class:`NotifyError` (one line, no token)
    after recording the batches before it, so the next push resends only what failed."""
    if not partner.webhook:
        raise ConfigError(f"partner {partner.name!r} has no webhook to push to")
    token = partner.token()
    now = now or now_utc()
    result = PushResult(partner.name)
    for _ in range(max_batches):
        last = store.shares(partner.name, "webhook", 1)
        after = last[0]["upto"] if last and last[0]["upto"] else now - timedelta(days=partner.days)
        items, newest = select(store, partner, now, after=after)
        if not items:
            break
        body = json_feed(partner, items, partner.webhook, org)
        key = hashlib.sha256("\n".join([partner.name, *(i.id for i in items)]).encode("utf-8")).hexdigest()
        headers = {"content-type": JSON_FEED_TYPE, "user-agent": USER_AGENT, "idempotency-key": key,
                   **signed_headers(token, int(time.time()), body)}
        try:
            response = httpx.post(partner.webhook, content=body, headers=headers, timeout=timeout)
        except httpx.HTTPError as err:
            raise NotifyError(f"partner {partner.name!r}: webhook unreachable ({type(err).__name__}); "
                              f"{len(items)} item(s) will be sent next time") from None
        if response.status_code >= 300:
            raise NotifyError(f"partner {partner.name!r}: webhook answered HTTP {response.status_code}; "
                              f"{len(items)} item(s) will be sent next time")
        record(store, partner, "webhook", items, actor, now, newest)
        result.sent += len(items)
        result.batches += 1
        if len(items) < partner.max_items:
            break
    return result
