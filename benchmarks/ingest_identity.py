"""Whether two checkouts of Sadap store the same thing: `sadap ingest`'s pipeline run by each on
the same file (the Wisesight train split by default) into a fresh SQLite store, with 1 and with
2 enrichment workers, then every row of every table of the two stores compared, column by
column (mentions with their labels, scores, tokens, keywords, fingerprints and duplicate links,
the full-text index and its shadow tables, the term, day and hour count tables, …).

    python benchmarks/ingest_identity.py /work/main . [--workers 1 2] [--limit N]
                                         [--data ../shared/data/wisesight-sentiment/train.jsonl]

Each run is a process of that checkout's own ``.venv`` (so its own code), importing through
``sadap.app.importer.import_file`` with the CLI's defaults (batches of 500) and two things
pinned that would otherwise differ between any two runs: the clock (every batch collected at
2026-01-15 03:00 UTC) and the pseudonym key (a fixed test key). Complaint case ids, random by
design, are compared by the order the cases were made in. Prints one line per table and a JSON
summary; exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from ingest import first_lines  # benchmarks/ingest.py, next to this script

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "train.jsonl"
CLOCK = datetime(2026, 1, 15, 3, 0, tzinfo=timezone.utc)
KEY = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"


def one(checkout: str, data: str, workers: int, folder: str) -> None:
    """In a process of ``checkout``'s own interpreter: import ``data`` into ``folder``."""
    sys.path.insert(0, checkout)
    from sadap.app.config import load_config_file
    from sadap.app.importer import import_file
    from sadap.app.ingest import IngestPipeline

    here = Path(folder)
    (here / "sadap.yaml").write_text("data_dir: .\n", encoding="utf-8")
    (here / "pseudonym.key").write_bytes(KEY)
    config = load_config_file(here / "sadap.yaml")
    pipeline = IngestPipeline(config, workers=workers, clock=lambda: CLOCK)
    report = import_file(config, data, pipeline=pipeline)
    pipeline.close()
    print(json.dumps({"report": report, "store": str(config.store_path)}))


_CASE = re.compile(r"CASE-[0-9A-F]{8}")


def _case_numbers(con: sqlite3.Connection) -> dict[str, str]:
    """Complaint case ids are random (``CASE-`` and 8 random hex digits): each store's, by the
    order the cases were made in, so that the same cases compare equal."""
    try:
        ids = [r[0] for r in con.execute("SELECT id FROM complaint_cases ORDER BY rowid")]
    except sqlite3.OperationalError:
        return {}
    return {case: f"CASE-#{i}" for i, case in enumerate(ids)}


def _renumbered(rows: list[tuple[object, ...]], numbers: dict[str, str]) -> list[tuple[object, ...]]:
    def fix(value: object) -> object:
        if isinstance(value, str) and "CASE-" in value:
            return _CASE.sub(lambda m: numbers.get(m.group(0), m.group(0)), value)
        return value

    return [tuple(fix(v) for v in row) for row in rows]


def compare(a: Path, b: Path) -> dict[str, object]:
    """Table by table: rows in each store and rows that differ (in rowid order, or the
    table's whole rows sorted where it has no rowid), complaint case ids renumbered; where one
    store's schema added columns to a table, the columns both have (the others listed)."""
    out: dict[str, object] = {}
    with sqlite3.connect(a) as ca, sqlite3.connect(b) as cb:
        numbers_a, numbers_b = _case_numbers(ca), _case_numbers(cb)
        tables = [r[0] for r in ca.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        other = [r[0] for r in cb.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        if tables != other:
            out["_tables"] = {"a": tables, "b": other}
        for table in tables:
            if table not in other:
                continue
            columns = [r[1] for r in ca.execute(f'PRAGMA table_info("{table}")')]
            columns_b = [r[1] for r in cb.execute(f'PRAGMA table_info("{table}")')]
            entry: dict[str, object] = {}
            select = "*"
            if columns != columns_b:  # a schema change: the columns both have are compared
                entry["columns only in a"] = [c for c in columns if c not in columns_b]
                entry["columns only in b"] = [c for c in columns_b if c not in columns]
                columns = [c for c in columns if c in columns_b]
                select = ", ".join(f'"{c}"' for c in columns)
            try:
                query = f'SELECT rowid, {select} FROM "{table}" ORDER BY rowid'
                rows_a, rows_b = ca.execute(query).fetchall(), cb.execute(query).fetchall()
            except sqlite3.OperationalError:  # WITHOUT ROWID
                query = f'SELECT {select} FROM "{table}"'
                rows_a, rows_b = sorted(ca.execute(query).fetchall()), sorted(cb.execute(query).fetchall())
            rows_a, rows_b = _renumbered(rows_a, numbers_a), _renumbered(rows_b, numbers_b)
            differing = [i for i, (x, y) in enumerate(zip(rows_a, rows_b)) if x != y]
            entry.update({"rows": [len(rows_a), len(rows_b)], "differing": len(differing)})
            if differing:
                x, y = rows_a[differing[0]], rows_b[differing[0]]
                entry["first"] = {c: [str(p)[:200], str(q)[:200]] for c, p, q in zip(["rowid", *columns], x, y) if p != q}
            out[table] = entry
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", nargs="?")
    parser.add_argument("b", nargs="?")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=0, help="only the first N messages (0: all)")
    parser.add_argument("--one", nargs=3, metavar=("CHECKOUT", "WORKERS", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.one[0], str(args.data), int(args.one[1]), args.one[2])
        return
    if not (args.a and args.b):
        parser.error("two checkouts to compare")
    checkouts = [Path(args.a).resolve(), Path(args.b).resolve()]
    for c in checkouts:
        if not (c / ".venv" / "bin" / "python").exists():
            raise SystemExit(f"{c}: no .venv (each checkout runs its own)")
    summary: dict[str, object] = {"a": str(checkouts[0]), "b": str(checkouts[1]), "data": str(args.data)}
    same = True
    with tempfile.TemporaryDirectory() as tmp:
        data = first_lines(args.data, args.limit, Path(tmp))
        for workers in args.workers:
            stores = []
            for i, checkout in enumerate(checkouts):
                folder = Path(tmp) / f"{workers}-{i}"
                folder.mkdir()
                done = subprocess.run(
                    [str(checkout / ".venv" / "bin" / "python"), str(Path(__file__).resolve()), "--data", str(data),
                     "--one", str(checkout), str(workers), str(folder)],
                    capture_output=True, text=True, cwd=folder)
                if done.returncode:
                    raise SystemExit(f"{checkout}: ingest failed: {done.stderr.strip()[-2000:]}")
                result = json.loads(done.stdout.strip().splitlines()[-1])
                print(f"{workers} worker(s), {checkout}: {json.dumps(result['report'])}", flush=True)
                stores.append(Path(result["store"]))
            tables = compare(*stores)
            for table, entry in tables.items():
                print(f"  {table}: {json.dumps(entry, ensure_ascii=False)}")
            differ = {t: e for t, e in tables.items() if not isinstance(e, dict) or e.get("differing") or "rows" not in e
                      or e["rows"][0] != e["rows"][1]}  # type: ignore[index]
            rows = sum(e["rows"][0] for e in tables.values() if isinstance(e, dict) and "rows" in e)  # type: ignore[index]
            summary[f"workers_{workers}"] = {"tables": len(tables), "rows_compared": rows, "tables_differing": sorted(differ),
                                             "columns_in_one_only": {t: e["columns only in a"] + e["columns only in b"]
                                                                     for t, e in tables.items() if isinstance(e, dict)
                                                                     and "columns only in a" in e}}
            same = same and not differ
    summary["identical"] = same
    print(json.dumps(summary))
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
