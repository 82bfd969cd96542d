"""The learned classifier's training data (enrich/models/training/voc-train.jsonl): labelled in the
dev set's label sets, apart from every set the figures are measured on, each text the Wisesight
train line it names, with that line's corpus label, and the rows the sampler draws."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_enrich_dev_data import CATEGORY, COMPLAINT_TYPE, EXPECTATION, SENTIMENT

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "enrich" / "models" / "training" / "voc-train.jsonl"
DATA = ROOT / "tests" / "data"
WISESIGHT = ROOT.parent / "shared" / "data" / "wisesight-sentiment"
EVALUATION = ("enrich_dev/enrich-dev.jsonl", "pr_posts/pr-posts-tune.jsonl", "pr_posts/pr-posts-dev.jsonl")
KEYS = {"line", "batch", "half", "stratum", "text", "sentiment", "expectation", "category", "is_complaint",
        "complaint_type"}


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_rows_are_labelled_in_the_dev_sets_label_sets():
    rows = _rows(TRAIN)
    assert len(rows) >= 1600 and len({r["line"] for r in rows}) == len(rows)
    for r in rows:
        assert set(r) == KEYS, r
        assert r["batch"] in (1, 2, 3) and r["half"] in ("corpus", "pr"), r
        assert r["sentiment"] in SENTIMENT and r["expectation"] in EXPECTATION and r["category"] in CATEGORY, r
        assert isinstance(r["is_complaint"], bool), r
        assert (r["complaint_type"] in COMPLAINT_TYPE) if r["is_complaint"] else r["complaint_type"] is None, r
    # both classes of each field the classifier learns are well represented
    assert sum(r["is_complaint"] for r in rows) >= 200
    assert all(sum(r["expectation"] == e for r in rows) >= 50 for e in EXPECTATION)


def test_no_text_of_the_development_data_or_the_tuning_sets():
    measured = {r["text"].strip() for rel in EVALUATION for r in _rows(DATA / rel)}
    tuning = {r["text"].strip() for rel in ("enrich_tune/enrich-tune.jsonl", "enrich_tune/complaint-evidence.jsonl")
              for r in _rows(DATA / rel)}
    texts = [r["text"].strip() for r in _rows(TRAIN)]
    assert not [t for t in texts if t in measured]
    assert not [t for t in texts if t in tuning]  # tuning rows are trained on too: not twice


@pytest.mark.skipif(not (WISESIGHT / "train.jsonl").exists(), reason="shared Wisesight data missing")
def test_each_text_is_its_train_line_with_its_corpus_label_and_not_in_test_or_valid():
    with (WISESIGHT / "train.jsonl").open(encoding="utf-8") as fh:
        train = [json.loads(line) for line in fh]
    held_out = set()
    for split in ("test.jsonl", "valid.jsonl"):
        held_out |= {r["text"] for r in _rows(WISESIGHT / split)}
    for r in _rows(TRAIN):
        source = train[r["line"] - 1]
        assert source["text"] == r["text"] and source["label"] == r["sentiment"], r["line"]
        assert r["text"] not in held_out, r["line"]


@pytest.mark.skipif(not (WISESIGHT / "train.jsonl").exists(), reason="shared Wisesight data missing")
def test_the_sampler_draws_these_rows():
    from enrich.training.sample_voc import sample

    drawn = {(r["line"], r["batch"], r["half"], r["stratum"]) for r in sample(WISESIGHT)}
    rows = {(r["line"], r["batch"], r["half"], r["stratum"]) for r in _rows(TRAIN)}
    assert rows <= drawn and len(drawn) - len(rows) <= 5  # the few rows left unlabelled, if any
