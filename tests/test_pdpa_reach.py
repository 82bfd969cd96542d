"""Erasure reaches everything that quotes or names the person (PDPA): notifications queued or
sent, a copied-text alert's clusters and excerpts, a complaint case's complainant; a delivery
claimed before the erasure keeps the erased text out when its state is written; staff responses
are masked; a stakeholder account with the person's handle is named in the result."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from alerts.message import build_payload, build_text
from sadap.app import privacy as pdpa
from sadap.app.cli import main
from sadap.core.alert import FiredAlert
from sadap.core.complaint_case import ComplaintCase
from sadap.core.mention import Mention, pseudonymise
from sadap.core.stakeholder import Account, Stakeholder
from sadap.core.timeutil import now_utc
from sadap.store import Delivery, MentionFilter, Store
from tests.test_pdpa import NAME, OTHER_TEXTS, SECRET_TEXT, _config, _ids, _raws, setup  # noqa: F401 (setup: a fixture)


def _alert(ids: list[str], terms: list[str], detail: dict | None = None) -> FiredAlert:
    at = now_utc()
    return FiredAlert(rule="copy-paste", rule_type="coordinated", title_th="ข้อความซ้ำจากหลายบัญชี", title_en="Copied text",
                      severity="P2", count=len(ids), mention_ids=ids, window_start=at - timedelta(hours=1), window_end=at,
                      terms=terms, detail=detail or {})


def _fire(store: Store, alert: FiredAlert, examples: list[Mention], name: str) -> list[Delivery]:
    at = now_utc()
    deliveries = [Delivery(id=f"{name}-{n}", notifier=n, created_at=at, text_th=build_text(alert, None, None, examples, "th"),
                           text_en=build_text(alert, None, None, examples, "en"),
                           payload=build_payload(alert, None, None, examples)) for n in ("webhook", "email")]
    store.record_fired(alert.model_dump_json(), alert.rule, name, at, None, deliveries)
    return deliveries


def test_erase_reaches_notifications_alert_details_and_complaint_cases(setup):
    config, store = setup
    ids = _ids(store)  # p1: the person's; p2: a copy of it by someone else; o0, o1: others'
    found = {m.id: m for m in store.search(MentionFilter(ids=tuple(ids.values())), limit=10)}
    p1, p2, o0 = (found[ids[k]] for k in ("p1", "p2", "o0"))
    # An alert with the person's post, its copy and another's; one with the person's alone.
    mixed = _alert([p1.id, p2.id, o0.id], ["แอป"], {"clusters": [p1.id, o0.id], "copies": 3,
                                                   "texts": [SECRET_TEXT[:39] + "…", OTHER_TEXTS[0][:39]]})
    theirs = _alert([p1.id, p2.id], ["ขนมปัง", "ทองหล่อ"])
    _fire(store, mixed, [p1, p2, o0], "mixed")
    _fire(store, theirs, [p1, p2], "theirs")
    before = json.dumps([d.__dict__ for d in store.deliveries()], ensure_ascii=False, default=str)
    assert "ทองหล่อ" in before and (p1.url or p1.id) in before  # there before: the checks below can fail
    # The e-mails went out before the request; a worker has claimed the webhooks and is still sending.
    for d in store.deliveries():
        if d.notifier == "email":
            d.status, d.sent_at = "sent", now_utc()
            store.save_delivery(d)
    claimed = store.claim_due(now_utc() + timedelta(seconds=1), timedelta(minutes=5))
    assert sorted(d.id for d in claimed) == ["mixed-webhook", "theirs-webhook"]
    # Two complaint cases: the person's (another's complaint joined it by thread) and another's.
    at = now_utc()
    pseudonym = pseudonymise(NAME, "social", config.pseudonym_key())
    own = ComplaintCase(received_at=at, updated_at=at, channel="file", source_name="social", author_id=pseudonym,
                        thread="social|t1", mention_ids=[p1.id, o0.id])
    other = ComplaintCase(received_at=at, updated_at=at, channel="file", source_name="social", author_id=o0.author_id,
                          mention_ids=[o0.id, p1.id])
    for case in (own, other):
        store.add_case(case)
    store.save_stakeholder(Stakeholder(id="bakery", name="ร้านขนมปังลุง", status="private_company", group="customers",
                                       accounts=[Account(handle=NAME.upper(), source="social")]))

    result = pdpa.erase(config, store, pdpa.select(config, store, author=NAME), actor="dpo")
    assert result["mentions"] == 2 and result["notifications_updated"] == 4
    assert result["stakeholders_naming_author"] == ["bakery"]
    audit = (config.data_path / pdpa.AUDIT_FILE).read_text(encoding="utf-8")
    assert json.loads(audit.splitlines()[-1])["stakeholders_naming_author"] == 1 and "bakery" not in audit

    for d in claimed:  # the worker finishes: it writes its state, not the texts it read before
        d.status, d.attempts, d.sent_at = "sent", 1, now_utc()
        store.save_delivery(d)
    deliveries = {d.id: d for d in store.deliveries()}
    assert {d.status for d in deliveries.values()} == {"sent"} and deliveries["mixed-webhook"].attempts == 1
    everything = json.dumps([d.__dict__ for d in deliveries.values()], ensure_ascii=False, default=str)
    for erased in (SECRET_TEXT[:20], "ทองหล่อ", "ขนมปัง", p1.id, p2.id):
        assert erased not in everything, erased
    # What is left reads as it would have been written without the person's posts.
    fresh = _alert([o0.id], ["แอป"])
    for name in ("mixed-webhook", "mixed-email"):
        d = deliveries[name]
        assert [m["id"] for m in d.payload["mentions"]] == [o0.id] and d.payload["terms"] == ["แอป"]
        assert d.text_th == build_text(fresh.model_copy(update={"count": 3}), None, None, [o0], "th")
        assert d.text_en == build_text(fresh.model_copy(update={"count": 3}), None, None, [o0], "en")
    lone = deliveries["theirs-email"]
    assert lone.payload["mentions"] == [] and lone.payload["terms"] == []
    assert "ตัวอย่าง:" not in lone.text_th and "คำที่พบบ่อย" not in lone.text_th and "Examples:" not in lone.text_en
    assert lone.text_th.startswith("[P2 สูง] ข้อความซ้ำจากหลายบัญชี")

    alerts = {a["rule"] + str(len(a["mention_ids"])): a for a in store.alerts_since(at - timedelta(hours=1))}
    assert alerts["copy-paste1"]["detail"] == {"clusters": [o0.id], "texts": [OTHER_TEXTS[0][:39]], "copies": 3}
    assert alerts["copy-paste0"]["terms"] == []  # its words were the person's alone

    own_after, other_after = store.get_case(own.id), store.get_case(other.id)
    assert own_after.mention_ids == [o0.id] and own_after.author_id is None and own_after.thread == "social|t1"
    assert other_after.mention_ids == [o0.id] and other_after.author_id == o0.author_id


def test_staff_responses_are_masked_like_mentions(tmp_path):
    from sadap.app.ingest import IngestPipeline

    config = _config(tmp_path)
    pipeline = IngestPipeline(config, alerts=False)
    pipeline.process(_raws())
    pipeline.close()
    with _open(config) as store:
        mention_id = _ids(store)["o0"]
    reply = "คุณสมศรีคะ ทีมงานจะโทรกลับที่ 081-234-5678 หรืออีเมล somsri@example.com ดูขั้นตอนที่ https://bank.example/help"
    result = CliRunner().invoke(main, ["mentions", "respond", mention_id, reply, "--by", "staff", "--config", str(config.path)])
    assert result.exit_code == 0, result.output
    with _open(config) as store:
        [stored] = store.responses_for([mention_id])
    assert stored["text"] == "คุณสมศรีคะ ทีมงานจะโทรกลับที่ [โทร] หรืออีเมล [อีเมล] ดูขั้นตอนที่ https://bank.example/help"


def test_case_and_incident_notes_are_masked_like_responses(tmp_path):
    """Staff note a customer's number on a case or an incident (before, kept as typed: erasure
    never reached it)."""
    from sadap.app import complaints as cases
    from sadap.core.incident import Incident
    from sadap.app.ingest import IngestPipeline

    config = _config(tmp_path)
    pipeline = IngestPipeline(config, alerts=False)
    pipeline.process(_raws())
    pipeline.close()
    with _open(config) as store:
        mention = store.get(_ids(store)["o0"])
        [case] = cases.assign(store, [mention.model_copy(update={"complaint": mention.complaint.model_copy(
            update={"is_complaint": True})})], now_utc())
        at = now_utc()
        incident = Incident(playbook="service-outage", rule="r1", severity="P2", title="แอปล่ม", opened_at=at,
                            updated_at=at, mention_ids=[mention.id])
        store.save_incident(incident)
    note = "โทรหาคุณสมศรีที่ 081-234-5678 แล้ว ส่งอีเมลถึง somsri@example.com และแท็ก @somsri_k"
    masked = "โทรหาคุณสมศรีที่ [โทร] แล้ว ส่งอีเมลถึง [อีเมล] และแท็ก [@]"
    runs = [["complaints", "note", case.id, note], ["complaints", "close", case.id, "--reason", "resolved", "--note", note],
            ["incidents", "note", incident.id, note], ["incidents", "ack", incident.id, "--note", note]]
    for args in runs:
        result = CliRunner().invoke(main, [*args, "--by", "staff", "--config", str(config.path)])
        assert result.exit_code == 0, result.output
    with _open(config) as store:
        texts = [e.text for e in store.get_case(case.id).events if e.actor == "staff"]
        texts += [e.text for e in store.events(incident.id) if e.actor == "staff"]
    assert texts == [masked] * 4, texts


def _open(config):
    from sadap.store import open_store

    return open_store(config)


HANDLE = "somchai_k"
KEYED_CONFIG = """data_dir: data
rules:
  - {id: new-tag, type: new_term, title: แฮชแท็กใหม่, field: hashtag, min_count: 3, min_authors: 3,
     time_field: collected_at, playbook: rumour-fake-news}
notifiers:
  - {id: hook, type: webhook, url: "http://127.0.0.1:9/hook", retries: 0}
"""
ABOUT_HIM = ["รู้จักไหม #somchai_k คนนี้โพสต์เรื่องแอปทั้งวัน", "#somchai_k รีวิวบัตรเครดิตใบใหม่ได้ละเอียดมาก",
             "ใครตาม #somchai_k บ้าง เขาว่าดอกเบี้ยขึ้นอีกแล้ว", "ดูคลิปของ #somchai_k แล้วอยากเปิดบัญชีออมทรัพย์"]
ABOUT_APP = ["เข้าแอปไม่ได้ตั้งแต่เช้า #แอปล่ม", "โอนเงินค้างอยู่ครึ่งชั่วโมงแล้ว #แอปล่ม",
             "ใครเป็นเหมือนกันบ้าง สแกนจ่ายไม่ผ่าน #แอปล่ม", "สิ้นเดือนทีไรระบบช้าทุกที #แอปล่ม"]


@pytest.fixture(params=["sqlite", pytest.param("elasticsearch", marks=pytest.mark.es)])
def keyed(request, tmp_path):
    """A new_term rule has fired on the hashtag #somchai_k (others' posts about him) and on
    #แอปล่ม; somchai_k posted too. Both alerts opened an incident and queued a webhook; each key
    has a snooze."""
    from sadap.app.alerting import build_engine
    from sadap.app.ingest import IngestPipeline
    from sadap.app.config import load_config_file
    from sadap.core.mention import RawMention
    from sadap.store import open_store

    (tmp_path / "sadap.yaml").write_text(KEYED_CONFIG, encoding="utf-8")
    config = load_config_file(tmp_path / "sadap.yaml")
    if request.param == "sqlite":
        store = open_store(config)
    else:
        from tests.es_support import drop_test_store, es_test_url, make_test_store

        url = es_test_url()
        store = make_test_store(url or request.getfixturevalue("osmem_clone").url, real=bool(url),
                                spool_dir=tmp_path / "spool")
    at = now_utc()
    raws = [RawMention(source_kind="file", source_name="social", native_id=f"own{i}", author=HANDLE,
                       text=f"แอปธนาคารล่มอีกแล้ว ครั้งที่ {i} โอนเงินไม่ได้เลย", published_at=at - timedelta(minutes=10 * i))
            for i in range(3)]
    raws += [RawMention(source_kind="file", source_name="social", native_id=f"{tag}{i}", author=f"{tag}{i}", text=text,
                        published_at=at - timedelta(minutes=5 * i))
             for tag, texts in (("him", ABOUT_HIM), ("app", ABOUT_APP)) for i, text in enumerate(texts)]
    IngestPipeline(config, store=store, alerts=False).process(raws)
    fired = build_engine(config, store).check(now_utc())
    assert sorted(a.key for a in fired) == [HANDLE, "แอปล่ม"]
    for key in (HANDLE, "แอปล่ม"):
        store.snooze("new-tag", key, at + timedelta(days=1), "oncall", f"เฝ้าดู {key} แล้ว")
    yield config, store
    if request.param == "elasticsearch" and es_test_url():
        drop_test_store(store)
    else:
        store.close()


def _state(store: Store) -> dict[str, object]:
    """What the alerting state holds: alerts, incidents with their timelines, notifications, snoozes."""
    incidents = store.list_incidents()
    return {"alerts": store.alerts_since(now_utc() - timedelta(days=1)),
            "incidents": [i.model_dump(mode="json") for i in incidents],
            "events": [e.model_dump(mode="json") for i in incidents for e in store.events(i.id)],
            "deliveries": [d.__dict__ for d in store.deliveries()], "snoozes": store.snoozes()}


def test_erase_by_author_masks_their_handle_where_it_is_an_alert_key(keyed):
    config, store = keyed
    before = json.dumps(_state(store), ensure_ascii=False, default=str)
    assert before.count(HANDLE) > 5 and "แอปล่ม" in before  # there before: the checks below can fail
    assert store.last_fired("new-tag", HANDLE) is not None

    result = pdpa.erase(config, store, pdpa.select(config, store, author="@Somchai_K"), actor="dpo")
    assert result["mentions"] == 3
    # the alert, its incident and the queued webhook (its timeline names the alert's title only)
    assert result["keys_masked"] == 3 and result["snoozes_removed"] == 2  # the snooze and the cool-down

    state = _state(store)
    after = json.dumps(state, ensure_ascii=False, default=str)
    assert HANDLE not in after.lower()
    titles = sorted(i["title"] for i in state["incidents"])  # type: ignore[union-attr]
    assert titles == ["ข่าวลือ/ข่าวปลอม — [ลบแล้ว]", "ข่าวลือ/ข่าวปลอม — แอปล่ม"]
    assert sorted(a["key"] for a in state["alerts"]) == ["[ลบแล้ว]", "แอปล่ม"]  # type: ignore[union-attr]
    assert [s["key"] for s in state["snoozes"]] == ["แอปล่ม"]  # type: ignore[union-attr]
    assert pdpa.report(config, store)["counts"]["snoozes"] == 1
    assert store.last_fired("new-tag", HANDLE) is None and store.last_fired("new-tag", "แอปล่ม") is not None
    texts = [d["text_th"] for d in state["deliveries"]]  # type: ignore[union-attr, index]
    assert sum("— [ลบแล้ว]" in t for t in texts) == 1 and sum("— แอปล่ม" in t for t in texts) == 1
    audit = (config.data_path / pdpa.AUDIT_FILE).read_text(encoding="utf-8")
    assert HANDLE not in audit.lower() and json.loads(audit.splitlines()[-1])["keys_masked"] == 3


def test_erase_by_mention_id_leaves_alert_keys(keyed):
    config, store = keyed
    own = [m.id for m in store.search(MentionFilter(), limit=100) if m.native_id.startswith("own")]
    result = pdpa.erase(config, store, pdpa.select(config, store, mention_ids=own), actor="dpo")
    assert result["mentions"] == 3 and result["keys_masked"] == 0 and result["snoozes_removed"] == 0
    assert sorted(s["key"] for s in store.snoozes()) == [HANDLE, "แอปล่ม"]
