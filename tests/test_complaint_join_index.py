"""Complaint cases at ingest: the open cases are looked up by author, thread and incident
instead of scanned one by one; the cases made are the ones the scan made (the rule of
``_joins``, the first open case in order), with the three ways of joining mixed, the join
window, news that forms no case, and incidents learnt along the way."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sadap.app import complaints
from sadap.core.incident import Incident
from sadap.core.mention import NEWS_SOURCE_KINDS, Complaint, Mention, mention_id
from sadap.store.sqlite import SQLiteStore

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _complaints(n: int, seed: int) -> list[Mention]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind = rng.choice(["forum", "forum", "news", "facebook"])
        thread = rng.choice([None, None, "t1", "t2", "t3"])
        out.append(Mention(
            id=mention_id("src", f"c{i}"), source_kind=kind, source_name=rng.choice(["src", "other"]),
            native_id=f"c{i}", author_id=rng.choice([None, "a_1", "a_2", "a_3", "a_4"]),
            published_at=T0 + timedelta(days=rng.uniform(0, 40)), collected_at=T0 + timedelta(days=41),
            text=f"แอปแสงทองล่ม โอนเงินไม่ได้ ครั้งที่ {i}", extras={"thread_id": thread} if thread else {},
            complaint=Complaint(is_complaint=True, type="digital_outage"),
        ))
    return out


def _scan_assign(store: SQLiteStore, mentions: list[Mention], at: datetime) -> list[tuple[str, ...]]:
    """The cases as the scan over every open case made them: each case's mention ids."""
    cases: list[tuple[dict, list[str]]] = []
    incident_of = complaints._incident_of(store, ("open", "acknowledged"))
    for m in sorted(mentions, key=lambda m: (m.published_at, m.id)):
        if m.source_kind in NEWS_SOURCE_KINDS:  # news coverage: no case
            continue
        incident = incident_of.get(m.id)
        found = next((c for c in cases if complaints._joins(c[0]["case"], m, incident)), None)
        if found is None:
            case = complaints.ComplaintCase(
                received_at=m.published_at, updated_at=m.published_at, channel=m.source_kind,
                source_name=m.source_name, type=m.complaint.type, author_id=m.author_id,
                thread=complaints.thread_key(m.source_name, m.extras), incident_id=incident, mention_ids=[m.id])
            cases.append(({"case": case}, case.mention_ids))
        else:
            case = found[0]["case"]
            case.mention_ids.append(m.id)
            case.received_at = min(case.received_at, m.published_at)
            case.updated_at = max(case.updated_at, m.published_at)
            if case.incident_id is None and incident:
                case.incident_id = incident
    return sorted(tuple(ids) for _, ids in cases)


def test_indexed_open_cases_group_as_the_scan_did(tmp_path):
    for seed in range(6):
        mentions = _complaints(120, seed)
        store = SQLiteStore(tmp_path / f"s{seed}.db")
        rng = random.Random(seed)
        for k in range(3):  # incidents holding some of the complaints
            store.save_incident(Incident(playbook="p", rule="r", severity="high", title=f"i{k}", opened_at=T0,
                                         updated_at=T0, mention_ids=[m.id for m in rng.sample(mentions, 15)]))
        expected = _scan_assign(store, mentions, T0)
        changed = complaints.assign(store, mentions, T0, fresh=True)
        got = sorted(tuple(c.mention_ids) for c in changed)
        assert got == expected
        assert len(expected) < len(mentions) and any(len(ids) > 2 for ids in expected)  # joins happened
        store.close()
