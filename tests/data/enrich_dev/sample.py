"""Reproducible sampler for the Thai enrichment dev set.

Draws 400 messages from Wisesight-Sentiment *train.jsonl* (never test.jsonl),
stratified by the corpus sentiment label: 100 each of pos / neu / neg / q.
Messages shorter than 15 or longer than 400 characters (after strip) are
skipped, as are exact-duplicate texts and texts that also occur in test.jsonl.

Usage (from the repo root):
    .venv/bin/python tests/data/enrich_dev/sample.py \
        --data ../shared/data/wisesight-sentiment --out /tmp/enrich-dev-sample.jsonl
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

SEED = 20240517
PER_LABEL = {"pos": 100, "neu": 100, "neg": 100, "q": 100}
MIN_LEN, MAX_LEN = 15, 400


def read_texts(path: Path) -> set[str]:
    with path.open(encoding="utf-8") as fh:
        return {json.loads(line)["text"] for line in fh if line.strip()}


def sample(data: Path, per_label: dict[str, int], seed: int, excluded: set[str]) -> list[dict]:
    """Stratified sample of train.jsonl: lengths MIN_LEN..MAX_LEN, first of exact duplicates,
    nothing in ``excluded``; rows ``{line, text, sentiment}`` in random order."""
    pools: dict[str, list[tuple[int, dict]]] = {k: [] for k in per_label}
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

    rng = random.Random(seed)
    out = []
    for label, k in per_label.items():
        for lineno, row in rng.sample(pools[label], k):
            out.append({"line": lineno, "text": row["text"], "sentiment": label})
    rng.shuffle(out)
    return out


def write(rows: list[dict], path: str, seed: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to {path} (seed={seed})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/wisesight-sentiment")
    ap.add_argument("--out", default="/tmp/enrich-dev-sample.jsonl")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    data = Path(args.data)
    test_path = data / "test.jsonl"
    excluded = read_texts(test_path) if test_path.exists() else set()
    write(sample(data, PER_LABEL, args.seed, excluded), args.out, args.seed)


if __name__ == "__main__":
    main()
