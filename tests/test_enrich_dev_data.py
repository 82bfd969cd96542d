"""Sanity checks for the hand-annotated Thai enrichment dev set."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "data" / "enrich_dev" / "enrich-dev.jsonl"
WISESIGHT = ROOT.parent / "shared" / "data" / "wisesight-sentiment"

SENTIMENT = {"pos", "neu", "neg", "q"}
EXPECTATION = {"delighted", "satisfied", "disappointed", "none"}
CATEGORY = {"product_service", "customer_support", "transaction", "relationship", "other"}
COMPLAINT_TYPE = {
    "product_quality", "service_staff", "price_billing", "delivery_logistics",
    "digital_outage", "facility_environment", "safety_health", "fraud_scam", "other",
}
KEYS = {"line", "text", "sentiment", "expectation", "category", "is_complaint", "complaint_type"}


def _rows() -> list[dict]:
    with DEV.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_size_and_unique_lines():
    rows = _rows()
    assert len(rows) >= 400
    assert len({r["line"] for r in rows}) == len(rows)


def test_labels_in_allowed_sets():
    for r in _rows():
        assert set(r) == KEYS, r
        assert isinstance(r["line"], int) and r["line"] >= 1
        assert r["sentiment"] in SENTIMENT
        assert r["expectation"] in EXPECTATION, r
        assert r["category"] in CATEGORY, r
        assert isinstance(r["is_complaint"], bool), r
        if r["is_complaint"]:
            assert r["complaint_type"] in COMPLAINT_TYPE, r
        else:
            assert r["complaint_type"] is None, r


@pytest.mark.skipif(not (WISESIGHT / "train.jsonl").exists(), reason="shared Wisesight data missing")
def test_lines_point_to_train_split():
    with (WISESIGHT / "train.jsonl").open(encoding="utf-8") as fh:
        train = [json.loads(l) for l in fh]
    for r in _rows():
        src = train[r["line"] - 1]
        assert src["text"] == r["text"], r["line"]
        assert src["label"] == r["sentiment"], r["line"]


@pytest.mark.skipif(not (WISESIGHT / "test.jsonl").exists(), reason="shared Wisesight data missing")
def test_no_row_from_test_split():
    with (WISESIGHT / "test.jsonl").open(encoding="utf-8") as fh:
        test_texts = {json.loads(l)["text"] for l in fh}
    leaked = [r["line"] for r in _rows() if r["text"] in test_texts]
    assert not leaked
