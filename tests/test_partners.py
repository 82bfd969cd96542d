"""The partner news network: masked feeds read with a partner's token (JSON Feed and Atom,
signed), the sharing audit, signed webhook pushes that resume where they stopped, and a
partner's feed read back in by the ``partner_feed`` spider (refused when tampered with)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import feedparser
import pytest
from starlette.testclient import TestClient

from sadap.app.config import Config, load_config_file
from sadap.app.partners import push
from sadap.app.web import create_app
from sadap.app.web.auth import add_user
from sadap.core.errors import ConfigError, NotifyError
from sadap.core.incident import Incident
from sadap.core.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, check_signature, signed_headers
from sadap.core.timeutil import now_utc
from sadap.store import open_store
from tests.factories import ENTITY, mention
from tests.fake_http import Answer, FakeServer
from tests.web_support import csrf_of

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "ptn-" + "k" * 28
OTHER = "ธนาคารทองคำ"
TEXTS = [
    ("แอปธนาคารแสงทองล่มอีกแล้ว โทรหา 081 234 5678 ก็ไม่มีคนรับ", "neg", (ENTITY,)),
    ("ขอบคุณธนาคารแสงทองที่ช่วยชุมชนปลูกป่าชายเลน ติดต่อ somchai@example.com", "pos", (ENTITY,)),
    ("ธนาคารทองคำเปิดสาขาใหม่ที่เชียงใหม่", "neu", (OTHER,)),
]


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.setenv("MCOT_TOKEN", TOKEN)
    config = Config.model_validate({
        "data_dir": str(tmp_path / "data"),
        "partners": [
            {"name": "mcot", "title": "อสมท", "token_env": "MCOT_TOKEN", "entities": [ENTITY], "min_severity": "P2"},
            {"name": "unset", "token_env": "SADAP_TEST_UNSET_TOKEN"},
        ],
    })
    store = open_store(config)
    now = now_utc()
    store.upsert([mention(i, text, label, now - timedelta(hours=5 - i), entities=ents, author=f"คุณสมชาย{i}")
                  for i, (text, label, ents) in enumerate(TEXTS)])
    store.save_incident(Incident(playbook="service-outage", rule="outage", key=ENTITY, severity="P2",
                                 title="แอปธนาคารแสงทองล่ม", opened_at=now - timedelta(hours=1),
                                 updated_at=now - timedelta(hours=1)))
    store.save_incident(Incident(playbook="rumour-fake-news", rule="rumour", key=ENTITY, severity="P4",
                                 title="ข่าวลือเล็กน้อย", opened_at=now - timedelta(hours=1),
                                 updated_at=now - timedelta(hours=1)))
    yield config, store
    store.close()


def client(setup):
    config, store = setup
    return TestClient(create_app(config, store), base_url="http://127.0.0.1")


def test_feed_needs_the_partners_token(setup):
    c = client(setup)
    assert c.get("/partners/mcot/feed.json").status_code == 401
    assert c.get("/partners/mcot/feed.json", headers={"authorization": "Bearer wrong-token-wrong"}).status_code == 401
    assert c.get("/partners/nobody/feed.json", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 401
    # A partner whose token is not set in the environment can never be read, even with an empty one.
    assert c.get("/partners/unset/feed.json", headers={"authorization": "Bearer "}).status_code == 401
    assert c.get("/partners/mcot/feed.json", headers={"authorization": "Bearer ทดสอบ".encode()}).status_code == 401
    assert setup[1].shares() == []


def test_json_feed_is_masked_filtered_signed_and_audited(setup):
    config, store = setup
    r = client(setup).get("/partners/mcot/feed.json", headers={"authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/feed+json")
    assert check_signature(TOKEN, r.content, r.headers[SIGNATURE_HEADER], r.headers[TIMESTAMP_HEADER], time.time()) is None
    feed = r.json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    ids = [it["id"] for it in feed["items"]]
    # Only the watched name the partner follows, and only incidents at least P2.
    assert sum(i.startswith("mention:") for i in ids) == 2 and sum(i.startswith("incident:") for i in ids) == 1
    text = json.dumps(feed, ensure_ascii=False)
    assert OTHER not in text and "ข่าวลือเล็กน้อย" not in text
    assert "แอปธนาคารแสงทองล่มอีกแล้ว" in text and "แอปธนาคารแสงทองล่ม" in text
    # Personal data never leaves: no phone, no e-mail, no author.
    assert "081 234 5678" not in text and "somchai@example.com" not in text and "คุณสมชาย" not in text
    assert all("author" not in it and "authors" not in it for it in feed["items"])
    audit = store.shares("mcot")
    assert len(audit) == 1 and audit[0]["channel"] == "feed.json" and sorted(audit[0]["items"]) == sorted(ids)


def test_atom_feed_has_the_same_items(setup):
    r = client(setup).get("/partners/mcot/feed.atom", headers={"authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(r.content)
    assert not parsed.bozo and len(parsed.entries) == 3
    assert {e.id.rsplit(":", 2)[-2] for e in parsed.entries} == {"mention", "incident"}
    assert "081 234 5678" not in r.text
    assert setup[1].shares("mcot", "feed.atom")


def test_partners_page_is_for_planners(setup):
    config, store = setup
    add_user(store, "plan", "planner", "รหัสผ่านยาวพอ-123")
    add_user(store, "view", "viewer", "รหัสผ่านยาวพอ-123")
    c = client(setup)
    assert c.get("/partners", follow_redirects=False).status_code == 303  # to sign-in
    for user, status in (("view", 403), ("plan", 200)):
        c = client(setup)
        page = c.get("/signin")
        c.post("/signin", data={"username": user, "password": "รหัสผ่านยาวพอ-123", "csrf_token": csrf_of(page.text)})
        r = c.get("/partners")
        assert r.status_code == status
    assert "อสมท" in r.text and "SADAP_TEST_UNSET_TOKEN" in r.text  # the missing token is named, never a value
    assert TOKEN not in r.text


# -- webhook pushes ----------------------------------------------------------------------------
class Receiver:
    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["content-length"]))
                if receiver.status == 200:
                    receiver.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sadap"


def test_webhook_push_is_signed_and_resumes_where_it_stopped(setup):
    config, store = setup
    receiver = Receiver()
    partner = config.partners[0].model_copy(update={"webhook": receiver.url, "max_items": 2})
    try:
        result = push(store, partner)
        # Three items, two per push: two batches, oldest first, nothing skipped.
        assert (result.sent, result.batches) == (3, 2)
        ids = []
        for headers, body in receiver.got:
            assert check_signature(TOKEN, body, headers[SIGNATURE_HEADER.lower()], headers[TIMESTAMP_HEADER.lower()],
                                   time.time()) is None
            assert len(headers["idempotency-key"]) == 64
            ids += [it["id"] for it in json.loads(body)["items"]]
        assert len(ids) == len(set(ids)) == 3
        assert push(store, partner).sent == 0 and len(receiver.got) == 2  # nothing new: nothing sent

        # The receiver fails: nothing recorded, the same item is sent once it recovers.
        later = now_utc()
        store.upsert([mention(9, "ธนาคารแสงทองแจ้งปิดปรับปรุงระบบคืนนี้", "neu", later - timedelta(minutes=1),
                              collected=later)])
        receiver.status = 500
        with pytest.raises(NotifyError, match="HTTP 500.*1 item"):
            push(store, partner)
        receiver.status = 200
        assert push(store, partner).sent == 1
        last = json.loads(receiver.got[-1][1])["items"]
        assert [it["content_text"] for it in last] == ["ธนาคารแสงทองแจ้งปิดปรับปรุงระบบคืนนี้"]
        assert [s["channel"] for s in store.shares("mcot")] == ["webhook"] * 3
    finally:
        receiver.server.shutdown()


def test_push_without_a_token_is_one_line(setup):
    config, store = setup
    partner = config.partners[1].model_copy(update={"webhook": "http://127.0.0.1:9/x"})
    with pytest.raises(ConfigError, match=r"^partner 'unset': environment variable SADAP_TEST_UNSET_TOKEN is not set"):
        push(store, partner)


def test_partner_config_errors():
    with pytest.raises(ValueError, match="http:// or https://"):
        Config.model_validate({"partners": [{"name": "a", "token_env": "T", "webhook": "file:///etc/passwd"}]})
    with pytest.raises(ValueError, match="two partners are named 'a'"):
        Config.model_validate({"partners": [{"name": "a", "token_env": "T"}, {"name": "a", "token_env": "U"}]})
    with pytest.raises(ValueError, match="verify_signature needs token_env"):
        Config.model_validate({"sources": [{"name": "p", "kind": "partner_feed", "url": "https://x.example/f.json"}]})
    with pytest.raises(ConfigError, match="no partner named 'b'"):
        Config.model_validate({"partners": [{"name": "a", "token_env": "T"}]}).partner("b")


def test_a_webhook_with_a_password_in_it_is_refused_without_repeating_it(tmp_path):
    from sadap.app.web.pages.partners import _origin

    path = tmp_path / "sadap.yaml"
    path.write_text("partners:\n  - name: mcot\n    token_env: T\n    webhook: https://ops:Hunter2-pass@hooks.example/in\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config_file(path)
    assert "sadap.yaml:4: partners[0].webhook: no user name or password" in str(err.value)
    assert "Hunter2" not in str(err.value)
    # the page shows scheme, host and port only, whatever the address holds
    assert _origin("https://ops:Hunter2-pass@hooks.example:8443/in?key=1") == "https://hooks.example:8443"
    assert _origin("http://[::1]:9/x") == "http://[::1]:9"


# -- the other side: a partner's feed as a source ---------------------------------------------
def _crawl(url: str, out: Path, token_env: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["PARTNER_TOKEN"] = TOKEN
    command = [sys.executable, "-m", "scrapy", "crawl", "partner_feed", "-a", f"url={url}", "-a", f"token_env={token_env}",
               "-a", "source=mcot-feed", "-O", str(out), "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_partner_feed_spider_reads_a_signed_feed_and_refuses_a_tampered_one(setup, tmp_path):
    served = client(setup).get("/partners/mcot/feed.json", headers={"authorization": f"Bearer {TOKEN}"})
    signed = {k: served.headers[k] for k in (SIGNATURE_HEADER, TIMESTAMP_HEADER)}
    tampered = served.content.replace("ล่มอีกแล้ว".encode(), "ดีมาก".encode())

    def site(call):
        if call.headers.get("authorization") != f"Bearer {TOKEN}":
            return Answer(401, "{}", "application/json")
        body = served.content if call.path == "/feed.json" else tampered
        return Answer(200, body, "application/feed+json", signed)

    with FakeServer(site) as server:
        good = _crawl(server.url + "/feed.json", tmp_path / "good.jsonl", "PARTNER_TOKEN")
        bad = _crawl(server.url + "/bad.json", tmp_path / "bad.jsonl", "PARTNER_TOKEN")
    items = [json.loads(line) for line in (tmp_path / "good.jsonl").read_text("utf-8").splitlines()]
    assert good.returncode == 0 and len(items) == 3, good.stderr[-2000:]
    assert {i["source_kind"] for i in items} == {"partner_feed"} and all(i.get("author") is None for i in items)
    outage = next(i for i in items if "ล่มอีกแล้ว" in i["text"])
    assert outage["native_id"].startswith("mention:") and outage["published_at"]
    assert datetime.fromisoformat(outage["published_at"]).tzinfo is not None
    assert "081 234 5678" not in outage["text"]
    assert not (tmp_path / "bad.jsonl").exists() or not (tmp_path / "bad.jsonl").read_text().strip()
    assert "signature does not match" in bad.stderr


ATOM_WITH_AUTHOR = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>ข่าวพันธมิตร</title><id>urn:p</id><updated>2026-11-20T01:00:00Z</updated>
<author><name>กองบรรณาธิการ</name></author>
<entry><id>urn:p:1</id><title>แอปแสงทองล่ม</title><link href="https://partner.example/news/1"/>
<author><name>นายสมชาย ใจดี</name><email>somchai@example.com</email></author>
<updated>2026-11-20T01:00:00Z</updated><content type="text">ลูกค้าแจ้งว่าแอปแสงทองโอนเงินไม่ได้</content></entry>
</feed>""".encode()


def test_partner_feed_spider_takes_no_author_from_an_atom_feed(tmp_path):
    # A partner's Atom feed (another system than Sadap) that names its entries' authors, e-mail and all.
    def site(call):
        return Answer(200, ATOM_WITH_AUTHOR, "application/atom+xml", signed_headers(TOKEN, int(time.time()), ATOM_WITH_AUTHOR))

    with FakeServer(site) as server:
        done = _crawl(server.url + "/feed.atom", tmp_path / "atom.jsonl", "PARTNER_TOKEN")
    items = [json.loads(line) for line in (tmp_path / "atom.jsonl").read_text("utf-8").splitlines()]
    assert done.returncode == 0 and len(items) == 1, done.stderr[-2000:]
    assert items[0]["text"] == "ลูกค้าแจ้งว่าแอปแสงทองโอนเงินไม่ได้" and items[0].get("author") is None
    assert "สมชาย" not in json.dumps(items, ensure_ascii=False) and "somchai@" not in json.dumps(items)
    assert "กองบรรณาธิการ" not in json.dumps(items, ensure_ascii=False)


@pytest.mark.es
def test_feed_and_push_on_elasticsearch(cluster_url, tmp_path, monkeypatch):
    from tests.es_support import make_test_store

    monkeypatch.setenv("MCOT_TOKEN", TOKEN)
    config = Config.model_validate({"partners": [{"name": "mcot", "token_env": "MCOT_TOKEN", "entities": [ENTITY]}]})
    store = make_test_store(cluster_url, spool_dir=tmp_path / "spool")
    receiver = Receiver()
    try:
        now = now_utc()
        store.upsert([mention(i, text, label, now - timedelta(hours=5 - i), entities=ents)
                      for i, (text, label, ents) in enumerate(TEXTS)])
        partner = config.partners[0].model_copy(update={"webhook": receiver.url})
        assert push(store, partner, now=now).sent == 2
        assert push(store, partner, now=now).sent == 0
        body = json.loads(receiver.got[0][1])
        assert "081 234 5678" not in json.dumps(body, ensure_ascii=False)
        assert [s["channel"] for s in store.shares("mcot")] == ["webhook"]
    finally:
        receiver.server.shutdown()
        store.close()


@pytest.fixture
def cluster_url(request):
    from tests.es_support import es_test_url

    return es_test_url() or request.getfixturevalue("osmem_clone").url

