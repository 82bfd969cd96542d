"""The development data's two readings and their adjudication (tests/data/agreement)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

HERE = Path(__file__).parent / "data" / "agreement"
SPEC = importlib.util.spec_from_file_location("agree", HERE / "agree.py")
assert SPEC and SPEC.loader
agree = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(agree)

ALLOWED = {
    "sentiment": {"pos", "neu", "neg", "q"},
    "expectation": {"none", "disappointed", "satisfied", "delighted"},
    "category": {"product_service", "customer_support", "transaction", "relationship", "other"},
    "is_complaint": {True, False},
    "complaint_type": {None, "product_quality", "price_billing", "safety_health", "service_staff", "digital_outage",
                       "delivery_logistics", "facility_environment", "fraud_scam", "other"},
}


def test_gold_files_are_the_first_reading_with_the_adjudication_applied() -> None:
    assert agree.check() == 0
    assert agree.gold() and set(agree.gold()) == set(agree.adjudicated_gold())


def test_both_readings_cover_every_row_with_allowed_values() -> None:
    gold = agree.gold()
    for name in ("first-reading.jsonl", "second-reading.jsonl"):
        rows = agree.read(HERE / name)
        assert set(rows) == set(gold), name
        for k, row in rows.items():
            for field, allowed in ALLOWED.items():
                assert row[field] in allowed, (name, k, field, row[field])
            assert (row["complaint_type"] is None) == (not row["is_complaint"]), (name, k)


def test_adjudication_settles_only_rows_the_readings_disagree_on() -> None:
    first, second = agree.read(HERE / "first-reading.jsonl"), agree.read(HERE / "second-reading.jsonl")
    adjudicated = [json.loads(line) for line in (HERE / "adjudicated.jsonl").open(encoding="utf-8")]
    assert len(adjudicated) == len({r["k"] for r in adjudicated}) > 0
    for row in adjudicated:
        k, final = row["k"], row["final"]
        assert any(first[k][f] != second[k][f] for f in final), k
        assert row["note"].strip(), k
        for field, value in final.items():
            assert value in ALLOWED[field], (k, field, value)
    disputed = {k for k in first if any(first[k][f] != second[k][f] for f in ALLOWED if f != "sentiment"
                                        or not k.startswith("enrich-dev:"))}
    assert disputed == {r["k"] for r in adjudicated}


def test_kappa_and_f1_are_computed_as_defined() -> None:
    pairs = [(True, True), (True, False), (False, False), (False, False)]
    po, kp = agree.kappa(pairs)
    assert po == 0.75 and abs(kp - 0.5) < 1e-9
    assert abs(agree.f1(pairs, True) - 2 / 3) < 1e-9
