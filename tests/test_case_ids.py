"""A new complaint case or incident never replaces another that drew the same id. Their ids
are short for people to quote (``CASE-``/``INC-`` and 32 random bits), so among tens of
thousands of cases two draws meet (a benchmark with 20,000 cases lost one that way):
``Store.add_case`` and ``add_incident`` refuse a taken id on both backends, and ``assign`` and
``open_or_update`` draw again (``assign`` also within one call)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from alerts.incidents import open_or_update
from sadap.app import complaints
from sadap.core import complaint_case
from sadap.core.alert import FiredAlert
from tests.test_open_cases_joining import _case, _mention
from tests.test_store_contract import T0, store  # noqa: F401  (the backend fixture)


def test_add_case_refuses_a_taken_id_and_leaves_the_stored_case(store):  # noqa: F811
    first = _case(1, author="a_1")
    assert store.add_case(first)
    other = _case(2, author="a_2").model_copy(update={"id": first.id})  # the same id drawn again
    assert not store.add_case(other)
    assert store.get_case(first.id) == first
    assert [c.id for c in store.list_cases()] == [first.id]
    assert store.add_case(_case(3, author="a_3"))
    assert {c.id for c in store.list_cases()} == {"CASE-0001", "CASE-0003"}


def _draws(monkeypatch, *hex_ids: str) -> None:
    """The next case ids drawn (``CASE-`` + each), then fresh ones."""
    queue = iter(hex_ids)
    counter = itertools.count()
    monkeypatch.setattr(complaint_case.secrets, "token_hex",
                        lambda n: next(queue, f"{next(counter):0{2 * n}X}FF"[-2 * n:]))


def test_assign_draws_again_when_a_new_case_meets_a_stored_id(store, monkeypatch):  # noqa: F811
    closed = _case(7, author="a_9").model_copy(update={"id": "CASE-0000AAAA", "state": "closed", "closed_at": T0,
                                                       "close_reason": "resolved"})
    store.save_case(closed)  # closed, so no ingest reads it: only the store can say the id is taken
    # the first new case draws the closed case's id; its next draw is the id the second one holds
    _draws(monkeypatch, "0000AAAA", "0000BBBB", "0000BBBB", "0000CCCC")
    batch = [_mention(1, "a_1", hours=1), _mention(2, "a_2", hours=2)]
    store.upsert(batch)
    made = complaints.assign(store, batch, T0 + timedelta(hours=3), fresh=True)
    assert sorted(c.id for c in made) == ["CASE-0000BBBB", "CASE-0000CCCC"]
    assert store.get_case("CASE-0000AAAA") == closed  # untouched
    _three_cases(store, closed, batch)


def test_assign_draws_again_when_two_new_cases_draw_one_id(store, monkeypatch):  # noqa: F811
    closed = _case(7, author="a_9").model_copy(update={"state": "closed", "closed_at": T0, "close_reason": "resolved"})
    store.save_case(closed)
    _draws(monkeypatch, "0000DDDD", "0000DDDD", "0000EEEE")
    batch = [_mention(1, "a_1", hours=1), _mention(2, "a_2", hours=2)]
    store.upsert(batch)
    made = complaints.assign(store, batch, T0 + timedelta(hours=3), fresh=True)
    assert sorted(c.id for c in made) == ["CASE-0000DDDD", "CASE-0000EEEE"]
    _three_cases(store, closed, batch)


def _three_cases(store, closed, batch) -> None:  # noqa: F811
    by_mention = {c.mention_ids[0]: c for c in store.list_cases()}
    assert set(by_mention) == {closed.mention_ids[0], batch[0].id, batch[1].id}
    assert len({c.id for c in by_mention.values()}) == 3
    assert by_mention[batch[0].id].author_id == "a_1" and by_mention[batch[1].id].author_id == "a_2"


def _alert(key: str) -> FiredAlert:
    return FiredAlert(rule="outage-keywords", rule_type="any", title_th=f"แอปล่ม — {key}", title_en=f"App down — {key}",
                      severity="P2", key=key, count=3, mention_ids=["m1", "m2"], window_start=T0,
                      window_end=T0 + timedelta(minutes=30))


def test_a_new_incident_never_replaces_another_that_drew_its_id(store, monkeypatch):  # noqa: F811
    from playbooks.loader import load_playbooks

    playbook = next(p for p in load_playbooks() if p.id == "service-outage")
    _draws(monkeypatch, "0000AAAA", "0000AAAA", "0000BBBB")
    first, opened = open_or_update(store, _alert("แสงทอง"), playbook, T0)
    assert opened and first.id == "INC-0000AAAA"
    # another key: a new incident, whose first draw is the stored one's id
    second, opened = open_or_update(store, _alert("ฟ้าใส"), playbook, T0 + timedelta(minutes=5))
    assert opened and second.id == "INC-0000BBBB"
    assert store.get_incident("INC-0000AAAA") == first  # untouched
    assert {i.id: i.key for i in store.list_incidents(("open",))} == {"INC-0000AAAA": "แสงทอง", "INC-0000BBBB": "ฟ้าใส"}
    assert not store.add_incident(second.model_copy(update={"key": "อื่น"}))
    assert store.get_incident("INC-0000BBBB") == second
