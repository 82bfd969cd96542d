"""One evaluation of a ``complaint_sla`` rule (``scope: mentions``, 24 h) on a SQLite store of N
complaints, most of them in complaint cases: wall and CPU time, median of ``--evals``.

    python benchmarks/complaint_sla.py [--complaints 4000] [--evals 15] [--rounds 3] [--against /work/main]

The store is built once (in a temporary folder): N complaint mentions (real Thai texts from the
Wisesight train split) by N/2 people over the last 10 days — so most people wrote more than once —
put into cases as ingest does, except one in ten left in no case (stored another way); a third
of the cases answered on their first complaint (some before the same person wrote again), one
case in twenty closed. Each round then runs this checkout and, with ``--against CHECKOUT``, that
checkout (its code first on the path, the same Python), taking turns, each in its own process on
the same file. Prints each run's medians, what the rule found (overdue complaints listed), and
the load average.
"""

from __future__ import annotations

import argparse
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
    found = {"complaints": n, "cases": len(store.list_cases())}
    store.close()
    return found


def child(path: Path, at: datetime, evals: int) -> dict[str, object]:
    from alerts.rules.base import EvalContext
    from sadap.app.config import Config
    from sadap.store.sqlite import SQLiteStore

    rule = Config.model_validate({"rules": [RULE], "notifiers": []}).alert_rules[0]
    store = SQLiteStore(path)
    wall, cpu = [], []
    matches = rule.evaluate(EvalContext(store, at))  # untimed: the file's pages into the cache
    for _ in range(evals):
        w, c = time.perf_counter(), time.process_time()
        matches = rule.evaluate(EvalContext(store, at))
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    store.close()
    return {"wall_median_s": round(statistics.median(wall), 4), "cpu_median_s": round(statistics.median(cpu), 4),
            "listed": sum(m.count for m in matches), "module": sys.modules[type(rule).__module__].__file__}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--complaints", type=int, default=4000)
    parser.add_argument("--evals", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--against", type=Path, help="another checkout to run in the same rounds (its code first on the path)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--at", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, datetime.fromisoformat(args.at), args.evals)))
        return
    if not args.data.exists():
        raise SystemExit(f"{args.data}: not found (pass --data)")
    now = datetime.now(UTC)
    roots = {"this": ROOT, **({"against": args.against.resolve()} if args.against else {})}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "sla.db"
        print(json.dumps(build(db, args.complaints, args.data, now)), flush=True)
        for r in range(args.rounds):
            for name, root in (roots.items() if r % 2 == 0 else reversed(roots.items())):
                env = {**os.environ, "PYTHONPATH": str(root)}
                out = subprocess.run([sys.executable, __file__, "--child", str(db), "--at", now.isoformat(),
                                      "--evals", str(args.evals)], check=True, stdout=subprocess.PIPE, text=True,
                                     cwd=root, env=env).stdout
                res = json.loads(out.splitlines()[-1])
                print(f"round {r + 1} {name} ({res['module']}): median {res['wall_median_s']:.4f} s wall, "
                      f"{res['cpu_median_s']:.4f} s CPU an evaluation; {res['listed']} overdue complaints listed; "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
