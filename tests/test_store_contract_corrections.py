"""Hand-corrected labels on both backends (SQLite and Elasticsearch via osmem-server): written
at once with who and when, merged over earlier corrections, kept in a history, listed for
training, and erased with the mention."""

from __future__ import annotations

from datetime import timedelta

from sadap.core.mention import LabelCorrection
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
