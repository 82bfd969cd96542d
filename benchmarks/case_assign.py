"""Complaint cases at ingest: CPU time of ``complaints.assign(fresh=True)`` (what the ingest calls
after each stored batch) for batches of 500 mentions, about 10 % of them complaints, against a
SQLite store already holding N open cases (an organisation that does not close its cases).

    python benchmarks/case_assign.py [--cases 0 2000 20000] [--batches 7] [--against /work/main]

Each N runs in its own process on a fresh store: N open cases are saved (one transaction), an
open incident holds a few of each batch's complaints, then one batch is assigned untimed and
``--batches`` more are timed (``time.process_time``); the median ms a batch is printed, with how
many cases the call read (the cases ``list_cases`` or ``open_cases_joining`` returned) and a
digest of the cases made (their mentions; the same for two checkouts that group alike). The
mentions carry real Thai texts from the Wisesight train split; of the complaints, a fifth are
follow-ups by the complainant of an open case, some are on Pantip threads (half of them threads
of open cases), some from news sites, the rest from new people. ``--against CHECKOUT`` runs
another checkout (with its ``.venv``) on the same data, taking turns.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _revision import child_result, interpreters  # this folder, before it leaves the path

# This folder's enrich.py (a benchmark) would hide the enrich package: leave it off the path.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "train.jsonl"
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
BATCH = 500


def _texts(path: Path, n: int) -> list[tuple[str, str]]:
    out = []
    with path.open(encoding="utf-8") as src:
        for line in src:
            row = json.loads(line)
            out.append((row["text"], row.get("label", "neu")))
            if len(out) >= n:
                break
    return out


def child(n_cases: int, batches: int, data: Path) -> dict[str, object]:
    """One N: seed a fresh store, time the batches (in this process, this checkout's code)."""
    from sadap.app import complaints
    from sadap.core.complaint_case import CaseEvent, ComplaintCase
    from sadap.core.incident import Incident
    from sadap.core.mention import Complaint, Mention, Sentiment, mention_id
    from sadap.store.sqlite import SQLiteStore

    rng = random.Random(19)
    texts = _texts(data, BATCH * (batches + 1))
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "cases.db")
        started = time.monotonic()
        store._query("BEGIN")
        for k in range(n_cases):
            at = NOW - timedelta(days=rng.uniform(0, 60))
            ids = [f"{rng.getrandbits(96):024x}" for _ in range(rng.choice((1, 1, 1, 2, 3)))]
            store.save_case(ComplaintCase(
                received_at=at, updated_at=at + timedelta(hours=rng.uniform(0, 30)), channel="facebook",
                source_name="fb-page", type=rng.choice(("digital_outage", "fees", "service", None)), author_id=f"a_{k}",
                thread=f"pantip|{k}" if k % 7 == 0 else None, incident_id=f"INC-{k % 50}" if k % 20 == 0 else None,
                mention_ids=ids, stakeholders=["sme-sellers"] if k % 11 == 0 else [],
                events=[CaseEvent(at=at, kind="opened", text="รับเรื่องร้องเรียน", data={"mention_id": ids[0]})]
                + [CaseEvent(at=at, kind="mention", text="ข้อความร้องเรียนเพิ่มเติม", data={"mention_id": i}) for i in ids[1:]],
            ))
        store._query("COMMIT")
        seed_s = time.monotonic() - started
        mentions = []
        for i, (text, label) in enumerate(texts):
            complaint = i % 10 == 0
            r = rng.random()
            kind, source, author, extras = "facebook", "fb-page", f"p_{i}", {}
            if complaint and n_cases and r < 0.2:
                author = f"a_{rng.randrange(n_cases)}"  # a follow-up by an open case's complainant
            elif complaint and r < 0.35:
                kind, source = "forum", "pantip"
                thread = rng.randrange(n_cases) // 7 * 7 if n_cases and r < 0.275 else 10**6 + i // 40
                extras = {"thread_id": str(thread)}
            elif complaint and r < 0.45:
                kind, source, author = "news", "thainews", f"r_{i % 9}"
            mentions.append(Mention(
                id=mention_id(source, f"w{i}"), source_kind=kind, source_name=source, native_id=f"w{i}", author_id=author,
                published_at=NOW + timedelta(seconds=i), collected_at=NOW + timedelta(seconds=i + 60), text=text,
                extras=extras, sentiment=Sentiment(label={"neg": "neg", "pos": "pos", "q": "q"}.get(label, "neu"), score=0.8),
                complaint=Complaint(is_complaint=complaint, type="digital_outage" if complaint else None)))
        parts = [mentions[b * BATCH:(b + 1) * BATCH] for b in range(batches + 1)]
        for b, part in enumerate(parts):  # an open incident over a few of each batch's complaints
            store.save_incident(Incident(id=f"INC-{b}", playbook="complaint-surge", rule="complaint-volume", severity="high",
                                         title="ร้องเรียนแอปล่ม", opened_at=NOW, updated_at=NOW,
                                         mention_ids=[m.id for m in part if m.complaint.is_complaint][::10]))
        read: list[int] = []
        for name in ("list_cases", "open_cases_joining"):  # what the call read, whichever it asks
            if hasattr(store, name):
                def counted(*args, _real=getattr(store, name), **kwargs):  # type: ignore[no-untyped-def]
                    found = _real(*args, **kwargs)
                    read.append(len(found))
                    return found
                setattr(store, name, counted)
        cpu, reads = [], []
        for b, part in enumerate(parts):
            read.clear()
            started = time.process_time()
            complaints.assign(store, part, NOW + timedelta(hours=1), fresh=True)
            if b:  # the first batch warms up
                cpu.append(time.process_time() - started)
                reads.append(sum(read))
        made = sorted(tuple(c.mention_ids) for c in store.list_cases())  # case ids are random: their mentions
        store.close()
    return {"cases": n_cases, "seed_s": round(seed_s, 1), "batches": len(cpu), "median_ms": round(1000 * statistics.median(cpu), 2),
            "min_ms": round(1000 * min(cpu), 2), "max_ms": round(1000 * max(cpu), 2), "median_cases_read": statistics.median(reads),
            "cases_after": len(made), "cases_digest": hashlib.sha256(repr(made).encode()).hexdigest()[:12], "module": sys.modules[SQLiteStore.__module__].__file__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[0, 2000, 20000])
    parser.add_argument("--batches", type=int, default=7)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--against", type=Path, help="another checkout (with its .venv) to run in the same rounds")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.data.exists():
        raise SystemExit(f"{args.data}: not found (pass --data)")
    if args.child is not None:
        print(json.dumps(child(args.child, args.batches, args.data)))
        return
    pythons = interpreters(args.against)
    summary: dict[str, object] = {"cores": os.cpu_count(), "batch": BATCH, "batches": args.batches}
    for n in args.cases:
        for name, python in pythons.items():
            r = child_result(python, __file__, "--child", str(n), "--batches", str(args.batches), "--data", str(args.data))
            print(f"{name} ({Path(r['module']).parents[2]}): {n:,} open cases: median {r['median_ms']:.1f} ms a batch "
                  f"({r['min_ms']:.1f}–{r['max_ms']:.1f}), {r['median_cases_read']:,} cases read a batch; "
                  f"{r['cases_after']:,} cases after, digest {r['cases_digest']}; "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
            summary[f"{name} {n}"] = r
    summary["load_average"] = os.getloadavg()[0]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
