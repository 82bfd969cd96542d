"""LINE Official Account inbound: signatures as LINE makes them (checked against openssl), users'
messages stored as `line` mentions in a real SQLite store, everything else refused or skipped."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from sadap.app.config import load_config_file
from sadap.app.line_inbound import LineInbound, ingest_sink, signature, verify
from sadap.app.sources import source_kinds
from sadap.core.errors import ConfigError
from sadap.store import MentionFilter, open_store

SECRET = "8c570fa6dd201bb328f1c1eac23a96d8"


def webhook(*events: dict) -> bytes:
    body = {"destination": "U0123456789abcdef0123456789abcdef", "events": list(events)}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def text_event(message_id: str, text: str, user: str = "U4af4980629aaaaaaaaaaaaaaaaaaaaaa", **extra) -> dict:
    return {
        "type": "message", "mode": "active", "timestamp": 1795136400000,  # 2026-11-20 01:00:00 UTC
        "source": {"type": "user", "userId": user}, "webhookEventId": f"01HEVT{message_id}",
        "deliveryContext": {"isRedelivery": False}, "replyToken": "b60d432864f44d079f6d8efe86cf404b",
        "message": {"id": message_id, "type": "text", "quoteToken": "q3Plxr4AgKd", "text": text}, **extra,
    }


@pytest.fixture
def config(tmp_path):
    (tmp_path / "sadap.yaml").write_text(
        "data_dir: data\nwatch:\n  - name: ธนาคารแสงทอง\n    aliases: [แสงทอง]\nrules: []\nnotifiers: []\n",
        encoding="utf-8",
    )
    return load_config_file(tmp_path / "sadap.yaml")


@pytest.fixture
def inbound(config, monkeypatch) -> LineInbound:
    monkeypatch.setenv("LINE_CHANNEL_SECRET", SECRET)
    return LineInbound(ingest_sink(config), source_name="line-oa")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_signature_is_what_openssl_computes():
    body = webhook(text_event("444573844083572737", "แอปแสงทองเข้าไม่ได้ค่ะ"))
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-hmac", SECRET, "-binary"], input=body,
                            capture_output=True, check=True).stdout
    expected = subprocess.run(["openssl", "base64", "-A"], input=digest, capture_output=True, check=True).stdout.decode()
    assert signature(body, SECRET) == expected
    assert verify(body, expected, SECRET)
    assert not verify(body + b" ", expected, SECRET)  # one byte more: refused
    assert not verify(body, expected, "another-secret")
    assert not verify(body, None, SECRET)
    assert not verify(body, "ค่ะ" + expected, SECRET)  # not ASCII: refused, not a TypeError


def test_users_messages_are_stored_as_line_mentions(inbound, config):
    body = webhook(
        text_event("444573844083572737", "โอนเงินผ่านแอปแสงทองไม่ได้ตั้งแต่เช้า เงินถูกตัดแล้วแต่ปลายทางไม่ได้รับ ช่วยด้วยค่ะ"),
        text_event("444573844083572738", "สาขาแสงทองสีลมพนักงานบริการดีมาก ขอบคุณครับ", user="U9bb0000000000000000000000000000"),
        {"type": "message", "timestamp": 1795136401000, "source": {"type": "user", "userId": "U1"},
         "message": {"id": "444573844083572739", "type": "sticker", "packageId": "446", "stickerId": "1988"}},
        {"type": "follow", "timestamp": 1795136402000, "source": {"type": "user", "userId": "U2"}, "replyToken": "x"},
        {"type": "message", "timestamp": 1795136403000, "source": {"type": "group", "groupId": "C1", "userId": "U3"},
         "message": {"id": "444573844083572740", "type": "text", "text": "ในกลุ่มเพื่อน"}},
    )
    result = inbound.handle(body, {"Content-Type": "application/json", "X-Line-Signature": signature(body, SECRET)})
    assert result.status == 200
    assert result.body == {"received": 5, "mentions": 2, "stored": 2,
                           "skipped": {"message_sticker": 1, "event_follow": 1, "from_group": 1}}
    with open_store(config) as store:
        stored = store.search(MentionFilter(source_kinds=("line",)), limit=10)
        assert len(stored) == 2
        complaint = next(m for m in stored if m.native_id == "444573844083572737")
        assert complaint.source_name == "line-oa" and complaint.text.startswith("โอนเงินผ่านแอปแสงทองไม่ได้")
        assert complaint.published_at.isoformat() == "2026-11-20T01:00:00+00:00"
        assert complaint.author_id and "U4af4980629" not in complaint.author_id  # pseudonymised
        assert "replyToken" not in json.dumps(complaint.extras) and "b60d4328" not in complaint.model_dump_json()
    # LINE redelivers on timeouts: the same message stores nothing twice
    again = webhook(text_event("444573844083572737", "โอนเงินผ่านแอปแสงทองไม่ได้ตั้งแต่เช้า เงินถูกตัดแล้วแต่ปลายทางไม่ได้รับ ช่วยด้วยค่ะ",
                               deliveryContext={"isRedelivery": True}))
    result = inbound.handle(again, {"x-line-signature": signature(again, SECRET)})
    assert result.status == 200 and result.body["stored"] == 0


def test_bad_or_missing_signature_is_refused_and_stores_nothing(inbound, config):
    body = webhook(text_event("1", "ข้อความปลอม"))
    forged = signature(body, "not-the-secret")
    assert inbound.handle(body, {"X-Line-Signature": forged}).status == 401
    assert inbound.handle(body, {}).status == 401
    tampered = body.replace("ปลอม".encode(), "แก้ไข".encode())
    assert inbound.handle(tampered, {"X-Line-Signature": signature(body, SECRET)}).status == 401
    with open_store(config) as store:
        assert store.count(MentionFilter(source_kinds=("line",))) == 0


def test_verify_button_and_bad_bodies(inbound):
    empty = webhook()
    assert inbound.handle(empty, {"X-Line-Signature": signature(empty, SECRET)}).body["received"] == 0
    junk = "ไม่ใช่ JSON".encode()
    result = inbound.handle(junk, {"X-Line-Signature": signature(junk, SECRET)})
    assert result.status == 400 and result.body == {"error": "not a LINE webhook body"}


def test_odd_fields_from_a_signed_call_skip_or_store_never_crash(inbound, config):
    """A timestamp out of range, a text that is not a string, an event sent twice in one call:
    the call is answered 200 and what can be taken is stored once."""
    ok = text_event("560020", "แอปแสงทองค้างหน้าโอนเงินค่ะ", timestamp=10**20)
    body = webhook(
        ok,
        dict(ok, deliveryContext={"isRedelivery": True}),
        text_event("560021", "x", message={"id": "560021", "type": "text", "text": ["ไม่ใช่", "ข้อความ"]}),
        text_event("560022", "y", timestamp=-10**15),
    )
    result = inbound.handle(body, {"X-Line-Signature": signature(body, SECRET)})
    assert result.status == 200 and result.body["stored"] == 2
    assert result.body["skipped"] == {"empty_message": 1}
    with open_store(config) as store:
        stored = store.search(MentionFilter(source_kinds=("line",)), limit=10)
    assert sorted(m.native_id for m in stored) == ["560020", "560022"]


def test_missing_secret_is_one_line_at_start(monkeypatch, config):
    monkeypatch.delenv("LINE_CHANNEL_SECRET", raising=False)
    with pytest.raises(ConfigError, match="environment variable LINE_CHANNEL_SECRET is not set"):
        LineInbound(ingest_sink(config))


def test_line_has_a_label():
    assert source_kinds()["line"] == ("ไลน์ทางการ (ช่องทางร้องเรียน)", "LINE Official Account")


def test_the_workspace_takes_signed_line_messages_without_sign_in(config, monkeypatch, tmp_path):
    from starlette.testclient import TestClient

    from sadap.app.web.app import create_app

    path = tmp_path / "sadap.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "console:\n  line_webhook: true\n", encoding="utf-8")
    monkeypatch.delenv("LINE_CHANNEL_SECRET", raising=False)
    with pytest.raises(ConfigError, match="LINE_CHANNEL_SECRET is not set"):
        create_app(load_config_file(path))  # no secret: the workspace does not start

    monkeypatch.setenv("LINE_CHANNEL_SECRET", SECRET)
    cfg = load_config_file(path)
    client = TestClient(create_app(cfg), base_url="http://127.0.0.1")
    body = webhook(text_event("560011", "แอปแสงทองโอนเงินไม่ได้ตั้งแต่เช้าค่ะ ช่วยดูให้หน่อย"))
    forged = client.post("/webhooks/line", content=body, headers={"X-Line-Signature": signature(body, "wrong")})
    assert forged.status_code == 401
    with open_store(cfg) as store:
        assert store.count(MentionFilter()) == 0
    sent = client.post("/webhooks/line", content=body, headers={"X-Line-Signature": signature(body, SECRET)})
    assert sent.status_code == 200, sent.text
    with open_store(cfg) as store:
        stored = [m for m in (store.get(i) for i in store.ids(MentionFilter(), limit=10)) if m is not None]
    assert [(m.source_kind, m.text) for m in stored] == [("line", "แอปแสงทองโอนเงินไม่ได้ตั้งแต่เช้าค่ะ ช่วยดูให้หน่อย")]
    assert "ธนาคารแสงทอง" in stored[0].entities
    assert client.get("/webhooks/line").status_code == 405
