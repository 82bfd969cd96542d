"""The X, YouTube and Facebook Page spiders against local servers answering in each API's
documented shapes: paging, incremental re-crawls, rate limits, errors and refused tokens.
Keys come from the environment of each crawl process; none reaches a URL or the log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from sadap.app.sources import source_config
from sadap.core.errors import ConfigError
from tests.fake_http import Answer, Call, FakeServer, json_answer
from tests.test_pantip import FAST, ROOT

SAYINGS = [
    "แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้เลย",
    "ขอบคุณแสงทองที่แก้ปัญหาให้เร็วมากครับ",
    "สาขาแสงทองสยามคนเยอะมาก รอคิวสองชั่วโมง",
    "บัตรเดบิตแสงทองโดนตัดเงินซ้ำ ใครเป็นบ้าง",
]
T0 = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)


def crawl(kind: str, out: Path, env: dict[str, str], **args: str) -> tuple[list[dict[str, Any]], str, int]:
    command = [sys.executable, "-m", "scrapy", "crawl", kind, "-O", str(out), *FAST]
    for key, value in args.items():
        command += ["-a", f"{key}={value}"]
    clean = {k: v for k, v in os.environ.items() if k not in ("X_BEARER_TOKEN", "YOUTUBE_API_KEY", "FACEBOOK_PAGE_TOKEN")}
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env={**clean, **env})
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    return items, done.stderr, done.returncode


def errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if " ERROR: " in line]


# -- X -----------------------------------------------------------------------------------
TWEPOCH_MS = 1288834974657  # X ids are snowflakes: (id >> 22) + this is the post's time in ms


def snowflake(when: datetime) -> int:
    return (int(when.timestamp() * 1000) - TWEPOCH_MS) << 22


# Post n of the fake has id X_BASE + n: a day old, in the order of n.
X_BASE = snowflake(datetime.now(timezone.utc) - timedelta(days=1))


def xid(n: int) -> str:
    return str(X_BASE + n)


def x_invalid(parameter: str, value: str, message: str) -> Answer:
    return json_answer({"errors": [{"parameters": {parameter: [value]}, "message": message}],
                        "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                        "type": "https://api.twitter.com/2/problems/invalid-request"}, 400)


class FakeX:
    def __init__(self, first_429: bool = True) -> None:
        self.posts = [self.post(1000 + i) for i in range(150)]  # oldest first
        self.first_429 = first_429
        self.reset_in = 1  # seconds to the rate window's reset, told on a page that leaves no requests
        self.refuse_since: set[str] = set()  # since_id values answered "Invalid 'since_id'" whatever their age

    @staticmethod
    def post(n: int) -> dict[str, Any]:
        return {
            "id": xid(n), "text": f"{SAYINGS[n % 4]} #{n}", "author_id": str(n % 3),
            "created_at": (T0 + timedelta(minutes=n - 1000)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "lang": "th", "conversation_id": str(n),
            "public_metrics": {"retweet_count": 2, "reply_count": 1, "like_count": n % 10, "quote_count": 1,
                               "impression_count": 100},
        }

    def __call__(self, call: Call) -> Answer:
        if not call.path.startswith("/2/tweets/search/recent"):
            return json_answer({"title": "Not Found Error", "detail": "not found"}, 404)
        if call.headers.get("authorization") != "Bearer good-x-token":
            return json_answer({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}, 401)
        reset = str(int(time.time()) + self.reset_in)
        week_ago = datetime.now(timezone.utc) - timedelta(days=7)
        since_id, start_time = call.query.get("since_id"), call.query.get("start_time")
        # What recent search does with a since_id or start_time older than its seven days.
        if since_id and (since_id in self.refuse_since
                         or (int(since_id) >> 22) + TWEPOCH_MS < week_ago.timestamp() * 1000):
            return x_invalid("since_id", since_id, f"Invalid 'since_id':'{since_id}'. 'since_id' must be a tweet id "
                             f"created after {week_ago:%Y-%m-%dT%H:%MZ}.")
        if start_time and datetime.fromisoformat(start_time.replace("Z", "+00:00")) < week_ago:
            return x_invalid("start_time", start_time, "Invalid 'start_time'")
        if self.first_429:
            self.first_429 = False
            return json_answer({"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429}, 429,
                               {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0", "x-rate-limit-reset": reset})
        if "((" in call.query["query"]:
            return json_answer({"errors": [{"parameters": {"query": [call.query["query"]]},
                                            "message": "There were errors processing your request: Unbalanced parentheses"}],
                                "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                                "type": "https://api.twitter.com/2/problems/invalid-request"}, 400)
        since = int(call.query.get("since_id", 0))
        found = [p for p in reversed(self.posts) if int(p["id"]) > since]
        # A cursor, as X's are: the page after the post it names, whatever was posted since.
        cursor = call.query.get("next_token")
        start = next(n for n, p in enumerate(found) if p["id"] == cursor) + 1 if cursor else 0
        page = found[start : start + 100]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if start + 100 < len(found):
            meta["next_token"] = page[-1]["id"]
        users = [{"id": str(i), "name": f"ลูกค้าคนที่ {i}", "username": f"customer{i}"} for i in range(3)]
        body = {"data": page, "includes": {"users": users}, "meta": meta} if page else {"meta": meta}
        return json_answer(body, 200, {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0" if start == 0 else "449",
                                        "x-rate-limit-reset": reset})


@pytest.fixture(scope="module")
def x_runs(tmp_path_factory) -> Any:
    tmp = tmp_path_factory.mktemp("x")
    fake = FakeX()
    with FakeServer(fake) as server:
        args = {"query": "แสงทอง lang:th -is:retweet", "base_url": server.url + "/2", "source": "x-bank",
                "state_dir": str(tmp / "state")}
        good = {"X_BEARER_TOKEN": "good-x-token"}
        first = crawl("x", tmp / "1.jsonl", good, **args)
        first_calls = list(server.calls)
        server.calls.clear()
        fake.posts += [FakeX.post(1150), FakeX.post(1151)]
        second = crawl("x", tmp / "2.jsonl", good, **args)
        second_calls = list(server.calls)
        expired = crawl("x", tmp / "3.jsonl", {"X_BEARER_TOKEN": "expired-token"}, **{**args, "state_dir": str(tmp / "s3")})
        bad_query = crawl("x", tmp / "4.jsonl", good, **{**args, "query": "((แสงทอง", "state_dir": str(tmp / "s4")})
        missing = crawl("x", tmp / "5.jsonl", {}, **args)
        yield locals()


def test_x_pages_of_posts_with_authors_and_metrics(x_runs):
    items, log, code = x_runs["first"]
    assert code == 0 and len(items) == 150 and not errors(log)
    newest = items[0]
    assert newest["native_id"] == xid(1149) and newest["text"] == "ขอบคุณแสงทองที่แก้ปัญหาให้เร็วมากครับ #1149"
    # the author is the account's handle, not its display name; the link names no one
    assert newest["url"] == f"https://x.com/i/web/status/{xid(1149)}" and newest["author"] == "customer0"
    assert newest["engagement"] == {"likes": 9, "shares": 3, "comments": 1, "views": 100}
    assert newest["published_at"] == "2026-11-20T03:29:00+00:00"
    assert newest["extras"]["lang"] == "th"


def test_x_author_is_the_account_so_namesakes_stay_apart_and_stakeholder_accounts_match(tmp_path):
    # Two people both called สมชาย, and the bank's own account (registered as `@SaengThongBank`).
    users = [{"id": "11", "name": "สมชาย", "username": "somchai_k"}, {"id": "22", "name": "สมชาย", "username": "somchai_bkk"},
             {"id": "33", "name": "ธนาคารแสงทอง", "username": "SaengThongBank"}]
    posts = [{"id": str(500 + n), "text": text, "author_id": uid, "created_at": f"2026-11-20T01:0{n}:00.000Z"}
             for n, (uid, text) in enumerate([("11", "แอปแสงทองล่ม"), ("22", "แสงทองโอนไม่ได้"),
                                              ("33", "แสงทองแจ้งปิดปรับปรุงระบบคืนนี้")])]
    with FakeServer(lambda call: json_answer({"data": posts, "includes": {"users": users}, "meta": {"newest_id": "502"}})) as server:
        items, log, code = crawl("x", tmp_path / "x.jsonl", {"X_BEARER_TOKEN": "t"}, query="แสงทอง",
                                 base_url=server.url + "/2", source="x-bank", state_dir=str(tmp_path / "state"))
    assert code == 0 and [i["author"] for i in items] == ["somchai_k", "somchai_bkk", "SaengThongBank"], log[-2000:]
    assert all("/i/web/status/" in i["url"] for i in items)

    from crawlers.pipelines import raw_mention
    from sadap.app import privacy as pdpa
    from sadap.app.config import load_config_file
    from sadap.app.ingest import IngestPipeline
    from sadap.core.stakeholder import Stakeholder
    from sadap.store import MentionFilter, open_store

    (tmp_path / "sadap.yaml").write_text("data_dir: data\nwatch:\n  - name: ธนาคารแสงทอง\n    aliases: [แสงทอง]\n"
                                         "rules: []\nnotifiers: []\n", encoding="utf-8")
    config = load_config_file(tmp_path / "sadap.yaml")  # privacy.keep_author_names off: the default
    with open_store(config) as store:
        store.save_stakeholder(Stakeholder(id="bank", name="ธนาคารแสงทอง", status="private_company", group="other",
                                           accounts=[{"source": "x-bank", "handle": "@SaengThongBank"}]))
    pipeline = IngestPipeline(config, alerts=False)
    try:
        pipeline.process([raw_mention(i) for i in items])
    finally:
        pipeline.close()
    with open_store(config) as store:
        stored = {m.native_id: m for m in store.search(MentionFilter(), limit=10)}
        assert len({m.author_id for m in stored.values()}) == 3  # three accounts, three people
        assert stored["502"].stakeholders == ["bank"] and stored["500"].stakeholders == []
        assert all(m.author_name is None and m.url == f"https://x.com/i/web/status/{n}" for n, m in stored.items())
        dumped = "".join(m.model_dump_json() for m in stored.values())
        assert "somchai" not in dumped and "SaengThongBank" not in dumped and "สมชาย" not in dumped
        # erasure by handle, with or without its @, finds that person only
        assert pdpa.select(config, store, author="@somchai_k").ids == [stored["500"].id]
        assert pdpa.select(config, store, author="somchai_bkk", source="x-bank").ids == [stored["501"].id]


def test_x_waits_on_429_and_on_an_empty_rate_window(x_runs):
    calls = x_runs["first_calls"]
    assert len(calls) == 3  # 429, page 1, page 2
    assert calls[2].query["next_token"] == xid(1050)  # the last post of page 1
    assert all(c.headers["authorization"] == "Bearer good-x-token" for c in calls)
    assert all("good-x-token" not in c.path for c in calls)
    assert "'sadap/rate_limited': 1" in x_runs["first"][1]
    assert "good-x-token" not in x_runs["first"][1]


def test_x_recrawl_asks_only_after_since_id(x_runs):
    items, _, _ = x_runs["second"]
    assert [i["native_id"] for i in items] == [xid(1151), xid(1150)]
    assert x_runs["second_calls"][0].query["since_id"] == xid(1149)


def test_x_refused_token_and_bad_query_are_one_line_each(x_runs):
    items, log, _ = x_runs["expired"]
    assert items == [] and len(errors(log)) == 1 and "X refused the key or token (HTTP 401: Unauthorized)" in errors(log)[0]
    items, log, _ = x_runs["bad_query"]
    assert items == [] and len(errors(log)) == 1 and "Unbalanced parentheses" in errors(log)[0]


def test_x_missing_token_names_the_variable(x_runs):
    _, log, code = x_runs["missing"]
    assert code != 0 or "X_BEARER_TOKEN is not set" in log
    assert "environment variable X_BEARER_TOKEN is not set (bearer_token_env)" in log


def x_state(state_dir: Path) -> dict[str, Any]:
    return json.loads((state_dir / "x-x-bank.json").read_text(encoding="utf-8"))


def test_x_since_id_older_than_seven_days_is_dropped_for_start_time(tmp_path):
    fake = FakeX(first_429=False)
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    now = datetime.now(timezone.utc)
    with FakeServer(fake) as server:
        args = {"query": "แสงทอง", "base_url": server.url + "/2", "source": "x-bank", "state_dir": str(state_dir)}
        good = {"X_BEARER_TOKEN": "good-x-token"}
        # Six days old: still inside the window, asked as it is.
        fresh = str(snowflake(now - timedelta(days=6)))
        (state_dir / "x-x-bank.json").write_text(json.dumps({"since_id": fresh}))
        crawl("x", tmp_path / "1.jsonl", good, **args)
        assert server.calls[0].query["since_id"] == fresh and "start_time" not in server.calls[0].query
        # Eight days old (a quiet query kept it that long): X would refuse it, crawl after crawl.
        server.calls.clear()
        old = str(snowflake(now - timedelta(days=8)))
        (state_dir / "x-x-bank.json").write_text(json.dumps({"since_id": old}))
        items, log, code = crawl("x", tmp_path / "2.jsonl", good, **args)
        first = server.calls[0].query
        assert "since_id" not in first
        start = datetime.fromisoformat(first["start_time"].replace("Z", "+00:00"))
        assert timedelta(days=6, hours=22) < now - start < timedelta(days=7)
        assert code == 0 and not errors(log) and len(items) == 150
        dropped = [line for line in log.splitlines() if f"since_id {old}" in line]
        assert len(dropped) == 1 and "older than recent search's seven days: dropped" in dropped[0]
        assert x_state(state_dir)["since_id"] == xid(1149)  # the next crawl starts from the newest post


def test_x_since_id_refused_by_x_is_dropped_and_asked_again(tmp_path):
    fake = FakeX(first_429=False)
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    refused = str(snowflake(datetime.now(timezone.utc) - timedelta(days=2)))
    fake.refuse_since.add(refused)
    (state_dir / "x-x-bank.json").write_text(json.dumps({"since_id": refused}))
    with FakeServer(fake) as server:
        args = {"query": "แสงทอง", "base_url": server.url + "/2", "source": "x-bank", "state_dir": str(state_dir)}
        items, log, code = crawl("x", tmp_path / "1.jsonl", {"X_BEARER_TOKEN": "good-x-token"}, **args)
        calls = list(server.calls)
    assert calls[0].query["since_id"] == refused
    assert "since_id" not in calls[1].query and calls[1].query["start_time"].endswith("Z")
    assert code == 0 and not errors(log) and len(items) == 150
    warned = [line for line in log.splitlines() if "X refused since_id" in line]
    assert len(warned) == 1 and "dropped from the state" in warned[0] and "Invalid 'since_id'" in warned[0]
    assert x_state(state_dir) == {"since_id": xid(1149)}


def test_x_crawl_stopped_by_the_rate_limit_reads_on_next_crawl(tmp_path):
    fake = FakeX(first_429=False)
    fake.reset_in = 3600  # page 1 leaves no requests, and the reset is past max_wait
    state_dir = tmp_path / "state"
    with FakeServer(fake) as server:
        args = {"query": "แสงทอง", "base_url": server.url + "/2", "source": "x-bank", "state_dir": str(state_dir)}
        good = {"X_BEARER_TOKEN": "good-x-token"}
        first, log, _ = crawl("x", tmp_path / "1.jsonl", good, **args)
        assert len(first) == 100 and "next page next crawl" in log
        assert x_state(state_dir) == {"resume": {"next_token": xid(1050), "newest_id": xid(1149)}}  # no since_id yet
        # Between the crawls: two new posts, and the rate window opens again.
        fake.posts += [FakeX.post(1150), FakeX.post(1151)]
        fake.reset_in = 1
        server.calls.clear()
        second, log, code = crawl("x", tmp_path / "2.jsonl", good, **args)
        calls = list(server.calls)
    assert code == 0 and not errors(log)
    assert calls[0].query["next_token"] == xid(1050) and "since_id" not in calls[0].query  # where crawl 1 stopped
    assert calls[1].query["since_id"] == xid(1149) and "next_token" not in calls[1].query  # then what is new
    ids = [i["native_id"] for i in second]
    assert ids == [xid(n) for n in range(1049, 999, -1)] + [xid(1151), xid(1150)]  # nothing lost, nothing twice
    assert {i["native_id"] for i in first} | set(ids) == {xid(n) for n in range(1000, 1152)}
    assert x_state(state_dir) == {"since_id": xid(1151)}


# -- YouTube ---------------------------------------------------------------------------------
def yt_error(code: int, reason: str, message: str) -> Answer:
    return json_answer({"error": {"code": code, "message": message,
                                  "errors": [{"message": message, "domain": "youtube", "reason": reason}]}}, code)


class FakeYoutube:
    def __init__(self) -> None:
        self.threads: dict[str, list[dict[str, Any]]] = {
            "vid1": [self.thread("vid1", n, replies=2 if n % 10 == 0 else (7 if n == 55 else 0)) for n in range(120)],
            "vid3": [self.thread("vid3", n) for n in range(3)],
        }
        self.rate_limited_once = True
        self.replies: dict[str, int] = {}  # thread id -> how many replies comments.list pages through (else 7)
        self.failing_replies: set[str] = set()  # "<thread>@<pageToken>": that page answers 503
        self.refused_tokens: set[str] = set()  # page tokens answered invalidPageToken (once: expired)

    @staticmethod
    def comment(cid: str, text: str, minute: int, parent: str | None = None) -> dict[str, Any]:
        when = (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
        snippet = {"textDisplay": text, "textOriginal": text, "authorDisplayName": f"@ผู้ชม{minute}",
                   "likeCount": minute % 4, "publishedAt": when, "updatedAt": when}
        if parent:
            snippet["parentId"] = parent
        return {"kind": "youtube#comment", "id": cid, "snippet": snippet}

    def thread(self, vid: str, n: int, replies: int = 0) -> dict[str, Any]:
        top = self.comment(f"{vid}-c{n}", SAYINGS[n % 4] + f" ({n})", n)
        reps = [self.comment(f"{vid}-c{n}.r{r}", f"ตอบ: เห็นด้วยครับ {r}", n, parent=f"{vid}-c{n}") for r in range(replies)]
        body: dict[str, Any] = {"kind": "youtube#commentThread", "id": f"{vid}-c{n}",
                                "snippet": {"videoId": vid, "topLevelComment": top, "totalReplyCount": replies}}
        if reps:
            body["replies"] = {"comments": reps[:5]}
        return body

    def __call__(self, call: Call) -> Answer:
        if call.headers.get("x-goog-api-key") != "good-yt-key":
            return yt_error(400, "badRequest", "API key not valid. Please pass a valid API key.")
        path, q = call.path.split("?")[0], call.query
        if path.endswith("/channels"):
            return json_answer({"items": [{"id": "UCbank", "contentDetails": {"relatedPlaylists": {"uploads": "UUbank"}}}]})
        if path.endswith("/playlistItems"):
            return json_answer({"items": [
                {"snippet": {"title": "แสงทองแนะนำแอปใหม่", "description": "วิธีใช้แอปแสงทองเวอร์ชันใหม่",
                             "channelTitle": "ธนาคารแสงทอง", "channelId": "UCbank"},
                 "contentDetails": {"videoId": vid, "videoPublishedAt": "2026-11-19T10:00:00Z"}}
                for vid in ("vid1", "vid2")]})
        if q.get("pageToken") in self.refused_tokens:  # expired once; the token given afresh works
            self.refused_tokens.discard(q["pageToken"])
            return yt_error(400, "invalidPageToken", "The request specifies an invalid page token.")
        if path.endswith("/search"):
            if q.get("publishedAfter", "") >= "2026-11-20T00:00:00Z":  # vid3 is older: not listed again
                return json_answer({"items": []})
            return json_answer({"items": [{"id": {"kind": "youtube#video", "videoId": "vid3"},
                                           "snippet": {"title": "รีวิวแอปแสงทอง", "description": "รีวิวจากผู้ใช้จริง",
                                                       "channelTitle": "รีวิวไทย", "channelId": "UCrev",
                                                       "publishedAt": "2026-11-20T00:00:00Z"}}]})
        if path.endswith("/commentThreads"):
            vid = q["videoId"]
            if vid == "vid2":
                return yt_error(403, "commentsDisabled", "The video identified by the videoId parameter has disabled comments.")
            if vid == "vid1" and self.rate_limited_once:
                self.rate_limited_once = False
                return yt_error(403, "rateLimitExceeded", "The request cannot be completed because you have exceeded your rate limit.")
            newest_first = list(reversed(self.threads[vid]))
            start = int(q.get("pageToken", "0"))
            body: dict[str, Any] = {"items": newest_first[start : start + 100]}
            if start + 100 < len(newest_first):
                body["nextPageToken"] = str(start + 100)
            return json_answer(body)
        if path.endswith("/comments"):
            parent = q["parentId"]
            n = int(parent.rsplit("c", 1)[1])
            start = int(q.get("pageToken", "0"))
            if f"{parent}@{start}" in self.failing_replies:
                return Answer(503, "Service Unavailable", "text/plain")
            total = self.replies.get(parent, 7)
            page: dict[str, Any] = {"items": [self.comment(f"{parent}.r{r}", f"ตอบ: เห็นด้วยครับ {r}", n, parent=parent)
                                              for r in range(start, min(start + 100, total))]}
            if start + 100 < total:
                page["nextPageToken"] = str(start + 100)
            return json_answer(page)
        return yt_error(404, "notFound", "not found")


@pytest.fixture(scope="module")
def yt_runs(tmp_path_factory) -> Any:
    tmp = tmp_path_factory.mktemp("yt")
    fake = FakeYoutube()
    with FakeServer(fake) as server:
        args = {"channels": "UCbank", "search": "แอปแสงทอง", "base_url": server.url + "/youtube/v3", "source": "yt-bank",
                "state_dir": str(tmp / "state")}
        good = {"YOUTUBE_API_KEY": "good-yt-key"}
        first = crawl("youtube", tmp / "1.jsonl", good, **args)
        first_calls = list(server.calls)
        server.calls.clear()
        fake.threads["vid1"] += [fake.thread("vid1", 200), fake.thread("vid1", 201)]
        second = crawl("youtube", tmp / "2.jsonl", good, **args)
        second_calls = list(server.calls)
        quota = crawl("youtube", tmp / "3.jsonl", good, **{**args, "search": "", "daily_quota": "3",
                                                         "state_dir": str(tmp / "s3")})
        bad_key = crawl("youtube", tmp / "4.jsonl", {"YOUTUBE_API_KEY": "wrong"}, **{**args, "state_dir": str(tmp / "s4")})
        state = json.loads((tmp / "state" / "youtube-yt-bank.json").read_text(encoding="utf-8"))
        yield locals()


def test_youtube_videos_comments_and_replies(yt_runs):
    items, log, code = yt_runs["first"]
    assert code == 0, log
    kinds = [i["extras"]["kind"] for i in items]
    assert kinds.count("video") == 3  # two from the channel, one from the search
    vid1 = [i for i in items if i["extras"]["thread_id"] == "vid1" and i["extras"]["kind"] != "video"]
    # 120 threads on two pages; 12 threads with 2 replies; thread 55 with 7 replies (5 inline + comments.list)
    assert len([i for i in vid1 if i["extras"]["kind"] == "comment"]) == 120
    assert len({i["native_id"] for i in vid1 if i["extras"]["kind"] == "reply"}) == 12 * 2 + 7
    c7 = next(i for i in items if i["native_id"] == "vid1-c7")
    assert c7["text"] == "บัตรเดบิตแสงทองโดนตัดเงินซ้ำ ใครเป็นบ้าง (7)" and c7["published_at"] == "2026-11-20T01:07:00+00:00"
    assert c7["extras"]["thread_title"] == "แสงทองแนะนำแอปใหม่" and c7["author"] == "@ผู้ชม7"


def test_youtube_keeps_a_channel_id_only_for_its_own_channels(yt_runs):
    items, _, _ = yt_runs["first"]
    videos = {i["extras"]["thread_id"]: i for i in items if i["extras"]["kind"] == "video"}
    assert videos["vid1"]["extras"]["channel_id"] == "UCbank"  # the organisation's own (`channels:`)
    assert "channel_id" not in videos["vid3"]["extras"]  # a searched video's uploader: a person, maybe
    # its channel id comes only to be pseudonymised at ingest (never stored: see the namesakes test below)
    assert videos["vid3"]["author_account"] == "UCrev"
    assert not any("UCrev" in json.dumps({**i, "author_account": None}) for i in items)


def test_youtube_comments_disabled_is_a_warning_and_rate_limit_is_waited(yt_runs):
    _, log, _ = yt_runs["first"]
    assert not errors(log)
    assert "comments are turned off for this video" in log
    assert "'sadap/rate_limited': 1" in log
    assert all(c.headers.get("x-goog-api-key") == "good-yt-key" and "good-yt-key" not in c.path for c in yt_runs["first_calls"])


def test_youtube_quota_is_counted_and_kept(yt_runs):
    _, log, _ = yt_runs["first"]
    # channels 1 + playlistItems 1 + search 100 + commentThreads (vid1's 2 pages, vid2, vid3) 4 + comments 1;
    # the request asked again after the rate limit is not counted twice
    assert "'sadap/youtube/quota_units': 107" in log
    assert "'sadap/repeated'" not in log  # the five replies shown inline are not read twice
    items, log, _ = yt_runs["quota"]
    assert "daily quota budget of 3 units reached" in log and "'sadap/skipped/quota'" in log
    # 3 units: channels, playlistItems, then one page of 100 comment threads; nothing more asked
    assert len([i for i in items if i["extras"]["kind"] == "comment"]) == 100
    assert yt_runs["state"]["quota"]["used"] == 107 + 105  # both crawls of the day


def test_youtube_recrawl_reads_only_new_comments(yt_runs):
    items, log, _ = yt_runs["second"]
    assert sorted(i["native_id"] for i in items) == ["vid1-c200", "vid1-c201"]
    search = next(c for c in yt_runs["second_calls"] if c.path.startswith("/youtube/v3/search"))
    assert search.query["publishedAfter"].endswith("Z")
    threads = [c for c in yt_runs["second_calls"] if "videoId=vid1" in c.path]
    assert len(threads) == 1  # stopped at the first page: the rest was read before


def test_youtube_invalid_key_stops_with_one_line(yt_runs):
    items, log, _ = yt_runs["bad_key"]
    assert items == [] and len(errors(log)) == 1
    assert "YouTube refused the key or token (HTTP 400: API key not valid" in errors(log)[0]


def comment_ids(items: list[dict[str, Any]], vid: str, kind: str) -> set[str]:
    return {i["native_id"] for i in items if i["extras"]["thread_id"] == vid and i["extras"]["kind"] == kind}


def test_youtube_comments_the_quota_cut_off_are_read_next_crawl(tmp_path):
    fake = FakeYoutube()
    fake.rate_limited_once = False
    with FakeServer(fake) as server:
        args = {"channels": "UCbank", "base_url": server.url + "/youtube/v3", "source": "yt-bank"}
        good = {"YOUTUBE_API_KEY": "good-yt-key"}
        # 5 units: channels, playlistItems, vid1's and vid2's first pages, thread 55's replies; not vid1's page 2.
        first, log, _ = crawl("youtube", tmp_path / "1.jsonl", good, **args, state_dir=str(tmp_path / "s1"),
                              daily_quota="5")
        assert "daily quota budget of 5 units reached" in log
        state = json.loads((tmp_path / "s1" / "youtube-yt-bank.json").read_text(encoding="utf-8"))
        assert state["videos"]["vid1"]["newest"] == "" and state["videos"]["vid1"]["resume"]["pageToken"] == "100"
        server.calls.clear()
        second, log, code = crawl("youtube", tmp_path / "2.jsonl", good, **args, state_dir=str(tmp_path / "s1"))
        threads = [c.query.get("pageToken") for c in server.calls if "videoId=vid1" in c.path]
        # 4 units: channels, playlistItems, thread 55's replies; the quota cut off the first page of vid1.
        server.calls.clear()
        cut, _, _ = crawl("youtube", tmp_path / "3.jsonl", good, **args, state_dir=str(tmp_path / "s2"),
                          daily_quota="4")
        again, _, _ = crawl("youtube", tmp_path / "4.jsonl", good, **args, state_dir=str(tmp_path / "s2"))
    assert code == 0 and not errors(log)
    assert threads == ["100", None]  # where crawl 1 stopped, then the newest (nothing new: one page)
    assert comment_ids(first, "vid1", "comment") == {f"vid1-c{n}" for n in range(20, 120)}
    assert comment_ids(second, "vid1", "comment") == {f"vid1-c{n}" for n in range(20)}  # the 20 left, only them
    assert comment_ids(second, "vid1", "reply") == {f"vid1-c{n}.r{r}" for n in (0, 10) for r in range(2)}
    state = json.loads((tmp_path / "s1" / "youtube-yt-bank.json").read_text(encoding="utf-8"))
    assert state["videos"]["vid1"] == {"title": "แสงทองแนะนำแอปใหม่", "newest": "2026-11-20T02:59:00Z"}
    # Replies the quota refused: the page is read again (its comments are repeats, dropped by id).
    assert not {f"vid1-c55.r{r}" for r in range(7)} & comment_ids(cut, "vid1", "reply")
    assert {f"vid1-c55.r{r}" for r in range(7)} <= comment_ids(again, "vid1", "reply")
    assert comment_ids(cut, "vid1", "comment") | comment_ids(again, "vid1", "comment") == {
        f"vid1-c{n}" for n in range(120)}


def test_youtube_replies_a_failed_page_cut_off_are_read_next_crawl(tmp_path):
    fake = FakeYoutube()
    fake.rate_limited_once = False
    thread = fake.thread("vid1", 55, replies=250)  # 5 shown inline, all 250 from comments.list in three pages
    fake.threads["vid1"][55] = thread
    fake.replies["vid1-c55"] = 250
    fake.failing_replies.add("vid1-c55@100")
    with FakeServer(fake) as server:
        args = {"channels": "UCbank", "base_url": server.url + "/youtube/v3", "source": "yt-bank",
                "state_dir": str(tmp_path / "state")}
        good = {"YOUTUBE_API_KEY": "good-yt-key"}
        first, log, _ = crawl("youtube", tmp_path / "1.jsonl", good, **args)
        state = json.loads((tmp_path / "state" / "youtube-yt-bank.json").read_text(encoding="utf-8"))
        fake.failing_replies.clear()
        server.calls.clear()
        second, log2, code = crawl("youtube", tmp_path / "2.jsonl", good, **args)
        asked = [c.query.get("pageToken") for c in server.calls if "parentId=vid1-c55" in c.path]
    assert len(errors(log)) == 1 and "YouTube error: HTTP 503" in errors(log)[0]
    assert comment_ids(first, "vid1", "reply") >= {f"vid1-c55.r{r}" for r in range(100)}
    assert not comment_ids(first, "vid1", "reply") & {f"vid1-c55.r{r}" for r in range(100, 250)}
    assert state["videos"]["vid1"]["replies"] == {"vid1-c55": {"pageToken": "100", "before": ""}}
    assert code == 0 and not errors(log2)
    assert asked == ["100", "200"]  # on from the failed page; the threads themselves were all read
    assert comment_ids(second, "vid1", "reply") == {f"vid1-c55.r{r}" for r in range(100, 250)}
    state = json.loads((tmp_path / "state" / "youtube-yt-bank.json").read_text(encoding="utf-8"))
    assert "replies" not in state["videos"]["vid1"]


def test_youtube_saved_page_token_no_longer_accepted_reads_from_the_newest(tmp_path):
    fake = FakeYoutube()
    fake.rate_limited_once = False
    with FakeServer(fake) as server:
        args = {"channels": "UCbank", "base_url": server.url + "/youtube/v3", "source": "yt-bank",
                "state_dir": str(tmp_path / "state")}
        good = {"YOUTUBE_API_KEY": "good-yt-key"}
        first, _, _ = crawl("youtube", tmp_path / "1.jsonl", good, **args, daily_quota="5")  # page 2 cut off
        fake.refused_tokens.add("100")  # its token has expired by the next crawl
        server.calls.clear()
        second, log, code = crawl("youtube", tmp_path / "2.jsonl", good, **args)
        asked = [c.query.get("pageToken") for c in server.calls if "videoId=vid1" in c.path]
        third, log3, _ = crawl("youtube", tmp_path / "3.jsonl", good, **args)
    assert code == 0 and not errors(log), log
    assert "saved page of comments on video vid1 is no longer accepted" in log
    assert asked == ["100", None, "100"]  # the saved page refused; the newest, then on (a token just given)
    assert comment_ids(first, "vid1", "comment") | comment_ids(second, "vid1", "comment") == {
        f"vid1-c{n}" for n in range(120)}
    state = json.loads((tmp_path / "state" / "youtube-yt-bank.json").read_text(encoding="utf-8"))
    assert "resume" not in state["videos"]["vid1"] and state["videos"]["vid1"]["newest"] == "2026-11-20T02:59:00Z"
    assert "no longer accepted" not in log3 and not errors(log3)  # said once, not at every crawl


def test_youtube_searched_video_cut_off_is_read_on_though_no_search_lists_it_again(tmp_path):
    fake = FakeYoutube()
    fake.threads["vid3"] = [fake.thread("vid3", n) for n in range(150)]
    with FakeServer(fake) as server:
        args = {"search": "แอปแสงทอง", "base_url": server.url + "/youtube/v3", "source": "yt-search",
                "state_dir": str(tmp_path / "state")}
        good = {"YOUTUBE_API_KEY": "good-yt-key"}
        first, _, _ = crawl("youtube", tmp_path / "1.jsonl", good, **args, daily_quota="101")  # search + one page
        server.calls.clear()
        second, log, code = crawl("youtube", tmp_path / "2.jsonl", good, **args)
        searches = [c for c in server.calls if c.path.startswith("/youtube/v3/search")]
        fake.threads["vid3"].append(fake.thread("vid3", 300))  # a new comment on the video the search found
        third, _, _ = crawl("youtube", tmp_path / "3.jsonl", good, **args)
        fake.threads["vid3"].append(fake.thread("vid3", 301))
        time.sleep(2.5)
        later, _, _ = crawl("youtube", tmp_path / "4.jsonl", good, **args, comments_for="2s")
        recent, _, _ = crawl("youtube", tmp_path / "5.jsonl", good, **args)
    assert comment_ids(third, "vid3", "comment") == {"vid3-c300"}  # still read while the video is recent
    assert comment_ids(later, "vid3", "comment") == set()  # found longer ago than comments_for: not asked
    assert comment_ids(recent, "vid3", "comment") == {"vid3-c301"}
    assert code == 0 and not errors(log)
    assert searches and "publishedAfter" in searches[0].query  # the search no longer lists vid3
    assert comment_ids(first, "vid3", "comment") == {f"vid3-c{n}" for n in range(50, 150)}
    assert comment_ids(second, "vid3", "comment") == {f"vid3-c{n}" for n in range(50)}


def test_youtube_search_skipped_for_quota_does_not_move_last_search(tmp_path):
    fake = FakeYoutube()
    with FakeServer(fake) as server:
        args = {"search": "แอปแสงทอง", "base_url": server.url + "/youtube/v3", "source": "yt-search",
                "state_dir": str(tmp_path / "state")}
        good = {"YOUTUBE_API_KEY": "good-yt-key"}
        _, log, _ = crawl("youtube", tmp_path / "1.jsonl", good, **args, daily_quota="50")  # a search costs 100
        assert not server.paths("/youtube/v3/search") and "daily quota budget of 50 units reached" in log
        state = json.loads((tmp_path / "state" / "youtube-yt-search.json").read_text(encoding="utf-8"))
        assert "last_search" not in state
        items, _, _ = crawl("youtube", tmp_path / "2.jsonl", good, **args)
        (search,) = [c for c in server.calls if c.path.startswith("/youtube/v3/search")]
    assert "publishedAfter" not in search.query  # not after a search that was never made
    assert [i["native_id"] for i in items if i["extras"]["kind"] == "video"] == ["video:vid3"]
    state = json.loads((tmp_path / "state" / "youtube-yt-search.json").read_text(encoding="utf-8"))
    assert state["last_search"].endswith("Z")  # made and answered: the next search asks for what is newer


# -- Facebook Pages -----------------------------------------------------------------------
class FakeGraph:
    def __init__(self) -> None:
        now = datetime.now(timezone.utc).replace(microsecond=0)
        self.now = now
        self.comments: dict[str, list[dict[str, Any]]] = {
            "111_1": [self.comment("111_1", n, now - timedelta(hours=5) + timedelta(minutes=n)) for n in range(3)],
            "111_2": [self.comment("111_2", n, now - timedelta(hours=3) + timedelta(seconds=n)) for n in range(120)],
        }
        self.comments["111_1"][2]["parent"] = {"id": "111_1_c0"}
        self.rate_limited_once = True
        self.transient_once = True  # the first comments request: Graph's temporary error (code 2)
        self.failing: dict[str, Answer] = {}  # "<post>" or "<post>/after": what that page answers instead
        self.once: set[str] = set()  # keys of `failing` that answer so only once

    @staticmethod
    def comment(pid: str, n: int, when: datetime) -> dict[str, Any]:
        return {"id": f"{pid}_c{n}", "message": SAYINGS[n % 4] + f" ({n})",
                "created_time": when.strftime("%Y-%m-%dT%H:%M:%S+0000"), "from": {"id": str(n), "name": f"ผู้ติดตาม {n}"},
                "like_count": n % 3, "comment_count": 0, "permalink_url": f"https://www.facebook.com/{pid}?comment_id={n}"}

    def __call__(self, call: Call) -> Answer:
        if call.headers.get("authorization") != "Bearer good-page-token":
            return json_answer({"error": {"message": "Error validating access token: Session has expired on Friday, "
                                          "20-Nov-26 10:00:00 PST.", "type": "OAuthException", "code": 190,
                                          "error_subcode": 463, "fbtrace_id": "AbCdEf"}}, 400)
        path, q = call.path.split("?")[0], call.query
        base = "http://" + call.headers["host"] + "/v21.0"
        if path == "/v21.0/sangthong/posts":
            if self.rate_limited_once:
                self.rate_limited_once = False
                usage = json.dumps({"111": [{"type": "pages", "call_count": 100, "total_cputime": 20, "total_time": 20,
                                             "estimated_time_to_regain_access": 0}]})
                return json_answer({"error": {"message": "(#32) Page request limit reached", "type": "OAuthException",
                                              "code": 32, "fbtrace_id": "x"}}, 403, {"X-Business-Use-Case-Usage": usage})
            posts = [
                {"id": "111_1", "message": "ประกาศ: แอปแสงทองปิดปรับปรุงคืนนี้ 23:00-02:00 น.",
                 "created_time": (self.now - timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%S+0000"),
                 "permalink_url": "https://www.facebook.com/sangthong/posts/1", "shares": {"count": 4},
                 "comments": {"data": [], "summary": {"total_count": 3}}, "reactions": {"data": [], "summary": {"total_count": 25}}},
                {"id": "111_2", "message": "โปรโมชันบัตรเครดิตแสงทอง ผ่อน 0% นาน 10 เดือน",
                 "created_time": (self.now - timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%S+0000"),
                 "permalink_url": "javascript:alert(1)"},
            ]
            return json_answer({"data": posts, "paging": {"cursors": {"before": "a", "after": "b"}}})
        pid = path.split("/")[2]
        if path.endswith("/comments") and self.transient_once:
            self.transient_once = False
            return json_answer({"error": {"message": "An unexpected error has occurred. Please retry your request "
                                          "later.", "type": "OAuthException", "is_transient": True, "code": 2,
                                          "fbtrace_id": "A1"}}, 500)
        key = f"{pid}/after" if "after" in q else pid
        failing = self.failing.get(key)
        if failing and key in self.once:
            del self.failing[key]
        if path.endswith("/comments") and failing:
            return failing
        if path.endswith("/comments") and pid in self.comments:
            newest_first = sorted(self.comments[pid], key=lambda c: c["created_time"], reverse=True)
            start = int(q.get("after", "0"))
            body: dict[str, Any] = {"data": newest_first[start : start + 100], "paging": {"cursors": {}}}
            if start + 100 < len(newest_first):
                body["paging"]["next"] = f"{base}/{pid}/comments?access_token=SECRET-IN-URL&limit=100&after={start + 100}"
            return json_answer(body)
        return json_answer({"error": {"message": "Unsupported get request.", "type": "GraphMethodException", "code": 100}}, 400)


@pytest.fixture(scope="module")
def fb_runs(tmp_path_factory) -> Any:
    tmp = tmp_path_factory.mktemp("fb")
    fake = FakeGraph()
    with FakeServer(fake) as server:
        args = {"page_id": "sangthong", "base_url": server.url, "source": "fb-bank", "state_dir": str(tmp / "state")}
        good = {"FACEBOOK_PAGE_TOKEN": "good-page-token"}
        first = crawl("facebook_page", tmp / "1.jsonl", good, **args)
        first_calls = list(server.calls)
        fake.comments["111_1"].append(fake.comment("111_1", 9, fake.now - timedelta(minutes=1)))
        second = crawl("facebook_page", tmp / "2.jsonl", good, **args)
        expired = crawl("facebook_page", tmp / "3.jsonl", {"FACEBOOK_PAGE_TOKEN": "old"}, **{**args, "state_dir": str(tmp / "s3")})
        yield locals()


def test_facebook_posts_comments_and_replies(fb_runs):
    items, log, code = fb_runs["first"]
    assert code == 0 and not errors(log), log
    post = next(i for i in items if i["native_id"] == "111_1")
    assert post["text"] == "ประกาศ: แอปแสงทองปิดปรับปรุงคืนนี้ 23:00-02:00 น."
    assert post["engagement"] == {"likes": 25, "shares": 4, "comments": 3}
    assert next(i for i in items if i["native_id"] == "111_2").get("url") is None  # not an http(s) link
    comments = [i for i in items if i["extras"]["kind"] in ("comment", "reply")]
    assert len(comments) == 123  # 3 + 120 over two pages
    reply = next(i for i in items if i["native_id"] == "111_1_c2")
    assert reply["extras"] == {"thread_id": "111_1", "thread_title": post["text"], "kind": "reply", "parent_id": "111_1_c0"}
    assert reply["author"] == "ผู้ติดตาม 2"


def test_facebook_token_only_in_the_header_and_rate_limit_waited(fb_runs):
    calls = fb_runs["first_calls"]
    assert all("access_token" not in c.path and c.headers["authorization"] == "Bearer good-page-token" for c in calls)
    assert any("after=100" in c.path for c in calls)  # paging.next followed, its token removed
    assert "'sadap/rate_limited': 1" in fb_runs["first"][1]
    # Graph's temporary error (code 2, typed OAuthException): waited and asked again, not a refused token
    assert "'sadap/temporary_errors': 1" in fb_runs["first"][1] and "refused" not in fb_runs["first"][1]


def test_facebook_recrawl_reads_only_new_comments(fb_runs):
    items, _, _ = fb_runs["second"]
    assert [i["native_id"] for i in items] == ["111_1_c9"]


def test_facebook_expired_token_is_one_line(fb_runs):
    items, log, _ = fb_runs["expired"]
    assert items == [] and len(errors(log)) == 1
    assert "Session has expired" in errors(log)[0] and "OAuthException 190/463" in errors(log)[0]


def test_facebook_failed_comment_page_is_read_next_crawl_and_other_errors_go_on(tmp_path):
    fake = FakeGraph()
    fake.rate_limited_once = fake.transient_once = False
    # A permission error (an OAuthException with its own code) on one post; a server error on the next page of another.
    fake.failing["111_1"] = json_answer({"error": {"message": "(#10) Application does not have permission for this "
                                                   "action", "type": "OAuthException", "code": 10}}, 403)
    fake.failing["111_2/after"] = Answer(503, "Service Unavailable", "text/plain")
    with FakeServer(fake) as server:
        args = {"page_id": "sangthong", "base_url": server.url, "source": "fb-bank",
                "state_dir": str(tmp_path / "state")}
        good = {"FACEBOOK_PAGE_TOKEN": "good-page-token"}
        first, log, code = crawl("facebook_page", tmp_path / "1.jsonl", good, **args)
        fake.failing.clear()
        server.calls.clear()
        second, log2, _ = crawl("facebook_page", tmp_path / "2.jsonl", good, **args)
        calls = [c.path for c in server.calls if "/comments" in c.path]
    assert code == 0 and "'finish_reason': 'finished'" in log  # neither stopped the source
    assert len(errors(log)) == 2 and not any("?" in line for line in errors(log))  # one line each, no query string
    assert "does not have permission" in log and "Facebook error: HTTP 503" in log
    read = {i["native_id"] for i in first if i["extras"]["kind"] == "comment"}
    assert read == {f"111_2_c{n}" for n in range(20, 120)}
    got = sorted(i["native_id"] for i in second if i["extras"]["kind"] in ("comment", "reply"))
    # only what was not read
    assert got == sorted([f"111_1_c{n}" for n in range(3)] + [f"111_2_c{n}" for n in range(20)])
    assert any("111_2/comments" in c and "after=100" in c and "access_token" not in c for c in calls)
    state = json.loads((tmp_path / "state" / "facebook_page-fb-bank.json").read_text(encoding="utf-8"))
    assert "resume" not in state["posts"]["111_2"] and "SECRET-IN-URL" not in json.dumps(state)


def test_facebook_saved_cursor_no_longer_accepted_reads_from_the_newest(tmp_path):
    fake = FakeGraph()
    fake.rate_limited_once = fake.transient_once = False
    fake.failing["111_2/after"] = Answer(503, "Service Unavailable", "text/plain")
    with FakeServer(fake) as server:
        args = {"page_id": "sangthong", "base_url": server.url, "source": "fb-bank",
                "state_dir": str(tmp_path / "state")}
        good = {"FACEBOOK_PAGE_TOKEN": "good-page-token"}
        first, _, _ = crawl("facebook_page", tmp_path / "1.jsonl", good, **args)
        # By the next crawl the saved cursor has expired: Graph refuses it, once.
        fake.failing["111_2/after"] = json_answer({"error": {"message": "(#2642) Invalid cursors values",
                                                             "type": "OAuthException", "code": 2642}}, 400)
        fake.once.add("111_2/after")
        server.calls.clear()
        second, log, code = crawl("facebook_page", tmp_path / "2.jsonl", good, **args)
        calls = [c.path for c in server.calls if "111_2/comments" in c.path]
        fake.failing.clear()
        third, log3, _ = crawl("facebook_page", tmp_path / "3.jsonl", good, **args)
    assert code == 0 and not errors(log), log
    assert "saved page of comments on post 111_2 is no longer accepted ((#2642) Invalid cursors values" in log
    # refused, then the newest, and on (with a cursor just given)
    assert len(calls) == 3 and "after=100" in calls[0] and "after" not in calls[1] and "after=100" in calls[2]
    state = json.loads((tmp_path / "state" / "facebook_page-fb-bank.json").read_text(encoding="utf-8"))
    assert "resume" not in state["posts"]["111_2"]  # not asked again, and no error at every crawl
    assert not errors(log3) and "no longer accepted" not in log3
    assert {i["native_id"] for i in first if i["extras"]["kind"] == "comment" and i["extras"]["thread_id"] == "111_2"} \
        == {f"111_2_c{n}" for n in range(20, 120)}
    assert {i["native_id"] for i in second if i["extras"]["thread_id"] == "111_2"} >= {f"111_2_c{n}" for n in range(20)}


# -- keys at start-up -----------------------------------------------------------------------
def test_check_names_the_missing_variable(monkeypatch):
    monkeypatch.delenv("YOUTUBE_API_KEY", raising=False)
    options = source_config(name="yt", kind="youtube", channels=["UCbank"])
    with pytest.raises(ConfigError, match=r"source 'yt' \(youtube\): environment variable YOUTUBE_API_KEY is not set"):
        options.check()
    monkeypatch.setenv("YOUTUBE_API_KEY", "k")
    options.check()
    with pytest.raises(ValueError, match="channels or a search"):
        source_config(name="yt", kind="youtube")
    with pytest.raises(ValueError, match="v21.0"):
        source_config(name="fb", kind="facebook_page", page_id="1", api_version="21")


def test_crawl_skips_a_source_without_its_key_with_one_line(monkeypatch, caplog, tmp_path):
    from sadap.app.config import Config
    from sadap.app.crawl import crawl as run_crawl
    from sadap.app.crawl_reports import load_reports

    monkeypatch.chdir(tmp_path)  # Config()'s data_dir is relative to here

    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    source = source_config(name="x-bank", kind="x", query="แสงทอง")
    with caplog.at_level("ERROR"):
        results = run_crawl(Config(), [source])  # returns before the reactor: nothing else to crawl
    assert results["x-bank"]["errors"] == 1 and results["x-bank"]["items"] == 0
    assert [r.getMessage() for r in caplog.records] == [
        "source 'x-bank' (x): environment variable X_BEARER_TOKEN is not set (bearer_token_env); "
        "see docs/crawlers.md for how to get the key"
    ]
    from sadap.store import open_store

    with open_store(Config()) as store:
        report = load_reports(store)["x-bank"]  # the Sources page says why
    assert report["errors"] == 1 and "X_BEARER_TOKEN is not set" in report["first_error"]


# -- who the author is: the account, where the platform gives its id -----------------------------
def _stored(tmp_path: Path, items: list[dict[str, Any]]) -> tuple[Any, dict[str, Any]]:
    """The crawled items ingested into a fresh SQLite store (author names not kept: the default)."""
    from crawlers.pipelines import raw_mention
    from sadap.app.config import load_config_file
    from sadap.app.ingest import IngestPipeline
    from sadap.store import MentionFilter, open_store

    (tmp_path / "sadap.yaml").write_text("data_dir: data\nrules: []\nnotifiers: []\n", encoding="utf-8")
    config = load_config_file(tmp_path / "sadap.yaml")
    pipeline = IngestPipeline(config, alerts=False)
    try:
        pipeline.process([raw_mention(i) for i in items])
    finally:
        pipeline.close()
    with open_store(config) as store:
        return config, {m.native_id: m for m in store.search(MentionFilter(), limit=100)}


def test_youtube_authors_are_their_channels_so_namesakes_stay_apart_and_renames_keep_them(tmp_path):
    def comment(cid: str, name: str, channel: str | None, text: str) -> dict[str, Any]:
        snippet: dict[str, Any] = {"textDisplay": text, "textOriginal": text, "authorDisplayName": name,
                                   "publishedAt": "2026-11-20T02:00:00Z", "updatedAt": "2026-11-20T02:00:00Z"}
        if channel:
            snippet["authorChannelId"] = {"value": channel}
        return {"kind": "youtube#commentThread", "id": cid, "snippet": {
            "videoId": "vidA", "totalReplyCount": 0, "topLevelComment": {"kind": "youtube#comment", "id": cid, "snippet": snippet}}}

    # Two channels both called สมชาย ใจดี upload; two viewers both shown as สมชาย comment, and the
    # first renames himself; a comment whose channel the API did not give keeps its name.
    threads = [comment("c1", "สมชาย", "UCviewerOne", "แอปแสงทองล่มอีกแล้ว"), comment("c2", "สมชาย", "UCviewerTwo", "ขอบคุณแสงทองครับ"),
               comment("c3", "@somchai_new", "UCviewerOne", "ยังโอนเงินไม่ได้เลย"), comment("c4", "ผู้ชมเก่า", None, "รอคิวนานมาก")]
    videos = [{"id": {"kind": "youtube#video", "videoId": vid}, "snippet": {
        "title": f"รีวิวแอปแสงทอง {vid}", "description": "รีวิวจากผู้ใช้จริง", "channelTitle": "สมชาย ใจดี",
        "channelId": channel, "publishedAt": "2026-11-20T00:00:00Z"}} for vid, channel in (("vidA", "UCuploaderOne"),
                                                                                        ("vidB", "UCuploaderTwo"))]

    def site(call: Call) -> Answer:
        path = call.path.split("?")[0]
        if path.endswith("/search"):
            return json_answer({"items": videos})
        if path.endswith("/commentThreads"):
            return json_answer({"items": threads if call.query["videoId"] == "vidA" else []})
        return yt_error(404, "notFound", "not found")

    with FakeServer(site) as server:
        items, log, code = crawl("youtube", tmp_path / "yt.jsonl", {"YOUTUBE_API_KEY": "k"}, search="แอปแสงทอง",
                                 base_url=server.url + "/youtube/v3", source="yt", state_dir=str(tmp_path / "state"))
    assert code == 0 and not errors(log) and len(items) == 6, log[-2000:]
    config, stored = _stored(tmp_path, items)
    author = {n: m.author_id for n, m in stored.items()}
    assert author["video:vidA"] != author["video:vidB"]  # namesakes: two channels, two people
    assert author["c1"] != author["c2"] and author["c1"] == author["c3"]  # the rename kept his pseudonym
    assert author["c4"] is not None and len(set(author.values())) == 5
    dumped = "".join(m.model_dump_json() for m in stored.values())
    assert "UCviewer" not in dumped and "UCuploader" not in dumped and "สมชาย" not in dumped

    from sadap.app import privacy as pdpa
    from sadap.store import open_store

    with open_store(config) as store:  # erasure by the channel id finds his comments under both names
        assert sorted(pdpa.select(config, store, author="UCviewerOne").ids) == sorted([stored["c1"].id, stored["c3"].id])
        assert pdpa.select(config, store, author="ผู้ชมเก่า").ids == [stored["c4"].id]


def test_facebook_comment_authors_are_their_user_ids_where_the_token_sees_them(tmp_path):
    now = datetime.now(timezone.utc).replace(microsecond=0)

    def comment(n: int, sender: dict[str, Any] | None) -> dict[str, Any]:
        body = {"id": f"111_9_c{n}", "message": SAYINGS[n % 4], "permalink_url": f"https://www.facebook.com/111_9?comment_id={n}",
                "created_time": (now - timedelta(minutes=10 - n)).strftime("%Y-%m-%dT%H:%M:%S+0000")}
        return {**body, "from": sender} if sender is not None else body

    # สมชาย ใจดี twice (two people), the first again after renaming, a name without an id, no sender at all
    comments = [comment(0, {"id": "1001", "name": "สมชาย ใจดี"}), comment(1, {"id": "1002", "name": "สมชาย ใจดี"}),
                comment(2, {"id": "1001", "name": "สมชาย ใจดีมาก"}), comment(3, {"name": "ผู้ติดตามเก่า"}), comment(4, None)]
    post = {"id": "111_9", "message": "ประกาศ: แอปแสงทองปิดปรับปรุงคืนนี้", "permalink_url": "https://www.facebook.com/sangthong/posts/9",
            "created_time": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+0000")}

    def site(call: Call) -> Answer:
        path = call.path.split("?")[0]
        if path.endswith("/posts"):
            return json_answer({"data": [post], "paging": {"cursors": {}}})
        return json_answer({"data": list(reversed(comments)), "paging": {"cursors": {}}})

    with FakeServer(site) as server:
        items, log, code = crawl("facebook_page", tmp_path / "fb.jsonl", {"FACEBOOK_PAGE_TOKEN": "t"}, page_id="sangthong",
                                 base_url=server.url, source="fb", state_dir=str(tmp_path / "state"))
    assert code == 0 and not errors(log) and len(items) == 6, log[-2000:]
    config, stored = _stored(tmp_path, items)
    author = {n: m.author_id for n, m in stored.items()}
    assert author["111_9_c0"] != author["111_9_c1"] and author["111_9_c0"] == author["111_9_c2"]
    assert author["111_9_c3"] is not None and author["111_9_c4"] is None
    dumped = "".join(m.model_dump_json() for m in stored.values())
    assert "1001" not in dumped and "สมชาย" not in dumped

    from sadap.app import privacy as pdpa
    from sadap.store import open_store

    with open_store(config) as store:  # the person cannot tell their user id: the pseudonym the workspace shows will do
        assert sorted(pdpa.select(config, store, author=author["111_9_c0"]).ids) == sorted(
            [stored["111_9_c0"].id, stored["111_9_c2"].id])
        assert pdpa.select(config, store, author="สมชาย ใจดี").ids == []  # a shared name finds no one
