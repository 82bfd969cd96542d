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
import json
import random
from pathlib import Path

SEED = 20240611
PER_LABEL = {"neg": 100, "pos": 80, "neu": 80, "q": 40}
MIN_LEN, MAX_LEN = 15, 400
ROOT = Path(__file__).resolve().parents[3]
DEV = ROOT / "tests" / "data" / "enrich_dev" / "enrich-dev.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/wisesight-sentiment")
    ap.add_argument("--dev", default=str(DEV))
    ap.add_argument("--out", default="/tmp/enrich-tune-sample.jsonl")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    data = Path(args.data)

    excluded: set[str] = set()
    test_path = data / "test.jsonl"
    if test_path.exists():
        with test_path.open(encoding="utf-8") as fh:
            excluded |= {json.loads(l)["text"] for l in fh if l.strip()}
    with open(args.dev, encoding="utf-8") as fh:
        excluded |= {json.loads(l)["text"] for l in fh if l.strip()}

    pools: dict[str, list[tuple[int, dict]]] = {k: [] for k in PER_LABEL}
    seen: set[str] = set()
    with (data / "train.jsonl").open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            row = json.loads(line)
            text = row["text"]
            n = len(text.strip())
            if n < MIN_LEN or n > MAX_LEN or text in seen or text in excluded:
                continue
            seen.add(text)
            if row["label"] in pools:
                pools[row["label"]].append((lineno, row))

    rng = random.Random(args.seed)
    out = []
    for label, k in PER_LABEL.items():
        for lineno, row in rng.sample(pools[label], k):
            out.append({"line": lineno, "text": row["text"], "sentiment": label})
    rng.shuffle(out)
    with open(args.out, "w", encoding="utf-8") as fh:
        for r in out:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(out)} rows to {args.out} (seed={args.seed})")


if __name__ == "__main__":
    main()
