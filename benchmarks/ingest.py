"""Ingest throughput: `sadap ingest` on the Wisesight train split (21,628 real Thai messages)
into a fresh SQLite store, repeated; prints the median mentions per second.

    python benchmarks/ingest.py [--runs 3] [--data ../shared/data/wisesight-sentiment/train.jsonl]

Each run is a separate `sadap ingest` process (start-up and model load included), with the
default config (no alert rules) in a new temporary folder.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "train.jsonl"


def one_run(data: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "sadap.yaml").write_text("data_dir: .\n", encoding="utf-8")
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "sadap", "ingest", str(data), "--json"],
            cwd=tmp, capture_output=True, text=True,
        )
        wall = time.perf_counter() - started
        if done.returncode:
            raise SystemExit(f"sadap ingest failed: {done.stderr.strip()}")
        report = json.loads(done.stdout)
        return {"wall_s": wall, "read": report["read"], "stored": report["stored"], "per_s": report["read"] / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    if not args.data.exists():
        raise SystemExit(f"{args.data}: not found (pass --data)")
    runs = []
    for i in range(args.runs):
        r = one_run(args.data)
        runs.append(r)
        print(f"run {i + 1}: {r['read']} read, {r['stored']} stored in {r['wall_s']:.1f} s = {r['per_s']:.0f} mentions/s", flush=True)
    rates = [r["per_s"] for r in runs]
    print(json.dumps({
        "data": str(args.data), "runs": len(runs),
        "median_mentions_per_s": round(statistics.median(rates), 1),
        "min": round(min(rates), 1), "max": round(max(rates), 1),
        "median_wall_s": round(statistics.median(r["wall_s"] for r in runs), 1),
    }))


if __name__ == "__main__":
    main()
