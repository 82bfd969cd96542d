"""Sanity checks for the hand-annotated Thai enrichment sets: the held-out dev set and the
tuning set the shipped lexicons were tuned on."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "data" / "enrich_dev" / "enrich-dev.jsonl"
TUNE = ROOT / "tests" / "data" / "enrich_tune" / "enrich-tune.jsonl"
WISESIGHT = ROOT.parent / "shared" / "data" / "wisesight-sentiment"
SETS = {"dev": (DEV, 400), "tune": (TUNE, 300)}  # file, minimum rows

SENTIMENT = {"pos", "neu", "neg", "q"}
EXPECTATION = {"delighted", "satisfied", "disappointed", "none"}
CATEGORY = {"product_service", "customer_support", "transaction", "relationship", "other"}
COMPLAINT_TYPE = {
    "product_quality", "service_staff", "price_billing", "delivery_logistics",
    "digital_outage", "facility_environment", "safety_health", "fraud_scam", "other",
}
KEYS = {"line", "text", "sentiment", "expectation", "category", "is_complaint", "complaint_type"}


def _rows(path: Path = DEV) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _texts(name: str) -> set[str]:
    with (WISESIGHT / name).open(encoding="utf-8") as fh:
        return {json.loads(l)["text"] for l in fh if l.strip()}


@pytest.mark.parametrize("which", SETS)
def test_size_and_unique_lines(which):
    path, minimum = SETS[which]
    rows = _rows(path)
    assert len(rows) >= minimum
    assert len({r["line"] for r in rows}) == len(rows)


@pytest.mark.parametrize("which", SETS)
def test_labels_in_allowed_sets(which):
    for r in _rows(SETS[which][0]):
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


def test_tune_set_is_disjoint_from_the_dev_set():
    dev_texts = {r["text"] for r in _rows(DEV)}
    assert not [r["line"] for r in _rows(TUNE) if r["text"] in dev_texts]


@pytest.mark.skipif(not (WISESIGHT / "train.jsonl").exists(), reason="shared Wisesight data missing")
@pytest.mark.parametrize("which", SETS)
def test_lines_point_to_train_split(which):
    with (WISESIGHT / "train.jsonl").open(encoding="utf-8") as fh:
        train = [json.loads(l) for l in fh]
    for r in _rows(SETS[which][0]):
        src = train[r["line"] - 1]
        assert src["text"] == r["text"], r["line"]
        assert src["label"] == r["sentiment"], r["line"]


@pytest.mark.skipif(not (WISESIGHT / "test.jsonl").exists(), reason="shared Wisesight data missing")
@pytest.mark.parametrize("which", SETS)
def test_no_row_from_test_split(which):
    test_texts = _texts("test.jsonl")
    leaked = [r["line"] for r in _rows(SETS[which][0]) if r["text"] in test_texts]
    assert not leaked


@pytest.mark.skipif(not (WISESIGHT / "valid.jsonl").exists(), reason="shared Wisesight data missing")
def test_no_tune_row_from_valid_split():
    valid_texts = _texts("valid.jsonl")
    assert not [r["line"] for r in _rows(TUNE) if r["text"] in valid_texts]


EVIDENCE = ROOT / "tests" / "data" / "enrich_tune" / "complaint-evidence.jsonl"


def test_complaint_evidence_sample_is_labelled_and_disjoint():
    """The targeted sample behind the complaint rule: is_complaint only, nothing from the dev or
    tuning sets, each line in the train split."""
    rows = _rows(EVIDENCE)
    assert len(rows) == 90 and len({r["line"] for r in rows}) == 90
    assert all(set(r) == {"line", "text", "sentiment", "is_complaint"} and isinstance(r["is_complaint"], bool)
               for r in rows)
    assert 0 < sum(r["is_complaint"] for r in rows) < 90
    other = {r["text"].strip() for r in _rows(DEV) + _rows(TUNE)}
    assert not [r["line"] for r in rows if r["text"].strip() in other]


@pytest.mark.skipif(not (WISESIGHT / "train.jsonl").exists(), reason="shared Wisesight data missing")
def test_complaint_evidence_lines_point_to_train_and_not_to_test_or_valid():
    with (WISESIGHT / "train.jsonl").open(encoding="utf-8") as fh:
        train = [json.loads(l) for l in fh]
    held_out = _texts("test.jsonl") | _texts("valid.jsonl")
    for r in _rows(EVIDENCE):
        assert train[r["line"] - 1]["text"] == r["text"] and train[r["line"] - 1]["label"] == r["sentiment"], r["line"]
        assert r["text"] not in held_out, r["line"]


# The PR-posts set (tests/data/pr_posts): sarcasm, praise with a complaint, mild praise and
# controls, in a tuning half and a held-out half. Its `sentiment` is the annotator's reading (a
# sarcastic post is `neg`), not the corpus label, so it is not checked against train.jsonl.
PR_POSTS = {"tune": ROOT / "tests" / "data" / "pr_posts" / "pr-posts-tune.jsonl",
            "dev": ROOT / "tests" / "data" / "pr_posts" / "pr-posts-dev.jsonl"}
STRATA = {"praise_failure", "praise_but", "mild_praise", "control"}


def test_pr_posts_are_labelled_and_at_least_150():
    rows = [r for path in PR_POSTS.values() for r in _rows(path)]
    assert len(rows) >= 150 and len({r["line"] for r in rows}) == len(rows)
    for r in rows:
        assert set(r) == KEYS | {"stratum"}, r
        assert r["stratum"] in STRATA and r["sentiment"] in SENTIMENT, r
        assert r["expectation"] in EXPECTATION and r["category"] in CATEGORY, r
        assert (r["complaint_type"] in COMPLAINT_TYPE) if r["is_complaint"] else r["complaint_type"] is None, r
    # Both halves hold every stratum, and the kinds the issue names are there.
    for path in PR_POSTS.values():
        assert {r["stratum"] for r in _rows(path)} == STRATA
    assert sum(r["is_complaint"] and r["expectation"] == "disappointed" and r["stratum"] == "praise_failure"
               for r in rows) >= 5
    assert sum(r["expectation"] == "satisfied" and r["stratum"] == "mild_praise" for r in rows) >= 5


def test_pr_posts_share_no_text_with_the_other_sets():
    other = {r["text"] for r in _rows(DEV) + _rows(TUNE) + _rows(EVIDENCE)}
    halves = [{r["text"] for r in _rows(path)} for path in PR_POSTS.values()]
    assert not (halves[0] & halves[1]) and not ((halves[0] | halves[1]) & other)


@pytest.mark.skipif(not (WISESIGHT / "train.jsonl").exists(), reason="shared Wisesight data missing")
def test_pr_posts_come_from_train_and_not_from_test_or_valid():
    with (WISESIGHT / "train.jsonl").open(encoding="utf-8") as fh:
        train = [json.loads(l)["text"] for l in fh]
    held_out = _texts("test.jsonl") | _texts("valid.jsonl")
    for path in PR_POSTS.values():
        for r in _rows(path):
            assert train[r["line"] - 1] == r["text"] and r["text"] not in held_out, r["line"]


@pytest.mark.skipif(not (WISESIGHT / "train.jsonl").exists(), reason="shared Wisesight data missing")
def test_pr_posts_sampler_draws_the_same_rows(tmp_path):
    """The sampler, re-run, gives the rows of the set (tune half: even positions, held-out: odd)."""
    import subprocess
    import sys

    out = tmp_path / "sample.jsonl"
    subprocess.run([sys.executable, str(ROOT / "tests" / "data" / "pr_posts" / "sample.py"), "--data", str(WISESIGHT),
                    "--out", str(out)], check=True, capture_output=True)
    drawn = _rows(out)
    assert [r["line"] for r in drawn[0::2]] == [r["line"] for r in _rows(PR_POSTS["tune"])]
    assert [r["line"] for r in drawn[1::2]] == [r["line"] for r in _rows(PR_POSTS["dev"])]
