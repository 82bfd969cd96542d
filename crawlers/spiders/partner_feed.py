"""A partner's feed (the partner news network): a JSON Feed or Atom feed read with the token
shared with that partner, its signature checked before anything is read."""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar, Literal

import scrapy
from pydantic import Field, model_validator
from scrapy.http import Response

from crawlers.items import MentionItem
from crawlers.spiders.base import SourceOptions, html_to_text, origin, register, tidy
from crawlers.spiders.rss import RssSpider
from sadap.core.mention import personal_field
from sadap.core.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, check_signature


class PartnerFeedOptions(SourceOptions):
    """A partner's JSON Feed or Atom feed (`url`), e.g. another Sadap's `/partners/<name>/feed.json`."""

    kind: Literal["partner_feed"]
    token_env: str | None = Field(
        None, description="Environment variable holding the token this partner gave you (sent as `Authorization: Bearer`)."
    )
    verify_signature: bool = Field(
        True, description="Refuse a feed whose X-Sadap-Signature does not match the token (needs `token_env`)."
    )

    @model_validator(mode="after")
    def _signature_needs_token(self) -> PartnerFeedOptions:
        if self.verify_signature and not self.token_env:
            raise ValueError("verify_signature needs token_env (or set verify_signature: false for an unsigned feed)")
        return self

    def check(self) -> None:
        if self.token_env:
            self.secret("token_env")


@register
class PartnerFeedSpider(RssSpider):
    """``PARTNER_TOKEN=... scrapy crawl partner_feed -a url=<feed URL> -a token_env=PARTNER_TOKEN -a source=<name>``"""

    name = "partner_feed"
    label = ("ฟีดพันธมิตร", "partner feed")
    Options: ClassVar[type[SourceOptions]] = PartnerFeedOptions
    # Authors are not taken from a partner's feed, Atom or JSON Feed: a partner shares content, not people.
    keep_entry_author: ClassVar[bool] = False

    def __init__(self, url: str | None = None, source: str | None = None, token_env: str | None = None,
                 verify_signature: Any = True, **kwargs: Any) -> None:
        super().__init__(url=url, source=source, **kwargs)
        self.token = os.environ.get(token_env or "") or None
        if token_env and not self.token:
            raise ValueError(f"source {self.source!r} (partner_feed): environment variable {token_env} is not set (token_env)")
        self.verify = str(verify_signature).lower() not in ("false", "0", "no")
        if self.verify and not self.token:
            raise ValueError(f"source {self.source!r} (partner_feed): verify_signature needs token_env")

    # The token goes on at download time (crawlers.middlewares.ApiAuthMiddleware), for the feed's own site only.
    uses_auth = True

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.url, callback=self.parse, dont_filter=True)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def auth_origin(self) -> str | None:
        return origin(self.url)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[MentionItem]:
        if self.verify:
            assert self.token is not None
            problem = check_signature(self.token, response.body, _header(response, SIGNATURE_HEADER),
                                      _header(response, TIMESTAMP_HEADER), time.time())
            if problem:
                self.logger.error("%s: refused: %s", response.url, problem)
                self.count("feed_errors")
                return
        ctype = _header(response, "Content-Type") or ""
        if "json" in ctype or response.body.lstrip()[:1] == b"{":
            yield from self._json_feed(response)
        else:
            yield from super().parse(response, **kwargs)

    def _json_feed(self, response: Response) -> Iterator[MentionItem]:
        try:
            feed = json.loads(response.body.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError) as err:
            self.logger.error("%s: not a JSON Feed (%s)", response.url, str(err).splitlines()[0])
            self.count("feed_errors")
            return
        items = feed.get("items") if isinstance(feed, dict) else None
        if not isinstance(feed, dict) or not str(feed.get("version", "")).startswith("https://jsonfeed.org/version/") \
                or not isinstance(items, list):
            self.logger.error("%s: not a JSON Feed (no version or items)", response.url)
            self.count("feed_errors")
            return
        for item in items:
            if not isinstance(item, dict) or not item.get("id"):
                self.count("skipped/bad_item")
                continue
            text = tidy(item.get("content_text")) or html_to_text(item.get("content_html")) or tidy(item.get("summary"))
            if not text:
                self.count("skipped/bad_item")
                continue
            extras: dict[str, Any] = {"feed_title": tidy(feed.get("title"))}
            if isinstance(item.get("tags"), list):
                extras["tags"] = [str(t) for t in item["tags"]][:20]
            if isinstance(item.get("_sadap"), dict):
                extras["partner"] = {k: v for k, v in item["_sadap"].items()
                                     if isinstance(v, (str, int, float, list)) and not personal_field(k)}
            link = item.get("url")
            yield self.mention(
                native_id=str(item["id"]), url=response.urljoin(link) if isinstance(link, str) else None,
                title=html_to_text(item.get("title")) or None, text=text, author=None,
                published_at=self.read_date(item.get("date_published") or item.get("date_modified"), response.url),
                extras=extras,
            )


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
