"""Elasticsearch backend on osmem-server: bulk indexing throughput and the time of the alert
aggregations at N stored mentions (default 10,000 real Thai messages from Wisesight).

    python benchmarks/es_bulk.py [--docs 10000] [--runs 20] [--data ../shared/data/wisesight-sentiment/train.jsonl]

Mentions are tokenised once up front (not timed); indexing goes through
``ElasticsearchStore.upsert`` (id lookup + streaming_bulk + refresh) in batches of 500,
first with a refresh after each batch (the default), then without. Each aggregation is the
store call the alert rules make, timed as the median of --runs calls.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "train.jsonl"
BRANDS = ["แสงทอง", "ธนาคารรุ่งเรือง", "มือถือดีดี", "แอร์ไทยเย็น", "ประกันมั่นคง"]


def load_mentions(path: Path, n: int):
    from enrich.keywords import keywords
    from enrich.normalize import normalize
    from enrich.tokenize import tokenize
    from sadap.core.mention import Complaint, Mention, Sentiment, mention_id
    from sadap.core.timeutil import UTC

    rnd = random.Random(7)
    start = datetime(2026, 11, 13, tzinfo=UTC)
    texts = []
    if path.exists():
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                texts.append(json.loads(line)["text"])
                if len(texts) >= n:
                    break
    while len(texts) < n:  # without the data set: repeat what there is, or a few lines
        texts.extend(texts or ["แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้", "พนักงานบริการดีมาก ประทับใจ"])
    out = []
    for i, text in enumerate(texts[:n]):
        tokens = tokenize(normalize(text), BRANDS)
        published = start + timedelta(seconds=rnd.randrange(7 * 86400))
        label = rnd.choice(["pos", "neu", "neg", "neg", "q"])
        out.append(Mention(
            id=mention_id("bench", f"n{i}"), source_kind="social", source_name=rnd.choice(["pantip", "x", "facebook", "news"]),
            native_id=f"n{i}", author_id=f"a_{rnd.randrange(2000):04d}", published_at=published,
            collected_at=published + timedelta(minutes=rnd.randrange(1, 90)), text=text, tokens=tokens,
            sentiment=Sentiment(label=label, score=0.8), entities=rnd.sample(BRANDS, rnd.choice([0, 1, 1, 2])),
            keywords=keywords(tokens), complaint=Complaint(is_complaint=label == "neg", type="service" if label == "neg" else None),
            text_hash=f"h{i}", simhash=rnd.getrandbits(64),
        ))
    return out


def timed(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    from osmem_server import OsmemServer

    from sadap.store.query import parse_query
    from sadap.store import MentionFilter
    from tests.es_support import make_test_store

    t = time.perf_counter()
    mentions = load_mentions(args.data, args.docs)
    print(f"prepared {len(mentions)} mentions in {time.perf_counter() - t:.1f} s (tokenised, not timed below)", flush=True)
    report: dict = {"docs": len(mentions), "batch": args.batch}
    with OsmemServer.start(japanese=False) as server:
        for refresh in (True, False):
            with server.clone() as clone:
                store = make_test_store(clone.url, refresh_on_write=refresh)
                store.setup()
                t = time.perf_counter()
                for i in range(0, len(mentions), args.batch):
                    store.upsert(mentions[i:i + args.batch])
                wall = time.perf_counter() - t
                key = "index_refresh_each_batch" if refresh else "index_no_refresh"
                report[key] = {"wall_s": round(wall, 2), "docs_per_s": round(len(mentions) / wall)}
                print(f"{key}: {len(mentions)} in {wall:.2f} s = {len(mentions) / wall:.0f} docs/s", flush=True)
                if refresh:
                    t = time.perf_counter()
                    store.upsert(mentions[: args.batch])  # all updates: the id lookup finds them
                    report["reindex_batch_ms"] = round((time.perf_counter() - t) * 1000, 1)
                    assert store.count(MentionFilter()) == len(mentions)
                    week = MentionFilter(since=datetime(2026, 11, 13, tzinfo=mentions[0].published_at.tzinfo),
                                         collected_until=datetime(2026, 11, 21, tzinfo=mentions[0].published_at.tzinfo))
                    neg = MentionFilter(sentiment=("neg",), entities=("แสงทอง",))
                    q = parse_query("ไม่ OR ดี", tuple(BRANDS))
                    calls = {
                        "count": lambda: store.count(week),
                        "count_query": lambda: store.count(MentionFilter(query=q)),
                        "count_by_entity": lambda: store.count_by(week, "entity"),
                        "count_by_sentiment": lambda: store.count_by(neg, "sentiment"),
                        "count_by_keyword_top100": lambda: store.count_by(week, "keyword", limit=100),
                        "count_distinct_author": lambda: store.count_distinct(week, "author_id"),
                        "histogram_hourly_week": lambda: store.histogram(week, timedelta(hours=1)),
                        "histogram_daily": lambda: store.histogram(week, timedelta(days=1)),
                        "ids_newest_5": lambda: store.ids(neg, limit=5),
                    }
                    report["aggregations_ms_median"] = {name: round(timed(fn, args.runs), 2) for name, fn in calls.items()}
                    for name, ms in report["aggregations_ms_median"].items():
                        print(f"  {name}: {ms:.2f} ms", flush=True)
                store.close()
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
