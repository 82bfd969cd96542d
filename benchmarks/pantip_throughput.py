"""Pantip spider throughput: one local topic with 1,000 comments (10 comment pages of 100,
Pantip's shapes from tests/fake_pantip.py, every tenth comment with two replies), crawled
by `scrapy crawl pantip` into a JSONL feed, repeated; prints the median mentions per second.

    python benchmarks/pantip_throughput.py [--runs 5] [--polite]

Each run is its own process. Figures: mentions over the crawl's own time (Scrapy's
``elapsed_time_seconds``, from the engine's start to its close) and over the whole process
(interpreter and Scrapy start-up included). Without ``--polite`` the download delay and
AutoThrottle are off (the spider's own cost); with it, the project's polite defaults apply
(0.5 s between requests to a site), which is what a real crawl of pantip.com pays.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fake_pantip import FakePantip, Topic  # noqa: E402

TID = 43200000


def one_run(base_url: str, polite: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jsonl"
        command = [
            sys.executable, "-m", "scrapy", "crawl", "pantip", "-a", f"base_url={base_url}", "-a", f"topics={TID}",
            "-O", str(out), "-s", "LOG_LEVEL=INFO",
        ]
        if not polite:
            command += ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(done.stderr[-2000:])
        mentions = sum(1 for _ in out.open(encoding="utf-8"))
        elapsed = float(re.search(r"'elapsed_time_seconds': ([\d.]+)", done.stderr).group(1))  # type: ignore[union-attr]
        return {"mentions": mentions, "crawl_s": elapsed, "wall_s": wall,
                "per_s_crawl": mentions / elapsed, "per_s_wall": mentions / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--polite", action="store_true", help="keep the project's download delay and AutoThrottle")
    args = parser.parse_args()
    with FakePantip() as fake:
        fake.add_topic(Topic(TID, "ทดสอบความเร็ว: แอปแสงทองล่ม", "<p>ใครเข้าแอปไม่ได้บ้าง</p>", ["ธนาคาร"], "ผู้ทดสอบ"))
        fake.add_comments(TID, 1000, replies_every=10)
        runs = [one_run(fake.url, args.polite) for _ in range(args.runs)]
    for run in runs:
        print(json.dumps({k: round(v, 3) for k, v in run.items()}))
    crawl = [r["per_s_crawl"] for r in runs]
    wall = [r["per_s_wall"] for r in runs]
    print(
        f"{int(runs[0]['mentions'])} mentions (1 post, 1,000 comments, 200 replies) per run, {args.runs} runs"
        f"{' (polite defaults)' if args.polite else ' (no download delay)'}: "
        f"median {statistics.median(crawl):.0f} mentions/s over the crawl ({min(crawl):.0f}-{max(crawl):.0f}), "
        f"{statistics.median(wall):.0f} mentions/s over the whole process ({min(wall):.0f}-{max(wall):.0f})"
    )


if __name__ == "__main__":
    main()
