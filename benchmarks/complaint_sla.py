"""One evaluation of a ``complaint_sla`` rule (``scope: mentions``, 24 h) on a store of N
complaints, most of them in complaint cases: wall and CPU time, median of ``--evals``.

    python benchmarks/complaint_sla.py [--complaints 4000] [--evals 15] [--rounds 3] [--against /work/main]
                                       [--store sqlite es]

The store is built once (in a temporary folder): N complaint mentions (real Thai texts from the
Wisesight train split) by N/2 people over the last 10 days — so most people wrote more than once —
put into cases as ingest does, except one in ten left in no case (stored another way); a third
of the cases answered on their first complaint (some before the same person wrote again), one
case in twenty closed. Each round then runs this checkout and, with ``--against CHECKOUT``, that
checkout (its code first on the path, the same Python), taking turns, each in its own process on
the same file. Prints each run's medians, what the rule found (overdue complaints listed), and
the load average; then the same for the first page of the complaint queue (``queue_page``, 7
days) on the same store, with its totals and a digest of the rows it shows.

``--store es`` (or ``--store sqlite es``): the same data copied into the Elasticsearch backend on
osmem-server (the contract tests' server, started here, in memory: :func:`copy_to_es`), and
the same evaluations on it (each child a
client of that server: the wall time includes the server's work, CPU is this process's). With
both, each round runs SQLite then Elasticsearch for each checkout.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# This folder's enrich.py (a benchmark) would hide the enrich package: leave it off the path.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path("/work/shared/data/wisesight-sentiment/train.jsonl") if not (ROOT.parent / "shared").exists() else ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "train.jsonl"
RULE = {"id": "sla", "type": "complaint_sla", "title": "ข้อร้องเรียนเกิน 24 ชม.", "sla": "24h"}


def _texts(path: Path, n: int) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        with path.open(encoding="utf-8") as src:
            for line in src:
                out.append(json.loads(line)["text"])
                if len(out) >= n:
                    break
    return out


def build(path: Path, n: int, data: Path, now: datetime) -> dict[str, int]:
    from sadap.app import complaints
    from sadap.core.mention import Complaint, Mention, Sentiment, mention_id
    from sadap.store.sqlite import SQLiteStore

    rng = random.Random(29)
    store = SQLiteStore(path)
    ms = [Mention(id=mention_id("facebook", f"c{i}"), source_kind="facebook", source_name="fb-page", native_id=f"c{i}",
                  author_id=f"a{rng.randrange(n // 2)}", published_at=now - timedelta(days=rng.uniform(0, 10)),
                  collected_at=now - timedelta(days=1e-3), text=text, sentiment=Sentiment(label="neg", score=0.9),
                  complaint=Complaint(is_complaint=True, type="digital_outage"), entities=["ธนาคารแสงทอง"])
          for i, text in enumerate(_texts(data, n))]
    for i in range(0, n, 500):
        store.upsert(ms[i:i + 500])
    complaints.assign(store, [m for k, m in enumerate(ms) if k % 10], now)
    for k, case in enumerate(store.list_cases()):
        if k % 3 == 0:
            store.log_response(case.mention_ids[0], case.received_at + timedelta(hours=rng.uniform(1, 40)),
                               "responder", "facebook", "ขออภัยในความไม่สะดวกค่ะ")
        if k % 20 == 7:
            complaints.close(store, case.id, "resolved", "responder", at=now - timedelta(hours=1))
    found = {"complaints": n, "cases": len(store.list_cases()), "open_cases": len(store.list_cases(("open",)))}
    store.close()
    return found


def copy_to_es(path: Path, url: str, prefix: str) -> dict[str, int]:
    """The SQLite store at ``path`` into a fresh Elasticsearch store: the mentions through
    ``upsert``; the cases and responses as bulk requests of the documents ``add_case`` and
    ``log_response`` write one at a time, and the answered mentions' ``responded`` flag (one at a
    time, osmem-server takes a third of a second a response at 12,000 mentions)."""
    from elasticsearch import helpers

    from sadap.store import MentionFilter
    from sadap.store.elasticsearch import _iso_ms
    from sadap.store.sqlite import SQLiteStore
    from tests.es_support import make_test_store

    source = SQLiteStore(path)
    target = make_test_store(url, prefix=prefix, refresh_on_write=False)
    target.setup()
    slow = target.client.options(request_timeout=600)  # osmem-server's bulk updates on a large index
    after: str | None = None
    copied = {"mentions": 0, "cases": 0, "responses": 0}
    while batch := source.page_by_id(MentionFilter(include_duplicates=True), after, 2000):
        target.upsert(batch)
        after = batch[-1].id
        copied["mentions"] += len(batch)
    target.client.indices.refresh(index=target.names.mentions)
    cases = source.list_cases()
    target._ensure_cases()
    helpers.bulk(slow, ({"_index": target.names.complaint_cases, "_id": c.id, "_source": target._case_source(c)}
                                 for c in cases), chunk_size=1000)
    copied["cases"] = len(cases)
    responses = source.responses_for([m for c in cases for m in c.mention_ids])
    helpers.bulk(slow, ({"_index": target.names.responses, "_source": {
        "mention_id": r["mention_id"], "at": _iso_ms(datetime.fromisoformat(r["at"])), "actor": r["actor"],
        "channel": r["channel"], "text": r["text"], "seq": target._seq()}} for r in responses), chunk_size=1000)
    located = target._locate({r["mention_id"] for r in responses})
    helpers.bulk(slow, ({"_op_type": "update", "_index": index, "_id": mid, "doc": {"responded": True}}
                                 for mid, index in located.items()), chunk_size=1000)
    copied["responses"] = len(responses)
    for index in (target.names.complaint_cases, target.names.responses, target.names.mentions):
        target.client.indices.refresh(index=index)
    source.close()
    target.close()
    return copied


def _open(path: Path, es_url: str | None, prefix: str | None) -> Any:
    if es_url is None:
        from sadap.store.sqlite import SQLiteStore

        return SQLiteStore(path)
    from tests.es_support import make_test_store

    return make_test_store(es_url, prefix=prefix, refresh_on_write=False)


def child(path: Path, at: datetime, evals: int, es_url: str | None = None, prefix: str | None = None) -> dict[str, object]:
    from alerts.rules.base import EvalContext
    from sadap.app import complaints
    from sadap.app.config import Config

    rule = Config.model_validate({"rules": [RULE], "notifiers": []}).alert_rules[0]
    store = _open(path, es_url, prefix)
    wall, cpu = [], []
    matches = rule.evaluate(EvalContext(store, at))  # untimed: the file's pages into the cache (SQLite)
    for _ in range(evals):
        w, c = time.perf_counter(), time.process_time()
        matches = rule.evaluate(EvalContext(store, at))
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    queue_wall, queue_cpu = [], []
    page = complaints.queue_page(store, at, 7)  # the complaint queue's first page on the same store, as often
    for _ in range(evals):
        w, c = time.perf_counter(), time.process_time()
        page = complaints.queue_page(store, at, 7)
        queue_cpu.append(time.process_time() - c)
        queue_wall.append(time.perf_counter() - w)
    store.close()
    return {"wall_median_s": round(statistics.median(wall), 4), "cpu_median_s": round(statistics.median(cpu), 4),
            "listed": sum(m.count for m in matches), "listed_digest": _digest(matches),
            "queue_wall_median_s": round(statistics.median(queue_wall), 4),
            "queue_cpu_median_s": round(statistics.median(queue_cpu), 4),
            "queue": f"{page.total} cases, {page.overdue} overdue, rows " + hashlib.sha256(" ".join(
                r["case"].id for r in page.rows).encode()).hexdigest()[:12],
            "module": sys.modules[type(rule).__module__].__file__}


def _digest(matches: list[Any]) -> str:
    """What the rule listed, in short: the same for two stores or checkouts that find alike."""
    return hashlib.sha256("\n".join(sorted(i for m in matches for i in m.mention_ids)).encode()).hexdigest()[:12]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--complaints", type=int, default=4000)
    parser.add_argument("--evals", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--against", type=Path, help="another checkout to run in the same rounds (its code first on the path)")
    parser.add_argument("--store", nargs="+", choices=["sqlite", "es"], default=["sqlite"],
                        help="the backends to evaluate on (es: the same data on osmem-server)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--at", help=argparse.SUPPRESS)
    parser.add_argument("--es-url", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, datetime.fromisoformat(args.at), args.evals, args.es_url, args.prefix)))
        return
    if not args.data.exists():
        raise SystemExit(f"{args.data}: not found (pass --data)")
    now = datetime.now(UTC)
    roots = {"this": ROOT, **({"against": args.against.resolve()} if args.against else {})}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        db = Path(tmp) / "sla.db"
        print(json.dumps(build(db, args.complaints, args.data, now)), flush=True)
        stores: dict[str, list[str]] = {"sqlite": []}
        if "es" in args.store:
            from osmem_server import OsmemServer

            server = stack.enter_context(OsmemServer.start(japanese=False))
            clone = stack.enter_context(server.clone())
            started = time.perf_counter()
            copied = copy_to_es(db, clone.url, "bench-sla")
            print(json.dumps({"copied_to_es": copied, "s": round(time.perf_counter() - started, 1)}), flush=True)
            stores["es"] = ["--es-url", clone.url, "--prefix", "bench-sla"]
        for r in range(args.rounds):
            for name, root in (roots.items() if r % 2 == 0 else reversed(roots.items())):
                env = {**os.environ, "PYTHONPATH": str(root)}
                for backend in args.store:
                    out = subprocess.run([sys.executable, __file__, "--child", str(db), "--at", now.isoformat(),
                                          "--evals", str(args.evals), *stores[backend]], check=True,
                                         stdout=subprocess.PIPE, text=True, cwd=root, env=env).stdout
                    res = json.loads(out.splitlines()[-1])
                    print(f"round {r + 1} {name} {backend} ({res['module']}): median {res['wall_median_s']:.4f} s wall, "
                          f"{res['cpu_median_s']:.4f} s CPU an evaluation; {res['listed']} overdue complaints listed "
                          f"({res['listed_digest']}); queue page median {res['queue_wall_median_s']:.4f} s wall, "
                          f"{res['queue_cpu_median_s']:.4f} s CPU ({res['queue']}); load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
