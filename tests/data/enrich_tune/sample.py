"""Reproducible sampler for the Thai enrichment *tuning* set.

Draws 300 messages from Wisesight-Sentiment *train.jsonl* (never test.jsonl or valid.jsonl),
stratified by the corpus sentiment label so that it is rich in customer messages:
100 neg, 80 pos, 80 neu, 40 q. Same filters as the dev sampler
(tests/data/enrich_dev/sample.py): texts shorter than 15 or longer than 400 characters
(after strip), exact-duplicate texts (first occurrence kept) and texts that also occur in
test.jsonl are skipped. In addition every text already in the dev set
(tests/data/enrich_dev/enrich-dev.jsonl) is excluded, so the dev set stays held out.

Usage (from the repo root):
    .venv/bin/python tests/data/enrich_tune/sample.py \
        --data ../shared/data/wisesight-sentiment --out /tmp/enrich-tune-sample.jsonl
"""
from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

SEED = 20240611
PER_LABEL = {"neg": 100, "pos": 80, "neu": 80, "q": 40}
ROOT = Path(__file__).resolve().parents[3]
DEV_DIR = ROOT / "tests" / "data" / "enrich_dev"
DEV = DEV_DIR / "enrich-dev.jsonl"


def _dev_sampler():
    """The dev set's sampler module (same filters), loaded from its file."""
    spec = importlib.util.spec_from_file_location("enrich_dev_sample", DEV_DIR / "sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/wisesight-sentiment")
    ap.add_argument("--dev", default=str(DEV))
    ap.add_argument("--out", default="/tmp/enrich-tune-sample.jsonl")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    data = Path(args.data)
    dev = _dev_sampler()

    test_path = data / "test.jsonl"
    excluded = dev.read_texts(test_path) if test_path.exists() else set()
    excluded |= dev.read_texts(Path(args.dev))
    dev.write(dev.sample(data, PER_LABEL, args.seed, excluded), args.out, args.seed)


if __name__ == "__main__":
    main()
