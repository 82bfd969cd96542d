"""What the seen-terms index costs Elasticsearch writes: ``ElasticsearchStore.upsert`` of the
rules benchmark's synthetic Thai mentions (``benchmarks/rules_cycle.py``) into osmem-server,
in batches of 500, with the seen-terms cells written (as always) and without (``_write_seen``
turned off), taking turns; wall time and the cells made.

    python benchmarks/seen_terms_write.py [--mentions 5000] [--runs 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from elasticsearch import Elasticsearch
    from osmem_server import OsmemServer

    from benchmarks.rules_cycle import make_mentions
    from sadap.store.elasticsearch import ElasticsearchStore
    from tests.es_support import PlainJsonNode

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    end = datetime(2026, 11, 21, tzinfo=timezone.utc)
    mentions = make_mentions(args.mentions, end - timedelta(days=7), timedelta(days=7))
    times: dict[str, list[float]] = {"without": [], "with": []}
    cells = 0
    for _ in range(args.runs):
        for mode in ("without", "with"):
            with OsmemServer.start(japanese=False) as server, server.clone() as clone:
                client = Elasticsearch(clone.url, node_class=PlainJsonNode, request_timeout=120, max_retries=0)
                store = ElasticsearchStore(client, prefix="bench", replicas=0, refresh_on_write=False, label="osmem")
                store.setup()
                if mode == "without":
                    store._write_seen = lambda delta: None  # type: ignore[method-assign]
                t = time.perf_counter()
                for i in range(0, len(mentions), 500):
                    store.upsert(mentions[i:i + 500])
                times[mode].append(time.perf_counter() - t)
                if mode == "with":
                    client.indices.refresh(index=store.names.seen_terms)
                    cells = int(client.count(index=store.names.seen_terms)["count"]) - 1  # less the "built" mark
    print(json.dumps({
        "mentions": len(mentions), "runs": args.runs, "cells": cells,
        "median_s_without": round(statistics.median(times["without"]), 1),
        "median_s_with": round(statistics.median(times["with"]), 1),
        "s_without": [round(t, 1) for t in times["without"]], "s_with": [round(t, 1) for t in times["with"]],
    }))


if __name__ == "__main__":
    main()
