"""The cause of the problem behind a complaint case (standard 002 A4013.01: วิเคราะห์สาเหตุของปัญหา;
docs/pr-crm.md, "Complaint cases"): set by hand or with the closing, each change kept on the
timeline, listed and counted by period on both stores (an older SQLite file or Elasticsearch
index gets the field), and as the handler meets it on the command line. Real stores, Thai text."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from sadap.app import complaints as cases
from sadap.app.cli import main
from sadap.app.config import load_config_file
from sadap.core.complaint_case import CAUSE_WORDS, PRESS_COVERAGE, CaseEvent, ComplaintCase
from sadap.core.errors import InputError
from sadap.core.mention import Complaint, Mention, Sentiment, mention_id
from sadap.core.timeutil import now_utc
from sadap.store import Store, open_store
from sadap.store.es_mappings import CASES_LAYOUT
from sadap.store.sqlite import SQLiteStore
from tests.test_store_contract import store  # noqa: F401  (the backend fixture: SQLite, Elasticsearch)

NOW = datetime.fromisoformat("2026-11-20T03:00:00.250000+00:00")
SINCE = NOW - timedelta(days=90)


def closed_case(n: int, closed_days: float | None, cause: str | None, reason: str = "resolved") -> ComplaintCase:
    received = NOW - timedelta(days=100)
    case = ComplaintCase(id=f"CASE-{n:08X}", received_at=received, updated_at=received, channel="pantip",
                         source_name="pantip", mention_ids=[f"m{n}"], cause=cause,
                         events=[CaseEvent(at=received, kind="opened", text="รับเรื่องร้องเรียน")])
    if closed_days is not None:
        case.state, case.close_reason, case.closed_by = "closed", reason, "somsri"
        case.closed_at = NOW - timedelta(days=closed_days)
    return case


#: (closed days before NOW or open, cause) → counted in [SINCE, NOW)
CASES = [
    ((1, "system_failure"), True),
    ((30, "system_failure"), True),
    ((89, "system_failure"), True),
    ((2, "communication"), True),
    ((5, None), True),  # closed without a cause: "not recorded"
    ((None, "system_failure"), False),  # open
    ((91, "policy"), False),  # closed before the period
    ((90 + 1e-6, "policy"), False),  # a moment before it opened
    ((90 - 1e-6, "process"), True),  # and a moment after
    ((-1e-6, "policy"), False),  # at the end of the period: not included
    # news coverage the system closed (clear_press): not a customer's complaint, so no cause to count
    ((3, None, PRESS_COVERAGE), False),
    ((4, "external", PRESS_COVERAGE), False),  # even one someone gave a cause to
]


def check_counts(s: Store) -> None:
    for n, (spec, _) in enumerate(CASES):
        s.save_case(closed_case(n, *spec))
    expected: dict[str | None, int] = {}
    for (_, cause, *_), counted in CASES:
        if counted:
            expected[cause] = expected.get(cause, 0) + 1
    assert s.case_cause_counts(SINCE, NOW) == expected
    assert Store.case_cause_counts(s, SINCE, NOW) == expected  # as the base class derives them
    # most first, ties in the vocabulary's order, the unrecorded last
    assert cases.cause_counts(s, SINCE, NOW) == [("system_failure", 3), ("process", 1), ("communication", 1), (None, 1)]


def test_counts_of_closed_cases_by_cause_over_a_period(store):  # noqa: F811
    check_counts(store)


def check_history(s: Store) -> None:
    s.save_case(closed_case(1, None, None))
    case_id = "CASE-00000001"
    cases.set_cause(s, case_id, "misunderstanding", "somsri", "ผู้ร้องเข้าใจว่าค่าธรรมเนียมเก็บซ้ำ")
    cases.set_cause(s, case_id.lower(), "system_failure", "manop", "ระบบตัดเงินซ้ำจริงตามบันทึกธุรกรรม")
    cases.set_cause(s, case_id, "system_failure", "manop")  # the same again: nothing changes
    case = s.get_case(case_id)
    assert (case.cause, case.cause_by, case.cause_note) == ("system_failure", "manop", "ระบบตัดเงินซ้ำจริงตามบันทึกธุรกรรม")
    changes = [(e.actor, e.data, e.text) for e in case.events if e.kind == "cause"]
    assert changes == [("somsri", {"from": None, "to": "misunderstanding"}, "ผู้ร้องเข้าใจว่าค่าธรรมเนียมเก็บซ้ำ"),
                       ("manop", {"from": "misunderstanding", "to": "system_failure"}, "ระบบตัดเงินซ้ำจริงตามบันทึกธุรกรรม")]
    shown = [i["text"] for i in cases.timeline(s, case) if i["kind"] == "cause"]
    assert shown[-1] == "ผู้ร้องเข้าใจคลาดเคลื่อน → ระบบขัดข้อง: ระบบตัดเงินซ้ำจริงตามบันทึกธุรกรรม"
    with pytest.raises(InputError, match=r"^cause: 'bug' is not a cause \(allowed: system_failure, process, "):
        cases.set_cause(s, case_id, "bug", "manop")
    closed = cases.close(s, case_id, "compensated", "manop", cause="product_defect")
    assert closed.cause == "product_defect" and [e.kind for e in closed.events][-2:] == ["cause", "closed"]
    assert s.case_cause_counts(NOW - timedelta(days=1), now_utc() + timedelta(seconds=5)) == {"product_defect": 1}


def test_a_change_of_cause_is_kept_on_the_timeline(store):  # noqa: F811
    check_history(store)


def test_a_case_document_with_an_unknown_cause_is_refused():
    with pytest.raises(ValidationError, match="'bug' is not a cause"):
        ComplaintCase.model_validate({**closed_case(1, 1, None).model_dump(mode="json"), "cause": "bug"})
    assert len(CAUSE_WORDS) == 10 and all(th and en for th, en in CAUSE_WORDS.values())


def test_sqlite_store_made_before_causes_counts_them_from_the_cases(tmp_path):
    path = tmp_path / "old.db"
    s = SQLiteStore(path)
    for n, (spec, _) in enumerate(CASES):
        s.save_case(closed_case(n, *spec))
    s.close()
    db = sqlite3.connect(path)  # what schema 10 was: no cause column
    db.execute("ALTER TABLE complaint_cases DROP COLUMN cause")
    db.execute("PRAGMA user_version=10")
    db.commit()
    db.close()
    for _ in range(2):  # the second open finds nothing to do
        s = SQLiteStore(path)
        assert dict(cases.cause_counts(s, SINCE, NOW)) == {"system_failure": 3, "process": 1, "communication": 1, None: 1}
        s.close()


@pytest.mark.es
def test_elasticsearch_index_made_before_causes_gets_them(request, tmp_path):
    """An index of layout 5 (no cause) is brought up to date by the first store that looks up
    cases: each case's cause from its document."""
    from tests.es_support import drop_test_store, es_test_url, make_test_store

    url = es_test_url()
    old = make_test_store(url or request.getfixturevalue("osmem_clone").url, real=bool(url), spool_dir=tmp_path / "a")
    old.setup()
    index, client = old.names.complaint_cases, old.client
    client.indices.delete(index=index)
    client.indices.delete_index_template(name=index)
    keyword = {"type": "keyword"}
    client.indices.create(index=index, mappings={"dynamic": "strict", "_meta": {"cases_layout": 5}, "properties": {
        "id": keyword, "state": keyword, "received_at": {"type": "date"}, "author_id": keyword, "thread": keyword,
        "incident_id": keyword, "mention_ids": keyword, "stakeholders": keyword, "closed_at": {"type": "date"},
        "doc": {"type": "keyword", "index": False, "doc_values": False}}})
    for n, (spec, _) in enumerate(CASES):  # as the version before wrote them (their documents with a cause)
        case = closed_case(n, *spec)
        client.index(index=index, id=case.id, document={
            "id": case.id, "state": case.state, "received_at": case.received_at.isoformat(), "author_id": None,
            "thread": None, "incident_id": None, "mention_ids": case.mention_ids, "stakeholders": [],
            "closed_at": case.closed_at.isoformat() if case.closed_at else None, "doc": case.model_dump_json()})
    client.indices.refresh(index=index)
    new = make_test_store(url or request.getfixturevalue("osmem_clone").url, prefix=old.names.prefix, real=bool(url),
                          spool_dir=tmp_path / "b")
    try:
        assert dict(cases.cause_counts(new, SINCE, NOW)) == {"system_failure": 3, "process": 1, "communication": 1, None: 1}
        mapping = next(iter(client.indices.get_mapping(index=index).body.values()))["mappings"]
        assert mapping["_meta"]["cases_layout"] == CASES_LAYOUT == 6 and mapping["properties"]["cause"] == keyword
        found = client.search(index=index, query={"term": {"cause": "system_failure"}}, size=20).body["hits"]["hits"]
        assert len(found) == 4  # the three closed and the open one, indexed again with their cause
    finally:
        new.close()
        drop_test_store(old) if url else old.close()


# -- as the handler meets it: the command line ------------------------------------------------------
COMPLAINTS = [  # (native id, author, hours ago, text)
    ("p1", "a_ชายกลางซอย", 6, "โดนตัดเงินซ้ำสองรอบ โอนค่าเช่าห้องครั้งเดียว เงินหายไป แย่มาก"),
    ("p2", "a_ป้าแดงของชำ", 1, "แอปแสงทองโอนเงินไม่ได้ตั้งแต่เช้า ลูกค้ารอหน้าร้านอยู่เลยค่ะ"),
    ("p3", "a_ลุงหมาน", 2, "ตู้เอทีเอ็มหน้าตลาดกลืนบัตร โทรคอลเซ็นเตอร์ก็ไม่มีใครรับสาย"),
]


@pytest.fixture
def config(tmp_path):
    (tmp_path / "sadap.yaml").write_text(
        "data_dir: data\nwatch:\n  - name: ธนาคารแสงทอง\n    aliases: [แสงทอง]\nnotifiers: []\n", encoding="utf-8")
    config = load_config_file(tmp_path / "sadap.yaml")
    now = now_utc()
    found = [Mention(id=mention_id("pantip", native), source_kind="pantip", source_name="pantip", native_id=native,
                     author_id=author, published_at=now - timedelta(hours=ago), collected_at=now, text=text,
                     sentiment=Sentiment(label="neg", score=0.9),
                     complaint=Complaint(is_complaint=True, type="price_billing"))
             for native, author, ago, text in COMPLAINTS]
    with open_store(config) as s:
        s.upsert(found)
        cases.assign(s, found, now)
    return config


def _run(config, *args: str):
    return CliRunner().invoke(main, [*args, "--config", str(config.path)])


def _case_of(config, native: str) -> str:
    with open_store(config) as s:
        return next(c.id for c in s.list_cases() if mention_id("pantip", native) in c.mention_ids)


def test_cli_records_lists_and_counts_causes(config):
    p1, p2, p3 = (_case_of(config, n) for n in ("p1", "p2", "p3"))
    set_ = _run(config, "complaints", "cause", p1.lower(), "communication", "--by", "somsri",
                "--note", "ผู้ร้องแจ้งเบอร์ 081-234-5678 ให้โทรกลับ ไม่เข้าใจขั้นตอนคืนเงิน")
    assert set_.exit_code == 0, set_.output
    assert set_.output.strip() == f"{p1}: สาเหตุ การสื่อสารหรือข้อมูลไม่ชัดเจน (communication)"
    changed = _run(config, "complaints", "cause", p1, "system_failure", "--by", "manop")
    assert changed.exit_code == 0, changed.output
    shown = _run(config, "complaints", "show", p1).output
    assert "สาเหตุของปัญหา: ระบบขัดข้อง (system failure) · โดย manop" in shown
    history = [x for x in shown.splitlines() if "สาเหตุของปัญหา" in x and "→" in x]
    assert len(history) == 2 and "somsri" in history[0] and "- → การสื่อสารหรือข้อมูลไม่ชัดเจน: ผู้ร้องแจ้งเบอร์ [โทร]" in history[0]
    assert "081-234-5678" not in shown  # the note is masked as staff notes are
    assert "manop" in history[1] and "การสื่อสารหรือข้อมูลไม่ชัดเจน → ระบบขัดข้อง" in history[1]
    assert "สาเหตุของปัญหา: ยังไม่ได้บันทึก" in _run(config, "complaints", "show", p2).output
    data = json.loads(_run(config, "complaints", "show", p1, "--json").output)
    assert (data["cause"], data["cause_th"], data["cause_en"], data["cause_by"]) == (
        "system_failure", "ระบบขัดข้อง", "system failure", "manop")

    closed = _run(config, "complaints", "close", p2, "--reason", "explained", "--cause", "misunderstanding", "--by", "somsri")
    assert closed.exit_code == 0, closed.output
    _run(config, "complaints", "close", p3, "--reason", "resolved", "--by", "somsri")
    _run(config, "complaints", "close", p1, "--reason", "compensated", "--by", "manop")
    rows = json.loads(_run(config, "complaints", "list", "--json", "--cause", "system_failure").output)
    assert [(r["id"], r["cause_th"], r["cause_en"]) for r in rows] == [(p1, "ระบบขัดข้อง", "system failure")]
    listed = _run(config, "complaints", "list").output
    assert "สาเหตุ: ผู้ร้องเข้าใจคลาดเคลื่อน" in next(x for x in listed.splitlines() if x.startswith(p2))

    counted = _run(config, "complaints", "causes", "--since", "90d")
    assert counted.exit_code == 0, counted.output
    lines = counted.output.splitlines()
    assert lines[0].endswith(": 3 เรื่อง") and "สาเหตุ" in lines[1] and "สัดส่วน" in lines[1]
    assert [x.split()[0] for x in lines[2:]] == ["ระบบขัดข้อง", "ผู้ร้องเข้าใจคลาดเคลื่อน", "ยังไม่ได้บันทึก"]
    assert lines[2].split()[-2:] == ["1", "33%"]
    got = json.loads(_run(config, "complaints", "causes", "--since", "90d", "--json").output)
    assert got["closed"] == 3 and [(c["cause"], c["cause_th"], c["cases"]) for c in got["causes"]] == [
        ("system_failure", "ระบบขัดข้อง", 1), ("misunderstanding", "ผู้ร้องเข้าใจคลาดเคลื่อน", 1), (None, None, 1)]
    assert json.loads(_run(config, "complaints", "causes", "--since", "2020-01-01", "--until", "2020-02-01",
                           "--json").output)["causes"] == []


def test_cli_refuses_a_bad_cause_in_one_line(config):
    p1 = _case_of(config, "p1")
    bad = _run(config, "complaints", "cause", p1, "bug")
    assert bad.exit_code == 2 and "'bug' is not one of 'system_failure'" in bad.output
    assert _run(config, "complaints", "close", p1, "--reason", "resolved", "--cause", "bug").exit_code == 2
    with open_store(config) as s:
        case = s.get_case(p1)
        assert case.state == "open" and case.cause is None  # nothing half done
    nowhere = _run(config, "complaints", "cause", "CASE-00000000", "policy")
    assert nowhere.exit_code == 1 and nowhere.output.strip().startswith("sadap: no complaint case 'CASE-00000000'")
    backwards = _run(config, "complaints", "causes", "--since", "7d", "--until", "30d")
    assert backwards.exit_code == 1 and backwards.output.strip() == "sadap: --until '30d': not after --since '7d'"
    assert _run(config, "complaints", "causes", "--since", "เมื่อวาน").output.startswith("sadap: --since 'เมื่อวาน':")
