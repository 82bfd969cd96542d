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

