"""YouTube videos and their comments through the YouTube Data API v3, with an API key.

Videos come from channels (``channels.list`` → the uploads playlist → ``playlistItems.list``,
1 unit each) or a search (``search.list``, 100 units). Each video is a mention (title and
description); its comments come from ``commentThreads.list`` (1 unit a page of 100, newest
first, with up to five replies each) and, where a thread has more replies,
``comments.list?parentId=`` (1 unit a page). Every comment and reply is a mention linked to its
video (``extras.thread_id``/``thread_title``). The key goes in the ``X-Goog-Api-Key`` header,
never in a URL.

Quota: a daily budget of units for this source (``daily_quota``; YouTube gives a project
10,000 a day, reset at midnight Pacific time) is counted in the state (on several machines, one
counter in Redis that every worker adds to: the fleet spends at most the budget); a request that
would pass it is not made (``sadap/skipped/quota``). Incremental: the newest comment time read per
video is kept, and a re-crawl stops paging at it; the mark moves only once paging reached it (or
the last page): where paging stops early (the quota, a failed page, ``max_comment_pages`` on a
video read before), the video keeps its mark and a ``resume`` point (the ``pageToken`` and the
newest time read), and the next crawl reads on from there first. Videos a search found are
listed by it once: their new comments are read at each crawl for ``comments_for`` (7 days) after.
A thread's replies that stop early
(a failed page, the quota) keep a point of their own (``replies``: the ``pageToken``, empty for the
first page, and the mark they compare with). Videos with such points are read at the start of the
next crawl, whether or not a channel or the search lists them again. A saved ``pageToken`` YouTube
no longer accepts (``invalidPageToken``) is dropped with one line, and that video's comments, or
that thread's replies, are read again from the newest. A search asks only for videos published
after the last search that was made and answered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from scrapy.http import Request, Response

from crawlers.items import MentionItem
from crawlers.spiders.api import ApiSpider
from crawlers.spiders.base import SourceOptions, iso, origin, register, tidy
from sadap.core.settings_types import Duration, parse_duration_setting
from sadap.core.timeutil import now_utc

PACIFIC = ZoneInfo("America/Los_Angeles")
COST = {"search": 100, "channels": 1, "playlistItems": 1, "commentThreads": 1, "comments": 1, "videos": 1}


class YoutubeOptions(SourceOptions):
    """YouTube videos of channels or of a search, with their comments and replies (Data API v3)."""

    kind: Literal["youtube"]
    url: str = Field("", description="Not used (the API address is `base_url`).")
    channels: list[str] = Field([], description="Channel ids (`UC...`) whose newest videos are read.")
    search: str | None = Field(None, description="A search whose newest videos are read (costs 100 units a crawl).")
    comments_for: Duration = Field(
        timedelta(days=7),
        description="New comments are read on videos the search found up to this long ago (1 unit a video a crawl).",
    )
    api_key_env: str = Field("YOUTUBE_API_KEY", description="Environment variable holding the API key.")
    max_videos: int = Field(10, ge=1, le=50, description="Newest videos read from each channel or the search.")
    max_comment_pages: int = Field(5, ge=1, description="At most this many pages of 100 comment threads per video a crawl.")
    daily_quota: int = Field(
        2000, ge=1, description="Units this source may spend a day (search 100, comment and list pages 1 each)."
    )
    region: str = Field("TH", description="Search region (`regionCode`).")
    language: str = Field("th", description="Search language (`relevanceLanguage`).")
    base_url: str = Field("https://www.googleapis.com/youtube/v3", description="The API's address (change only for tests).")

    @model_validator(mode="after")
    def _something(self) -> YoutubeOptions:
        if not self.channels and not self.search:
            raise ValueError("name channels or a search")
        return self

    def check(self) -> None:
        self.secret("api_key_env")


def _listed(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part) for part in value]


@register
class YoutubeSpider(ApiSpider):
    """``YOUTUBE_API_KEY=... scrapy crawl youtube -a channels=UC... [-a search=...] -a source=<name>``"""

    name = "youtube"
    label = ("ยูทูบ", "YouTube")
    Options = YoutubeOptions
    platform = "YouTube"

    def __init__(
        self,
        channels: Any = None,
        search: str | None = None,
        comments_for: Any = "7d",
        source: str | None = None,
        api_key_env: str = "YOUTUBE_API_KEY",
        max_videos: Any = 10,
        max_comment_pages: Any = 5,
        daily_quota: Any = 2000,
        region: str = "TH",
        language: str = "th",
        base_url: str = "https://www.googleapis.com/youtube/v3",
        url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(url=url or base_url, source=source, **kwargs)
        self.channels = _listed(channels)
        self.search = search
        self.comments_for = parse_duration_setting(comments_for)
        if not self.channels and not self.search:
            raise ValueError("spider 'youtube' needs channels or a search: add -a channels=UC... or -a search=...")
        self.base = base_url.rstrip("/")
        self.max_videos = int(max_videos)
        self.max_comment_pages = int(max_comment_pages)
        self.daily_quota = int(daily_quota)
        self.region, self.language = region, language
        self.key = self.env_secret(api_key_env, "api_key_env")
        self._quota_noted = False
        self._begun: set[str] = set()  # videos whose comments this crawl has started reading
        self._refused_tokens: set[str] = set()  # saved page tokens YouTube no longer accepts

    # -- quota ------------------------------------------------------------
    def _spend(self, method: str) -> bool:
        # The count is the state's (a file), or on several machines one counter in Redis that every
        # worker adds to in one step, so the fleet together stays within the day's budget.
        today = now_utc().astimezone(PACIFIC).date().isoformat()
        cost = COST[method]
        taken, used = self.state.spend("quota", today, cost, self.daily_quota)
        if not taken:
            self.count("skipped/quota")
            if not self._quota_noted:
                self._quota_noted = True
                self.logger.warning(
                    "YouTube: daily quota budget of %d units reached (%d used); the rest waits for tomorrow",
                    self.daily_quota, used,
                )
            return False
        self.count("youtube/quota_units", cost)
        return True

    def _call(self, method: str, params: dict[str, Any], callback: Any, **cb_kwargs: Any) -> Request | None:
        if not self._spend(method):
            return None
        return self.api_request(
            f"{self.base}/{method}?{urlencode(params)}", callback, cb_kwargs=cb_kwargs,
        )

    def auth_headers(self) -> dict[str, str]:
        return {"X-Goog-Api-Key": self.key}

    def auth_origin(self) -> str | None:
        return origin(self.base)

    # -- errors -----------------------------------------------------------
    def _reasons(self, data: Any) -> list[str]:
        error = data.get("error") if isinstance(data, dict) else None
        errors = error.get("errors") if isinstance(error, dict) else None
        return [str(e.get("reason")) for e in errors or [] if isinstance(e, dict)]

    def error_message(self, response: Response, data: Any) -> str:
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            reasons = ", ".join(self._reasons(data))
            return f"{error.get('message', 'error')}{f' ({reasons})' if reasons else ''}"
        return f"HTTP {response.status}"

    def is_auth_error(self, response: Response, data: Any) -> bool:
        reasons = set(self._reasons(data))
        return response.status == 401 or bool(
            reasons & {"keyInvalid", "keyExpired", "quotaExceeded", "dailyLimitExceeded", "accessNotConfigured"}
        ) or (response.status == 400 and "badRequest" in reasons and "API key" in self.error_message(response, data))

    def rate_limit(self, response: Response, data: Any) -> float | None:
        reasons = set(self._reasons(data))
        if response.status == 429 or reasons & {"rateLimitExceeded", "userRateLimitExceeded"}:
            return 2.0 ** int(response.meta.get("rate_waits", 0))
        return None

    def recover(self, response: Response, data: Any) -> Request | None:
        """A saved page token that YouTube no longer accepts: dropped, and that list read from its newest."""
        error = data.get("error") if isinstance(data, dict) else None
        message = str(error.get("message") or "") if isinstance(error, dict) else ""
        if "invalidPageToken" not in self._reasons(data) and "invalid page token" not in message.lower():
            return None
        kwargs = response.request.cb_kwargs if response.request is not None else {}
        vid, token = kwargs.get("vid"), kwargs.get("page_token")
        if not vid or not token:
            return None
        title = kwargs.get("title")
        video = self.state.data.setdefault("videos", {}).setdefault(vid, {"title": title, "newest": ""})
        parent = kwargs.get("parent")
        saved = ((video.get("replies") or {}).get(parent) or {}) if parent else (video.get("resume") or {})
        if not isinstance(saved, dict) or saved.get("pageToken") != token:
            return None  # a token this crawl was just given: an error like any other (never a loop)
        self._refused_tokens.add(str(token))
        self.count("resume_dropped")
        if parent:
            self.logger.warning(
                "YouTube: a saved page of replies on video %s is no longer accepted; its replies are read from the first",
                vid,
            )
            request = self._replies(vid, title, str(parent), None, str(kwargs.get("before") or ""))
            if request is None:  # the quota: from the first page next crawl
                self._replies_stopped(vid, str(parent), None, str(kwargs.get("before") or ""))
            return request
        self.logger.warning(
            "YouTube: the saved page of comments on video %s is no longer accepted; its comments are read from the newest",
            vid,
        )
        video.pop("resume", None)
        return self._threads(vid, title, None, 1, str(video.get("newest") or ""))

    def skippable(self, response: Response, data: Any) -> str | None:
        reasons = set(self._reasons(data))
        if "commentsDisabled" in reasons:
            return "comments_disabled: comments are turned off for this video"
        if reasons & {"videoNotFound", "channelNotFound", "playlistNotFound"}:
            return f"not_found: {', '.join(sorted(reasons))}"
        return None

    # -- videos -----------------------------------------------------------
    async def start(self) -> AsyncIterator[Request]:
        if self.channels:
            request = self._call(
                "channels", {"part": "contentDetails", "id": ",".join(self.channels), "maxResults": 50},
                self.parse_channels,
            )
            if request:
                yield request
        if self.search:
            params = {
                "part": "snippet", "q": self.search, "type": "video", "order": "date", "maxResults": self.max_videos,
                "regionCode": self.region, "relevanceLanguage": self.language,
            }
            last = self.state.data.get("last_search")
            if last:
                params["publishedAfter"] = last
            # The next search starts here, once this one is answered (not when the quota skipped it).
            asked = iso(now_utc().replace(microsecond=0)).replace("+00:00", "Z")  # type: ignore[union-attr]
            request = self._call("search", params, self.parse_videos, searched_at=asked)
            if request:
                yield request
        # A search lists a video once: its new comments are read while it is recent (``comments_for``),
        # and videos where the last crawl stopped early are read on, listed again or not.
        recent = iso((now_utc() - self.comments_for).replace(microsecond=0)).replace("+00:00", "Z")  # type: ignore[union-attr]
        for vid, video in list(self.state.data.get("videos", {}).items()):
            if isinstance(video, dict) and (
                video.get("resume") or video.get("replies") or str(video.get("found") or "") >= recent
            ):
                for request in self._video_requests(vid, video.get("title")):
                    yield request

    async def parse_channels(self, response: Response) -> AsyncIterator[Request]:
        data, retry = await self.read(response)
        if retry is not None:
            yield retry
        if not isinstance(data, dict):
            return
        for channel in data.get("items") or []:
            uploads = ((channel.get("contentDetails") or {}).get("relatedPlaylists") or {}).get("uploads")
            if uploads:
                request = self._call(
                    "playlistItems", {"part": "snippet,contentDetails", "playlistId": uploads,
                                      "maxResults": self.max_videos}, self.parse_videos,
                )
                if request:
                    yield request

    async def parse_videos(
        self, response: Response, searched_at: str | None = None
    ) -> AsyncIterator[MentionItem | Request]:
        data, retry = await self.read(response)
        if retry is not None:
            yield retry
        if not isinstance(data, dict):
            return
        if searched_at:  # the search was made and answered: the next one asks for what is newer
            self.state.data["last_search"] = searched_at
        known = self.state.data.setdefault("videos", {})
        for entry in data.get("items") or []:
            snippet = entry.get("snippet") or {}
            vid = entry.get("id")
            vid = vid.get("videoId") if isinstance(vid, dict) else (entry.get("contentDetails") or {}).get("videoId")
            if not vid:
                continue
            title = tidy(snippet.get("title")) or None
            if vid not in known:
                yield self.mention(
                    native_id=f"video:{vid}",
                    url=f"https://www.youtube.com/watch?v={vid}",
                    title=title,
                    text=tidy(snippet.get("description")) or title or "",
                    author=tidy(snippet.get("channelTitle")) or None,
                    author_account=_text(snippet.get("channelId")),  # pseudonymised at ingest, never stored
                    published_at=self.read_date(
                        (entry.get("contentDetails") or {}).get("videoPublishedAt") or snippet.get("publishedAt"),
                        "YouTube video",
                    ),
                    extras={"thread_id": vid, "kind": "video", **(  # a channel id: only one of `channels:`
                        {"channel_id": snippet["channelId"]} if snippet.get("channelId") in self.channels else {})},
                )
                known[vid] = {"title": title, "newest": ""}
                if searched_at:
                    known[vid]["found"] = searched_at
            for request in self._video_requests(vid, title):
                yield request

    # -- comments ---------------------------------------------------------
    def _video_requests(self, vid: str, title: str | None) -> list[Request]:
        """A video's first requests this crawl (once a crawl): its comments, and replies left unread."""
        if vid in self._begun:
            return []
        self._begun.add(vid)
        first = self._first_threads(vid, title)
        requests = [first] if first else []
        video = self.state.data.setdefault("videos", {}).setdefault(vid, {"title": title, "newest": ""})
        for parent, point in list((video.get("replies") or {}).items()):
            point = point if isinstance(point, dict) else {}
            request = self._replies(vid, title, parent, point.get("pageToken") or None, str(point.get("before") or ""))
            if request:
                requests.append(request)
        return requests

    def _first_threads(self, vid: str, title: str | None) -> Request | None:
        """A video's first page this crawl: where the last crawl stopped early, else the newest."""
        video = self.state.data.setdefault("videos", {}).setdefault(vid, {"title": title, "newest": ""})
        before = str(video.get("newest") or "")
        resume = video.get("resume")
        if isinstance(resume, dict) and resume.get("pageToken"):
            return self._threads(
                vid, title, str(resume["pageToken"]), 1, before, str(resume.get("pending") or ""), resumed=True
            )
        return self._threads(vid, title, None, 1, before)

    def _threads(
        self, vid: str, title: str | None, page_token: str | None, page: int, before: str, pending: str = "",
        resumed: bool = False,
    ) -> Request | None:
        params: dict[str, Any] = {
            "part": "snippet,replies", "videoId": vid, "maxResults": 100, "order": "time", "textFormat": "plainText",
        }
        if page_token:
            params["pageToken"] = page_token
        # The mark a page compares with, and the newest time read before it, travel with it (on several
        # machines another worker may read it).
        return self._call(
            "commentThreads", params, self.parse_threads, vid=vid, title=title, page=page, before=before,
            page_token=page_token, pending=pending, resumed=resumed,
        )

    def _read_to_the_end(self, vid: str, title: str | None, pending: str) -> None:
        """Paging reached the old mark or the last page: the mark moves to the newest time read."""
        video = self.state.data.setdefault("videos", {}).setdefault(vid, {"title": title, "newest": ""})
        video["newest"] = max(str(video.get("newest") or ""), pending)
        video.pop("resume", None)

    def _stopped(self, vid: str, title: str | None, page_token: str, pending: str) -> None:
        """Paging stopped before the old mark: it stays, and the next crawl reads on from ``page_token``."""
        video = self.state.data.setdefault("videos", {}).setdefault(vid, {"title": title, "newest": ""})
        if page_token in self._refused_tokens:  # refused: the next crawl reads from the newest
            video.pop("resume", None)
            return
        video["resume"] = {"pageToken": page_token, "pending": pending}

    def _replies(
        self, vid: str, title: str | None, parent: str, page_token: str | None, before: str
    ) -> Request | None:
        params: dict[str, Any] = {"part": "snippet", "parentId": parent, "maxResults": 100, "textFormat": "plainText"}
        if page_token:
            params["pageToken"] = page_token
        return self._call(
            "comments", params, self.parse_replies, vid=vid, title=title, before=before, parent=parent,
            page_token=page_token,
        )

    def _replies_stopped(self, vid: str, parent: str, page_token: str | None, before: str) -> None:
        """A thread's replies stopped early: the next crawl reads them on from ``page_token`` (None: the first)."""
        video = self.state.data.setdefault("videos", {}).setdefault(vid, {"title": None, "newest": ""})
        if page_token in self._refused_tokens:
            page_token = None
        video.setdefault("replies", {})[parent] = {"pageToken": page_token or "", "before": before}

    def _replies_done(self, vid: str, parent: str) -> None:
        video = self.state.data.setdefault("videos", {}).setdefault(vid, {"title": None, "newest": ""})
        pending = video.get("replies") or {}
        pending.pop(parent, None)
        if not pending:
            video.pop("replies", None)

    async def parse_threads(
        self, response: Response, vid: str, title: str | None, page: int, before: str | None = None,
        page_token: str | None = None, pending: str = "", resumed: bool = False,
    ) -> AsyncIterator[MentionItem | Request]:
        data, retry = await self.read(response)
        if retry is not None:
            yield retry
        if not isinstance(data, dict):
            if retry is None and page_token:  # a page after the first failed: read on from it next crawl
                self._stopped(vid, title, page_token, pending)
            return
        if before is None:  # a page queued by an older version: the video's mark
            video = self.state.data.setdefault("videos", {}).setdefault(vid, {"title": title, "newest": ""})
            before = str(video.get("newest") or "")
        reached_old = False
        replies_refused = False
        pending_before = pending  # the newest time read before this page
        for thread in data.get("items") or []:
            snippet = thread.get("snippet") or {}
            top = snippet.get("topLevelComment") or {}
            updated = str(((top.get("snippet") or {}).get("updatedAt")) or "")
            replies = (thread.get("replies") or {}).get("comments") or []
            total_replies = int(snippet.get("totalReplyCount") or 0)
            newest_here = max([updated] + [str((r.get("snippet") or {}).get("updatedAt") or "") for r in replies])
            if before and newest_here <= before:
                reached_old = True  # newest first: everything from here on was read before
                break
            pending = max(pending, newest_here)
            if updated > before:
                yield self._comment(top, vid, title, "comment")
            for reply in replies if total_replies <= len(replies) else []:
                if str((reply.get("snippet") or {}).get("updatedAt") or "") > before:
                    yield self._comment(reply, vid, title, "reply")
            if total_replies > len(replies):  # more than the five shown: all of them from comments.list
                request = self._replies(vid, title, str(top.get("id") or thread.get("id")), None, before)
                if request:
                    yield request
                else:
                    replies_refused = True
        if replies_refused:  # the quota: this page again next crawl (the comments read are dropped as repeats)
            if page_token:
                self._stopped(vid, title, page_token, pending_before)
            return  # (on the first page the old mark simply stays)
        token = data.get("nextPageToken")
        if not token or reached_old:
            self._read_to_the_end(vid, title, pending)
            if resumed and page < self.max_comment_pages:  # then what is new since the crawl that stopped
                video = self.state.data["videos"][vid]
                request = self._threads(vid, title, None, page + 1, str(video.get("newest") or ""))
                if request:
                    yield request
            return
        token = str(token)
        if page >= self.max_comment_pages:
            if not before:  # a video read for the first time: max_comment_pages is how far back
                self._read_to_the_end(vid, title, pending)
            else:
                self._stopped(vid, title, token, pending)
            return
        request = self._threads(vid, title, token, page + 1, before, pending, resumed)
        if request:
            yield request
        else:  # the quota: the rest of the pages next crawl
            self._stopped(vid, title, token, pending)

    async def parse_replies(
        self, response: Response, vid: str, title: str | None, before: str, parent: str | None = None,
        page_token: str | None = None,
    ) -> AsyncIterator[MentionItem | Request]:
        data, retry = await self.read(response)
        if retry is not None:
            yield retry
        if not isinstance(data, dict):
            if retry is None and parent:  # a failed page: the next crawl reads this thread's replies on from it
                self._replies_stopped(vid, parent, page_token, before)
            return
        for reply in data.get("items") or []:
            if str((reply.get("snippet") or {}).get("updatedAt") or "") > before:
                yield self._comment(reply, vid, title, "reply")
        # (a page queued by an older version names its thread only in its replies)
        parent = parent or (data.get("items") or [{}])[0].get("snippet", {}).get("parentId")
        if not parent:
            return
        token = data.get("nextPageToken")
        if token:
            request = self._replies(vid, title, parent, str(token), before)
            if request:
                yield request
            else:  # the quota: the rest next crawl
                self._replies_stopped(vid, parent, str(token), before)
            return
        self._replies_done(vid, parent)

    def _comment(self, comment: dict[str, Any], vid: str, title: str | None, kind: str) -> MentionItem:
        snippet = comment.get("snippet") or {}
        extras: dict[str, Any] = {"thread_id": vid, "thread_title": title, "kind": kind}
        if snippet.get("parentId"):
            extras["parent_id"] = snippet["parentId"]
        return self.mention(
            native_id=str(comment.get("id")),
            url=f"https://www.youtube.com/watch?v={vid}&lc={comment.get('id')}",
            text=tidy(snippet.get("textOriginal") or snippet.get("textDisplay")),
            author=tidy(snippet.get("authorDisplayName")) or None,
            author_account=_text(_value(snippet.get("authorChannelId"))),  # the channel: a handle can change
            published_at=self.read_date(snippet.get("publishedAt"), "YouTube comment"),
            engagement={"likes": int(snippet.get("likeCount") or 0)},
            extras=extras,
        )

    def begin_round(self) -> None:
        super().begin_round()
        self._quota_noted = False
        self._begun.clear()

    def end_round(self, reason: str) -> None:
        for video in self.state.data.get("videos", {}).values():
            video.pop("newest_read", None)  # kept by older versions during a crawl


def _value(field: Any) -> Any:
    """``authorChannelId`` is ``{"value": "UC…"}``."""
    return field.get("value") if isinstance(field, dict) else field


def _text(value: Any) -> str | None:
    """An id from the API as text; absent, empty or not a string or number: None."""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return None
    return str(value).strip() or None
