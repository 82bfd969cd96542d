"""CPU cost of the learned voice-of-customer classifier inside enrichment: the same process
enriches the same Wisesight test messages with ``enrich.voc: rules`` and ``learned``,
interleaved, and reports the median CPU time per message of each (and the difference).

    python benchmarks/voc_overhead.py [--messages 1000] [--rounds 5] [--engine ensemble-v4]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's enrich, not benchmarks/enrich.py
DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "test.jsonl"


def main() -> None:
    from enrich.pipeline import Enricher
    from enrich.sentiment import warm
    from sadap.core.mention import RawMention, to_mention

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--engine", default="ensemble-v4")
    args = ap.parse_args()
    with DATA.open(encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line, _ in zip(fh, range(args.messages))]
    mentions = [to_mention(RawMention(source_kind="file", source_name="bench", native_id=str(i), text=t),
                           pseudonym_key=b"k") for i, t in enumerate(texts)]
    warm(args.engine)
    enrichers = {v: Enricher(sentiment_model=args.engine, voc=v) for v in ("rules", "learned")}
    for e in enrichers.values():
        e.enrich(mentions[:100])
    times: dict[str, list[float]] = {v: [] for v in enrichers}
    for _ in range(args.rounds):
        for v, e in enrichers.items():
            t0 = time.process_time()
            for start in range(0, len(mentions), 100):
                e.enrich(mentions[start:start + 100])
            times[v].append((time.process_time() - t0) / len(mentions) * 1e3)
    med = {v: statistics.median(t) for v, t in times.items()}
    print(json.dumps({"engine": args.engine, "messages": len(mentions), "rounds": args.rounds,
                      "cpu_ms_per_message": {v: round(m, 3) for v, m in med.items()},
                      "learned_extra_ms": round(med["learned"] - med["rules"], 3),
                      "learned_extra_percent": round(100 * (med["learned"] / med["rules"] - 1), 1)}))


if __name__ == "__main__":
    main()
