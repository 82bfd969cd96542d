"""Hand-corrected labels on both backends (SQLite and Elasticsearch via osmem-server): written
at once with who and when, merged over earlier corrections, kept in a history, listed for
training, and erased with the mention."""

from __future__ import annotations

from datetime import timedelta

from sadap.core.mention import LabelCorrection, Sentiment
from sadap.store import MentionFilter
from tests.test_store_contract import T0, TEXTS, make, store  # noqa: F401  (the backends fixture)


def test_correction_is_stored_at_once_with_who_and_when(store):  # noqa: F811
    ms = [make(i, *row, minutes=i * 30) for i, row in enumerate(TEXTS)]
    store.upsert(ms)
    praise = ms[2]  # "พนักงานสาขาขอนแก่นบริการดีมาก ประทับใจค่ะ", stored as pos and no complaint
    fixed = store.correct(praise.id, LabelCorrection(sentiment="neg", is_complaint=True, complaint_type="service",
                                                     by="ploy", at=T0))
    assert fixed is not None and fixed.sentiment.label == "neg" and fixed.complaint.type == "service"
    got = store.get(praise.id)
    assert got.sentiment.label == "neg" and got.sentiment.score == 1.0
    assert got.complaint.is_complaint and got.complaint.type == "service"
    assert got.corrected.by == "ploy" and got.corrected.at == T0
    # the searchable columns follow: counts and filters see the corrected label
    assert store.count(MentionFilter(sentiment=("neg",))) == 3
    assert store.count(MentionFilter(sentiment=("pos",))) == 0
    assert store.count(MentionFilter(complaint=True)) == 3

    # a second correction by someone else keeps the first one's other fields
    later = T0 + timedelta(hours=1)
    store.correct(praise.id, LabelCorrection(expectation="disappointed", by="somchai", at=later))
    got = store.get(praise.id)
    assert got.expectation == "disappointed" and got.sentiment.label == "neg" and got.complaint.type == "service"
    assert got.corrected.by == "somchai" and got.corrected.fields() == {
        "sentiment": "neg", "expectation": "disappointed", "is_complaint": True, "complaint_type": "service"}
    # no longer a complaint: the type goes too
    store.correct(praise.id, LabelCorrection(is_complaint=False, by="ploy", at=later + timedelta(minutes=1)))
    got = store.get(praise.id)
    assert not got.complaint.is_complaint and got.complaint.type is None and "complaint_type" not in got.corrected.fields()

    history = store.corrections(praise.id)
    assert [(h["actor"], h["at"]) for h in history] == [
        ("ploy", T0), ("somchai", later), ("ploy", later + timedelta(minutes=1))]
    assert history[0]["fields"] == {"sentiment": "neg", "is_complaint": True, "complaint_type": "service"}
    assert store.corrected_ids() == [praise.id]
    assert store.correct("no-such-id", LabelCorrection(sentiment="pos", by="ploy", at=T0)) is None


def test_erase_takes_the_corrections_too(store):  # noqa: F811
    ms = [make(i, *row, minutes=i * 30) for i, row in enumerate(TEXTS)]
    store.upsert(ms)
    store.correct(ms[0].id, LabelCorrection(sentiment="neu", by="ploy", at=T0))
    store.correct(ms[1].id, LabelCorrection(sentiment="neu", by="ploy", at=T0))
    store.erase([ms[0].id])
    assert store.corrected_ids() == [ms[1].id]
    assert store.corrections(ms[0].id) == []


def test_a_write_of_a_mention_read_before_a_correction_keeps_the_correction(store):  # noqa: F811
    """`sadap reenrich` (and re-tagging) read a page, work on it for seconds, then write it: a
    correction made meanwhile stays, with its labels over the page's."""
    ms = [make(i, *row, minutes=i * 30) for i, row in enumerate(TEXTS)]
    store.upsert(ms)
    page = store.page_by_id(MentionFilter(), limit=10)
    praise = next(m for m in page if m.id == ms[2].id)
    store.correct(praise.id, LabelCorrection(sentiment="neg", is_complaint=True, complaint_type="service_staff",
                                             by="responder", at=T0))
    # what re-enrichment computed from the page it read (no correction on it yet)
    rewritten = [m.model_copy(update={"sentiment": Sentiment(label="neu", score=0.6), "keywords": ["บริการ"]})
                 for m in page]
    store.upsert(rewritten)
    got = store.get(praise.id)
    assert got.corrected is not None and got.corrected.by == "responder"
    assert got.sentiment.label == "neg" and got.complaint.is_complaint and got.complaint.type == "service_staff"
    assert got.keywords == ["บริการ"]  # what enrichment computed still lands
    assert store.count(MentionFilter(sentiment=("neg",))) == 1  # the columns follow the kept correction
    assert store.get(ms[0].id).sentiment.label == "neu"  # mentions nobody corrected take the new labels
    # a later correction still replaces an older one, and a write carrying it is not undone
    later = LabelCorrection(sentiment="pos", by="ploy", at=T0 + timedelta(hours=1))
    fixed = store.correct(praise.id, later)
    store.upsert([fixed])
    assert store.get(praise.id).sentiment.label == "pos" and store.get(praise.id).corrected.by == "ploy"


def test_each_corrected_field_keeps_who_set_it_and_when(store):  # noqa: F811
    ms = [make(i, *row, minutes=i * 30) for i, row in enumerate(TEXTS)]
    store.upsert(ms)
    later = T0 + timedelta(minutes=5)
    store.correct(ms[0].id, LabelCorrection(sentiment="pos", by="alice", at=T0))
    store.correct(ms[0].id, LabelCorrection(complaint_type="price_billing", by="bob", at=later))
    c = store.get(ms[0].id).corrected
    assert (c.by, c.at) == ("bob", later)  # the latest correction
    assert (c.credit("sentiment").by, c.credit("sentiment").at) == ("alice", T0)
    assert c.credit("complaint_type").by == c.credit("is_complaint").by == "bob"
    # a correction stored before per-field credits existed credits its one corrector
    old = LabelCorrection(sentiment="neg", by="somchai", at=T0)
    assert old.credit("sentiment").by == "somchai"


FIELDS_AT_ONCE = [("sentiment", "q", "alice"), ("expectation", "delighted", "bob"), ("category", "other", "carol"),
                  ("is_complaint", True, "dao")]


def _all_fields_kept(store, ids) -> None:  # noqa: F811
    for i in ids:
        c = store.get(i).corrected
        assert c.fields() == {name: value for name, value, _ in FIELDS_AT_ONCE}, (i, c)
        assert {name: c.credit(name).by for name, _, _ in FIELDS_AT_ONCE} == {n: who for n, _, who in FIELDS_AT_ONCE}
        assert sorted(h["actor"] for h in store.corrections(i)) == sorted(who for _, _, who in FIELDS_AT_ONCE)


def test_people_correcting_one_mention_at_once_keep_each_others_fields(store):  # noqa: F811
    import threading

    from sadap.core.timeutil import now_utc

    ms = [make(i, *row, minutes=i * 30) for i, row in enumerate(TEXTS)]
    store.upsert(ms)
    barrier = threading.Barrier(len(FIELDS_AT_ONCE))
    errors: list[BaseException] = []

    def correct(name, value, who) -> None:
        try:
            for m in ms:
                barrier.wait(timeout=30)
                store.correct(m.id, LabelCorrection(**{name: value}, by=who, at=now_utc()))
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=correct, args=args) for args in FIELDS_AT_ONCE]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    _all_fields_kept(store, [m.id for m in ms])


def _correct_when_released(path: str, ids: list[str], name: str, value, who: str, start, out) -> None:  # a process
    from sadap.core.timeutil import now_utc
    from sadap.store.sqlite import SQLiteStore

    store = SQLiteStore(path)
    start.wait(timeout=30)
    try:
        for i in ids:
            store.correct(i, LabelCorrection(**{name: value}, by=who, at=now_utc()))
        out.put("ok")
    except Exception as err:  # noqa: BLE001 - reported to the test
        out.put(repr(err))
    finally:
        store.close()


def test_processes_correcting_one_sqlite_mention_at_once_keep_each_others_fields(tmp_path):
    """`sadap label` from several terminals, the workspace's workers: separate processes on one file."""
    import multiprocessing

    from sadap.store.sqlite import SQLiteStore

    path = tmp_path / "sadap.db"
    ms = [make(i, *row, minutes=i * 30) for i, row in enumerate(TEXTS * 4)]
    ms = [m.model_copy(update={"id": f"{m.id[:20]}{k:04d}"}) for k, m in enumerate(ms)]
    with SQLiteStore(path) as s:
        s.upsert(ms)
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    ids = [m.id for m in ms]
    procs = [ctx.Process(target=_correct_when_released, args=(str(path), ids, *args, start, out)) for args in FIELDS_AT_ONCE]
    for p in procs:
        p.start()
    start.set()
    assert [out.get(timeout=120) for _ in procs] == ["ok"] * len(procs)
    for p in procs:
        p.join(timeout=30)
    with SQLiteStore(path) as s:
        _all_fields_kept(s, ids)
