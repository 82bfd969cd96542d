"""`sadap backup create` on a real data folder: wall time of the whole archive, of SQLite's online
copy with its check, and the archive's size, median of --runs; each archive written to a fresh
temporary folder and deleted. Usage: python benchmarks/backup.py --config sadap.yaml [--runs 3]
(make a store first, e.g. `sadap ingest ../shared/data/wisesight-sentiment/train.jsonl`)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

# benchmarks/alerts.py would shadow the alerts package
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from sadap.app import backup as backups
from sadap.app.config import load_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    config = load_config(args.config)
    whole, copies, sizes = [], [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            backups._copy_store(config.store_path, Path(tmp) / "copy.db")
            copies.append(time.perf_counter() - started)
            result = backups.backup(config, Path(tmp) / "out", actor="benchmark")
            whole.append(result.seconds)
            sizes.append(result.size)
    store_mb = config.store_path.stat().st_size / 1e6
    print(f"store {store_mb:,.1f} MB, {result.counts.get('mentions', 0):,} mentions; load average {os.getloadavg()[0]:.1f}")
    print(f"whole backup: median {statistics.median(whole):.2f} s ({min(whole):.2f}-{max(whole):.2f}); "
          f"copy and check alone {statistics.median(copies):.2f} s; archive {statistics.median(sizes) / 1e6:,.1f} MB "
          f"({statistics.median(sizes) / 1e6 / store_mb:.0%} of the store)")


if __name__ == "__main__":
    main()
