"""The workspace's complaint queue (``/complaints``) as complaint cases pile up: wall time of a
page load through the app and CPU time of the queue function alone, on a SQLite store holding N
open cases (an organisation that does not close its cases).

    python benchmarks/complaints_queue.py [--cases 2000 20000] [--loads 5] [--against /work/main]

Each N runs in its own process on a fresh store: N complaint mentions (real Thai texts from the
Wisesight train split, by N people over 25 days) are stored and put into cases, a third of the
cases answered, and a responder signs in to the workspace (Starlette TestClient, the app as
``sadap serve`` runs it). Then ``--loads`` loads of ``/complaints?days=7`` are timed (wall, after
one untimed load: the first load runs the queue's sync, which later loads within a minute skip),
and ``--loads`` calls of the queue function alone (CPU, ``time.process_time``: ``queue_page``
for one page where the checkout has it, else ``queue``), then ``--loads`` calls of the queue's
catch-up alone (CPU: ``complaints.sync``, which the first page load of each minute runs; every
complaint is in a case by then, so this is what finding that out costs), then ``--loads`` calls
of ``complaints.clear_press`` alone where the checkout has it (CPU: what `sadap complaints list`
and a workspace process's first sync add to find no news in the open cases), then ``--loads`` builds
of a stakeholder's page (CPU: ``stakeholders.profile`` for the Bank of Thailand, named by one
complaint in 100, so in 1 % of the open cases). Medians are printed, with the page's
size in bytes and how many rows it shows. ``--against CHECKOUT`` runs another checkout (with its
``.venv``) on the same data, taking turns.
"""

from __future__ import annotations

import argparse
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
PASSWORD = "ลองรหัสผ่านยาว-2026"


def _texts(path: Path, n: int) -> list[str]:
    out: list[str] = []
    while len(out) < n:  # the split has 21,628 texts: round again past that
        with path.open(encoding="utf-8") as src:
            for line in src:
                out.append(json.loads(line)["text"])
                if len(out) >= n:
                    break
    return out


def child(n_cases: int, loads: int, data: Path) -> dict[str, object]:
    """One N: seed a fresh workspace, time the loads (in this process, this checkout's code)."""
    import re

    from starlette.testclient import TestClient

    from sadap.app import complaints
    from sadap.app import stakeholders as registry
    from sadap.app.config import load_config_file
    from sadap.app.web import create_app
    from sadap.app.web.auth import add_user
    from sadap.core.mention import Complaint, Mention, Sentiment, mention_id
    from sadap.core.stakeholder import Stakeholder
    from sadap.store import open_store

    rng = random.Random(23)
    now = datetime.now(UTC)
    texts = _texts(data, n_cases)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "sadap.yaml").write_text("data_dir: data\nrules: []\nnotifiers: []\n", encoding="utf-8")
        config = load_config_file(Path(tmp) / "sadap.yaml")
        store = open_store(config)
        started = time.monotonic()
        ms = [Mention(id=mention_id("facebook", f"w{i}"), source_kind="facebook", source_name="fb-page", native_id=f"w{i}",
                      author_id=f"a{i}", published_at=now - timedelta(days=rng.uniform(0, 25)), collected_at=now, text=text,
                      sentiment=Sentiment(label="neg", score=0.9), complaint=Complaint(is_complaint=True, type="digital_outage"),
                      stakeholders=["bot"] if i % 100 == 0 else [])
              for i, text in enumerate(texts)]
        for i in range(0, len(ms), 500):
            store.upsert(ms[i:i + 500])
        complaints.assign(store, ms, now)
        for k, case in enumerate(store.list_cases()):
            if k % 3 == 0:
                store.log_response(case.mention_ids[0], case.received_at + timedelta(hours=rng.uniform(1, 40)),
                                   "responder", "facebook", "ขออภัยในความไม่สะดวกค่ะ")
        add_user(store, "responder", "responder", PASSWORD)
        seed_s = time.monotonic() - started
        client = TestClient(create_app(config, store), base_url="http://127.0.0.1")
        page = client.get("/signin")
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
        assert token, "no CSRF token on the sign-in page"
        signed = client.post("/signin", data={"username": "responder", "password": PASSWORD, "csrf_token": token.group(1),
                                              "next": "/"}, follow_redirects=False)
        assert signed.status_code == 303, signed.text
        first = time.monotonic()
        r = client.get("/complaints", params={"days": "7"})
        first_s = time.monotonic() - first
        assert r.status_code == 200, r.text[:500]
        wall = []
        for _ in range(loads):
            started = time.monotonic()
            r = client.get("/complaints", params={"days": "7"})
            wall.append(time.monotonic() - started)
            assert r.status_code == 200
        size, rows = len(r.content), r.text.count('<tr id="c-')
        paged = hasattr(complaints, "queue_page")
        cpu = []
        for _ in range(loads):
            started = time.process_time()
            if paged:
                complaints.queue_page(store, days=7)  # type: ignore[attr-defined]
            else:
                complaints.queue(store, days=7)
            cpu.append(time.process_time() - started)
        synced = []
        for _ in range(loads):
            started = time.process_time()
            changed = complaints.sync(store, now)
            synced.append(time.process_time() - started)
            assert changed == 0, changed
        pressed = []  # taking news out of open cases (none here): what the CLI list and a process's first sync add
        for _ in range(loads if hasattr(complaints, "clear_press") else 0):
            started = time.process_time()
            assert complaints.clear_press(store, now) == set()  # type: ignore[attr-defined]
            pressed.append(time.process_time() - started)
        bot = Stakeholder(id="bot", name="ธนาคารแห่งประเทศไทย", status="government", group="regulators")
        profiled = []
        for _ in range(loads):
            started = time.process_time()
            page_of = registry.profile(store, bot, now)
            profiled.append(time.process_time() - started)
            assert len(page_of["cases"]) == len(texts) // 100, len(page_of["cases"])
        cases = len(store.list_cases())
        store.close()
    return {"cases": cases, "seed_s": round(seed_s, 1), "first_load_s": round(first_s, 3),
            "load_median_s": round(statistics.median(wall), 3), "load_min_s": round(min(wall), 3),
            "load_max_s": round(max(wall), 3), "queue_cpu_median_s": round(statistics.median(cpu), 3),
            "queue_fn": "queue_page" if paged else "queue", "sync_cpu_median_s": round(statistics.median(synced), 3),
            "clear_press_cpu_median_s": round(statistics.median(pressed), 3) if pressed else None,
            "stakeholder_page_cpu_median_s": round(statistics.median(profiled), 3),
            "page_bytes": size, "rows_shown": rows,
            "module": sys.modules[complaints.__name__].__file__}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--against", type=Path, help="another checkout (with its .venv) to run in the same rounds")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.data.exists():
        raise SystemExit(f"{args.data}: not found (pass --data)")
    if args.child is not None:
        print(json.dumps(child(args.child, args.loads, args.data)))
        return
    pythons = interpreters(args.against)
    summary: dict[str, object] = {"cores": os.cpu_count(), "loads": args.loads}
    for n in args.cases:
        for name, python in pythons.items():
            r = child_result(python, __file__, "--child", str(n), "--loads", str(args.loads), "--data", str(args.data))
            print(f"{name} ({Path(str(r['module'])).parents[2]}): {r['cases']:,} open cases: /complaints median "
                  f"{r['load_median_s']:.3f} s a load ({r['load_min_s']:.3f}–{r['load_max_s']:.3f}; first {r['first_load_s']:.3f} s), "
                  f"{r['rows_shown']:,} rows, {r['page_bytes'] / 1e6:.2f} MB; {r['queue_fn']} alone median "
                  f"{r['queue_cpu_median_s']:.3f} s CPU; sync alone median {r['sync_cpu_median_s']:.3f} s CPU; "
                  + (f"clear_press alone median {r['clear_press_cpu_median_s']:.3f} s CPU; "
                     if r.get("clear_press_cpu_median_s") is not None else "") +
                  f"a stakeholder's page median {r['stakeholder_page_cpu_median_s']:.3f} s CPU; "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
            summary[f"{name} {n}"] = r
    summary["load_average"] = os.getloadavg()[0]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
