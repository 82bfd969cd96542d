"""The store writer's CPU per mention: SQLite ``upsert`` of enriched Wisesight messages into a
fresh store, in batches of 500 (daily counts, full-text rows and terms included), CPU time of
this process, median of several runs.

    python benchmarks/upsert.py [--messages 2000] [--runs 5]

Compare with another revision by putting its checkout first on the path:
``PYTHONPATH=/path/to/other/checkout python benchmarks/upsert.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

# This folder's enrich.py (a benchmark) would hide the enrich package: leave it off the path.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from enrich.pipeline import Enricher  # noqa: E402
from sadap.app.config import Config  # noqa: E402
from sadap.app.fileimport import read_file  # noqa: E402
from sadap.core.mention import to_mention  # noqa: E402
from sadap.store.sqlite import SQLiteStore  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "train.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "sample.jsonl"
        with args.data.open(encoding="utf-8") as src:
            sample.write_text("".join(line for _, line in zip(range(args.messages), src)), encoding="utf-8")
        raws = [r for _, r in read_file(sample) if not hasattr(r, "error")]
    mentions = Enricher.from_config(Config()).enrich([to_mention(r, pseudonym_key=b"bench") for r in raws])  # type: ignore[arg-type]
    cpu = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            store = SQLiteStore(Path(tmp) / "bench.db")
            started = time.process_time()
            for i in range(0, len(mentions), 500):
                store.upsert(mentions[i : i + 500])
            cpu.append(time.process_time() - started)
            store.close()
    print(json.dumps({
        "store_module": sys.modules[SQLiteStore.__module__].__file__, "mentions": len(mentions), "runs": args.runs,
        "median_cpu_s": round(statistics.median(cpu), 3),
        "median_cpu_ms_per_mention": round(1000 * statistics.median(cpu) / len(mentions), 3),
        "cpu_s": [round(c, 3) for c in cpu],
    }))


if __name__ == "__main__":
    main()
