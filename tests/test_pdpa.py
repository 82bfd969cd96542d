"""Personal data under Thailand's PDPA (issue 16): erase by author or mention id on both
backends (SQLite file bytes checked after VACUUM), export, retention, masking of extra fields
and of disguised numbers and addresses, private file modes, and the report."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from enrich.privacy import mask_personal_data
from sadap.app import privacy as pdpa
from sadap.app.cli import main
from sadap.app.config import load_config_file
from sadap.app.importer import import_file
from sadap.app.ingest import IngestPipeline
from sadap.app.reenrich import reenrich
from sadap.core.incident import Incident, IncidentEvent
from sadap.core.mention import RawMention, pseudonymise
from sadap.core.timeutil import now_utc
from sadap.store import MentionFilter, open_store

NAME = "Somchai_Jaidee"
SECRET_TEXT = "ร้านขนมปังลุงทองหล่อซอยเจ็ดปิดถาวรแล้วหรือครับ"
OTHER_TEXTS = ["พนักงานสาขาขอนแก่นบริการดีมาก ประทับใจค่ะ", "ดอกเบี้ยเงินฝากประจำปีนี้เท่าไหร่คะ"]


def _config(tmp_path: Path, extra: str = ""):
    (tmp_path / "sadap.yaml").write_text(
        "data_dir: data\nrules: []\nnotifiers: []\nprivacy:\n  keep_author_names: true\n" + extra, encoding="utf-8"
    )
    return load_config_file(tmp_path / "sadap.yaml")


def _raws():
    raws = [RawMention(source_kind="file", source_name="social", native_id="p1", text=SECRET_TEXT, author=NAME),
            RawMention(source_kind="file", source_name="forum", native_id="p2", text=SECRET_TEXT + " !!", author="someone_else")]
    raws += [RawMention(source_kind="file", source_name="social", native_id=f"o{i}", text=t, author=f"user{i}")
             for i, t in enumerate(OTHER_TEXTS)]
    return raws


@pytest.fixture(params=["sqlite", pytest.param("elasticsearch", marks=pytest.mark.es)])
def setup(request, tmp_path):
    config = _config(tmp_path)
    if request.param == "sqlite":
        store = open_store(config)
    else:
        from tests.es_support import drop_test_store, es_test_url, make_test_store

        url = es_test_url()
        store = make_test_store(url or request.getfixturevalue("osmem_clone").url, real=bool(url),
                                spool_dir=tmp_path / "spool")
    pipeline = IngestPipeline(config, store=store, alerts=False)
    pipeline.process(_raws())
    yield config, store
    if request.param == "elasticsearch" and es_test_url():
        drop_test_store(store)
    else:
        store.close()


def _ids(store) -> dict[str, str]:
    return {m.native_id: m.id for m in store.search(MentionFilter(), limit=100)}


def _timeline(store, ids: dict[str, str]) -> str:
    """An incident naming the person's mention and another, with a response logged to each."""
    at = now_utc()
    inc = Incident(playbook="service-outage", rule="r1", severity="P2", title="แอปล่ม", opened_at=at, updated_at=at,
                   mention_ids=[ids["p1"], ids["o0"]])
    store.save_incident(inc)
    store.add_event(inc.id, IncidentEvent(at=at, kind="opened", data={"rule": "r1", "mentions": [ids["p1"], ids["o0"]]}))
    store.record_alert(json.dumps({"rule": "r1", "mention_ids": [ids["p1"], ids["o0"]], "count": 2}), "r1", "k", at, inc.id)
    store.log_response(ids["p1"], at, "staff", "social", "ขออภัยค่ะ ทีมงานกำลังตรวจสอบ")
    store.log_response(ids["o0"], at, "staff", "social", "ขอบคุณค่ะ")
    return inc.id


def test_erase_by_author_on_both_backends(setup):
    config, store = setup
    ids = _ids(store)
    incident_id = _timeline(store, ids)
    sel = pdpa.select(config, store, author=" somchai_jaidee ")  # as it arrived, any case
    assert sel.ids == [ids["p1"]]
    result = pdpa.erase(config, store, sel, actor="dpo", reference="REQ-7")
    assert result["mentions"] == 2 and result["copies"] == 1  # the copy by someone else holds the same text
    assert result["responses"] == 1 and result["incidents_updated"] == 1
    assert result["events_updated"] == 1 and result["alerts_updated"] == 1
    left = _ids(store)
    assert set(left) == {"o0", "o1"}
    assert store.search(MentionFilter(query=None, ids=(ids["p1"],))) == []
    from sadap.store.query import parse_query

    assert store.count(MentionFilter(query=parse_query("ทองหล่อ"))) == 0  # gone from the search index
    incident = store.get_incident(incident_id)
    assert incident.mention_ids == [ids["o0"]]
    assert store.events(incident_id)[0].data["mentions"] == [ids["o0"]]
    assert store.alerts_since(now_utc() - timedelta(hours=1))[0]["mention_ids"] == [ids["o0"]]
    assert [r["mention_id"] for r in store.responses_for([ids["p1"], ids["o0"]])] == [ids["o0"]]
    audit = (config.data_path / pdpa.AUDIT_FILE).read_text(encoding="utf-8")
    pseudonym = pseudonymise(NAME, "social", config.pseudonym_key())
    for personal in (NAME.lower(), pseudonym, ids["p1"], "ทองหล่อ"):
        assert personal not in audit.lower()
    assert json.loads(audit)["reference"] == "REQ-7"


def test_erase_by_mention_id(setup):
    config, store = setup
    ids = _ids(store)
    sel = pdpa.select(config, store, mention_ids=[ids["o1"], "no-such-id"])
    result = pdpa.erase(config, store, sel, actor="dpo")
    assert result["mentions"] == 1 and result["ids_not_found"] == 1
    assert set(_ids(store)) == {"p1", "p2", "o0"}


def test_export_gives_the_person_their_data(setup):
    config, store = setup
    ids = _ids(store)
    _timeline(store, ids)
    data = pdpa.export(config, store, pdpa.select(config, store, author=NAME))
    assert [m["text"] for m in data["mentions"]] == [SECRET_TEXT]
    assert data["mentions"][0]["author_name"] == NAME
    assert [r["text"] for r in data["responses"]] == ["ขออภัยค่ะ ทีมงานกำลังตรวจสอบ"]


def test_sqlite_erase_leaves_nothing_in_the_file_bytes(tmp_path):
    config = _config(tmp_path)
    pipeline = IngestPipeline(config, alerts=False)
    pipeline.process(_raws())
    pipeline.close()
    pseudonym = pseudonymise(NAME, "social", config.pseudonym_key())
    needles = [NAME.encode(), pseudonym.encode(), SECRET_TEXT.encode("utf-8"), "ทองหล่อ".encode("utf-8")]

    def file_bytes() -> bytes:
        db = config.store_path
        return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())

    with open_store(config) as store:
        store.compact()
    assert all(n in file_bytes() for n in needles)  # there before: the check can fail
    result = CliRunner().invoke(main, ["privacy", "erase", "--author", NAME, "--config", str(config.path), "--reference", "T1"])
    assert result.exit_code == 0, result.output
    assert "erased 2 mentions" in result.output
    data = file_bytes()
    for needle in needles:
        assert needle not in data, needle
    assert OTHER_TEXTS[0].encode("utf-8") in data  # the others are kept


def test_spooled_mentions_are_erased_and_exported(tmp_path):
    from sadap.core.mention import to_mention
    from sadap.store.es_spool import Spool

    config = _config(tmp_path)
    spool = Spool(tmp_path / "spool")
    key = config.pseudonym_key()
    spool.write([to_mention(r, pseudonym_key=key, keep_author_names=True) for r in _raws()])

    class SpoolOnly:  # a store whose cluster is down: everything waits in the spool
        def __init__(self):
            self.spool = spool

        def count_by(self, *a, **k):
            return {}

        def ids_by_author(self, *a):
            return []

        def existing_ids(self, ids):
            return set()

        def copies_of(self, ids):
            return []

        def erase(self, ids):
            return {"mentions": 0, "responses": 0, "incidents": 0, "events": 0, "alerts": 0, "notifications": 0}

        def erase_keys(self, keys):
            return {"alerts": 0, "incidents": 0, "events": 0, "notifications": 0, "snoozes": 0}

        def list_stakeholders(self):
            return []

        def compact(self):
            pass

        def search(self, *a, **k):
            return []

        def responses_for(self, ids):
            return []

    store = SpoolOnly()
    sel = pdpa.select(config, store, author=NAME)
    assert [m["text"] for m in pdpa.export(config, store, sel)["waiting_in_spool"]] == [SECRET_TEXT]
    result = pdpa.erase(config, store, sel, actor="dpo")
    assert result["spool_entries"] == 1 and spool.pending() == 3
    assert NAME not in "".join(p.read_text(encoding="utf-8") for p in spool.files())


def test_retention_purge_and_scheduler(tmp_path):
    config = _config(tmp_path, "  retention_days: 30\n")
    old = IngestPipeline(config, alerts=False, clock=lambda: now_utc() - timedelta(days=45))
    old.process(_raws()[:2])
    old.close()
    new = IngestPipeline(config, alerts=False)
    new.process(_raws()[2:])
    new.close()
    result = CliRunner().invoke(main, ["privacy", "purge", "--config", str(config.path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["mentions"] == 2
    with open_store(config) as store:
        assert sorted(m.native_id for m in store.search(MentionFilter(), limit=10)) == ["o0", "o1"]
    from sadap.app.service import run_service

    scheduler = run_service(config, block=False)
    try:
        assert scheduler.get_job("retention") is not None
    finally:
        scheduler.shutdown(wait=False)


def test_purge_without_retention_is_one_clear_line(tmp_path):
    config = _config(tmp_path)
    result = CliRunner().invoke(main, ["privacy", "purge", "--config", str(config.path)])
    assert result.exit_code == 1 and "no retention set" in result.output


@pytest.mark.parametrize("keep", [False, True])
def test_personal_extra_fields_are_dropped_or_masked(tmp_path, keep):
    (tmp_path / "sadap.yaml").write_text(
        f"data_dir: data\nrules: []\nnotifiers: []\nprivacy:\n  keep_author_names: {str(keep).lower()}\n", encoding="utf-8"
    )
    config = load_config_file(tmp_path / "sadap.yaml")
    row = {"id": "1", "text": "แอปล่มค่ะ", "author": "malee", "phone": "081-234-5678", "email": "malee@example.com",
           "national_id": "1101700230708", "user_name": "มาลี ใจดี", "Phone Number": "0812345678",
           "note": "โทรกลับ 081-234-5678", "channel": "line"}
    (tmp_path / "x.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    import_file(config, tmp_path / "x.jsonl")
    with open_store(config) as store:
        [m] = store.search(MentionFilter(), limit=1)
    stored = json.dumps(m.extras, ensure_ascii=False)
    for value in ("081-234-5678", "0812345678", "malee@example.com", "1101700230708"):
        assert value not in stored
    assert m.extras["channel"] == "line" and m.extras["note"] == "โทรกลับ [โทร]"
    if keep:
        assert m.extras["user_name"] == "มาลี ใจดี" and m.extras["phone"] == "[โทร]"
    else:
        assert not {"phone", "email", "national_id", "user_name", "Phone Number"} & set(m.extras)


@pytest.mark.parametrize("keep", [False, True])
def test_author_account_ids_and_links_are_not_stored_without_author_names(tmp_path, keep):
    (tmp_path / "sadap.yaml").write_text(
        f"data_dir: data\nrules: []\nnotifiers: []\nprivacy:\n  keep_author_names: {str(keep).lower()}\n", encoding="utf-8"
    )
    config = load_config_file(tmp_path / "sadap.yaml")
    rows = [{"id": "1", "text": "แอปล่มค่ะ", "author": "somchai_k", "url": "https://twitter.com/somchai_k/status/777?s=20",
             "channel_id": "UCsomchaiPersonal01", "Author Channel Id": "UCsomchaiPersonal01", "channel": "x"},
            {"id": "2", "text": "แอปช้ามาก", "author": "malee", "url": "https://pantip.com/topic/43120001"}]
    (tmp_path / "x.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    import_file(config, tmp_path / "x.jsonl")
    with open_store(config) as store:
        stored = {m.native_id: m for m in store.search(MentionFilter(), limit=5)}
    x, other = stored["1"], stored["2"]
    assert other.url == "https://pantip.com/topic/43120001" and x.extras["channel"] == "x"
    if keep:
        assert x.url == "https://twitter.com/somchai_k/status/777?s=20" and x.extras["channel_id"] == "UCsomchaiPersonal01"
    else:
        assert x.url == "https://x.com/i/web/status/777"  # the same post, without its author's handle
        assert "somchai" not in x.model_dump_json().lower()


def test_erasure_finds_a_handle_with_or_without_its_at_sign(tmp_path):
    config = _config(tmp_path, "")
    raws = [RawMention(source_kind="x", source_name="x", native_id="1", text=SECRET_TEXT, author="somchai_k"),
            RawMention(source_kind="youtube", source_name="yt", native_id="2", text=OTHER_TEXTS[0], author="@somchai_k"),
            RawMention(source_kind="pantip", source_name="pantip", native_id="3", text=OTHER_TEXTS[1], author="สมชาย")]
    pipeline = IngestPipeline(config, alerts=False)
    try:
        pipeline.process(raws)
    finally:
        pipeline.close()
    with open_store(config) as store:
        ids = _ids(store)
        for given in ("somchai_k", "@SOMCHAI_K", " @somchai_k "):
            assert sorted(pdpa.select(config, store, author=given).ids) == sorted([ids["1"], ids["2"]]), given
        assert pdpa.select(config, store, author="@สมชาย").ids == [ids["3"]]  # a name given with @ stands without it
        assert pdpa.select(config, store, author="สมชาย").ids == [ids["3"]]  # a display name: only as it is


@pytest.mark.parametrize(
    "text, expected",
    [
        ("โทร (081) 234-5678 ค่ะ", "โทร [โทร] ค่ะ"),
        ("สาขา (02) 123 4567", "สาขา [โทร]"),
        ("เบอร์ 0 8 1 2 3 4 5 6 7 8 นะ", "เบอร์ [โทร] นะ"),
        ("จองโต๊ะ 08 88 88 88 88", "จองโต๊ะ [โทร]"),
        ("ส่งมาที่ somchai [at] example [dot] com ครับ", "ส่งมาที่ [อีเมล] ครับ"),
        ("somchai(at)mail(dot)co(dot)th", "[อีเมล]"),
        ("เมล somchai แอท gmail ดอท com", "เมล [อีเมล]"),
        ("mail me: somchai at example dot com", "mail me: [อีเมล]"),
        ("บัตร 11017-0023-0708 ค่ะ", "บัตร [เลขบัตร] ค่ะ"),
    ],
)
def test_disguised_personal_data_is_masked(text, expected):
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ราคา (1) 299 บาท", "คะแนน 0 8 1 2 3", "ไปเจอกัน at 10 dot 30", "look at example.com", "เลขพัสดุ 11017-0023-0709",
        "ห้อง 1 2 3 4 5 6 7 8 9 0 1 2 3", "ปี 2566 2567 2568", "(02) 12", "โปร 1.1 11.11 12.12",
    ],
)
def test_ordinary_numbers_and_words_are_not_masked(text):
    assert mask_personal_data(text) == text


def test_data_files_are_private(tmp_path):
    old = os.umask(0o022)
    try:
        config = _config(tmp_path)
        pipeline = IngestPipeline(config, alerts=False)
        pipeline.process(_raws()[:1])
        pipeline.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(config.data_path.stat().st_mode) == 0o700
    for p in config.data_path.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


def test_privacy_report(tmp_path):
    config = _config(tmp_path)
    pipeline = IngestPipeline(config, alerts=False)
    pipeline.process(_raws())
    pipeline.close()
    result = CliRunner().invoke(main, ["privacy", "report", "--config", str(config.path), "--json"])
    assert result.exit_code == 0, result.output
    rep = json.loads(result.output)
    assert rep["counts"]["mentions"] == 4 and rep["counts"]["with_author_name"] == 4
    assert rep["counts"]["distinct_author_pseudonyms"] == 4 and rep["data_dir_mode"] == "0o700"
    assert any(p["where"] == str(config.store_path) and p["mode"] == "0o600" for p in rep["places"])
    assert rep["counts"]["stakeholders"] == 0 and any("stakeholder registry" in line for line in rep["personal_data"])
    text = CliRunner().invoke(main, ["privacy", "report", "--config", str(config.path)])
    assert "มีชื่อที่แสดง: 4" in text.output and "ทะเบียนผู้มีส่วนได้ส่วนเสีย" in text.output  # the DPO reads Thai


def test_x_posts_stored_before_handles_are_found_by_their_link_not_by_a_shared_name(tmp_path):
    """X posts stored before the author was the handle carry the pseudonym of the display name,
    shared by namesakes, and a link with the handle: the export by the display name lists both
    namesakes' posts with their links, and only the person's are erased by id
    (docs/deploy.md, "Upgrading")."""
    from sadap.core.mention import to_mention

    config = _config(tmp_path).model_copy(update={"privacy": _config(tmp_path).privacy.model_copy(
        update={"keep_author_names": False})})
    key = config.pseudonym_key()
    old = [to_mention(RawMention(source_kind="x", source_name="x-bank", native_id=n, text=t, author="สมชาย",
                                 url=f"https://x.com/{handle}/status/{n}"), pseudonym_key=key, keep_author_names=True)
           for n, handle, t in (("500", "somchai_k", SECRET_TEXT), ("501", "somchai_bkk", OTHER_TEXTS[0]))]
    with open_store(config) as store:
        store.upsert([m.model_copy(update={"author_name": None}) for m in old])  # as the old version stored them
        assert pdpa.select(config, store, author="somchai_k").ids == []  # the handle's pseudonym is new
        listed = pdpa.export(config, store, pdpa.select(config, store, author="สมชาย"))["mentions"]
        assert len(listed) == 2  # the name is shared: both namesakes
        theirs = [m["id"] for m in listed if "/somchai_k/" in m["url"]]
        result = pdpa.erase(config, store, pdpa.select(config, store, mention_ids=theirs), actor="dpo")
        assert result["mentions"] == 1
        assert [m.native_id for m in store.search(MentionFilter(), limit=10)] == ["501"]


def test_contacts_in_a_kept_display_name_are_masked_where_stored_and_shown(tmp_path):
    """With display names kept, a shop's name with its number, a seller's with an e-mail address
    and an ID number: stored (the SQLite file's every row) and shown with those masked, the rest of
    the name kept; erasure by the name as it arrived still finds the posts."""
    config = _config(tmp_path)
    names = {"d1": ("ร้านป้าแดง โทร 081-234-5678", "ร้านป้าแดง โทร [โทร]"),
             "d2": ("แม่ค้าออนไลน์ malee.shop@example.com", "แม่ค้าออนไลน์ [อีเมล]"),
             "d3": ("สมศรี 1-1017-00230-70-8", "สมศรี [เลขบัตร]"),
             "d4": ("ร้านลุงชัย ๐๘๙ ๘๗๖ ๕๔๓๒", "ร้านลุงชัย [โทร]"),
             "d5": ("มาลี ใจดี", "มาลี ใจดี")}
    raws = [RawMention(source_kind="facebook", source_name="fb-page", native_id=k, text=t, author=name,
                       author_account=f"10000{i}")  # the account id is what is pseudonymised
            for i, ((k, (name, _)), t) in enumerate(zip(names.items(), [SECRET_TEXT, *OTHER_TEXTS, "แอปล่มอีกแล้ว", "ขอบคุณค่ะ"],
                                                         strict=True))]
    pipeline = IngestPipeline(config, alerts=False)
    try:
        pipeline.process(raws)
    finally:
        pipeline.close()
    with open_store(config) as store:
        stored = {m.native_id: m for m in store.search(MentionFilter(), limit=10)}
        assert {k: m.author_name for k, m in stored.items()} == {k: masked for k, (_, masked) in names.items()}
        db = config.data_path / "sadap.db"
        assert db.exists()

        with sqlite3.connect(db) as con:
            dump = "\n".join(con.iterdump())
        for secret in ("081-234-5678", "malee.shop@example.com", "1-1017-00230-70-8", "๐๘๙ ๘๗๖ ๕๔๓๒"):
            assert secret not in dump
        assert "ร้านป้าแดง" in dump
        # erasure by the display name as the person gives it: found as stored
        assert pdpa.select(config, store, author="ร้านป้าแดง โทร 081-234-5678").ids == [stored["d1"].id]
        assert pdpa.select(config, store, author="มาลี ใจดี").ids == [stored["d5"].id]
        # one stored before names were masked: `sadap reenrich` masks it
        store.upsert([stored["d5"].model_copy(update={"author_name": "มาลี ใจดี 0812345678"})])
        reenrich(config, store=store)
        assert store.get(stored["d5"].id).author_name == "มาลี ใจดี [โทร]"
    from sadap.app.web import create_app
    from sadap.app.web.auth import add_user
    from tests.web_support import PASSWORD, sign_in

    starlette = pytest.importorskip("starlette.testclient")
    with open_store(config) as store:
        add_user(store, "viewer", "viewer", PASSWORD)
        client = starlette.TestClient(create_app(config, store), base_url="http://127.0.0.1")
        assert sign_in(client, "viewer").status_code == 303
        page = client.get(f"/mentions/{stored['d1'].id}")
        assert page.status_code == 200 and "ร้านป้าแดง โทร [โทร]" in page.text and "081-234-5678" not in page.text
