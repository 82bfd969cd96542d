"""The complaint queue at scale: one page of rows with totals and previous/next links, read
from only the cases of the queue (``Store.queue_cases``: open, or closed within the window),
their complaints' and responses' times in one read and the head mentions of the shown rows; the
rows are those of the plain full computation (every case read, each clock on its own, kept
here); the page's sync runs at most once a minute. Real SQLite file, real Thai texts."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sadap.app import complaints
from sadap.core.complaint_case import CASE_SLA, CaseEvent, ComplaintCase, closed_time
from sadap.core.mention import Complaint, Mention, Sentiment, mention_id
from sadap.store import Store, case_first_responses
from sadap.store.sqlite import SQLiteStore
from tests.web_support import sign_in, workspace_copy

starlette_testclient = pytest.importorskip("starlette.testclient")

WISESIGHT = Path(__file__).resolve().parents[2] / "shared" / "data" / "wisesight-sentiment" / "train.jsonl"
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def old_queue(store: Store, now: datetime, days: int = 7, sla: timedelta = CASE_SLA) -> list[dict[str, Any]]:
    """The queue computed the plain way (every case read, each case's clock read on its own),
    to check the paged one against."""
    out = []
    for case in store.list_cases():
        if case.state == "closed" and closed_time(case) < now - timedelta(days=days):  # type: ignore[operator]
            continue
        head = store.get(case.mention_ids[0]) if case.mention_ids else None
        out.append({"case": case, "clock": complaints.case_clock(store, case, now, sla), "head": head})

    def order(row: dict[str, Any]) -> tuple[bool, bool, datetime]:
        case: ComplaintCase = row["case"]
        return case.state == "closed", row["clock"]["answered"] is not None, row["clock"]["due"]

    out.sort(key=order)
    return out


def thai_texts(n: int) -> list[str]:
    if not WISESIGHT.exists():
        return [f"แอปโอนเงินไม่ได้อีกแล้ว ครั้งที่ {i} ช่วยดูด้วยค่ะ" for i in range(n)]
    out = []
    with WISESIGHT.open(encoding="utf-8") as src:
        for line in src:
            out.append(json.loads(line)["text"][:300])
            if len(out) >= n:
                break
    return out


def seed(store: Store, n: int, now: datetime, *, assign: bool = True) -> list[Mention]:
    """``n`` complaints by ``n`` people over 20 days: each its own case; about a third answered
    (some late), every seventh case closed; a few cases of two complaints (a follow-up)."""
    texts = thai_texts(n)
    ms = []
    for i in range(n):
        published = now - timedelta(hours=(i * 37) % (20 * 24), minutes=i % 60)
        ms.append(Mention(id=mention_id("facebook", f"q{i}"), source_kind="facebook", source_name="fb-page",
                          native_id=f"q{i}", author_id=f"person-{i % (n - 5)}", published_at=published,
                          collected_at=now, text=texts[i], sentiment=Sentiment(label="neg", score=0.9),
                          complaint=Complaint(is_complaint=True, type="digital_outage")))
    store.upsert(ms)
    if not assign:
        return ms
    complaints.assign(store, ms, now)
    # ordered by time, not by the random case id, so every window (1, 7, 30 days) holds
    # closed and answered cases whatever ids were drawn
    for k, case in enumerate(sorted(store.list_cases(), key=lambda c: (c.received_at, c.mention_ids[0]))):
        if k % 3 == 0:  # answered: in time or late
            store.log_response(case.mention_ids[-1], case.received_at + timedelta(hours=2 if k % 2 else 30),
                               "responder", "facebook", "ขออภัยในความไม่สะดวกค่ะ")
        if k % 7 == 0:
            complaints.close(store, case.id, "resolved", "responder", at=now - timedelta(hours=1))
    return ms


def same_rows(new: list[dict[str, Any]], old: list[dict[str, Any]]) -> None:
    assert [r["case"].id for r in new] == [r["case"].id for r in old]
    assert [r["clock"] for r in new] == [r["clock"] for r in old]
    assert [r["head"].id if r["head"] else None for r in new] == [r["head"].id if r["head"] else None for r in old]


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore(tmp_path / "queue.db")
    seed(s, 260, NOW)
    yield s
    s.close()


# -- the queue function -----------------------------------------------------------------------
@pytest.mark.parametrize("days", [1, 7, 30])
def test_pages_are_slices_of_the_old_full_queue(store, days):
    old = old_queue(store, NOW, days)
    assert len(old) > 100 and any(r["case"].state == "closed" for r in old) and any(r["clock"]["answered"] for r in old)
    pages = []
    for per_page in (100, 37):
        got = complaints.queue_page(store, NOW, days, page=1, per_page=per_page)
        assert got.total == len(old) and got.pages == -(-len(old) // per_page)
        for page in range(1, got.pages + 1):
            shown = complaints.queue_page(store, NOW, days, page=page, per_page=per_page)
            same_rows(shown.rows, old[(page - 1) * per_page:page * per_page])
            pages.append(shown)
    same_rows(complaints.queue(store, NOW, days), old)
    top = pages[0]
    assert top.open == sum(1 for r in old if r["case"].state == "open")
    assert top.overdue == sum(1 for r in old if r["clock"]["overdue"]) > 0
    assert top.unanswered == sum(1 for r in old if r["case"].state == "open" and r["clock"]["answered"] is None)
    # a page past the last is the last; below the first, the first
    last = complaints.queue_page(store, NOW, days, page=10_000)
    assert last.page == last.pages and [r["case"].id for r in last.rows] == [r["case"].id for r in old[(last.pages - 1) * 100:]]
    assert complaints.queue_page(store, NOW, days, page=0).page == 1


def test_queue_reads_only_the_queue_and_the_rows_shown(store):
    calls: dict[str, int] = {"responses_for": 0, "get": 0, "get_case": 0, "list_cases": 0, "queue_cases": 0}

    class Counting:
        def __getattr__(self, name):
            real = getattr(store, name)
            if name not in calls:
                return real

            def counted(*a, **kw):
                calls[name] += 1
                return real(*a, **kw)
            return counted

    calls.update(get_many=0, get_cases=0)
    page = complaints.queue_page(Counting(), NOW, 7, page=2, per_page=50)  # type: ignore[arg-type]
    # SQLite reads the queue's keys with their complaints' and responses' times in one read, not
    # whole cases; whole cases (and their head and waiting follow-up) only for the rows shown,
    # all of the page at once: one read of its cases, one of their mentions
    assert calls == {"responses_for": 0, "get": 0, "get_case": 0, "get_many": 1, "get_cases": 1, "list_cases": 0,
                     "queue_cases": 0}
    assert len(page.rows) == 50


def per_row_page(store: Store, now: datetime, days: int, page: int, per_page: int) -> list[dict[str, Any]]:
    """The rows of a page as queue_page read them before (a get_case and a get a row, and a get
    for a waiting follow-up), from the same keys, to check the batched reads against."""
    keys = store.queue_case_keys(now - timedelta(days=days))
    clocks = [(k, complaints.clock(k, k.posted, k.responses, now, CASE_SLA)) for k in keys]
    clocks.sort(key=lambda r: (r[0].state == "closed", r[1]["answered"] is not None, r[1]["due"]))
    page = min(max(1, page), max(1, -(-len(clocks) // per_page)))
    rows = []
    for key, ticking in clocks[(page - 1) * per_page:page * per_page]:
        case = store.get_case(key.id)
        if case is None:
            continue
        head = store.get(case.mention_ids[0]) if case.mention_ids else None
        waiting = ticking["follow_up"] if ticking["answered"] is None else None
        rows.append({"case": case, "clock": ticking, "head": head, "follow_up": store.get(waiting) if waiting else None})
    return rows


def add_follow_ups(store: Store, now: datetime) -> int:
    """A customer writing again after our answer, in a few answered open cases (the row then
    shows the follow-up waiting), and a case whose head mention is not stored (erased): no head."""
    answered = {k.id for k in store.queue_case_keys(now - timedelta(days=30)) if k.responses and k.state == "open"}
    cases = [c for c in store.list_cases(("open",)) if c.id in answered][:6]
    for n, case in enumerate(cases):
        last = store.get(case.mention_ids[-1])
        assert last is not None
        again = last.model_copy(update={"id": mention_id("facebook", f"again{n}"), "native_id": f"again{n}",
                                        "text": "ตอบมาแล้วแต่ยังโอนเงินไม่ได้เหมือนเดิมค่ะ ช่วยดูอีกทีนะคะ",
                                        "published_at": min(now - timedelta(minutes=5), last.published_at + timedelta(days=2))})
        store.upsert([again])
        store.save_case(case.model_copy(update={"mention_ids": [*case.mention_ids, again.id]}))
    store.save_case(ComplaintCase(received_at=now - timedelta(hours=3), updated_at=now, channel="facebook",
                                  source_name="fb-page", mention_ids=["erased-head"]))
    return len(cases)


def check_batched_pages(store: Store) -> None:
    """Every page of every window: the rows the per-row reads gave, field for field; and the
    base class's loops give what the store's own batched reads give."""
    assert add_follow_ups(store, NOW) >= 3
    seen_follow_up = seen_headless = 0
    for days, per_page in ((1, 100), (7, 37), (30, 100)):
        first = complaints.queue_page(store, NOW, days, page=1, per_page=per_page)
        for page in range(1, first.pages + 1):
            got = complaints.queue_page(store, NOW, days, page=page, per_page=per_page).rows
            assert got == per_row_page(store, NOW, days, page, per_page)
            seen_follow_up += sum(1 for r in got if r["follow_up"] is not None)
            seen_headless += sum(1 for r in got if r["head"] is None)
    assert seen_follow_up >= 3 and seen_headless >= 1
    ids = [c.id for c in store.list_cases()][:50] + ["no-such-case"]
    assert store.get_cases(ids) == Store.get_cases(store, ids) and len(store.get_cases(ids)) == 50
    mids = [m for c in store.list_cases()[:50] for m in c.mention_ids] + ["no-such-mention"]
    assert store.get_many(mids) == Store.get_many(store, mids) and "no-such-mention" not in store.get_many(mids)
    assert store.get_cases([]) == {} and store.get_many([]) == {}


def test_batched_page_rows_are_the_per_row_rows_sqlite(store):
    check_batched_pages(store)


@pytest.fixture
def es_store(request, tmp_path):
    from tests.es_support import drop_test_store, es_test_url, make_test_store

    url = es_test_url() or request.getfixturevalue("osmem_clone").url
    s = make_test_store(url, real=bool(es_test_url()), spool_dir=tmp_path / "spool")
    seed(s, 260, NOW)
    yield s
    drop_test_store(s) if es_test_url() else s.close()


@pytest.mark.es
def test_the_queue_on_elasticsearch_is_the_old_full_queue_without_whole_cases(es_store, monkeypatch):
    """On Elasticsearch the queue reads its keys as SQLite does (no whole case but the rows
    shown, no response's text), and its pages are those of the plain full computation."""
    old = old_queue(es_store, NOW, 7)
    assert len(old) > 100 and any(r["case"].state == "closed" for r in old) and any(r["clock"]["answered"] for r in old)

    def whole_cases(*_: object) -> list[ComplaintCase]:
        raise AssertionError("whole cases read")

    for name in ("list_cases", "queue_cases", "_cases", "responses_for"):
        monkeypatch.setattr(es_store, name, whole_cases)
    got = complaints.queue_page(es_store, NOW, 7, page=1, per_page=100)
    assert got.total == len(old) and got.overdue == sum(1 for r in old if r["clock"]["overdue"]) > 0
    for page in range(1, got.pages + 1):
        same_rows(complaints.queue_page(es_store, NOW, 7, page=page, per_page=100).rows, old[(page - 1) * 100:page * 100])


@pytest.mark.es
def test_batched_page_rows_are_the_per_row_rows_elasticsearch(es_store, monkeypatch):
    """The same rows as the per-row reads, and a page costs a fixed number of requests, not two
    a row: the queue's keys (cases, responses, complaints' times), then one mget for the page's
    cases and one search for their heads and waiting follow-ups."""
    check_batched_pages(es_store)
    sent: list[tuple[str, str]] = []
    transport = es_store.client.transport
    perform = transport.perform_request

    def counted(method: str, target: str, *a: object, **kw: object) -> object:
        sent.append((method, target.split("?")[0]))
        return perform(method, target, *a, **kw)

    monkeypatch.setattr(transport, "perform_request", counted)
    follow_ups = 0
    for per_page in (10, 100):
        pages = complaints.queue_page(es_store, NOW, 30, page=1, per_page=per_page).pages
        for n in range(1, pages + 1):
            sent.clear()
            page = complaints.queue_page(es_store, NOW, 30, page=n, per_page=per_page)
            follow_ups += sum(1 for r in page.rows if r["follow_up"] is not None)
            assert sum(1 for _, t in sent if t.endswith("/_mget")) == 1, sent
            assert not [t for _, t in sent if "/_doc/" in t], sent  # no get a row
            # the complaints' times (a search per ID_CHUNK ids), then the page's mentions: one search
            assert sum(1 for _, t in sent if t.startswith(f"/{es_store.names.mentions}/_search")) == 2, sent
            assert len(sent) <= 6, sent  # cases (a search, a scroll's end), responses, complaints, mget, mentions
    assert follow_ups >= 3


def test_first_responses_groups_by_case(store):
    cases = store.list_cases()
    firsts = case_first_responses(store, cases)
    assert firsts and all(firsts.get(c.id) == complaints.first_response(store, c) for c in cases)
    assert case_first_responses(store, []) == {}


# -- the store method -----------------------------------------------------------------------------
def check_queue_cases(s: Store) -> None:
    base = datetime(2026, 11, 1, 12, 0, 0, 123456, tzinfo=UTC)
    made = []
    for i, (state, age) in enumerate([("open", 30), ("closed", 30), ("closed", 2), ("open", 1), ("closed", 0)]):
        c = ComplaintCase(received_at=base - timedelta(days=age), updated_at=base, channel="facebook",
                          source_name="fb", mention_ids=[f"m{i}"], state=state)  # type: ignore[arg-type]
        s.save_case(c)
        made.append(c)
    # exactly at the bound (to the microsecond) is in; a microsecond before is out
    edge_in = ComplaintCase(received_at=base - timedelta(days=5), updated_at=base, channel="facebook",
                            source_name="fb", mention_ids=["e1"], state="closed")
    edge_out = ComplaintCase(received_at=base - timedelta(days=5, microseconds=1), updated_at=base, channel="facebook",
                             source_name="fb", mention_ids=["e2"], state="closed")
    s.save_case(edge_in)
    s.save_case(edge_out)
    since = base - timedelta(days=5)
    got = s.queue_cases(since)
    expected = [c for c in s.list_cases() if c.state != "closed" or c.received_at >= since]
    assert [c.id for c in got] == [c.id for c in expected]
    assert {c.id for c in got} == {made[0].id, made[2].id, made[3].id, made[4].id, edge_in.id}
    assert s.queue_cases(base + timedelta(days=1)) == [c for c in s.list_cases(("open",))]
    # the keys: the same cases in the same order, with their exact received times and first
    # responses (the earliest to any of a case's mentions, to the millisecond Elasticsearch
    # keeps of a response; none before one)
    made[0].mention_ids.append("m0b")
    s.save_case(made[0])
    answered = base.replace(microsecond=123000)
    s.log_response("m0b", answered - timedelta(days=29, milliseconds=7), "somsri", "facebook", "ขออภัยค่ะ")
    s.log_response("m0", answered - timedelta(days=28), "somsri", "facebook", "ตรวจสอบให้แล้วค่ะ")
    s.log_response("m3", answered, "somsri", "facebook", "แก้ไขแล้วค่ะ")
    s.log_response("e2", answered, "somsri", "facebook", "นอกคิว")
    keys = s.queue_case_keys(since)
    firsts = {made[0].id: answered - timedelta(days=29, milliseconds=7), made[3].id: answered}
    assert [(k.id, k.state, k.received_at, k.first_response) for k in keys] == [
        (c.id, c.state, c.received_at, firsts.get(c.id)) for c in expected]
    assert Store.queue_case_keys(s, since) == keys  # the base class's derivation from the whole cases
    # the open cases' keys (what complaint_sla reads): the queue's, with the ids each case holds
    opened = s.open_case_keys()
    assert [replace(k, mention_ids=()) for k in opened] == [k for k in keys if k.state == "open"]
    assert {k.id: set(k.mention_ids) for k in opened} == {c.id: set(c.mention_ids) for c in s.list_cases(("open",))}
    assert Store.open_case_keys(s) == opened
    check_keys_read_apart(s, base, since)


def check_keys_read_apart(s: Store, base: datetime, since: datetime) -> None:
    """Cases a reading of the keys apart from the whole cases could get wrong: closed at the bound
    by ``closed_at`` (received long before), or only by the last closing on the timeline (none
    on the case); several stored complaints (their times: a follow-up after a response starts a
    new wait), one mention erased (not stored), responses to two of its mentions; one stored
    complaint answered twice."""
    texts = ["บัตรเครดิตโดนตัดเงินซ้ำสองรอบค่ะ", "ทวงถามอีกครั้ง ยังไม่มีใครติดต่อกลับเลย",
             "ตอนนี้แอปก็เข้าไม่ได้อีก", "โอนเงินแล้วเงินไม่เข้าบัญชีปลายทาง"]
    whole = base.replace(microsecond=0)  # what Elasticsearch keeps of a publication or response time: milliseconds
    posted = [whole - timedelta(days=3), whole - timedelta(days=2), whole - timedelta(days=2, hours=-1), whole - timedelta(days=1)]
    ms = [Mention(id=mention_id("facebook", f"k{i}"), source_kind="facebook", source_name="fb-page", native_id=f"k{i}",
                  author_id="person-k", published_at=at, collected_at=base, text=text,
                  sentiment=Sentiment(label="neg", score=0.9), complaint=Complaint(is_complaint=True, type="billing"))
          for i, (at, text) in enumerate(zip(posted, texts, strict=True))]
    s.upsert(ms)

    def case(state: str, ids: list[str], **more: Any) -> ComplaintCase:
        c = ComplaintCase(received_at=more.pop("received_at", base - timedelta(days=40)), updated_at=base,
                          channel="facebook", source_name="fb-page", mention_ids=ids, state=state, **more)  # type: ignore[arg-type]
        s.save_case(c)
        return c

    def closing(at: datetime) -> CaseEvent:
        return CaseEvent(at=at, kind="closed", actor="somsri")

    at_bound = case("closed", ["x1"], closed_at=since)
    before_bound = case("closed", ["x2"], closed_at=since - timedelta(microseconds=1))
    by_timeline = case("closed", ["x3"], events=[closing(since + timedelta(microseconds=1)), closing(since - timedelta(days=9))])
    by_old_timeline = case("closed", ["x4"], events=[closing(since - timedelta(microseconds=1))])
    several = case("open", [ms[0].id, ms[1].id, ms[2].id, "erased"], received_at=posted[0])
    single = case("open", [ms[3].id], received_at=posted[3].replace(microsecond=654321))
    s.log_response(ms[0].id, posted[0] + timedelta(hours=2), "somsri", "facebook", "ขออภัยค่ะ กำลังตรวจสอบ")
    s.log_response(ms[2].id, posted[2] + timedelta(hours=3), "somsri", "facebook", "แก้ไขให้แล้วค่ะ")
    s.log_response("erased", posted[0] + timedelta(hours=1), "somsri", "facebook", "รับเรื่องแล้วค่ะ")
    for _ in range(2):
        s.log_response(ms[3].id, posted[3] + timedelta(hours=5), "somsri", "facebook", "โอนคืนแล้วค่ะ")
    keys = s.queue_case_keys(since)
    assert keys == Store.queue_case_keys(s, since)  # the base class's derivation from the whole cases
    shown = {k.id: k for k in keys}
    assert {at_bound.id, by_timeline.id, several.id, single.id} <= set(shown)
    assert not {before_bound.id, by_old_timeline.id} & set(shown)
    assert shown[several.id].posted == tuple((m.published_at, m.id) for m in ms[:3])
    assert shown[several.id].responses == (posted[0] + timedelta(hours=1), posted[0] + timedelta(hours=2),
                                           posted[2] + timedelta(hours=3))
    assert shown[single.id].posted == () and shown[single.id].received_at.microsecond == 654321
    assert shown[single.id].responses == (posted[3] + timedelta(hours=5),) * 2
    assert s.open_case_keys() == Store.open_case_keys(s)
    assert s.queue_case_keys(base + timedelta(days=1)) == Store.queue_case_keys(s, base + timedelta(days=1))


def test_queue_cases_sqlite(tmp_path):
    s = SQLiteStore(tmp_path / "cases.db")
    try:
        check_queue_cases(s)
    finally:
        s.close()


@pytest.mark.es
def test_queue_cases_elasticsearch(request, tmp_path, monkeypatch):
    """As on SQLite, and the keys are read without a whole case: one search for the cases, one
    for the responses and one for the complaints' times for up to ID_CHUNK ids each."""
    from sadap.store import elasticsearch as es_module
    from tests.es_support import drop_test_store, es_test_url, make_test_store

    url = es_test_url() or request.getfixturevalue("osmem_clone").url
    s = make_test_store(url, real=bool(es_test_url()), spool_dir=tmp_path / "spool")
    try:
        check_queue_cases(s)
        since = datetime(2026, 10, 27, 12, 0, 0, 123456, tzinfo=UTC)
        # more ids asked about than responses stored (a case of many unanswered complaints)
        total = int(s.client.count(index=s.names.responses).body["count"])
        s.save_case(ComplaintCase(received_at=since, updated_at=since, channel="facebook", source_name="fb",
                                  mention_ids=[f"w{i}" for i in range(total + 20)]))
        keys, opened = Store.queue_case_keys(s, since), Store.open_case_keys(s)
        asked = {m for k in opened for m in k.mention_ids}
        several = {m for k in opened if len(k.mention_ids) > 1 for m in k.mention_ids}
        searched: list[str] = []
        search = s._search

        def counted(index: str, **body: object) -> dict[str, object]:
            searched.append(index)
            return search(index, **body)

        def whole_cases(*_: object) -> list[ComplaintCase]:
            raise AssertionError("whole cases read")

        monkeypatch.setattr(s, "_search", counted)
        for name in ("list_cases", "queue_cases", "_cases", "get_case"):
            monkeypatch.setattr(s, name, whole_cases)
        assert s.queue_case_keys(since) == keys
        assert searched == [s.names.complaint_cases, s.names.responses, s.names.mentions]
        monkeypatch.setattr(es_module, "ID_CHUNK", 2)  # many ids: a search per chunk, the same answers
        searched.clear()
        assert s.open_case_keys() == opened  # every response read in one search
        assert searched == [s.names.complaint_cases, s.names.responses, *[s.names.mentions] * -(-len(several) // 2)]
        for i in range(len(asked)):  # more responses stored than ids asked about: a terms query per ID_CHUNK ids
            s.log_response(f"elsewhere-{i}", since, "somsri", "facebook", "ตอบเรื่องอื่นค่ะ")
        searched.clear()
        assert s.open_case_keys() == opened
        assert searched == [s.names.complaint_cases, *[s.names.responses] * -(-len(asked) // 2),
                            *[s.names.mentions] * -(-len(several) // 2)]
        assert s.queue_case_keys(since) == keys
    finally:
        drop_test_store(s) if es_test_url() else s.close()


# -- the page ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def web(demo_store_dir, tmp_path_factory):
    """A copy of the demo workspace plus 260 complaints not yet in a case (the first page load's
    sync puts them into cases)."""
    from sadap.app.config import load_config_file
    from sadap.store import open_store

    config = load_config_file(workspace_copy(demo_store_dir, tmp_path_factory.mktemp("queue") / "ws"))
    s = open_store(config)
    seed(s, 260, datetime.now(UTC), assign=False)
    yield config, s
    s.close()


def client_for(web, role: str = "responder"):
    from sadap.app.web import create_app

    config, s = web
    client = starlette_testclient.TestClient(create_app(config, s), base_url="http://127.0.0.1")
    assert sign_in(client, role).status_code == 303
    return client


def row_ids(html: str) -> list[str]:
    return re.findall(r'<tr id="c-([^"]+)"', html)


def totals(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'class="n-(\w+)">(\d+)<', html)}


def test_the_page_shows_one_page_with_totals_and_links_that_keep_days(web):
    _, s = web
    client = client_for(web)
    first = client.get("/complaints", params={"days": "30"})
    assert first.status_code == 200
    # the first load's sync put the seeded complaints into cases
    assert len(s.list_cases()) >= 260
    old = old_queue(s, datetime.now(UTC), 30)
    ids = row_ids(first.text)
    assert ids == [r["case"].id for r in old[:100]]
    shown = totals(first.text)
    assert shown["total"] == len(old) and shown["open"] == sum(1 for r in old if r["case"].state == "open")
    assert shown["unanswered"] == sum(1 for r in old if r["case"].state == "open" and not r["clock"]["answered"])
    assert shown["overdue"] == sum(1 for r in old if r["clock"]["overdue"])
    assert "เรื่องในคิว" in first.text and "ยังไม่ได้ตอบ" in first.text  # Thai by default
    pages = -(-len(old) // 100)
    assert f"หน้า 1 จาก {pages}" in first.text
    assert 'rel="next" href="/complaints?days=30&amp;page=2"' in first.text and 'rel="prev"' not in first.text
    second = client.get("/complaints", params={"days": "30", "page": "2"})
    assert row_ids(second.text) == [r["case"].id for r in old[100:200]]
    assert 'rel="prev" href="/complaints?days=30&amp;page=1"' in second.text
    # a form on page 2 comes back to page 2
    assert 'name="next" value="/complaints?days=30&amp;page=2"' in second.text
    last = client.get("/complaints", params={"days": "30", "page": str(pages)})
    assert row_ids(last.text) == [r["case"].id for r in old[(pages - 1) * 100:]] and 'rel="next"' not in last.text
    # English words through the language switch
    from sadap.app.web.app import LANG_COOKIE

    client.cookies.set(LANG_COOKIE, "en")
    en = client.get("/complaints", params={"days": "30"}).text
    assert "cases in the queue" in en and "unanswered" in en and "next →" in en


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "", "1.5", "２", "99999999999999999999"])
def test_bad_page_values_fall_back(web, raw):
    client = client_for(web)
    r = client.get("/complaints", params={"days": "30", "page": raw})
    assert r.status_code == 200
    first = client.get("/complaints", params={"days": "30"})
    if raw == "99999999999999999999":  # past the last page: the last
        assert 'rel="next"' not in r.text and row_ids(r.text)
    else:
        assert row_ids(r.text) == row_ids(first.text)


def test_sync_runs_at_most_once_per_interval(tmp_path):
    s = SQLiteStore(tmp_path / "sync.db")
    try:
        ms = seed(s, 12, NOW, assign=False)
        every = complaints.SyncEvery(timedelta(minutes=1))
        assert every(s, NOW) is True and len(s.list_cases()) > 0
        before = len(s.list_cases())
        more = [m.model_copy(update={"id": mention_id("facebook", f"late{i}"), "native_id": f"late{i}",
                                     "author_id": f"late-{i}"}) for i, m in enumerate(ms[:3])]
        s.upsert(more)
        assert every(s, NOW) is False and len(s.list_cases()) == before  # within the minute: not read
        assert complaints.SyncEvery(timedelta(0))(s, NOW) is True and len(s.list_cases()) == before + 3

        class Broken:
            def ids(self, *a, **kw):
                raise RuntimeError("store down")

        failing = complaints.SyncEvery(timedelta(minutes=1))
        with pytest.raises(RuntimeError):
            failing(Broken(), NOW)  # type: ignore[arg-type]
        assert failing(s, NOW) is True  # a failed sync is tried again at once
    finally:
        s.close()
