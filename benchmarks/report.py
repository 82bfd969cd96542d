"""The quarterly CRM report's render time (figures, HTML, PDF; medians) on a SQLite store of many
mentions (default 1,000,000), and the equal-response report's time.

    python benchmarks/report.py [--mentions 1000000] [--runs 3] [--store-dir DIR] [--copy-from DB]

The store is benchmarks/web.py's synthetic store (Thai mentions over the 60 days up to when it
was built, 5 sources, 20,000 authors, 6 watched brands, 10% complaints, 5% near-duplicates:
``build_store`` there), built once and kept in --store-dir, or copied from a store web.py already
built (--copy-from .../sadap.db: building a million mentions takes a while). The copy then gets
what the report reads beyond it: logged responses to 70% of the complaints and questions (the
forum answered about five times slower than the other sources) and CSR pillars on 1% of the
mentions, written with plain SQL into the same tables the store keeps.

The report covers the quarter the mentions are in (all of them, when built within a quarter's
last two months) against the one before; the first run includes the imports (matplotlib,
WeasyPrint) and is shown apart.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--store-dir", default=None, help="Where the store is kept (default: a temp folder per size).")
    parser.add_argument("--copy-from", default=None, help="Copy this sadap.db (built by benchmarks/web.py) instead of building.")
    args = parser.parse_args()

    from sadap.app.config import load_config
    from sadap.app.quarterly import Period, quarterly_report
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
    timings: dict[str, list[float]] = {"figures": [], "html": [], "pdf": [], "responses": []}
    first: dict[str, float] = {}
    report = None
    with open_store(config) as store:
        total = store.count(MentionFilter())
        for run in range(args.runs + 1):
            t = time.perf_counter()
            report = quarterly_report(store, config, quarter)
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
        "quarter": quarter,
        "mentions_in_quarter": report["now"]["mentions"],
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
