"""The CRM report's render time (figures, HTML, PDF; medians) on a SQLite store of many mentions
(default 1,000,000), and the equal-response report's time; or, with --demo, the wall time of the
command itself on the demo's store.

    python benchmarks/report.py [--period quarter|year] [--mentions 1000000] [--runs 3] [--store-dir DIR] [--copy-from DB]
    python benchmarks/report.py --demo [--period year|quarter] [--format html|pdf|json] [--runs 5]
                                [--store-dir DIR] [--compare CHECKOUT]

The store is benchmarks/web.py's synthetic store (Thai mentions over the 60 days up to when it
was built, 5 sources, 20,000 authors, 6 watched brands, 10% complaints, 5% near-duplicates:
``build_store`` there), built once and kept in --store-dir, or copied from a store web.py already
built (--copy-from .../sadap.db: building a million mentions takes a while). The copy then gets
what the report reads beyond it: logged responses to 70% of the complaints and questions (the
forum answered about five times slower than the other sources) and CSR pillars on 1% of the
mentions, written with plain SQL into the same tables the store keeps.

The report covers the quarter the mentions are in (all of them, when built within a quarter's
last two months) against the one before, or with --period year that quarter's year against the
year before (its four quarters side by side and its twelve months); the first run includes the
imports (matplotlib, WeasyPrint) and is shown apart.

--demo times `sadap report yearly --year Y` (or `quarterly --quarter Q` with --period quarter) for
the current year or quarter, a new process each run, on the store `sadap demo` wrote (once, kept in
--store-dir, default a temp folder): the whole command as a user runs it, imports and the loading
of the configuration included. --compare runs another checkout's sadap on the same store (its
folder on PYTHONPATH, e.g. --compare /work/main for the code before a change) in turn with this
one's, run by run, and prints both; the two reports' outputs are compared, but for the time they
were made.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from web import BRANDS, build_store  # noqa: E402

PILLARS = ("economy", "society", "environment")


def augment(db: Path) -> None:
    """Responses and CSR pillars, added once (a marker table says it is done)."""
    con = sqlite3.connect(db)
    if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'bench_report_done'").fetchone():
        con.close()
        return
    rng = random.Random(17)
    rows = con.execute(
        "SELECT id, published_at, source_kind FROM mentions WHERE duplicate_of IS NULL AND (is_complaint = 1 OR sentiment = 'q')"
    ).fetchall()
    responses = []
    for mention_id, published, kind in rows:
        if rng.random() < 0.7:
            hours = rng.lognormvariate(1.0, 0.8) * (5 if kind == "forum" else 1)
            responses.append((mention_id, published + hours * 3600, "bench", kind, "ขออภัยในความไม่สะดวกค่ะ"))
    con.executemany("INSERT INTO responses (mention_id, at, actor, channel, text) VALUES (?,?,?,?,?)", responses)
    picked = con.execute("SELECT id, published_at FROM mentions WHERE abs(random()) % 100 = 0").fetchall()
    terms, days = [], {}
    for mention_id, published in picked:
        pillar = rng.choice(PILLARS)
        terms.append(("csr", pillar, mention_id))
        day = int((published + 7 * 3600) // 86400)
        days[(pillar, day)] = days.get((pillar, day), 0) + 1
    con.executemany("INSERT OR IGNORE INTO mention_terms (field, value, mention_id) VALUES (?,?,?)", terms)
    con.executemany(
        "INSERT INTO mention_days (field, value, day, n) VALUES ('csr', ?, ?, ?) "
        "ON CONFLICT(field, value, day) DO UPDATE SET n = n + excluded.n",
        [(p, d, n) for (p, d), n in days.items()],
    )
    con.execute("CREATE TABLE bench_report_done (at REAL)")
    con.commit()
    con.close()
    print(f"added {len(responses):,} responses and {len(terms):,} CSR tags", file=sys.stderr)


#: What differs between two runs of the same report: when it was made (the JSON's ``generated``
#: and ``generated_th``, the page's Thai time and "as of" line).
_MADE = re.compile(r'\d{1,2} \S+ \d{4} \d{2}:\d{2} น\.|"generated": "[^"]*"|"through": "[^"]*"')


def demo_cli(args: argparse.Namespace) -> None:
    """The command's wall time on the demo's store, a new process each run, interleaved with --compare's."""
    from sadap.core.timeutil import BANGKOK, now_utc

    folder = Path(args.store_dir or Path(tempfile.gettempdir()) / "sadap-bench-report-demo")
    if not (folder / "sadap.yaml").exists():
        done = subprocess.run([sys.executable, "-m", "sadap", "demo", "--data-dir", str(folder)], capture_output=True,
                              text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        if done.returncode:
            raise SystemExit(f"sadap demo failed: {done.stderr.strip()[-500:]}")
    today = now_utc().astimezone(BANGKOK)
    if args.period == "year":
        command = ["yearly", "--year", str(today.year)]
    else:
        command = ["quarterly", "--quarter", f"{today.year}Q{(today.month - 1) // 3 + 1}"]
    checkouts = {"this": ROOT, **({"compare": Path(args.compare).resolve()} if args.compare else {})}
    walls: dict[str, list[float]] = {name: [] for name in checkouts}
    outputs: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            for name, checkout in checkouts.items():
                out = Path(tmp) / f"{name}.{args.format}"
                started = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-m", "sadap", "report", *command, "--format", args.format, "--out", str(out),
                     "--config", str(folder / "sadap.yaml")],
                    capture_output=True, text=True, cwd=tmp, env={**os.environ, "PYTHONPATH": str(checkout)})
                wall = time.perf_counter() - started
                if done.returncode:
                    raise SystemExit(f"{name}: sadap report failed: {(done.stdout + done.stderr).strip()[-500:]}")
                walls[name].append(wall)
                outputs[name] = out.read_bytes()
                print(f"run {run + 1} {name}: {wall:.2f} s", file=sys.stderr, flush=True)
    result: dict[str, object] = {"command": f"sadap report {' '.join(command)} --format {args.format}",
                                 "runs": args.runs}
    for name, checkout in checkouts.items():
        result[name] = {"checkout": str(checkout), "median_s": round(statistics.median(walls[name]), 2),
                        "min_s": round(min(walls[name]), 2), "max_s": round(max(walls[name]), 2)}
    if args.compare and args.format != "pdf":  # a PDF's text is compared by the tests, not here
        same = {_MADE.sub("", outputs[n].decode("utf-8")) for n in checkouts}
        result["same_output"] = len(same) == 1
    print(json.dumps(result, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--period", choices=("quarter", "year"), default=None,
                        help="The quarterly or the yearly report (default: quarter; with --demo, year).")
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=None, help="Runs (default: 3; with --demo, 5).")
    parser.add_argument("--store-dir", default=None, help="Where the store is kept (default: a temp folder per size).")
    parser.add_argument("--copy-from", default=None, help="Copy this sadap.db (built by benchmarks/web.py) instead of building.")
    parser.add_argument("--demo", action="store_true", help="Time the command on the demo's store, a new process each run.")
    parser.add_argument("--format", choices=("html", "pdf", "json"), default="html", help="With --demo: the report's format.")
    parser.add_argument("--compare", default=None, help="With --demo: another checkout to run in turn with this one.")
    args = parser.parse_args()
    if args.demo:
        args.period = args.period or "year"
        args.runs = args.runs or 5
        demo_cli(args)
        return
    args.period = args.period or "quarter"
    args.runs = args.runs or 3

    from sadap.app.config import load_config
    from sadap.app.quarterly import Period, quarterly_report, yearly_report
    from sadap.app.report_render import render_html, render_pdf
    from sadap.app.responses import equal_response
    from sadap.core.timeutil import BANGKOK, UTC
    from sadap.store import MentionFilter, open_store

    folder = Path(args.store_dir or Path(tempfile.gettempdir()) / f"sadap-bench-report-{args.mentions}")
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "sadap.db"
    if not db.exists():
        started = time.perf_counter()
        if args.copy_from:
            shutil.copyfile(args.copy_from, folder / "sadap.db.part")
        else:
            build_store(folder / "sadap.db.part", args.mentions)
        (folder / "sadap.db.part").rename(db)
        print(f"store ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    augment(db)
    (folder / "sadap.yaml").write_text("data_dir: .\nwatch:\n" + "".join(f"  - name: {b}\n" for b in BRANDS), encoding="utf-8")
    config = load_config(str(folder / "sadap.yaml"))
    con = sqlite3.connect(db)
    (latest,) = con.execute("SELECT max(published_at) FROM mentions").fetchone()
    con.close()
    last = datetime.fromtimestamp(latest, UTC).astimezone(BANGKOK)
    quarter = Period(last.year, (last.month - 1) // 3 + 1).label
    period = str(last.year) if args.period == "year" else quarter
    make = yearly_report if args.period == "year" else quarterly_report
    timings: dict[str, list[float]] = {"figures": [], "html": [], "pdf": [], "responses": []}
    first: dict[str, float] = {}
    report = None
    with open_store(config) as store:
        total = store.count(MentionFilter())
        for run in range(args.runs + 1):
            t = time.perf_counter()
            report = make(store, config, period)
            figures = time.perf_counter() - t
            t = time.perf_counter()
            html = render_html(report)
            html_s = time.perf_counter() - t
            t = time.perf_counter()
            pdf = render_pdf(report)
            pdf_s = time.perf_counter() - t
            t = time.perf_counter()
            equal_response(store, config, "channel")
            resp_s = time.perf_counter() - t
            row = {"figures": figures, "html": html_s, "pdf": pdf_s, "responses": resp_s}
            if run == 0:
                first = row
            else:
                for k, v in row.items():
                    timings[k].append(v)
            print(f"run {run}: " + " ".join(f"{k} {v:.2f} s" for k, v in row.items()), file=sys.stderr)
    assert report is not None
    out = {
        "mentions_in_store": total,
        "period": period,
        "mentions_in_period": report["now"]["mentions"],
        "complaints_and_questions": report["now"]["responses"]["overall"]["count"],
        "runs": args.runs,
        "median_s": {k: round(statistics.median(v), 2) for k, v in timings.items()},
        "report_html_s": round(statistics.median(a + b for a, b in zip(timings["figures"], timings["html"])), 2),
        "report_pdf_s": round(statistics.median(a + b for a, b in zip(timings["figures"], timings["pdf"])), 2),
        "first_run_s": {k: round(v, 2) for k, v in first.items()},
        "html_bytes": len(html),
        "pdf_bytes": len(pdf),
    }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
