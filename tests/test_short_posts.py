"""Short PR-monitoring posts: praise words around a failure (sarcasm, praise-with-complaint) are a
negative complaint and disappointment; mild praise is satisfied; plain praise and praise that a
failure is gone stay as they were (enrich.voc rules 5 and 6, through the real pipeline)."""

from __future__ import annotations

import pytest

from enrich.pipeline import Enricher
from sadap.core.mention import RawMention, to_mention


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher(sentiment_model="linear-v3")


def _one(enricher: Enricher, text: str):
    [m] = enricher.enrich([to_mention(RawMention(source_kind="file", source_name="t", text=text), pseudonym_key=b"k")])
    return m


@pytest.mark.parametrize("text, kind", [
    ("เก่งมากเลยค่ะแสงทอง ล่มทุกวันเงินเดือนออก", "digital_outage"),
    ("สุดยอดมากค่ะ โอนเงินไม่เข้าอีกแล้ว ขอบคุณมากนะคะ", "price_billing"),
])
def test_praise_around_a_failure_is_a_complaint(enricher, text, kind):
    m = _one(enricher, text)
    assert (m.sentiment.label, m.expectation, m.complaint.is_complaint, m.complaint.type) == (
        "neg", "disappointed", True, kind)


@pytest.mark.parametrize("text", ["ใช้ง่ายดี", "โอเคนะ", "ก็ดี", "แอปใช้ง่ายดี"])
def test_mild_praise_is_satisfied(enricher, text):
    m = _one(enricher, text)
    assert m.expectation == "satisfied" and not m.complaint.is_complaint and m.sentiment.label != "neg"


@pytest.mark.parametrize("text, expectation", [
    ("บริการดีมาก ประทับใจ", "delighted"),
    ("แอปแสงทองดีมาก ไม่เคยล่มเลย", "delighted"),  # the failure is negated: praise stands
    ("ไม่โอเคนะ แอปช้ามาก", "disappointed"),
])
def test_praise_and_negated_praise_stay(enricher, text, expectation):
    m = _one(enricher, text)
    assert m.expectation == expectation
    assert (m.sentiment.label == "pos") == (expectation == "delighted")
