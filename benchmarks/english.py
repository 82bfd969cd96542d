"""English posts: the enrichment's sentiment with ``enrich.english_sentiment: vader`` against
``engine`` on the Wisesight splits (what changes, and accuracy), and the cost per message.

    python benchmarks/english.py [--splits test valid] [--rounds 3]

For each split: accuracy and macro-F1 of the whole enrichment's sentiment both ways, how many
messages read as plainly English (no Thai letter, 5+ English words), how many labels change, and
each change with its gold label. Then the enrichment's CPU time per message over the split both
ways (median of ``--rounds``, each way in turn). The English PR posts are scored by
``sadap eval enrich --data tests/data/english_posts/english-posts-dev.jsonl`` (docs/enrichment.md).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from enrich.evaluate import metrics  # noqa: E402
from enrich.pipeline import Enricher  # noqa: E402
from enrich.sentiment.english import is_plain_english  # noqa: E402
from sadap.core.mention import Mention  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment"
AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


def read(split: str) -> list[dict[str, str]]:
    with open(DATA / f"{split}.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def labels(rows: list[dict[str, str]], how: str) -> tuple[list[str], float]:
    enricher = Enricher(english_sentiment=how)
    mentions = [Mention(id=f"m{i}", source_kind="social", source_name="wisesight", published_at=AT, collected_at=AT,
                        text=row["text"]) for i, row in enumerate(rows)]
    enricher.enrich(mentions[:50])  # models loaded before the clock starts
    start = time.process_time()
    out = [m.sentiment.label for m in enricher.enrich(mentions)]
    return out, (time.process_time() - start) * 1e3 / len(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--splits", nargs="+", default=["test", "valid"])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for split in args.splits:
        rows = read(split)
        gold = [row["label"] for row in rows]
        costs: dict[str, list[float]] = {"engine": [], "vader": []}
        found: dict[str, list[str]] = {}
        for _ in range(args.rounds):
            for how in ("engine", "vader"):
                found[how], ms = labels(rows, how)
                costs[how].append(ms)
        english = sum(is_plain_english(row["text"]) for row in rows)
        print(f"{split}: {len(rows)} messages, {english} plainly English")
        for how in ("engine", "vader"):
            result = metrics(gold, found[how])
            print(f"  {how:<6} accuracy {result['accuracy']:.4f} · macro-F1 {result['macro_f1']:.4f} · "
                  f"{statistics.median(costs[how]):.3f} ms CPU a message (median of {args.rounds}; "
                  f"{min(costs[how]):.3f}–{max(costs[how]):.3f})")
        changed = [(g, a, b, row["text"]) for g, a, b, row in zip(gold, found["engine"], found["vader"], rows) if a != b]
        print(f"  labels changed: {len(changed)}")
        for g, a, b, text in changed:
            print(f"    gold {g}: {a} → {b} · {text[:100]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
