"""More of the store contract: what the richer alert rules use (clusters, keywords,
expectations, histograms aligned to a time, snoozes). Same fixtures, so every backend runs it."""

from __future__ import annotations

from datetime import timedelta

from sadap.store import MentionFilter
from tests.test_store_contract import T0, TEXTS, filled, make, store  # noqa: F401  (fixtures)


def test_histogram_aligned_to_an_origin(store):  # noqa: F811
    ms = [make(i, *TEXTS[i % 5], minutes=m) for i, m in enumerate([0, 10, 50, 70, 130])]
    store.upsert(ms)
    origin = T0 - timedelta(minutes=5)
    got = store.histogram(MentionFilter(), timedelta(hours=1), origin=origin)
    assert got == [(origin, 3), (origin + timedelta(hours=1), 1), (origin + timedelta(hours=2), 1)]


def test_clusters_of_near_duplicates(store):  # noqa: F811
    first = make(0, *TEXTS[0], minutes=0)
    copies = []
    for i in range(1, 4):
        c = make(i, *TEXTS[0], minutes=i)
        c.author_id = f"a_copy{i}"
        c.duplicate_of = first.id
        copies.append(c)
    other = make(9, *TEXTS[2], minutes=5)
    store.upsert([first, *copies, other])
    assert store.count_by(MentionFilter(), "cluster") == {first.id: 4, other.id: 1}
    assert store.count_distinct(MentionFilter(clusters=(first.id,)), "author_id") == 4
    assert store.count_distinct(MentionFilter(), "cluster") == 2


def test_keywords_expectations_and_hashtag_filters(store):  # noqa: F811
    a = make(0, *TEXTS[0], minutes=0)
    a.keywords = ["แอป", "ล่ม", "โอน"]
    a.expectation = "disappointed"
    b = make(1, *TEXTS[2], minutes=1)
    b.keywords = ["พนักงาน", "ประทับใจ"]
    b.expectation = "delighted"
    store.upsert([a, b])
    assert store.count_by(MentionFilter(), "keyword")["ล่ม"] == 1
    assert store.count(MentionFilter(keywords=("ประทับใจ",))) == 1
    assert store.count(MentionFilter(expectations=("disappointed",))) == 1
    assert store.count_by(MentionFilter(), "expectation") == {"delighted": 1, "disappointed": 1}
    assert store.count(MentionFilter(hashtags=("แอปล่ม",))) == 1


def test_snoozes(store):  # noqa: F811
    assert store.snoozed_until("r1", "แสงทอง") is None
    store.snooze("r1", "แสงทอง", T0 + timedelta(hours=1), "somchai", "กำลังแก้ไข")
    assert store.snoozed_until("r1", "แสงทอง") == T0 + timedelta(hours=1)
    store.snooze("r1", "*", T0 + timedelta(hours=3), "somchai")
    assert store.snoozed_until("r1", "อื่น") == T0 + timedelta(hours=3)
    assert store.snoozed_until("r1", "แสงทอง") == T0 + timedelta(hours=3)
    assert store.snoozed_until("r2", "แสงทอง") is None


def test_fold_event_keeps_one_line_per_delivery(store):  # noqa: F811
    from sadap.core.incident import Incident, IncidentEvent

    incident = Incident(playbook="p", rule="r", severity="P2", title="t", opened_at=T0, updated_at=T0)
    store.save_incident(incident)
    store.add_event(incident.id, IncidentEvent(at=T0, kind="opened", text="เปิด"))
    for i in range(5):
        at = T0 + timedelta(minutes=i + 1)
        store.fold_event(incident.id, IncidentEvent(at=at, kind="notify_failed", text=f"HTTP 50{i}",
                                                    data={"delivery": "d1", "attempts": i + 1}), same="delivery")
        if i == 1:  # a human acts in between; another delivery fails once
            store.add_event(incident.id, IncidentEvent(at=at, kind="acknowledged", actor="somsri"))
            store.fold_event(incident.id, IncidentEvent(at=at, kind="notify_failed", text="timeout",
                                                        data={"delivery": "d2", "attempts": 1}), same="delivery")
    events = store.events(incident.id)
    assert [e.kind for e in events] == ["opened", "notify_failed", "acknowledged", "notify_failed"]
    d1, d2 = events[1], events[3]
    assert (d1.text, d1.at, d1.data["times"], d1.data["attempts"]) == ("HTTP 504", T0 + timedelta(minutes=1), 5, 5)
    assert d1.data["last_at"] == (T0 + timedelta(minutes=5)).isoformat()
    assert (d2.text, d2.data["delivery"], "times" not in d2.data) == ("timeout", "d2", True)


def test_complaint_type_language_and_author_filters_and_capped_count(store):  # noqa: F811
    rows = [make(i, *row, minutes=i * 30) for i, row in enumerate(TEXTS)]
    rows[4] = rows[4].model_copy(update={"language": "en", "text": "Stocks closed a little higher today"})
    rows[0] = rows[0].model_copy(update={"language": "th"})
    store.upsert(rows)
    outage = store.search(MentionFilter(complaint_types=("digital_outage",)), 10)
    assert sorted(m.id for m in outage) == sorted(m.id for m in rows if m.complaint.type == "digital_outage")
    assert [m.id for m in store.search(MentionFilter(languages=("en",)), 10)] == [rows[4].id]
    assert store.count(MentionFilter(languages=("th", "en"))) == 2
    by_author = store.search(MentionFilter(author_ids=("a_1",)), 10)
    assert sorted(m.id for m in by_author) == sorted(m.id for m in rows if m.author_id == "a_1") and by_author
    assert store.count(MentionFilter(author_ids=("a_1",), complaint_types=("digital_outage",))) == sum(
        1 for m in rows if m.author_id == "a_1" and m.complaint.type == "digital_outage")
    assert store.count(MentionFilter(author_ids=("nobody",))) == 0
    assert store.count_upto(MentionFilter(), 3) == 3 and store.count_upto(MentionFilter(), 100) == 5
    assert store.count_upto(MentionFilter(sentiment=("neg",)), 1) == 1
    assert store.count_upto(MentionFilter(sentiment=("neg",), source_names=("forum-a",)), 100) == 2


def test_newest_first_search_is_the_same_whether_the_words_are_common_or_rare(store):  # noqa: F811
    """SQLite walks mentions in time order when a search matches many of them and fetches the
    matches when they are few (``SQLiteStore._walk``): either way, the newest matches first."""
    from sadap.store.query import parse_query

    common, rare = "แอปโอนเงินไม่ได้อีกแล้ว", "สาขาขอนแก่นบริการดีมาก"
    rows = [make(i, common if i % 8 else rare, "neg" if i % 3 else "neu", ["แสงทอง"], [], minutes=(i * 37) % 200)
            for i in range(40)]
    store.upsert(rows)
    newest = sorted(rows, key=lambda m: (-m.published_at.timestamp(), m.id))
    for words, limit in (("แอป", 5), ("ขอนแก่น", 5), ("แอป", 40), ("โอนเงิน -ขอนแก่น", 3)):
        flt = MentionFilter(query=parse_query(words, ("แสงทอง",)))
        wanted = [m.id for m in newest if ("ขอนแก่น" in m.text) == (words == "ขอนแก่น")][:limit]
        assert [m.id for m in store.search(flt, limit)] == wanted, words
        assert store.ids(flt, limit) == wanted
        neg = [m.id for m in newest if m.sentiment.label == "neg" and ("ขอนแก่น" in m.text) == (words == "ขอนแก่น")]
        assert store.ids(MentionFilter(query=flt.query, sentiment=("neg",)), limit) == neg[:limit]
    if hasattr(store, "_walk"):  # SQLite: both ways were taken above
        assert store._walk(MentionFilter(query=parse_query("แอป", ())), 5) is True
        assert store._walk(MentionFilter(query=parse_query("ขอนแก่น", ())), 5) is False


def test_a_reopened_incident_keeps_its_reopen_time(store):  # noqa: F811
    """What escalation runs from after a reopen (docs/alerts.md) is kept by every backend."""
    from alerts.incidents import transition
    from sadap.core.incident import Incident

    incident = Incident(playbook="service-outage", rule="r", key="แสงทอง", severity="P2", title="ระบบล่ม",
                        opened_at=T0, updated_at=T0, escalation_level=2)
    store.save_incident(incident)
    transition(store, incident.id, "resolved", "somchai", at=T0 + timedelta(hours=1))
    reopened = T0 + timedelta(days=1)
    transition(store, incident.id, "open", "somsri", "กลับมาล่มอีก", at=reopened)
    for got in (store.get_incident(incident.id), store.find_incident("service-outage", "แสงทอง"),
                store.list_incidents(("open",))[0]):
        assert got is not None and got.id == incident.id
        assert (got.reopened_at, got.escalation_level, got.opened_at) == (reopened, 0, T0)
