"""Two things a complaint handler reads off the case queue (docs/pr-crm.md, "Complaint cases"):

* the window on closed cases is on when they were closed: `complaints list --state closed
  --days 7` is the cases closed this week, whenever they were received (both stores, and stores
  and indices made before the stores kept the closing time);
* a customer writing again after our answer is waiting again: the case is unanswered, its clock
  runs from the follow-up (the configured case SLA), in `complaints list|show`, the workspace's
  queue and case page, on both stores.

Real SQLite files, osmem-server for Elasticsearch, real Thai complaints."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner

from sadap.app import complaints as cases
from sadap.app.cli import main
from sadap.app.config import load_config_file
from sadap.core.complaint_case import CaseEvent, ComplaintCase
from sadap.core.mention import Complaint, Mention, Sentiment, mention_id
from sadap.core.timeutil import now_utc
from sadap.store import Store, open_store
from sadap.store.es_mappings import CASES_LAYOUT
from sadap.store.sqlite import SQLiteStore
from tests.test_store_contract import store  # noqa: F401  (the backend fixture: SQLite, Elasticsearch)

NOW = datetime.fromisoformat("2026-11-20T03:00:00.250000+00:00")
WEEK = NOW - timedelta(days=7)


def complaint(native: str, author: str, at: datetime, text: str) -> Mention:
    return Mention(id=mention_id("pantip", native), source_kind="pantip", source_name="pantip", native_id=native,
                   author_id=author, published_at=at, collected_at=at, text=text,
                   sentiment=Sentiment(label="neg", score=0.9),
                   complaint=Complaint(is_complaint=True, type="price_billing"))


def closed_case(n: int, received_days: float, closed_days: float | None, timeline_only: bool = False) -> ComplaintCase:
    """A case received ``received_days`` before NOW and closed ``closed_days`` before it (None:
    open); ``timeline_only``: its closing is on its timeline but not in ``closed_at`` (a case
    document written without one)."""
    received = NOW - timedelta(days=received_days)
    case = ComplaintCase(id=f"CASE-{n:08X}", received_at=received, updated_at=received, channel="pantip",
                         source_name="pantip", mention_ids=[f"m{n}"],
                         events=[CaseEvent(at=received, kind="opened", text="รับเรื่องร้องเรียน")])
    if closed_days is not None:
        at = NOW - timedelta(days=closed_days)
        case.state, case.close_reason, case.closed_by = "closed", "resolved", "somsri"
        case.closed_at = None if timeline_only else at
        case.events.append(CaseEvent(at=at, kind="closed", actor="somsri", text="คืนเงินแล้ว", data={"reason": "resolved"}))
    return case


#: (received days ago, closed days ago or open, closing on the timeline only) → in a week's queue
WINDOW = [
    ((30, 1, False), True),  # received a month ago, closed yesterday: closed this week
    ((3, 2, False), True),
    ((10, 9, False), False),  # closed before the week
    ((40, None, False), True),  # open: whatever its age
    ((20, 1, True), True),  # closed yesterday, the time on its timeline only
    ((20, 12, True), False),
    ((7.5, 7 - 1e-6, False), True),  # closed a moment after the window opened
    ((7.5, 7 + 1e-6, False), False),  # and a moment before
]


def _ids(found: list[ComplaintCase] | list) -> list[str]:  # type: ignore[type-arg]
    return [c.id for c in found]


def check_window(s: Store) -> None:
    made = [closed_case(n, *spec) for n, (spec, _) in enumerate(WINDOW)]
    for case in made:
        s.save_case(case)
    expected = [c.id for c in s.list_cases() if dict(zip((m.id for m in made), (w for _, w in WINDOW)))[c.id]]
    assert _ids(s.queue_cases(WEEK)) == expected == _ids(Store.queue_cases(s, WEEK))
    assert _ids(s.queue_case_keys(WEEK)) == expected
    # erasing a mention rewrites the case (PDPA) and keeps its closing time
    s.erase([made[4].mention_ids[0]])
    assert s.get_case(made[4].id).mention_ids == [] and _ids(s.queue_cases(WEEK)) == expected
    # reopened: open again, whenever it was closed; closed again: by the new closing
    again = s.get_case(made[2].id)
    again.state, again.closed_at = "open", None
    s.save_case(again)
    assert made[2].id in _ids(s.queue_cases(WEEK))
    again.state, again.closed_at = "closed", NOW - timedelta(days=20)
    s.save_case(again)
    assert made[2].id not in _ids(s.queue_cases(WEEK))


def test_the_window_on_closed_cases_is_their_closing_time(store):  # noqa: F811
    check_window(store)


def test_sqlite_store_made_before_closed_at_reads_closing_times_from_the_cases(tmp_path):
    path = tmp_path / "old.db"
    s = SQLiteStore(path)
    made = [closed_case(n, *spec) for n, (spec, _) in enumerate(WINDOW)]
    for case in made:
        s.save_case(case)
    s.close()
    db = sqlite3.connect(path)  # what schema 9 was: no closed_at column
    db.execute("DROP INDEX complaint_cases_closed")
    db.execute("ALTER TABLE complaint_cases DROP COLUMN closed_at")
    db.execute("PRAGMA user_version=9")
    db.commit()
    db.close()
    for _ in range(2):  # the second open finds nothing to do
        s = SQLiteStore(path)
        assert _ids(s.queue_cases(WEEK)) == [c.id for c in s.list_cases() if c.id in
                                             {m.id for m, (_, w) in zip(made, WINDOW, strict=True) if w}]
        s.close()


@pytest.mark.es
def test_elasticsearch_index_made_before_closed_at_gets_it(request, tmp_path):
    """An index of layout 4 (no closed_at) is brought up to date by the first store that looks
    up cases: each closed case's closing time from its document or timeline."""
    from tests.es_support import drop_test_store, es_test_url, make_test_store

    url = es_test_url()
    old = make_test_store(url or request.getfixturevalue("osmem_clone").url, real=bool(url), spool_dir=tmp_path / "a")
    old.setup()
    index, client = old.names.complaint_cases, old.client
    client.indices.delete(index=index)
    client.indices.delete_index_template(name=index)
    keyword = {"type": "keyword"}
    client.indices.create(index=index, mappings={"dynamic": "strict", "_meta": {"cases_layout": 4}, "properties": {
        "id": keyword, "state": keyword, "received_at": {"type": "date"}, "author_id": keyword, "thread": keyword,
        "incident_id": keyword, "mention_ids": keyword, "stakeholders": keyword,
        "doc": {"type": "keyword", "index": False, "doc_values": False}}})
    made = [closed_case(n, *spec) for n, (spec, _) in enumerate(WINDOW)]
    for case in made:  # as the version before wrote them
        client.index(index=index, id=case.id, document={
            "id": case.id, "state": case.state, "received_at": case.received_at.isoformat(), "author_id": None,
            "thread": None, "incident_id": None, "mention_ids": case.mention_ids, "stakeholders": [],
            "doc": case.model_dump_json()})
    client.indices.refresh(index=index)
    new = make_test_store(url or request.getfixturevalue("osmem_clone").url, prefix=old.names.prefix, real=bool(url),
                          spool_dir=tmp_path / "b")
    try:
        assert _ids(new.queue_cases(WEEK)) == [c.id for c in new.list_cases() if c.id in
                                               {m.id for m, (_, w) in zip(made, WINDOW, strict=True) if w}]
        mapping = next(iter(client.indices.get_mapping(index=index).body.values()))["mappings"]
        assert mapping["_meta"]["cases_layout"] == CASES_LAYOUT and mapping["properties"]["closed_at"] == {"type": "date"}
    finally:
        new.close()
        drop_test_store(old) if url else old.close()


# -- a follow-up after our answer ------------------------------------------------------------------
def check_follow_up(s: Store, sla: timedelta = timedelta(hours=24)) -> None:
    first = complaint("f1", "a_ป้าแดงของชำ", NOW - timedelta(hours=40), "ตู้เอทีเอ็มหน้าตลาดกลืนบัตร ช่วยด้วยค่ะ")
    s.upsert([first])
    (case,) = cases.assign(s, [first], NOW - timedelta(hours=39))
    s.log_response(first.id, NOW - timedelta(hours=38), "somsri", "pantip", "ขออภัยค่ะ กำลังตรวจสอบให้นะคะ")
    follow = complaint("f2", "a_ป้าแดงของชำ", NOW - timedelta(hours=30), "ผ่านมาวันนึงแล้วยังไม่ได้บัตรคืนเลย ติดต่อใครได้บ้างคะ")
    s.upsert([follow])
    assert [c.id for c in cases.assign(s, [follow], NOW - timedelta(hours=29), fresh=True)] == [case.id]
    page = cases.queue_page(s, NOW, 7, sla)
    (row,) = page.rows
    ticking = row["clock"]
    assert ticking["answered"] is None and not ticking["in_time"]  # the customer waits again
    assert ticking["since"] == follow.published_at and ticking["due"] == follow.published_at + sla
    assert ticking["follow_up"] == follow.id and row["follow_up"].id == follow.id
    assert ticking["first_response"] == NOW - timedelta(hours=38)
    assert ticking["overdue"] and page.unanswered == 1 and page.overdue == 1
    assert cases.case_clock(s, s.get_case(case.id), NOW, sla) == ticking  # the case page reads the same clock
    early = cases.queue_page(s, follow.published_at + timedelta(hours=1), 7, sla).rows[0]["clock"]
    assert not early["overdue"] and early["left"] == sla - timedelta(hours=1)
    # answered (to the first post: any of the case's mentions): the wait ends, late
    s.log_response(first.id, NOW - timedelta(hours=2), "somsri", "pantip", "ทางธนาคารจะส่งบัตรใหม่ให้ภายในวันนี้ค่ะ")
    done = cases.queue_page(s, NOW, 7, sla)
    ticking = done.rows[0]["clock"]
    assert ticking["answered"] == NOW - timedelta(hours=2) and not ticking["in_time"] and not ticking["overdue"]
    assert ticking["follow_up"] == follow.id and done.rows[0]["follow_up"] is None and done.unanswered == 0
    # two more messages before we answer: the wait runs from the first of them
    more = [complaint("f3", "a_ป้าแดงของชำ", NOW - timedelta(minutes=50), "ยังไม่ได้บัตรใหม่เลยค่ะ"),
            complaint("f4", "a_ป้าแดงของชำ", NOW - timedelta(minutes=10), "ตกลงจะได้เมื่อไหร่คะ")]
    s.upsert(more)
    cases.assign(s, more, NOW, fresh=True)
    ticking = cases.queue_page(s, NOW, 7, sla).rows[0]["clock"]
    assert ticking["since"] == more[0].published_at and ticking["left"] == sla - timedelta(minutes=50)
    # a case of two complaints before any answer keeps its clock from the first
    other = [complaint("g1", "a_ลุงหมาน", NOW - timedelta(hours=5), "แอปโอนเงินไม่ได้ตั้งแต่เช้า"),
             complaint("g2", "a_ลุงหมาน", NOW - timedelta(hours=3), "ยังโอนไม่ได้อยู่ดี")]
    s.upsert(other)
    cases.assign(s, other, NOW, fresh=True)
    s.log_response(other[1].id, NOW - timedelta(hours=1), "somsri", "pantip", "แก้ไขระบบแล้วค่ะ")
    row = next(r for r in cases.queue_page(s, NOW, 7, sla).rows if other[0].id in r["case"].mention_ids)
    assert row["clock"]["since"] == other[0].published_at and row["clock"]["follow_up"] is None
    assert row["clock"]["answered"] == NOW - timedelta(hours=1) and row["clock"]["in_time"]


def test_a_follow_up_after_our_answer_waits_again(store):  # noqa: F811
    check_follow_up(store)
    check_follow_up_keys(store)


def check_follow_up_keys(s: Store) -> None:
    """The store's keys carry the times the clock is read from, as the base class derives them."""
    keys = s.queue_case_keys(WEEK)
    assert keys == Store.queue_case_keys(s, WEEK)
    assert all(k.posted == tuple(sorted(k.posted)) and k.responses == tuple(sorted(k.responses)) for k in keys)


# -- as the handler meets it: the CLI and the workspace ----------------------------------------------
@pytest.fixture
def config(tmp_path):
    (tmp_path / "sadap.yaml").write_text(
        "data_dir: data\nwatch:\n  - name: ธนาคารแสงทอง\n    aliases: [แสงทอง]\n"
        "rules:\n  - id: sla\n    type: complaint_sla\n    title: ข้อร้องเรียนเกิน 8 ชม.\n    sla: 8h\n"
        "notifiers: []\n", encoding="utf-8")
    return load_config_file(tmp_path / "sadap.yaml")


def _run(config, *args: str):
    return CliRunner().invoke(main, [*args, "--config", str(config.path)])


def test_cli_lists_the_cases_closed_this_week(config):
    now = now_utc()
    found = [complaint("old", "a_ชายกลางซอย", now - timedelta(days=30), "โดนตัดเงินซ้ำสองรอบ โอนค่าเช่าห้องครั้งเดียว"),
             complaint("new", "a_ป้าแดงของชำ", now - timedelta(days=3), "แอปแสงทองโอนเงินไม่ได้ตั้งแต่เช้า"),
             complaint("gone", "a_ลุงหมาน", now - timedelta(days=20), "ตู้เอทีเอ็มกลืนบัตร")]
    with open_store(config) as s:
        s.upsert(found)
        cases.assign(s, found, now)
        by_first = {c.mention_ids[0]: c.id for c in s.list_cases()}
        cases.close(s, by_first[found[0].id], "compensated", "somsri", at=now - timedelta(days=1))
        cases.close(s, by_first[found[1].id], "resolved", "somsri", at=now - timedelta(days=2))
        cases.close(s, by_first[found[2].id], "explained", "somsri", at=now - timedelta(days=19))
    listed = _run(config, "complaints", "list", "--state", "closed", "--days", "7")
    assert listed.exit_code == 0, listed.output
    shown = {line.split()[0] for line in listed.output.splitlines()}
    assert shown == {by_first[found[0].id], by_first[found[1].id]}  # received a month ago, closed yesterday: in
    rows = json.loads(_run(config, "complaints", "list", "--days", "7", "--json").output)
    assert {r["id"] for r in rows} == shown and all(r["closed_at"] for r in rows)
    helped = " ".join(_run(config, "complaints", "list", "--help").output.split())
    assert "Closed cases: those closed in the last N days (by when they were closed, not received)" in helped
    assert "Open cases are all listed, however old" in helped


def test_cli_shows_a_customer_waiting_again(config):
    now = now_utc()
    first = complaint("p1", "a_ป้าแดงของชำ", now - timedelta(hours=30), "ตู้เอทีเอ็มหน้าตลาดกลืนบัตร ช่วยด้วยค่ะ")
    follow = complaint("p2", "a_ป้าแดงของชำ", now - timedelta(hours=3), "ผ่านมาวันนึงแล้วยังไม่ได้บัตรคืนเลย ติดต่อใครได้บ้างคะ")
    with open_store(config) as s:
        s.upsert([first])
        (case,) = cases.assign(s, [first], now - timedelta(hours=29))
        s.log_response(first.id, now - timedelta(hours=28), "somsri", "pantip", "ขออภัยค่ะ กำลังตรวจสอบให้นะคะ")
        s.upsert([follow])
        cases.assign(s, [follow], now, fresh=True)
    listed = _run(config, "complaints", "list", "--state", "open")
    assert listed.exit_code == 0, listed.output
    line = next(x for x in listed.output.splitlines() if x.startswith(case.id))
    assert "ติดตามซ้ำ เหลือ 4 ชม." in line and "ตอบแล้ว" not in line  # 8 h from the follow-up, 3 h gone
    (row,) = json.loads(_run(config, "complaints", "list", "--json").output)
    assert row["answered"] is None and row["follow_up"] == follow.id and not row["overdue"]
    assert row["waiting_since"] == follow.published_at.isoformat()
    assert row["due"] == (follow.published_at + timedelta(hours=8)).isoformat()
    shown = _run(config, "complaints", "show", case.id).output.splitlines()[1]
    assert "ตอบครั้งแรก" in shown and "ผู้ร้องติดตามอีกครั้ง" in shown and follow.id[:12] in shown
    assert shown.endswith("ติดตามซ้ำ เหลือ 4 ชม.")


@pytest.fixture(scope="module")
def web(demo_store_dir, tmp_path_factory):
    from tests.web_support import open_workspace

    config, s = open_workspace(demo_store_dir, tmp_path_factory.mktemp("followup") / "ws")
    yield config, s
    s.close()


def test_workspace_queue_and_case_page_show_the_follow_up(web):
    from tests.web_support import signed_in_client

    config, s = web
    now = now_utc()
    first = complaint("w1", "a_แม่ค้าออนไลน์", now - timedelta(hours=30), "ยอดโอนจากลูกค้าเข้าไม่ครบ หายไปสามรายการ")
    follow = complaint("w2", "a_แม่ค้าออนไลน์", now - timedelta(hours=2), "ทักมาอีกรอบนะคะ เงินยังไม่เข้าเลย")
    s.upsert([first])
    (case,) = cases.assign(s, [first], now - timedelta(hours=29))
    s.log_response(first.id, now - timedelta(hours=28), "somsri", "pantip", "รับเรื่องแล้วค่ะ")
    s.upsert([follow])
    cases.assign(s, [follow], now, fresh=True)
    client = signed_in_client(config, s, "responder")
    page = client.get("/complaints", params={"days": "7"})
    assert page.status_code == 200
    row = re.search(rf'<tr id="c-{case.id}" class="([^"]*)">(.*?)</tr>', page.text, re.S)
    assert row is not None and row.group(1) == ""  # not shown as answered
    assert "ผู้ร้องติดตามซ้ำ" in row.group(2) and "ทักมาอีกรอบนะคะ เงินยังไม่เข้าเลย" in row.group(2)
    assert f'action="/mentions/{follow.id}/respond"' in row.group(2)  # the reply goes to the follow-up
    assert "เรื่องที่ปิดภายใน (วัน)" in page.text
    case_page = client.get(f"/cases/{case.id}").text
    assert "ผู้ร้องติดตามอีกครั้ง" in case_page and f'href="/mentions/{follow.id}"' in case_page
    clock = re.search(r'<td class="clock">(.*?)</td>', case_page, re.S).group(1)
    assert "เหลือ" in clock and "✓" not in clock
