"""Complaint cases at ingest read only the open cases a batch can join (issue #19): the store's
``open_cases_joining`` on both backends (each key kind, the state filter, list_cases' order,
SQLite's parameter limit, erasure, stores and indices made before the join keys), and
``assign(fresh=True)`` making exactly the cases the full read of every open case made."""

from __future__ import annotations

import itertools
import sqlite3
from datetime import timedelta
from types import SimpleNamespace

import pytest

from sadap.app import complaints
from sadap.core import complaint_case
from sadap.core.complaint_case import ComplaintCase
from sadap.core.incident import Incident
from sadap.core.mention import Complaint, Mention, mention_id
from sadap.store import Store
from sadap.store.es_mappings import CASES_LAYOUT
from sadap.store.sqlite import SCHEMA_VERSION, SQLiteStore
from tests.test_store_contract import T0, store  # noqa: F401  (the backend fixture)


def _case(n: int, *, author: str | None = None, thread: str | None = None, incident: str | None = None,
          hours: float = 0, state: str = "open") -> ComplaintCase:
    at = T0 + timedelta(hours=hours)
    return ComplaintCase(id=f"CASE-{n:04d}", received_at=at, updated_at=at, channel="facebook", source_name="fb-page",
                         type="digital_outage", author_id=author, thread=thread, incident_id=incident,
                         mention_ids=[f"m{n}"], state=state,
                         closed_at=at if state == "closed" else None, close_reason="resolved" if state == "closed" else None)


CASES = [
    _case(1, author="a_1", hours=1),
    _case(2, author="a_2", thread="pantip|4321", hours=3),
    _case(3, thread="pantip|4321", hours=2),
    _case(4, incident="INC-1", hours=5),
    _case(5, author="a_1", incident="INC-2", hours=2),  # the same received_at as CASE-0003: by id
    _case(6, author="a_1", hours=9, state="closed"),
    _case(7, author="a_3", thread="pantip|99", incident="INC-1", hours=4),
    _case(8, hours=6),  # no keys at all (its complainant erased, say): joins nothing
]


def _ids(cases: list[ComplaintCase]) -> list[str]:
    return [c.id for c in cases]


def test_open_cases_joining_finds_each_kind_of_key_in_list_order(store):  # noqa: F811
    for case in CASES:
        store.save_case(case)
    order = _ids(store.list_cases(("open",)))
    assert order == ["CASE-0008", "CASE-0004", "CASE-0007", "CASE-0002", "CASE-0003", "CASE-0005", "CASE-0001"]
    asks = [
        ({"a_1"}, (), (), ["CASE-0005", "CASE-0001"]),  # not the closed CASE-0006
        ((), {"pantip|4321"}, (), ["CASE-0002", "CASE-0003"]),
        ((), (), {"INC-1"}, ["CASE-0004", "CASE-0007"]),
        ((), (), {"INC-2"}, ["CASE-0005"]),
        ({"a_1", "a_3"}, {"pantip|4321"}, {"INC-2"}, ["CASE-0007", "CASE-0002", "CASE-0003", "CASE-0005", "CASE-0001"]),
        ({"a_9", ""}, {"pantip|1"}, {"INC-9"}, []),
        ((), (), (), []),
    ]
    for authors, threads, incidents, expected in asks:
        got = _ids(store.open_cases_joining(authors, threads, incidents))
        assert got == expected, (authors, threads, incidents)
        # the same as the base class's reading of every open case, and in list_cases' order
        assert got == _ids(Store.open_cases_joining(store, authors, threads, incidents))
        assert got == [i for i in order if i in got]
    assert store.open_cases_joining({"a_1"})[0] == CASES[4]  # the whole case comes back
    # closing and reopening moves a case out of and back into the answer
    store.save_case(CASES[0].model_copy(update={"state": "closed"}))
    store.save_case(CASES[5].model_copy(update={"state": "open", "closed_at": None, "close_reason": None}))
    assert _ids(store.open_cases_joining({"a_1"})) == ["CASE-0006", "CASE-0005"]
    # a key changed on the case (an incident learnt later) is what it is found by
    store.save_case(CASES[7].model_copy(update={"incident_id": "INC-2"}))
    assert _ids(store.open_cases_joining(incidents={"INC-2"})) == ["CASE-0008", "CASE-0005"]


def test_erased_complainant_no_longer_finds_the_case(store):  # noqa: F811
    """Erasing every mention of a case also takes its pseudonym and thread off the keys."""
    for case in CASES[:3]:
        store.save_case(case)
    store.erase(["m2"])
    assert store.get_case("CASE-0002").author_id is None
    assert _ids(store.open_cases_joining({"a_2"}, {"pantip|4321"})) == ["CASE-0003"]
    assert _ids(store.open_cases_joining({"a_1"})) == ["CASE-0001"]


def test_sqlite_asks_in_chunks_past_the_parameter_limit(tmp_path):
    s = SQLiteStore(tmp_path / "many.db")
    for n in range(1500):
        s.save_case(_case(n, author=f"a_{n}" if n % 3 else None, thread=f"t|{n}" if n % 3 == 0 else None,
                          hours=(n * 7) % 100, state="closed" if n % 10 == 9 else "open"))
    authors = {f"a_{n}" for n in range(0, 3000)}  # 3,000 keys, half of them unknown
    threads = {f"t|{n}" for n in range(0, 3000)}
    got = _ids(s.open_cases_joining(authors, threads, {f"INC-{n}" for n in range(1200)}))
    expected = _ids(s.list_cases(("open",)))
    assert len(expected) == 1350 and got == expected
    assert _ids(s.open_cases_joining({f"a_{n}" for n in range(1000, 1100)})) == [
        i for i in expected if 1000 <= int(i[5:]) < 1100 and int(i[5:]) % 3]
    s.close()


def test_sqlite_store_made_before_the_join_keys_gets_them_when_opened(tmp_path):
    path = tmp_path / "old.db"
    s = SQLiteStore(path)
    for case in CASES:
        s.save_case(case)
    s.close()
    # Turn the file into what schema 7 was: complaint_cases without the three columns (nor case_mentions).
    db = sqlite3.connect(path)
    db.execute("DROP TABLE case_mentions")
    for column in ("author_id", "thread", "incident_id"):
        db.execute(f"DROP INDEX complaint_cases_{column}")
        db.execute(f"ALTER TABLE complaint_cases DROP COLUMN {column}")
    db.execute("PRAGMA user_version=7")
    db.commit()
    db.close()
    for _ in range(2):  # the second open finds nothing to do
        s = SQLiteStore(path)
        assert _ids(s.open_cases_joining({"a_1", "a_3"}, incidents={"INC-1"})) == [
            "CASE-0004", "CASE-0007", "CASE-0005", "CASE-0001"]
        assert s.list_cases() == sorted(CASES, key=lambda c: (-c.received_at.timestamp(), c.id))
        assert _ids(s.cases_holding(["m6", "m2"])) == ["CASE-0006", "CASE-0002"]
        s.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 11
    assert db.execute("SELECT COUNT(*) FROM complaint_cases WHERE author_id IS NOT NULL").fetchone()[0] == 5
    plan = " ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM complaint_cases WHERE thread IN ('x', 'y') AND state='open'"))
    assert "complaint_cases_thread" in plan  # an index lookup, not a scan of every case
    db.close()


@pytest.mark.es
def test_elasticsearch_index_made_before_the_join_keys_gets_them(request, tmp_path):
    """An index of layout 1 (no keys, no mark) is brought up to date by the first store that
    writes or looks up cases; the cases in it are found by their keys afterwards."""
    from tests.es_support import drop_test_store, es_test_url, make_test_store

    url = es_test_url()
    old = make_test_store(url or request.getfixturevalue("osmem_clone").url, real=bool(url), spool_dir=tmp_path / "a")
    old.setup()
    index, client = old.names.complaint_cases, old.client
    client.indices.delete(index=index)
    client.indices.delete_index_template(name=index)  # so the old index gets only the old mapping
    client.indices.create(index=index, mappings={"dynamic": "strict", "properties": {
        "id": {"type": "keyword"}, "state": {"type": "keyword"}, "received_at": {"type": "date"},
        "doc": {"type": "keyword", "index": False, "doc_values": False}}})
    for case in CASES:  # as the version before wrote them
        client.index(index=index, id=case.id, document={
            "id": case.id, "state": case.state, "received_at": case.received_at.isoformat(), "doc": case.model_dump_json()})
    client.indices.refresh(index=index)
    # another process of this version, on the same indices
    new = make_test_store(url or request.getfixturevalue("osmem_clone").url, prefix=old.names.prefix, real=bool(url),
                          spool_dir=tmp_path / "b")
    try:
        assert _ids(new.open_cases_joining({"a_1", "a_3"}, incidents={"INC-1"})) == [
            "CASE-0004", "CASE-0007", "CASE-0005", "CASE-0001"]
        mapping = next(iter(client.indices.get_mapping(index=index).body.values()))["mappings"]
        assert mapping["_meta"]["cases_layout"] == CASES_LAYOUT and mapping["properties"]["thread"] == {"type": "keyword"}
        new.save_case(_case(9, thread="pantip|4321", hours=7))  # writes with the keys are accepted
        assert _ids(new.open_cases_joining(threads={"pantip|4321"})) == ["CASE-0009", "CASE-0002", "CASE-0003"]
        assert new.list_cases(("open",))[1:] == [c for c in sorted(CASES, key=lambda c: (-c.received_at.timestamp(), c.id))
                                                 if c.state == "open"]
    finally:
        new.close()
        drop_test_store(old) if url else old.close()


# -- assign at ingest: the same cases as reading every open case -------------------------------

def _mention(n: int, author: str | None, *, kind: str = "facebook", source: str = "fb-page", hours: float = 0,
             thread: str | None = None, complaint: bool = True, text: str = "แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้เลยค่ะ",
             duplicate_of: str | None = None) -> Mention:
    at = T0 + timedelta(hours=hours)
    return Mention(id=mention_id(source, f"p{n}"), source_kind=kind, source_name=source, native_id=f"p{n}",
                   author_id=author, published_at=at, collected_at=at + timedelta(minutes=5), text=text,
                   extras={"thread_id": thread} if thread else {}, duplicate_of=duplicate_of,
                   complaint=Complaint(is_complaint=complaint, type="digital_outage" if complaint else None))


def _batches() -> list[list[Mention]]:
    """A week and more of complaints as they arrive: first complaints, follow-ups by the same
    people, a Pantip thread, a news outlet whose reporter shares a complainant's pseudonym (news
    forms no case),
    an incident, non-complaints and copies, a case closed by hand, a follow-up past the window."""
    return [
        [_mention(1, "a_1", text="โอนเงินผ่านแอปแสงทองไม่ได้ตั้งแต่เช้า เงินหายไปไหน"),
         _mention(2, "a_2", hours=0.5, text="บัตรเดบิตโดนตัดเงินซ้ำสองรอบ โทรคอลเซ็นเตอร์ก็ไม่มีคนรับ"),
         _mention(3, "a_5", kind="forum", source="pantip", thread="4321", hours=1,
                  text="กระทู้: ใครโอนเงินแสงทองไม่เข้าบ้างคะ รอมาสองวันแล้ว"),
         _mention(4, "a_6", hours=1.5, complaint=False, text="สาขาสยามบริการดีมาก ขอบคุณค่ะ"),
         _mention(5, "r_1", kind="news", source="thainews", hours=2, text="ลูกค้าร้องเรียนแอปธนาคารแสงทองล่มทั้งวัน")],
        [_mention(6, "a_1", hours=5, text="ยังโอนไม่ได้เลยค่ะ ติดต่อกลับด่วน"),
         _mention(7, "a_7", kind="forum", source="pantip", thread="4321", hours=6,
                  text="เป็นเหมือนกันครับ ยอดเงินไม่ตรงตั้งแต่เมื่อวาน"),
         _mention(8, "a_1", kind="news", source="thainews", hours=6.5,
                  text="ข่าว: ผู้ใช้บริการหลายรายร้องเรียนระบบโอนเงินขัดข้อง"),  # a reporter: not a_1's case, nor its own
         _mention(9, "r_1", kind="news", source="thainews", hours=7, text="ธนาคารแสงทองชี้แจงระบบล่มกระทบลูกค้า"),
         _mention(10, "a_8", hours=7.5, text="ถูกตัดเงินค่าธรรมเนียมที่ไม่ได้สมัคร"),
         _mention(11, "a_9", hours=8, text="ถูกตัดเงินค่าธรรมเนียมที่ไม่ได้สมัคร", duplicate_of=mention_id("fb-page", "p10")),
         _mention(12, None, source="line-oa", hours=8.5, text="แอปเด้งออกทุกครั้งที่เปิด")],
        [_mention(13, "a_10", hours=30, text="ผ่อนบัตรเครดิตแล้วยอดไม่ตัด โดนค่าปรับ"),
         _mention(14, "a_11", kind="twitter", source="x", hours=31, text="บัตรเครดิตโดนค่าปรับทั้งที่จ่ายแล้ว"),
         _mention(15, "a_2", hours=32, text="เรื่องตัดเงินซ้ำยังไม่คืนเงินเลยค่ะ"),
         _mention(16, "a_5", kind="forum", source="pantip", thread="4321", hours=33, text="อัปเดต: ได้เงินคืนแล้วค่ะ แต่ช้ามาก")],
        [_mention(17, "a_1", hours=24 * 20, text="แอปล่มอีกแล้ว เดือนนี้ครั้งที่สาม"),  # past the 14-day window
         _mention(18, "a_2", hours=24 * 3, text="ยังไม่ได้เงินคืน จะร้อง สคบ. แล้วนะ"),  # a_2's case was closed
         _mention(19, "a_8", hours=24 * 4, text="ค่าธรรมเนียมที่ถูกตัดไปยังไม่ได้คืนครับ"),
         _mention(20, "a_11", kind="twitter", source="x", hours=24 * 4, text="ยอดค่าปรับยังอยู่ครับ")],
    ]


def _assign_all(store: Store, full_read: bool) -> tuple[list[ComplaintCase], list[int]]:
    """Feed the batches to ``assign(fresh=True)`` as the ingest does, with either this version's
    lookup or (``full_read``) every open case, as before; the cases, and how many were read each time."""
    read: list[int] = []
    lookup = store.open_cases_joining

    def counted(*keys):  # type: ignore[no-untyped-def]
        found = store.list_cases(("open",)) if full_read else lookup(*keys)
        read.append(len(found))
        return found

    store.open_cases_joining = counted  # type: ignore[method-assign]
    batches = _batches()
    for b, batch in enumerate(batches):
        store.upsert(batch)
        at = T0 + timedelta(days=b, hours=12)
        if b == 1:  # an incident opened over the thread's and the fee complaints
            store.save_incident(Incident(id="INC-FEES", playbook="complaint-surge", rule="complaint-volume",
                                         severity="high", title="ร้องเรียนค่าธรรมเนียม", opened_at=at, updated_at=at,
                                         mention_ids=[batch[4].id, batches[2][0].id, batches[2][1].id]))
        if b == 3:  # a_2's case closed by hand before their next complaint
            case = next(c for c in store.list_cases(("open",)) if c.author_id == "a_2")
            complaints.close(store, case.id, "compensated", "somsri", "คืนเงินแล้ว", at=at)
        complaints.assign(store, batch, at, fresh=True)
    del store.open_cases_joining
    return store.list_cases(), read


@pytest.fixture
def ids(monkeypatch):
    """Case ids in the order cases are made (they are random otherwise), the same in both runs."""
    def reset() -> None:
        counter = itertools.count(1)
        monkeypatch.setattr(complaint_case, "secrets", SimpleNamespace(token_hex=lambda n: f"{next(counter):08X}"))

    reset()
    return reset


def test_assign_makes_the_cases_reading_every_open_case_made(tmp_path, ids):
    before = SQLiteStore(tmp_path / "full.db")
    expected, read_before = _assign_all(before, full_read=True)
    ids()  # the second run's ids from 1 again
    after = SQLiteStore(tmp_path / "lookup.db")
    got, read_after = _assign_all(after, full_read=False)
    assert [c.model_dump() for c in got] == [c.model_dump() for c in expected]
    # what the sequence made, so that the comparison is of something
    by_first = {c.mention_ids[0]: c for c in got}
    a1 = by_first[mention_id("fb-page", "p1")]
    assert a1.mention_ids == [mention_id("fb-page", "p1"), mention_id("fb-page", "p6")]
    assert [e.kind for e in a1.events] == ["opened", "mention"]
    assert by_first[mention_id("pantip", "p3")].mention_ids == [mention_id("pantip", f"p{n}") for n in (3, 7, 16)]
    # news made no case and joined none (p8 shares a_1's pseudonym): before, each made its own
    assert not any(mention_id("thainews", f"p{n}") in c.mention_ids for c in got for n in (5, 8, 9))
    fees = by_first[mention_id("fb-page", "p10")]
    assert fees.incident_id == "INC-FEES" and fees.mention_ids == [mention_id("fb-page", "p10"), mention_id("fb-page", "p13"),
                                                                   mention_id("x", "p14"), mention_id("fb-page", "p19")]
    assert mention_id("x", "p20") in by_first  # a case joins its first complainant's follow-ups, not its joiners'
    assert mention_id("fb-page", "p17") in by_first and mention_id("fb-page", "p18") in by_first  # window; closed case
    assert not any(mention_id(s, f"p{n}") in c.mention_ids for c in got for s, n in
                   (("fb-page", 4), ("fb-page", 11)))  # not a complaint; a copy
    assert [c.state for c in got].count("closed") == 1
    # the lookup read fewer cases than were open, and never missed one that took a mention
    assert read_before == [0, 3, 5, 4] and read_after == [0, 2, 3, 2], (read_before, read_after)
    before.close()
    after.close()


@pytest.mark.es
def test_assign_on_elasticsearch_makes_the_same_cases(tmp_path, ids, request):
    from tests.es_support import drop_test_store, es_test_url, make_test_store

    url = es_test_url()
    es = make_test_store(url or request.getfixturevalue("osmem_clone").url, real=bool(url), spool_dir=tmp_path / "spool")
    reference = SQLiteStore(tmp_path / "full.db")
    try:
        expected, _ = _assign_all(reference, full_read=True)
        ids()
        got, read = _assign_all(es, full_read=False)
        assert [c.model_dump() for c in got] == [c.model_dump() for c in expected] and len(got) == 8
        assert read == [0, 2, 3, 2]
    finally:
        reference.close()
        drop_test_store(es) if url else es.close()
