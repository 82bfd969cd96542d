"""Which URLs Sadap follows, stores as links or accepts as a source: http and https only.

A crawler that follows ``file:///etc/passwd`` from a remote thread list reads a local file;
a ``javascript:`` link stored from a feed runs when someone clicks it in the console. Every
place that takes a URL from outside (source configs, spiders, item pipelines, rendering)
asks :func:`is_web_url`, or :func:`check_source_url` where a bad URL is a user's mistake.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sadap.core.errors import InputError

__all__ = [
    "WEB_SCHEMES", "UnsafeUrlError", "is_web_url", "check_source_url", "web_url_or_none", "scheme_of", "has_user_info",
    "x_post_url", "without_author",
]

WEB_SCHEMES = frozenset({"http", "https"})


class UnsafeUrlError(InputError, ValueError):
    """A URL that is not an http(s) address of a host. Also a ValueError, so a pydantic
    validator can raise it as it is and get a field-located message."""


def scheme_of(url: str) -> str:
    """The URL's scheme in lower case ("" when it has none)."""
    try:
        return urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return ""


def has_user_info(url: str) -> bool:
    """Whether ``url`` holds a user name or password (``https://user:pw@host``)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.username is not None or parts.password is not None


def is_web_url(url: object) -> bool:
    """True for an absolute ``http://`` or ``https://`` URL with a host and no control characters."""
    if not isinstance(url, str) or not url.strip():
        return False
    text = url.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return False
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(host)


def web_url_or_none(url: str | None) -> str | None:
    """The URL if it is a web URL, else None (for links that are stored or shown)."""
    return url.strip() if url and is_web_url(url) else None


# An X (Twitter) post's link names its author: x.com/<handle>/status/<id>.
_X_POST = re.compile(r"https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/[^/?#]+/status(?:es)?/(\d+)", re.IGNORECASE)


def x_post_url(post_id: str) -> str:
    """An X post's link without its author's handle: ``x.com/i/web/status/<id>`` opens the same post."""
    return f"https://x.com/i/web/status/{post_id}"


def without_author(url: str) -> str:
    """``url`` with no author's account in it: an X post's ``x.com/<handle>/status/<id>`` (or
    twitter.com, mobile., www.) becomes :func:`x_post_url`; any other URL is returned as it is.
    Used where a link is stored without author names and where it is shared with partners."""
    post = _X_POST.match(url.strip())
    return x_post_url(post.group(1)) if post else url


def check_source_url(url: str) -> str:
    """A source's URL, checked: returned stripped, or :class:`UnsafeUrlError` with one line
    saying what is allowed. For configuration validators (``sources[].url``)."""
    if is_web_url(url):
        return url.strip()
    shown = url if len(url) <= 80 else url[:77] + "..."
    scheme = scheme_of(url)
    if scheme and scheme not in WEB_SCHEMES:
        why = f"the {scheme}: scheme is not allowed"
    elif not scheme:
        why = "it has no scheme"
    else:
        why = "it has no host or is malformed"
    raise UnsafeUrlError(f"{shown!r} cannot be crawled: {why} (use an http:// or https:// address)")
