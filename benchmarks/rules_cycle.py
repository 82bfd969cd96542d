"""Rule evaluation cycles, first and steady: 50 rules (20 threshold, 15 spike, 15 new_term),
a cycle every 5 simulated minutes with new mentions stored between cycles.

    python benchmarks/rules_cycle.py es [--mentions 100000] [--days 7] [--cycles 6]
    python benchmarks/rules_cycle.py sqlite --db PATH [--cycles 6] [--read-only]
    python benchmarks/rules_cycle.py sqlite --db /tmp/new.db --mentions 1000000 --days 30   # builds it once

``es``: the Elasticsearch backend on osmem-server (started here, in memory), the HTTP
requests of each cycle counted at the client's transport node. ``sqlite``: a store file,
built once when missing (``benchmarks/alerts.py``'s synthetic store), or any existing store
(``--read-only``: the cycles write no alert state and no mentions are added between them).
``--full`` evaluates every cycle from scratch (the running state thrown away), for comparison.
Prints medians: the first cycle (which builds the running state) and the steady ones.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BRANDS = [f"แบรนด์{i:02d}" for i in range(20)]
SOURCES = [("pantip", "forum"), ("facebook", "social"), ("x", "social"), ("news-a", "rss"), ("youtube", "social"),
           ("tiktok", "social"), ("lineoa", "social"), ("news-b", "article")]
TAGS = [f"#แท็ก{i}" for i in range(400)]
QUERIES = ["ล่ม", "แย่", "ผิดหวัง OR แย่มาก", "โกง", "ช้า"]


def fifty_rules() -> list[dict]:
    """20 threshold, 15 spike, 15 new_term, as an ElastAlert2 setup of the same size would have."""
    rules: list[dict] = []
    for i in range(20):
        r = {"id": f"th{i}", "type": "threshold", "title": "t", "group_by": "entity", "window": "1h" if i % 4 else "6h",
             "limit": 40 + 5 * i}
        if i % 3 == 1:
            r["sentiment"] = ["neg"]
        if i % 5 == 4:
            r["query"] = QUERIES[i % len(QUERIES)]
        if i % 7 == 6:
            r["metric"] = "distinct_authors"
        rules.append(r)
    for i in range(15):
        r = {"id": f"sp{i}", "type": "spike", "title": "s", "group_by": "entity" if i % 3 else "source_name",
             "window": "1h", "baseline": "7d" if i % 2 else "3d", "min_count": 10 + i}
        if i % 4 == 1:
            r["sentiment"] = ["neg"]
        if i % 5 == 3:
            r["query"] = QUERIES[i % len(QUERIES)]
        rules.append(r)
    for i in range(15):
        fld = ("hashtag", "keyword", "entity")[i % 3]
        r = {"id": f"nt{i}", "type": "new_term", "title": "n", "field": fld, "window": "3h", "baseline": "7d",
             "min_count": 3 + i % 3, "min_authors": 2}
        if i % 5 == 2:
            r["sources"] = ["pantip", "x"]
        rules.append(r)
    assert len(rules) == 50
    return rules


def make_mentions(n: int, start: datetime, span: timedelta, first: int = 0, seed: int = 1):
    from benchmarks.alerts import _texts
    from enrich.keywords import keywords
    from enrich.normalize import normalize
    from enrich.tokenize import tokenize
    from sadap.core.mention import Mention, Sentiment

    rng = random.Random(seed)
    global _POOL
    if not _POOL:
        for text in _texts(3000):
            tokens = tokenize(normalize(text))
            _POOL.append((text, tokens, keywords(tokens)))
    labels = ["neu"] * 55 + ["neg"] * 25 + ["pos"] * 18 + ["q"] * 2
    out = []
    for i in range(first, first + n):
        text, tokens, kws = _POOL[rng.randrange(len(_POOL))]
        published = start + span * ((i - first + rng.random()) / n)
        name, kind = SOURCES[rng.randrange(len(SOURCES))]
        tags = [TAGS[min(int(rng.expovariate(0.02)), len(TAGS) - 1)]] if rng.random() < 0.3 else []
        out.append(Mention(
            id=f"m{i:08d}", source_kind=kind, source_name=name, author_id=f"a_{rng.randrange(50000)}",
            published_at=published, collected_at=published + timedelta(minutes=rng.randrange(1, 30)),
            text=text, tokens=tokens, keywords=kws, hashtags=tags, language="th",
            entities=[BRANDS[min(int(rng.expovariate(0.25)), 19)]],
            sentiment=Sentiment(label=rng.choice(labels), score=0.8), text_hash=f"h{i}",
        ))
    return out


_POOL: list = []


def run_cycles(store, at: datetime, cycles: int, *, add=None, count=lambda: 0, dry_run=False, full=False) -> dict:
    from sadap.app.alerting import build_engine
    from sadap.app.config import Config

    config = Config.model_validate({"rules": fifty_rules(), "notifiers": []})
    engine = build_engine(config, store, notifiers=[])
    engine.incremental = not full
    times, cpu, requests, fired = [], [], [], []
    for c in range(cycles):
        t_at = at + timedelta(minutes=5 * c)
        if c and add is not None:
            add(t_at - timedelta(minutes=5), t_at)  # what arrived since the last cycle
        n0 = count()
        t, p = time.perf_counter(), time.process_time()
        fired.append(len(engine.check(t_at, notify=False, dry_run=dry_run)))
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - p)
        requests.append(count() - n0)
        print(f"cycle {c}: {times[-1]:.2f} s ({cpu[-1]:.2f} s CPU here, load {os.getloadavg()[0]:.1f}), {requests[-1]} requests, "
              f"{fired[-1]} alerts", file=sys.stderr, flush=True)
    steady = times[1:] or times
    steady_cpu = cpu[1:] or cpu
    return {
        "rules": 50, "cycles": cycles, "mode": "full re-evaluation" if full else "incremental",
        "first_cycle_s": round(times[0], 2), "first_cycle_cpu_s": round(cpu[0], 2), "first_cycle_requests": requests[0],
        "steady_cycle_median_s": round(statistics.median(steady), 3), "steady_cycle_max_s": round(max(steady), 3),
        "steady_cycle_cpu_median_s": round(statistics.median(steady_cpu), 3),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "steady_requests_median": statistics.median(requests[1:] or requests),
        "alerts_per_cycle": fired,
    }


def bench_es(args) -> dict:
    from elasticsearch import Elasticsearch
    from osmem_server import OsmemServer

    from sadap.store.elasticsearch import ElasticsearchStore
    from tests.es_support import PlainJsonNode

    calls = {"n": 0}
    by_caller: dict[str, int] = {}
    spent: dict[str, float] = {}  # --trace: seconds waited on the server, by caller

    class CountingNode(PlainJsonNode):
        def perform_request(self, *a, **kw):  # every HTTP request the store makes
            calls["n"] += 1
            if args.trace:  # which store method, called from where in alerts/
                f, names = sys._getframe(1), []
                while f is not None:
                    code = f.f_code
                    if "sadap/store/elasticsearch.py" in code.co_filename and not code.co_name.startswith("_"):
                        names.append(code.co_name)
                    if "/alerts/" in code.co_filename:
                        names.append(f"{Path(code.co_filename).stem}.{code.co_name}")
                        break
                    f = f.f_back
                key = " < ".join(names[-2:])
                by_caller[key] = by_caller.get(key, 0) + 1
                t = time.perf_counter()
                try:
                    return super().perform_request(*a, **kw)
                finally:
                    spent[key] = spent.get(key, 0.0) + time.perf_counter() - t
            return super().perform_request(*a, **kw)

    end = datetime(2026, 11, 21, tzinfo=timezone.utc)
    start = end - timedelta(days=args.days)
    with OsmemServer.start(japanese=False) as server, server.clone() as clone:
        client = Elasticsearch(clone.url, node_class=CountingNode, request_timeout=120, max_retries=0)
        store = ElasticsearchStore(client, prefix="bench", replicas=0, refresh_on_write=False, label="osmem")
        store.setup()
        t = time.perf_counter()
        mentions = make_mentions(args.mentions, start, end - start)
        for i in range(0, len(mentions), 2000):
            store.upsert(mentions[i:i + 2000])
        client.indices.refresh(index=store.names.mentions)
        print(f"indexed {len(mentions)} in {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
        rate = args.mentions / (args.days * 24 * 12)  # per 5 minutes
        nxt = {"i": args.mentions}

        def add(lo: datetime, hi: datetime) -> None:
            batch = make_mentions(int(rate), lo, hi - lo, first=nxt["i"], seed=nxt["i"])
            for m in batch:  # collected by the cycle's time, some published a while before
                m.collected_at = min(m.collected_at, hi)
            nxt["i"] += len(batch)
            store.upsert(batch)
            client.indices.refresh(index=store.names.mentions)

        def count() -> int:
            if by_caller:
                print("   ", json.dumps({k: f"{n} in {spent.get(k, 0):.2f} s" for k, n in sorted(by_caller.items(), key=lambda kv: -kv[1])},
                                        ensure_ascii=False), file=sys.stderr)
                by_caller.clear()
                spent.clear()
            return calls["n"]

        report = run_cycles(store, end, args.cycles, add=add, count=count, full=args.full)
        store.close()
    return {"backend": "elasticsearch (osmem-server)", "mentions": args.mentions, "days": args.days, **report}


def bench_sqlite(args) -> dict:
    from benchmarks.alerts import build_store
    from sadap.store import MentionFilter
    from sadap.store.sqlite import SQLiteStore

    if not args.db.exists():
        print(f"building {args.mentions} mentions in {args.db} (once) …", file=sys.stderr, flush=True)
        build_store(args.db, args.mentions)
    store = SQLiteStore(args.db)
    total = store.count(MentionFilter())
    row = store._query("SELECT MAX(collected_at) FROM mentions")[0][0]
    at = datetime.fromtimestamp(int(row) // 300 * 300 + 300, timezone.utc)
    calls = {"n": 0}
    original = store._query

    def counted(sql, params=()):
        calls["n"] += 1
        return original(sql, params)

    store._query = counted  # type: ignore[method-assign]
    add = None
    if not args.read_only:
        nxt = {"i": 10_000_000}

        def add(lo: datetime, hi: datetime) -> None:
            batch = make_mentions(150, lo, hi - lo, first=nxt["i"], seed=nxt["i"])
            for m in batch:
                m.collected_at = min(m.collected_at, hi)
            nxt["i"] += len(batch)
            store.upsert(batch)

    report = run_cycles(store, at, args.cycles, add=add, count=lambda: calls["n"], dry_run=args.read_only, full=args.full)
    store.close()
    return {"backend": "sqlite", "mentions": total, "db": str(args.db), **report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="backend", required=True)
    e = sub.add_parser("es")
    e.add_argument("--mentions", type=int, default=100_000)
    e.add_argument("--days", type=int, default=7)
    s = sub.add_parser("sqlite")
    s.add_argument("--db", type=Path, required=True)
    s.add_argument("--mentions", type=int, default=1_000_000)
    s.add_argument("--read-only", action="store_true")
    for p in (e, s):
        p.add_argument("--cycles", type=int, default=6)
        p.add_argument("--full", action="store_true", help="evaluate every cycle from scratch (no running state)")
        p.add_argument("--trace", action="store_true", help="print which store calls made the requests, and their time")
    args = parser.parse_args()
    report = bench_es(args) if args.backend == "es" else bench_sqlite(args)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
