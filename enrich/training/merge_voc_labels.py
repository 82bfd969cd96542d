"""Merge the annotators' label files of the voice-of-customer training set into the shipped file
(build time only).

    .venv/bin/python -m enrich.training.merge_voc_labels ../shared/data/wisesight-sentiment \\
        /work/annot/labels-*.jsonl --out enrich/models/training/voc-train.jsonl

Each label file (one per annotator; every ``labels-*.jsonl`` present) holds rows drawn by :mod:`enrich.training.sample_voc` (``line``, ``half``,
``stratum``, ``text``) with the annotator's ``expectation``, ``category``, ``is_complaint`` and
``complaint_type``. The corpus ``sentiment`` label is added by joining ``line`` to Wisesight's
train.jsonl, and every text is checked against that line. Rows come out in the order of ``line``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

FIELDS = ("line", "batch", "half", "stratum", "text", "sentiment", "expectation", "category", "is_complaint", "complaint_type")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("wisesight", type=Path)
    ap.add_argument("labels", type=Path, nargs="+")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    with (args.wisesight / "train.jsonl").open(encoding="utf-8") as fh:
        corpus = {n: json.loads(line) for n, line in enumerate(fh, 1) if line.strip()}
    rows: dict[int, dict[str, object]] = {}
    problems = []
    for path in args.labels:
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                row = json.loads(line)
                source = corpus.get(row["line"])
                if source is None or source["text"] != row["text"]:
                    problems.append(f"{path}:{n}: text differs from train.jsonl line {row['line']}")
                    continue
                if row["line"] in rows:
                    problems.append(f"{path}:{n}: line {row['line']} labelled twice")
                    continue
                row["sentiment"] = source["label"]
                row.setdefault("batch", 1)
                rows[row["line"]] = {k: row.get(k) for k in FIELDS}
    for p in problems:
        print(p, file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for line in sorted(rows):
            fh.write(json.dumps(rows[line], ensure_ascii=False) + "\n")
    print(f"{len(rows)} rows -> {args.out}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
