"""LINE Official Account inbound: the complaint channel. Users' messages to the organisation's
LINE OA arrive as webhook calls; each verified text message becomes a mention of kind ``line``
handed to the ingest pipeline (enrichment, store, alert rules).

Framework-neutral: :meth:`LineInbound.handle` takes the raw body (bytes, exactly as received)
and the request headers and returns an :class:`InboundResult` (HTTP status and a small JSON
body); the web app mounts it at its webhook URL. The ``X-Line-Signature`` header must be the
base64 HMAC-SHA256 of the raw body keyed with the channel secret (from the environment,
``LINE_CHANNEL_SECRET`` by default); anything else is refused with 401 and nothing is stored.

Webhook body (Messaging API): ``{"destination", "events": [{"type": "message", "mode",
"timestamp" (ms), "source": {"type": "user", "userId"}, "webhookEventId",
"deliveryContext": {"isRedelivery"}, "replyToken", "message": {"id", "type", "text"}}]}``.
LINE's "Verify" button sends ``events: []``: answered 200. Text messages and locations become
mentions; stickers, images, video, audio and files have no text and are counted as skipped;
follow, unfollow, postback and other events are counted as skipped. Redeliveries store nothing
twice (the message id is the mention's native id). The reply token is never stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sadap.app.ingest import IngestPipeline
from sadap.core.errors import ConfigError
from sadap.core.signing import same_secret
from sadap.core.mention import RawMention
from sadap.core.timeutil import UTC

logger = logging.getLogger(__name__)

KIND = "line"  # its label: sadap.app.sources.INBOUND_LABELS

#: Receives the mentions of one webhook call; returns anything with ``stored`` (an ingest result).
Sink = Callable[[Sequence[RawMention]], Any]


@dataclass
class InboundResult:
    status: int
    body: dict[str, Any]
    mentions: list[RawMention] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def json(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


def signature(body: bytes, secret: str) -> str:
    """What LINE puts in ``X-Line-Signature``: base64 of HMAC-SHA256(body, channel secret)."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def verify(body: bytes, header: str | None, secret: str) -> bool:
    return bool(header) and same_secret(signature(body, secret), str(header).strip())


class LineInbound:
    """The webhook handler for one LINE Official Account.

    Raises :class:`ConfigError` (one line) when the channel secret is not in the environment,
    so a missing secret fails when the web app starts, not on the first message.
    """

    def __init__(self, sink: Sink, *, secret_env: str = "LINE_CHANNEL_SECRET", source_name: str = "line-oa") -> None:
        secret = os.environ.get(secret_env)
        if not secret:
            raise ConfigError(
                f"LINE inbound: environment variable {secret_env} is not set (the channel secret, "
                "LINE Developers console → the Messaging API channel → Basic settings)"
            )
        self._secret = secret
        self.sink = sink
        self.source_name = source_name

    def handle(self, body: bytes, headers: Mapping[str, str]) -> InboundResult:
        """Verify and take one webhook call: 200 with counts, 401 for a bad signature, 400 for a
        body that is not LINE's JSON."""
        header = next((v for k, v in headers.items() if k.lower() == "x-line-signature"), None)
        if not verify(body, header, self._secret):
            logger.warning("LINE inbound: signature missing or wrong; request refused (%d bytes)", len(body))
            return InboundResult(401, {"error": "invalid signature"})
        try:
            payload = json.loads(body.decode("utf-8"))
            events = payload["events"]
            if not isinstance(events, list):
                raise TypeError("events is not a list")
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as err:
            logger.error("LINE inbound: body is not a LINE webhook (%s)", str(err).splitlines()[0])
            return InboundResult(400, {"error": "not a LINE webhook body"})
        result = InboundResult(200, {})
        for event in events:
            mention, why = self._mention(event)
            if mention is None:
                result.skipped[why] = result.skipped.get(why, 0) + 1
            else:
                result.mentions.append(mention)
        stored = 0
        if result.mentions:
            outcome = self.sink(result.mentions)
            stored = int(getattr(outcome, "stored", 0) or 0)
        result.body = {"received": len(events), "mentions": len(result.mentions), "stored": stored,
                       "skipped": result.skipped}
        return result

    def _mention(self, event: Any) -> tuple[RawMention | None, str]:
        if not isinstance(event, dict):
            return None, "not_an_event"
        if event.get("type") != "message":
            return None, f"event_{event.get('type', 'unknown')}"
        source = _dict(event.get("source"))
        if source.get("type") != "user":
            return None, f"from_{source.get('type', 'unknown')}"  # groups and rooms are not the complaint channel
        message = _dict(event.get("message"))
        kind = message.get("type")
        if kind == "text":
            said = message.get("text")
            text = said.strip() if isinstance(said, str) else ""
        elif kind == "location":
            text = " ".join(str(message.get(k) or "") for k in ("title", "address")).strip()
        else:
            return None, f"message_{kind or 'unknown'}"
        if not text or not message.get("id"):
            return None, "empty_message"
        published = None
        if isinstance(event.get("timestamp"), (int, float)):
            try:
                published = datetime.fromtimestamp(event["timestamp"] / 1000, UTC)
            except (ValueError, OverflowError, OSError):  # out of range: taken as received now
                published = None
        extras: dict[str, Any] = {"kind": "message", "channel": "line_oa", "message_type": kind}
        if event.get("webhookEventId"):
            extras["webhook_event_id"] = event["webhookEventId"]
        if _dict(event.get("deliveryContext")).get("isRedelivery"):
            extras["redelivery"] = True
        return RawMention(
            source_kind=KIND,
            source_name=self.source_name,
            native_id=str(message["id"]),
            text=text,
            author=str(source.get("userId") or "") or None,  # pseudonymised by the ingest
            published_at=published,
            extras=extras,
        ), ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def ingest_sink(config: Any) -> Sink:
    """A sink that hands each call's mentions to a fresh :class:`~sadap.app.ingest.IngestPipeline`
    (store, enrichment, alert rules) and closes it."""

    def sink(mentions: Sequence[RawMention]) -> Any:
        pipeline = IngestPipeline(config)
        try:
            return pipeline.process(list(mentions))
        finally:
            pipeline.close()

    return sink
