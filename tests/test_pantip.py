"""The Pantip spider against a local server answering in Pantip's shapes (tests/fake_pantip.py):
topics, 100-comment pages behind a BOM, replies, 429s, broken JSON, rooms, tags, search, and
re-crawls that fetch only what is new."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sadap.app.sources import source_config
from tests.fake_pantip import FakePantip, standard_site

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_TIMEOUT=10", "-s", "RETRY_TIMES=0"]
ROOT = Path(__file__).resolve().parents[1]


def run_spider(out: Path, **args: str) -> tuple[list[dict[str, Any]], str]:
    command = [sys.executable, "-m", "scrapy", "crawl", "pantip", "-O", str(out), *FAST]
    for key, value in args.items():
        command += ["-a", f"{key}={value}"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    return items, done.stderr


@pytest.fixture(scope="module")
def pantip(tmp_path_factory) -> Any:
    tmp = tmp_path_factory.mktemp("pantip")
    with FakePantip() as fake:
        standard_site(fake)
        fake.rate_limit["/forum/topic/render_comments?tid=43120002"] = 1
        state = tmp / "state"
        first, first_log = run_spider(
            tmp / "first.jsonl", base_url=fake.url, source="pantip-test", state_dir=str(state),
            topics=f"43120001,{fake.url}/topic/43120002,43120003",
        )
        first_requests = list(fake.requests)
        fake.requests.clear()
        fake.add_comments(43120001, 5, replies_every=2)
        second, second_log = run_spider(
            tmp / "second.jsonl", base_url=fake.url, source="pantip-test", state_dir=str(state),
            topics="43120001,43120002",
        )
        second_requests = list(fake.requests)
        fake.requests.clear()
        listed, listed_log = run_spider(
            tmp / "listed.jsonl", base_url=fake.url, source="pantip-rooms", rooms="sinthorn", tags="ธนาคาร",
            search="บัตรเครดิต",
        )
        listed_requests = list(fake.requests)
        yield {
            "first": first, "first_log": first_log, "first_requests": first_requests,
            "second": second, "second_log": second_log, "second_requests": second_requests,
            "listed": listed, "listed_log": listed_log, "listed_requests": listed_requests,
            "state": state, "url": fake.url,
        }


def by_id(items: list[dict[str, Any]], native_id: str) -> dict[str, Any]:
    found = [item for item in items if item.get("native_id") == native_id]
    assert len(found) == 1, native_id
    return found[0]


def test_topic_page_becomes_the_opening_post(pantip):
    post = by_id(pantip["first"], "43120001")
    assert post["source_kind"] == "pantip" and post["source_name"] == "pantip-test"
    assert post["title"] == "แอปธนาคารแสงทองล่มอีกแล้ว โอนเงินไม่ได้ตั้งแต่เช้า"
    assert post["text"] == "เช้านี้เปิดแอป แสงทอง ไม่ได้เลยค่ะ\nโอนเงินค่าเช่าบ้านไม่ได้ ใครเป็นเหมือนกันบ้าง"
    assert post["author"] == "ลูกค้าผู้เดือดร้อน"
    assert post["published_at"] == "2026-11-20T01:00:00+00:00"  # 08:00 Bangkok
    assert post["extras"] == {"thread_id": "43120001", "kind": "post", "tags": ["ธนาคาร", "แอปพลิเคชันมือถือ"]}
    assert post["url"] == pantip["url"] + "/topic/43120001"


def test_every_comment_and_reply_on_every_page_is_a_mention_of_its_topic(pantip):
    items = [i for i in pantip["first"] if i["extras"]["thread_id"] == "43120001"]
    comments = [i for i in items if i["extras"]["kind"] == "comment"]
    replies = [i for i in items if i["extras"]["kind"] == "reply"]
    assert len(comments) == 150  # two pages of comments
    assert len(replies) == 30  # two replies under every tenth comment
    seventh = by_id(items, "43120001#7")
    assert seventh["text"] == "โอนเงินค้างไปตั้งแต่เช้า เงินตัดแล้วแต่ปลายทางยังไม่ได้รับ (ความเห็นที่ 7)"
    assert seventh["author"] == "สมาชิกหมายเลข 1007"
    assert seventh["extras"]["thread_title"] == "แอปธนาคารแสงทองล่มอีกแล้ว โอนเงินไม่ได้ตั้งแต่เช้า"
    assert seventh["engagement"]["likes"] == 2
    # comment 7 has created_time (epoch); comment 8 only data_utime (MM/DD/YYYY, Bangkok time)
    assert seventh["published_at"] == "2026-11-20T01:07:00+00:00"
    assert by_id(items, "43120001#8")["published_at"] == "2026-11-20T01:08:00+00:00"
    reply = by_id(items, "43120001#120.2")
    assert reply["text"] == "ตอบกลับความเห็นที่ 120: เจอเหมือนกันครับ รอบที่ 2"
    assert reply["extras"]["comment_no"] == 120 and reply["extras"]["thread_id"] == "43120001"
    assert reply["published_at"] == "2026-11-20T03:01:00+00:00"


def test_comment_requests_carry_the_ajax_header(pantip):
    calls = [(path, headers) for path, headers in pantip["first_requests"] if "render_comments" in path]
    assert calls and all(h.get("x-requested-with") == "XMLHttpRequest" for _, h in calls)
    pages = sorted(path for path, _ in calls if "tid=43120001" in path)
    assert [p.split("param=")[1].split("&")[0] for p in pages] == ["page1", "page2"]


def test_429_is_waited_out_and_asked_again(pantip):
    calls = [p for p, _ in pantip["first_requests"] if p.startswith("/forum/topic/render_comments?tid=43120002")]
    assert len(calls) == 2
    assert len([i for i in pantip["first"] if i["extras"]["thread_id"] == "43120002"]) == 4  # post + 3 comments
    assert "'sadap/rate_limited': 1" in pantip["first_log"]


def test_broken_comment_json_is_one_error_line_and_keeps_the_post(pantip):
    lines = [line for line in pantip["first_log"].splitlines() if " ERROR: " in line]
    assert len(lines) == 1 and "tid=43120003" in lines[0] and "invalid JSON" in lines[0]
    assert by_id(pantip["first"], "43120003")["title"] == "สาขาแสงทองปิดปรับปรุงหรือเปล่า"
    assert "'sadap/feed_errors': 1" in pantip["first_log"]


def test_recrawl_fetches_only_what_is_new(pantip):
    ids = sorted(item["native_id"] for item in pantip["second"])
    assert ids == sorted(
        ["43120001#151", "43120001#152", "43120001#153", "43120001#154", "43120001#155"]
        + ["43120001#152.1", "43120001#152.2", "43120001#154.1", "43120001#154.2"]
    )
    paths = [p for p, _ in pantip["second_requests"]]
    assert not [p for p in paths if p.startswith("/topic/")]  # known topics: no page fetched again
    assert [p for p in paths if "tid=43120001" in p] == [
        "/forum/topic/render_comments?tid=43120001&param=page2&type=3"
    ]
    assert by_id(pantip["second"], "43120001#151")["extras"]["thread_title"].startswith("แอปธนาคารแสงทอง")
    state = json.loads((pantip["state"] / "pantip-pantip-test.json").read_text(encoding="utf-8"))
    assert state["topics"]["43120001"]["last"] == 155


def test_rooms_tags_and_search_list_topics(pantip):
    posts = sorted(i["native_id"] for i in pantip["listed"] if i["extras"]["kind"] == "post")
    assert posts == ["43120001", "43120002", "43120003"]  # each once, though listed in several places
    paths = [p for p, _ in pantip["listed_requests"]]
    assert "/forum/sinthorn?page=2" in paths  # the room's next page was followed
    assert "/search?q=บัตรเครดิต" in paths
    assert "/topic/99999999" not in paths  # links outside the topic list are not topics


def test_options_validate_and_reach_the_spider():
    options = source_config(name="pantip-bank", kind="pantip", rooms=["sinthorn"], search=["แสงทอง ล่ม"])
    assert options.spider_arguments()["rooms"] == ["sinthorn"]
    assert options.spider_arguments()["base_url"] == "https://pantip.com"
    with pytest.raises(ValueError, match="at least one of topics"):
        source_config(name="pantip-empty", kind="pantip")
    with pytest.raises(ValueError, match="http"):
        source_config(name="pantip-file", kind="pantip", topics=["1"], base_url="file:///etc")


@pytest.mark.slow
def test_sadap_crawl_stores_pantip_into_sqlite_incrementally(tmp_path):
    """`sadap crawl` end to end: a real config and SQLite store; the state lives in
    <data_dir>/crawl-state; the second crawl stores only the new comments."""
    from sadap.app.config import load_config_file
    from sadap.store import MentionFilter, open_store

    with FakePantip() as fake:
        standard_site(fake)
        (tmp_path / "sadap.yaml").write_text(
            "data_dir: data\nwatch:\n  - name: ธนาคารแสงทอง\n    aliases: [แสงทอง]\nrules: []\nnotifiers: []\n"
            "sources:\n  - name: pantip-bank\n    kind: pantip\n"
            f"    base_url: {fake.url}\n    topics: ['43120002']\n",
            encoding="utf-8",
        )
        command = [sys.executable, "-m", "sadap", "crawl", "pantip-bank", "--config", str(tmp_path / "sadap.yaml")]
        first = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert first.returncode == 0, first.stderr[-2000:]
        assert "pantip-bank: items 4 · new 4" in first.stdout
        fake.add_comments(43120002, 2)
        second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert "pantip-bank: items 2 · new 2" in second.stdout, second.stdout + second.stderr[-2000:]
    assert (tmp_path / "data" / "crawl-state" / "pantip-pantip-bank.json").is_file()
    config = load_config_file(tmp_path / "sadap.yaml")
    with open_store(config) as store:
        mentions = store.search(MentionFilter(source_kinds=("pantip",)), limit=20)
        assert len(mentions) == 6
        comment = next(m for m in mentions if m.native_id == "43120002#5")
        assert comment.extras["thread_title"] == "รีวิวบัตรเครดิตแสงทอง ใช้มาหนึ่งปี"
        # the comment does not name the bank; it inherits the topic's entity, as forum comments do
        assert "แสงทอง" not in comment.text and "ธนาคารแสงทอง" in comment.entities
