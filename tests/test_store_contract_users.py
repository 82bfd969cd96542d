"""Store contract for the web workspace's data: users, API tokens, responses, assignments,
snoozes (SQLite and Elasticsearch)."""

from __future__ import annotations

from datetime import timedelta

from sadap.core.users import ApiToken, User
from tests.test_store_contract import T0, TEXTS, make, store  # noqa: F401  (the backend fixture)

def test_users_round_trip(store):  # noqa: F811
    assert store.get_user("somsri") is None and store.list_users() == []
    u = User(username="somsri", role="responder", password_hash="$argon2id$v=19$x", created_at=T0)
    store.save_user(u)
    store.save_user(User(username="anan", role="viewer", password_hash="$argon2id$v=19$y", created_at=T0))
    assert store.get_user("somsri") == u
    assert [x.username for x in store.list_users()] == ["anan", "somsri"]
    store.save_user(u.model_copy(update={"disabled": True, "session_version": 1}))
    again = store.get_user("somsri")
    assert again is not None and again.disabled and again.session_version == 1
    assert len(store.list_users()) == 2

def test_api_tokens_by_hash(store):  # noqa: F811
    a = ApiToken(token_hash="a" * 64, prefix="sdp_aaaaaa", username="somsri", name="bot", created_at=T0)
    b = ApiToken(token_hash="b" * 64, prefix="sdp_bbbbbb", username="anan", created_at=T0 + timedelta(hours=1))
    store.save_api_token(a)
    store.save_api_token(b)
    assert store.find_api_token("a" * 64) == a and store.find_api_token("c" * 64) is None
    assert [t.token_hash for t in store.list_api_tokens()] == ["b" * 64, "a" * 64]
    assert [t.username for t in store.list_api_tokens("somsri")] == ["somsri"]
    store.save_api_token(a.model_copy(update={"revoked": True}))
    found = store.find_api_token("a" * 64)
    assert found is not None and found.revoked

def test_responses_assignments_and_snoozes(store):  # noqa: F811
    ms = [make(i, *row, minutes=i * 30) for i, row in enumerate(TEXTS)]
    store.upsert(ms)
    first, second = ms[0].id, ms[1].id
    assert store.responses(first) == []
    store.log_response(first, T0 + timedelta(hours=2), "somsri", "social", "ขออภัยค่ะ กำลังแก้ไข")
    store.log_response(first, T0 + timedelta(hours=3), "anan", "email", "แก้ไขแล้ว")
    got = store.responses(first)
    assert [(r["actor"], r["channel"], r["text"]) for r in got] == [
        ("somsri", "social", "ขออภัยค่ะ กำลังแก้ไข"), ("anan", "email", "แก้ไขแล้ว")]
    assert got[0]["at"] == T0 + timedelta(hours=2)
    assert store.assignments([first, second]) == {}
    store.assign(first, "somsri", "admin", T0)
    store.assign(first, "anan", "admin", T0 + timedelta(minutes=5))
    assert store.assignments([first, second]) == {first: {"assignee": "anan", "actor": "admin", "at": T0 + timedelta(minutes=5)}}
    store.snooze("outage-keywords", "*", T0 + timedelta(hours=2), "somsri", "planned work")
    snoozes = store.snoozes()
    assert [(s["rule_id"], s["key"], s["actor"], s["reason"]) for s in snoozes] == [
        ("outage-keywords", "*", "somsri", "planned work")]
    assert snoozes[0]["until"] == T0 + timedelta(hours=2)



def test_whole_day_counts_match_a_scan(store):  # noqa: F811
    """Windows on Bangkok midnights (what the workspace's overview asks; SQLite answers them from
    daily counts kept at each write) give the same counts as looking at each mention."""
    from collections import Counter
    from dataclasses import replace
    from datetime import datetime

    from sadap.core.timeutil import BANGKOK
    from sadap.store import MentionFilter

    ms = [make(i, *TEXTS[i % len(TEXTS)], minutes=i * 170) for i in range(40)]  # about 5 days
    ms[3] = ms[3].model_copy(update={"duplicate_of": ms[2].id})
    store.upsert(ms)
    # rewrite some: new sentiment, entities and day (the old counts must go)
    changed = [m.model_copy(update={"entities": ["ธนาคารฟ้าใส"], "published_at": m.published_at + timedelta(days=1),
                                    "sentiment": m.sentiment.model_copy(update={"label": "pos"})}) for m in ms[:6]]
    store.upsert(changed)
    everything = {m.id: m for m in store.search(MentionFilter(), 1000)}
    assert len(everything) == 40
    day0 = datetime(2026, 11, 21, tzinfo=BANGKOK)
    for since, until in ((day0, day0 + timedelta(days=2)), (day0 - timedelta(days=1), None), (None, day0 + timedelta(days=3))):
        base = MentionFilter(since=since, until=until)
        inside = [m for m in everything.values() if (since is None or m.published_at >= since)
                  and (until is None or m.published_at < until)]
        assert store.count(base) == len(inside)
        assert store.count(replace(base, include_duplicates=False)) == sum(1 for m in inside if m.duplicate_of is None)
        assert store.count(replace(base, complaint=True)) == sum(1 for m in inside if m.complaint.is_complaint)
        assert store.count_by(base, "sentiment") == dict(Counter(m.sentiment.label for m in inside).most_common())
        assert store.count_by(base, "author_id") == dict(Counter(m.author_id for m in inside))
        assert store.count_by(base, "entity") == {k: v for k, v in Counter(e for m in inside for e in set(m.entities)).items()}
        assert store.count_by(replace(base, complaint=True), "complaint_type") == dict(
            Counter(m.complaint.type for m in inside if m.complaint.is_complaint and m.complaint.type))
        for entity in ("แสงทอง", "ธนาคารฟ้าใส"):  # the same, within one watched entity
            scoped = replace(base, entities=(entity,))
            mine = [m for m in inside if entity in m.entities]
            assert store.count(scoped) == len(mine)
            assert store.count(replace(scoped, include_duplicates=False)) == sum(1 for m in mine if m.duplicate_of is None)
            assert store.count_by(scoped, "sentiment") == dict(Counter(m.sentiment.label for m in mine))
            assert store.count_by(scoped, "author_id") == dict(Counter(m.author_id for m in mine))
            assert store.count_by(scoped, "entity") == dict(Counter(e for m in mine for e in set(m.entities)))
            assert store.count_by(replace(scoped, complaint=True), "complaint_type") == dict(
                Counter(m.complaint.type for m in mine if m.complaint.is_complaint and m.complaint.type))
            neg = Counter(m.published_at.astimezone(BANGKOK).date() for m in mine if m.sentiment.label == "neg")
            got = store.histogram(replace(scoped, sentiment=("neg",)), timedelta(days=1))
            assert {t.astimezone(BANGKOK).date(): n for t, n in got} == dict(neg)
        for flt, keep in ((replace(base, sentiment=("neg",)), lambda m: m.sentiment.label == "neg"),
                          (replace(base, entities=("แสงทอง",)), lambda m: "แสงทอง" in m.entities), (base, lambda m: True)):
            expected = Counter(m.published_at.astimezone(BANGKOK).date() for m in inside if keep(m))
            got = store.histogram(flt, timedelta(days=1))
            assert {t.astimezone(BANGKOK).date(): n for t, n in got} == dict(expected)
            assert all(t.astimezone(BANGKOK).hour == 0 for t, _ in got)


def test_sqlite_daily_counts_built_for_an_older_store(tmp_path):
    import sqlite3
    from dataclasses import replace
    from datetime import datetime

    from sadap.core.timeutil import BANGKOK
    from sadap.store import MentionFilter
    from sadap.store.sqlite import SQLiteStore

    s = SQLiteStore(tmp_path / "old.db")
    s.upsert([make(i, *TEXTS[i % len(TEXTS)], minutes=i * 170) for i in range(20)])
    flt = MentionFilter(since=datetime(2026, 11, 20, tzinfo=BANGKOK), until=datetime(2026, 11, 23, tzinfo=BANGKOK))
    assert s._days(flt) is not None  # answered from the daily counts
    within = replace(flt, entities=("แสงทอง",), sentiment=("neg",))
    assert s._days(within) is not None
    expected = (s.count(flt), s.count_by(flt, "sentiment"), s.histogram(flt, timedelta(days=1)),
                s.histogram(within, timedelta(days=1)), s.count_by(replace(flt, entities=("แสงทอง",)), "hashtag"))
    s.close()
    db = sqlite3.connect(tmp_path / "old.db")
    db.execute("DELETE FROM mention_days")
    db.execute("PRAGMA user_version=2")
    db.commit()
    db.close()
    again = SQLiteStore(tmp_path / "old.db")
    assert (again.count(flt), again.count_by(flt, "sentiment"), again.histogram(flt, timedelta(days=1)),
            again.histogram(within, timedelta(days=1)),
            again.count_by(replace(flt, entities=("แสงทอง",)), "hashtag")) == expected
    assert expected[3] and expected[4]
    again.close()


def test_partner_shares_audit(store):  # noqa: F811
    assert store.shares() == []
    store.record_share({"partner": "mcot", "at": T0, "channel": "feed.json", "actor": "mcot", "upto": None,
                        "items": ["mention:a", "incident:b"]})
    store.record_share({"partner": "mcot", "at": T0 + timedelta(minutes=5), "channel": "webhook", "actor": "sadap",
                        "upto": T0 + timedelta(minutes=4), "items": ["mention:c"]})
    store.record_share({"partner": "tpbs", "at": T0 + timedelta(minutes=6), "channel": "webhook", "actor": "somsri",
                        "upto": T0 + timedelta(minutes=6), "items": []})
    assert [s["partner"] for s in store.shares()] == ["tpbs", "mcot", "mcot"]
    last = store.shares("mcot", "webhook", 1)
    assert last == [{"partner": "mcot", "at": T0 + timedelta(minutes=5), "channel": "webhook", "actor": "sadap",
                     "upto": T0 + timedelta(minutes=4), "items": ["mention:c"]}]
    assert store.shares("mcot", "feed.json")[0]["items"] == ["mention:a", "incident:b"]
    assert store.shares("mcot", "feed.json")[0]["upto"] is None
    assert store.shares("nobody") == []
