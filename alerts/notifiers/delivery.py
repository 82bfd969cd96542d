"""Delivery shared by every notifier: attempts with exponential backoff, ``Retry-After``
within a cap, one-line errors with secrets removed, and HTTP POST of JSON.

A notifier writes one *attempt* (a function) that returns on success or raises
:class:`Retry` (another attempt may succeed) or :class:`GiveUp` (it will not); :func:`deliver`
runs it and raises :class:`~sadap.core.errors.NotifyError` when it finally fails."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Protocol, cast

import httpx

from alerts.notifiers.base import Notifier
from sadap.core.errors import NotifyError

log = logging.getLogger(__name__)


class RetryOptions(Protocol):
    """What :func:`deliver` reads from a notifier's settings (every notifier that calls it has it)."""

    @property
    def retries(self) -> int: ...


class PostOptions(RetryOptions, Protocol):
    """What :func:`post_json` reads from a notifier's settings (every notifier that calls it has them)."""

    @property
    def timeout(self) -> timedelta: ...
    @property
    def max_retry_after(self) -> timedelta: ...

USER_AGENT = "Sadap-notifier/1"


class Retry(Exception):
    """This attempt failed and another may succeed; ``after``: seconds the receiver asked for."""

    def __init__(self, reason: str, after: float | None = None):
        super().__init__(reason)
        self.after = after


class GiveUp(Exception):
    """This attempt failed and retrying will not help (refused, bad credentials, …); or, with
    ``after``, not within this send: the receiver asked for a longer wait than it may take."""

    def __init__(self, reason: str, after: float | None = None):
        super().__init__(reason)
        self.after = after


class DeliveryFailed(NotifyError):
    """What :func:`deliver` raises when a send finally fails. ``permanent``: the receiver refused
    it, so a later send would fail the same way (the outbox gives it up at once and tells the
    other notifiers); ``retry_after``: seconds the receiver last asked to wait."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` on one line, with every secret value replaced by ``***``."""
    text = " ".join(text.split())
    for value in secrets:
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    return text


def deliver(notifier: Notifier, attempt: Callable[[], object], *, secrets: Iterable[str | None] = ()) -> None:
    """Run ``attempt`` up to ``1 + config.retries`` times; raise DeliveryFailed after the last."""
    secrets = [s for s in secrets if s]
    attempts = cast(RetryOptions, notifier.config).retries + 1
    reason = "not attempted"
    permanent = False
    wait: float | None = None
    n = 0
    for n in range(1, attempts + 1):
        try:
            attempt()
            return
        except GiveUp as err:
            reason, wait = str(err), err.after
            permanent = wait is None
            break
        except Retry as err:
            reason, wait = str(err), err.after
        if n == attempts:
            break
        if wait is None:
            wait = min(notifier.backoff_seconds * 2 ** (n - 1), notifier.max_backoff_seconds)
        log.warning(
            "%s %r: attempt %d of %d failed: %s; retrying in %.1f s",
            notifier.type_name, notifier.id, n, attempts, redact(reason, secrets), wait,
        )
        notifier.sleep(wait)
    raise DeliveryFailed(
        redact(f"{notifier.type_name} {notifier.id!r}: delivery failed after {n} attempt(s): {reason}", secrets),
        permanent=permanent, retry_after=wait,
    )


# -- HTTP --------------------------------------------------------------------

_posting = threading.local()


class _HideNotifierUrls(logging.Filter):
    """httpx logs every request's full URL at INFO; a notifier's URL may be a secret (Slack,
    Teams, token-bearing webhooks), so while a notifier posts, only scheme and host are logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(_posting, "active", False) and isinstance(record.args, tuple):
            record.args = tuple(_origin(a) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


def _origin(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}/…"


_httpx_logger = logging.getLogger("httpx")
if not any(isinstance(f, _HideNotifierUrls) for f in _httpx_logger.filters):
    _httpx_logger.addFilter(_HideNotifierUrls())


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (a number of seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def post_json(
    notifier: Notifier,
    url: str,
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
    detail: Callable[[httpx.Response], str | None] | None = None,
    ok: Callable[[httpx.Response], bool] | None = None,
    refused: Callable[[httpx.Response], bool] | None = None,
) -> httpx.Response:
    """One attempt: POST ``body`` (JSON bytes). Returns the response on 2xx (or when ``ok``
    says so); raises Retry on network errors, 408, 429 and 5xx, else GiveUp. ``detail`` may
    add a receiver's error code to the reason; it must never return anything secret.
    ``refused``: an answer that says no retry can succeed, whatever its status (a quota spent
    for the month answers 429 too)."""
    config = cast(PostOptions, notifier.config)
    sent = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, **(headers or {})}
    _posting.active = True
    try:
        response = httpx.post(url, content=body, headers=sent, timeout=config.timeout.total_seconds())
    except (httpx.InvalidURL, UnicodeError):  # UnicodeError: a host name IDNA cannot encode
        raise GiveUp("invalid URL") from None
    except httpx.UnsupportedProtocol:
        raise GiveUp("the URL must start with https:// or http:// and name a host") from None
    except httpx.TimeoutException as err:
        raise Retry(f"timed out ({type(err).__name__})") from None
    except httpx.HTTPError as err:  # the message may contain the URL: name the kind only
        raise Retry(type(err).__name__) from None
    finally:
        _posting.active = False
    status = response.status_code
    if status < 300 or (ok is not None and ok(response)):
        return response
    extra = detail(response) if detail else None
    reason = f"HTTP {status}" + (f" {extra}" if extra else "")
    if refused is not None and refused(response):
        raise GiveUp(reason)
    if status in (408, 429) or status >= 500:
        after = _retry_after(response.headers.get("Retry-After")) if status in (429, 503) else None
        cap = config.max_retry_after.total_seconds()
        if after is not None and after > cap:
            raise GiveUp(f"{reason}; Retry-After {after:.0f} s is longer than max_retry_after ({cap:.0f} s)", after)
        raise Retry(reason, after)
    raise GiveUp(reason)  # the receiver refuses this request; retrying will not help
