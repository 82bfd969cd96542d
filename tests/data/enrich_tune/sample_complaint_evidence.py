"""Sampler for ``complaint-evidence.jsonl``: negative messages that name a product or service
but have no word saying what is wrong with it.

It shuffles the Wisesight *train* messages (seed below; same length filter as the dev sampler;
texts in the dev set, the tuning set or test.jsonl skipped), runs the first 6,000 through the
enrichment pipeline with the default sentiment engine, and keeps those that the engine calls
``neg`` and that hit a category or complaint-type word but no complaint-type word, complaint
signal or disappointment word. The first 90 were labelled by hand (``is_complaint`` only).

The selection depends on the lexicons and the sentiment engine of the commit it runs at: the
shipped sample was drawn at commit 6fa1c89 (463 of the 6,000 matched). Words added to the
lexicons since then take some of those messages out of the group.

Usage (from the repo root):
    .venv/bin/python tests/data/enrich_tune/sample_complaint_evidence.py \
        --data ../shared/data/wisesight-sentiment --out /tmp/complaint-evidence-sample.jsonl
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

SEED = 20261121
SCAN = 6000
KEEP = 90
ROOT = Path(__file__).resolve().parents[3]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/wisesight-sentiment")
    ap.add_argument("--out", default="/tmp/complaint-evidence-sample.jsonl")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from enrich.pipeline import Enricher
    from sadap.core.mention import RawMention, to_mention

    data = Path(args.data)
    seen: set[str] = set()
    for path in (ROOT / "tests/data/enrich_dev/enrich-dev.jsonl", ROOT / "tests/data/enrich_tune/enrich-tune.jsonl",
                 data / "test.jsonl"):
        seen |= {json.loads(line)["text"].strip() for line in path.open(encoding="utf-8")}
    rows = []
    for n, line in enumerate((data / "train.jsonl").open(encoding="utf-8"), 1):
        row = json.loads(line)
        text = row["text"].strip()
        if 15 <= len(text) <= 400 and text not in seen:
            seen.add(text)
            rows.append((n, row))
    random.Random(SEED).shuffle(rows)
    enricher = Enricher([])
    picked = []
    for start in range(0, SCAN, 500):
        chunk = rows[start:start + 500]
        mentions = enricher.enrich([
            to_mention(RawMention(source_kind="file", source_name="sample", native_id=str(i), text=r["text"]),
                       pseudonym_key=b"sample")
            for i, (_, r) in enumerate(chunk)])
        for (n, row), m in zip(chunk, mentions):
            if m.sentiment.label != "neg":
                continue
            hits = enricher.lexicons.analyze(m.tokens, m.text, m.sentiment.label).hits
            names_offer = hits["categories"] or hits["complaint_types"]
            says_what = hits["complaint_types"] or hits["signals"] or hits["disappointed"]
            if names_offer and not says_what:
                picked.append({"line": n, "text": row["text"], "sentiment": row["label"]})
    print(f"{len(picked)} of {SCAN} shuffled train messages match; writing the first {KEEP}")
    with open(args.out, "w", encoding="utf-8") as fh:
        for row in picked[:KEEP]:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
