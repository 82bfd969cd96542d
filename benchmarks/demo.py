"""Wall time of `sadap demo` (start the sample site, crawl, enrich, store, alert, summary),
each run a fresh process and a fresh data folder; prints the median.

    python benchmarks/demo.py [--runs 3]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    walls = []
    for i in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "sadap", "demo", "--data-dir", str(Path(tmp) / "demo")],
                                  capture_output=True, text=True)
            wall = time.perf_counter() - started
        if done.returncode:
            raise SystemExit(f"sadap demo failed: {done.stderr.strip()[-500:]}")
        incidents = done.stdout.count("■ INC-")
        walls.append(wall)
        print(f"run {i + 1}: {wall:.1f} s, {incidents} incidents", flush=True)
    print(json.dumps({"runs": len(walls), "median_wall_s": round(statistics.median(walls), 1),
                      "min": round(min(walls), 1), "max": round(max(walls), 1)}))


if __name__ == "__main__":
    main()
