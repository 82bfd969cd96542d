"""Which case holds a mention, without reading every case (issue #19): the store's
``cases_holding`` and ``held_mentions`` on both backends (any state, list_cases' order, a mention
moved or erased, SQLite's parameter limit, stores and indices made before them), a stakeholder's
open cases (``open_cases_of``), and the complaint queue's catch-up (``sync``) and linking by hand
making exactly the cases that reading every case made."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from sadap.app import complaints
from sadap.core.complaint_case import ComplaintCase
from sadap.core.errors import StoreError
from sadap.core.incident import Incident
from sadap.core.mention import mention_id
from sadap.store import Store
from sadap.store.es_mappings import CASES_LAYOUT
from sadap.store.sqlite import SQLiteStore
from tests.test_open_cases_joining import CASES, _batches, _case, _ids, ids  # noqa: F401  (ids: a fixture)
from tests.test_store_contract import T0, store  # noqa: F401  (the backend fixture)

ORDER = ["CASE-0006", "CASE-0008", "CASE-0004", "CASE-0007", "CASE-0002", "CASE-0003", "CASE-0005", "CASE-0001"]


def test_cases_holding_finds_a_case_by_any_of_its_mentions_in_list_order(store):  # noqa: F811
    for case in CASES:
        store.save_case(case)
    assert _ids(store.list_cases()) == ORDER
    store.save_case(CASES[1].model_copy(update={"mention_ids": ["m2", "m2b", "m2c"]}))
    asks = [
        (["m1"], ["CASE-0001"]),
        (["m6"], ["CASE-0006"]),  # a closed case too
        (["m2c"], ["CASE-0002"]),  # not only a case's first mention
        (["m1", "m6", "m2b", "m2", "nobody"], ["CASE-0006", "CASE-0002", "CASE-0001"]),
        (["nobody", ""], []),
        ([], []),
    ]
    for mention_ids, expected in asks:
        got = _ids(store.cases_holding(mention_ids))
        assert got == expected, mention_ids
        assert got == _ids(Store.cases_holding(store, mention_ids))  # the base class's reading of every case
        held = store.held_mentions(mention_ids)
        assert held == Store.held_mentions(store, mention_ids) == set(mention_ids) - {"nobody", ""}
    assert store.cases_holding(iter(["m5"])) == [CASES[4]]  # any iterable; the whole case comes back
    for states, expected in ((("open",), ["CASE-0002", "CASE-0003", "CASE-0001"]), (("closed",), ["CASE-0006"]),
                             (("open", "closed"), ["CASE-0006", "CASE-0002", "CASE-0003", "CASE-0001"])):
        got = _ids(store.cases_holding(["m1", "m6", "m2b", "m3"], states))  # in these states only
        assert got == expected == _ids(Store.cases_holding(store, ["m1", "m6", "m2b", "m3"], states)), states
    # a mention moved to another case is found in that one only
    store.save_case(CASES[1].model_copy(update={"mention_ids": ["m2", "m2c"]}))
    store.save_case(CASES[2].model_copy(update={"mention_ids": ["m3", "m2b"]}))
    assert _ids(store.cases_holding(["m2b"])) == ["CASE-0003"]
    assert _ids(store.cases_holding(["m2b", "m2c"])) == ["CASE-0002", "CASE-0003"]
    assert store.held_mentions(["m2", "m2b", "m2c", "m3", "m4"]) == {"m2", "m2b", "m2c", "m3", "m4"}
    store.save_case(CASES[3].model_copy(update={"mention_ids": []}))  # a case left with no mention holds none
    assert store.held_mentions(["m4"]) == set() and store.cases_holding(["m4"]) == []
    # a new case is found at once; one refused for its taken id does not take the mention
    assert store.add_case(_case(9, hours=10).model_copy(update={"mention_ids": ["m9", "m9b"]}))
    assert not store.add_case(_case(9).model_copy(update={"mention_ids": ["m9c"]}))
    assert _ids(store.cases_holding(["m9b", "m9c"])) == ["CASE-0009"]


def test_open_cases_of_a_stakeholder(store):  # noqa: F811
    """A stakeholder's page lists the open cases whose complaints name it, in list_cases' order."""
    named = {1: ["bot", "sec"], 2: ["sec"], 4: ["bot"], 6: ["bot"], 7: ["กสทช"], 8: ["bot", "กสทช"]}
    for case in CASES:
        n = int(case.id[5:])
        store.save_case(case.model_copy(update={"stakeholders": named.get(n, [])}))
    for sid, expected in (("bot", ["CASE-0008", "CASE-0004", "CASE-0001"]),  # not the closed CASE-0006
                          ("sec", ["CASE-0002", "CASE-0001"]), ("กสทช", ["CASE-0008", "CASE-0007"]),
                          ("bo", []), ("", []), ("nobody' OR '1'='1", [])):
        got = _ids(store.open_cases_of(sid))
        assert got == expected == _ids(Store.open_cases_of(store, sid)), sid
    store.save_case(CASES[5].model_copy(update={"state": "open", "closed_at": None, "close_reason": None,
                                                "stakeholders": ["bot"]}))
    assert _ids(store.open_cases_of("bot")) == ["CASE-0006", "CASE-0008", "CASE-0004", "CASE-0001"]
    assert store.open_cases_of("sec")[0].stakeholders == ["sec"]  # the whole case comes back


def test_erased_mentions_no_longer_find_their_case(store):  # noqa: F811
    for case in CASES[:3]:
        store.save_case(case.model_copy(update={"mention_ids": [*case.mention_ids, f"{case.mention_ids[0]}x"]}))
    store.erase(["m2", "m3x"])
    assert store.cases_holding(["m2", "m3x"]) == [] and store.held_mentions(["m2", "m3x", "m3"]) == {"m3"}
    assert _ids(store.cases_holding(["m2x", "m3"])) == ["CASE-0002", "CASE-0003"]
    assert store.get_case("CASE-0003").mention_ids == ["m3"]


def test_sqlite_asks_in_chunks_past_the_parameter_limit(tmp_path):
    s = SQLiteStore(tmp_path / "many.db")
    for n in range(1500):
        s.save_case(_case(n, hours=(n * 7) % 100, state="closed" if n % 10 == 9 else "open"))
    got = _ids(s.cases_holding([f"m{n}" for n in range(3000)]))  # 3,000 ids, half of them in no case
    assert len(got) == 1500 and got == _ids(s.list_cases())
    plan = " ".join(r[3] for r in s._db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM complaint_cases WHERE id IN "
        "(SELECT case_id FROM case_mentions WHERE mention_id IN ('m1', 'm2'))"))
    assert "case_mentions" in plan and "SCAN complaint_cases" not in plan  # index lookups, not a scan of every case
    s.close()


def test_sqlite_store_made_before_case_mentions_fills_it_when_opened(tmp_path):
    path = tmp_path / "old.db"
    s = SQLiteStore(path)
    for case in CASES:
        s.save_case(case.model_copy(update={"mention_ids": [*case.mention_ids, f"{case.mention_ids[0]}x"]}))
    s.close()
    db = sqlite3.connect(path)  # what schema 8 was: no case_mentions
    db.execute("DROP TABLE case_mentions")
    db.execute("PRAGMA user_version=8")
    db.commit()
    db.close()
    for _ in range(2):  # the second open finds nothing to do
        s = SQLiteStore(path)
        assert _ids(s.cases_holding(["m1x", "m6", "m8x"])) == ["CASE-0006", "CASE-0008", "CASE-0001"]
        s.close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT COUNT(*) FROM case_mentions").fetchone()[0] == 16
    # A process of the version before opens it (marks it 8 again) and moves m1x to CASE-0002 in
    # the documents alone; the next open of this version reads the table afresh from them.
    docs = dict(db.execute("SELECT id, doc FROM complaint_cases WHERE id IN ('CASE-0001', 'CASE-0002')").fetchall())
    one, two = (ComplaintCase.model_validate_json(docs[i]) for i in ("CASE-0001", "CASE-0002"))
    one.mention_ids.remove("m1x")
    two.mention_ids.append("m1x")
    for case in (one, two):
        db.execute("UPDATE complaint_cases SET doc=? WHERE id=?", (case.model_dump_json(), case.id))
    db.execute("PRAGMA user_version=8")
    db.commit()
    db.close()
    s = SQLiteStore(path)
    assert _ids(s.cases_holding(["m1x"])) == ["CASE-0002"] and s.held_mentions(["m1x", "m1"]) == {"m1x", "m1"}
    s.close()


@pytest.mark.es
def test_elasticsearch_index_made_before_mention_ids_gets_them(request, tmp_path):
    """An index of layout 2 (join keys, no mention_ids nor stakeholders) is brought up to date by
    the first store that writes or looks up cases."""
    from tests.es_support import drop_test_store, es_test_url, make_test_store

    url = es_test_url()
    old = make_test_store(url or request.getfixturevalue("osmem_clone").url, real=bool(url), spool_dir=tmp_path / "a")
    old.setup()
    index, client = old.names.complaint_cases, old.client
    client.indices.delete(index=index)
    client.indices.delete_index_template(name=index)
    keyword = {"type": "keyword"}
    client.indices.create(index=index, mappings={"dynamic": "strict", "_meta": {"cases_layout": 2}, "properties": {
        "id": keyword, "state": keyword, "received_at": {"type": "date"}, "author_id": keyword, "thread": keyword,
        "incident_id": keyword, "doc": {"type": "keyword", "index": False, "doc_values": False}}})
    for case in CASES:  # as the version before wrote them
        if case.id in ("CASE-0001", "CASE-0006"):  # one open, one closed, naming the Bank of Thailand
            case = case.model_copy(update={"stakeholders": ["bot"]})
        client.index(index=index, id=case.id, document={
            "id": case.id, "state": case.state, "received_at": case.received_at.isoformat(), "author_id": case.author_id,
            "thread": case.thread, "incident_id": case.incident_id, "doc": case.model_dump_json()})
    client.indices.refresh(index=index)
    new = make_test_store(url or request.getfixturevalue("osmem_clone").url, prefix=old.names.prefix, real=bool(url),
                          spool_dir=tmp_path / "b")
    try:
        assert _ids(new.cases_holding(["m1", "m6", "m8"])) == ["CASE-0006", "CASE-0008", "CASE-0001"]
        mapping = next(iter(client.indices.get_mapping(index=index).body.values()))["mappings"]
        assert mapping["_meta"]["cases_layout"] == CASES_LAYOUT
        assert mapping["properties"]["mention_ids"] == mapping["properties"]["stakeholders"] == keyword
        assert _ids(new.open_cases_of("bot")) == ["CASE-0001"]
        assert _ids(new.open_cases_joining({"a_1"})) == ["CASE-0005", "CASE-0001"]  # the join keys kept
    finally:
        new.close()
        drop_test_store(old) if url else old.close()


@pytest.mark.es
def test_elasticsearch_index_of_a_newer_layout_is_refused(request, tmp_path):
    """A process of this version does not write cases into an index a newer Sadap laid out: its
    cases would lack the newer fields and the newer processes' look-ups would miss them (the
    same rule as SQLite's newer schema)."""
    from tests.es_support import drop_test_store, es_test_url, make_test_store

    url = es_test_url()
    newer = make_test_store(url or request.getfixturevalue("osmem_clone").url, real=bool(url), spool_dir=tmp_path / "a")
    newer.setup()
    newer.client.indices.put_mapping(index=newer.names.complaint_cases, meta={"cases_layout": CASES_LAYOUT + 1})
    store = make_test_store(url or request.getfixturevalue("osmem_clone").url, prefix=newer.names.prefix, real=bool(url),
                            spool_dir=tmp_path / "b")
    try:
        with pytest.raises(StoreError) as refused:
            store.add_case(CASES[0])
        assert f"has layout {CASES_LAYOUT + 1}, made by a newer Sadap" in str(refused.value)
        assert "upgrade Sadap" in str(refused.value)
        with pytest.raises(StoreError):
            store.held_mentions(["m1"])
        assert store.list_cases() == []  # nothing was written
    finally:
        store.close()
        drop_test_store(newer) if url else newer.close()


# -- the queue's catch-up and linking: the same cases as reading every case ---------------------

def _sync_all(store: Store, full_read: bool) -> tuple[list[ComplaintCase], int]:
    """Store the batches as an import or another process would (no cases made), then run the
    queue's catch-up after each, with this version's lookups or (``full_read``) the base class's
    reading of every case; an incident is opened over complaints already in cases, and one mention
    is linked by hand. The cases, and how many times every case was read."""
    reads = 0
    list_cases = store.list_cases

    def counted(states: tuple[str, ...] = ()) -> list[ComplaintCase]:
        nonlocal reads
        reads += 1
        return list_cases(states)

    store.list_cases = counted  # type: ignore[method-assign]
    if full_read:
        store.cases_holding = lambda ids, states=(): Store.cases_holding(store, ids, states)  # type: ignore[method-assign]
        store.held_mentions = lambda ids: Store.held_mentions(store, ids)  # type: ignore[method-assign]
        store.open_cases_joining = lambda *keys: Store.open_cases_joining(store, *keys)  # type: ignore[method-assign]
    batches = _batches()
    for b, batch in enumerate(batches):
        store.upsert(batch)
        at = T0 + timedelta(days=b, hours=12)
        if b == 2:  # over the fee complaints (one already in a case) and a_1's first complaint
            store.save_incident(Incident(id="INC-FEES", playbook="complaint-surge", rule="complaint-volume",
                                         severity="high", title="ร้องเรียนค่าธรรมเนียม", opened_at=at, updated_at=at,
                                         mention_ids=[batches[1][4].id, batch[0].id, batches[0][0].id]))
        if b == 3:
            complaints.link(store, next(c.id for c in store.cases_holding([batches[2][1].id])), batches[0][1].id,
                            "somsri", at=at)
        complaints.sync(store, at + timedelta(hours=1))
    for name in ("list_cases", "cases_holding", "held_mentions", "open_cases_joining"):
        store.__dict__.pop(name, None)
    return store.list_cases(), reads


def test_sync_and_link_make_the_cases_reading_every_case_made(tmp_path, ids):  # noqa: F811
    expected, full_reads = _sync_all(SQLiteStore(tmp_path / "full.db"), full_read=True)
    ids()
    after = SQLiteStore(tmp_path / "lookup.db")
    got, reads = _sync_all(after, full_read=False)
    assert [c.model_dump() for c in got] == [c.model_dump() for c in expected]
    assert reads == 0 and full_reads > 4  # this version never read every case
    # what the sequence made, so that the comparison is of something
    by_first = {c.mention_ids[0]: c for c in got}
    fees = by_first[mention_id("fb-page", "p10")]  # its incident learnt by a catch-up, a follow-up joined
    assert fees.incident_id == "INC-FEES" and fees.mention_ids == [mention_id("fb-page", "p10"), mention_id("fb-page", "p19")]
    a1 = by_first[mention_id("fb-page", "p1")]
    assert a1.incident_id == "INC-FEES" and [e.kind for e in a1.events] == ["opened", "mention"]
    moved = mention_id("fb-page", "p2")  # linked by hand into the case of p14
    holder = by_first[mention_id("x", "p14")]
    assert holder.mention_ids == [mention_id("x", "p14"), moved, mention_id("x", "p20")]
    assert [e.kind for e in holder.events] == ["opened", "linked", "mention"]
    left = by_first[mention_id("fb-page", "p15")]  # the case it left, open with its other mentions
    assert left.state == "open" and [e.kind for e in left.events] == ["opened", "mention", "unlinked", "mention"]
    # 20 mentions: one not a complaint, one a copy, three news items (news forms no case)
    assert len(got) == 8 and sum(len(c.mention_ids) for c in got) == 15
    after.close()


def test_sync_of_an_import_past_sqlites_parameter_limits(tmp_path):
    """An import of 1,200 complaints by 1,195 people, none in a case: one catch-up puts every one
    in a case (the five follow-ups join their author's), the next finds nothing to do; a case
    closed meanwhile keeps its mentions out of a new one."""
    from tests.test_complaints_queue import NOW, seed

    s = SQLiteStore(tmp_path / "import.db")
    try:
        ms = seed(s, 1200, NOW, assign=False)
        assert complaints.sync(s, NOW) == 1195
        cases = s.list_cases()
        assert len(cases) == 1195 and sum(len(c.mention_ids) for c in cases) == 1200
        assert s.held_mentions(m.id for m in ms) == {m.id for m in ms}
        complaints.close(s, cases[0].id, "resolved", "somsri", at=NOW)
        assert complaints.sync(s, NOW) == 0 and len(s.list_cases()) == 1195
    finally:
        s.close()
