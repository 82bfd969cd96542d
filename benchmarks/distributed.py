"""Several machines, measured on one: crawl throughput of 1 and 2 `sadap worker` processes sharing
one queue in Redis, and the time a standby scheduler takes to take over from a killed one.

    python benchmarks/distributed.py crawl --pages 5000 --runs 3 [--workers 1 2] [--engine ensemble-v4] [--via sitemap]
    python benchmarks/distributed.py failover --runs 3 [--lease 15] [--where redis|sqlite]

crawl: a local site of N generated Thai news pages (tests/thai_site.py: an index linking every
page, read by the `article` spider; or with ``--via sitemap`` a sitemap index of 20 Google News
sitemaps, read by the `sitemap` spider), a real redis-server (Debian `redis-server`) on a free port, a fresh SQLite store each run.
The workers start and open their spiders first; the clock starts when the round is pushed (as
the scheduler does) and stops when the store holds all N mentions. Runs alternate 1 and 2 workers;
medians are quoted, and each worker's share of the pages (the site notes who asked: each worker
sends its id as its User-Agent). The site, Redis and the workers all share this machine's cores.

failover: two `sadap run --role scheduler` processes on one lease; the active one is killed with
SIGKILL; the time until the other logs that it is active (and evaluates rules) is the takeover.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sadap.app.config import load_config_file  # noqa: E402
from sadap.app.distributed import push_start  # noqa: E402
from tests.redis_support import RedisServer  # noqa: E402
from tests.thai_site import ThaiNewsSite  # noqa: E402

PY = sys.executable


def _wait_for(path: Path, text: str, timeout: float = 180) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return time.monotonic()
        time.sleep(0.05)
    raise SystemExit(f"{text!r} not seen in {path} after {timeout} s:\n{path.read_text(errors='replace')[-2000:]}")


def _count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM mentions").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and every live descendant (the worker's
    enrichment processes), plus what its finished children used (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int(_stat(int(entry.name))[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = _stat(current)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
        todo.extend(children.get(current, []))
    return total / os.sysconf("SC_CLK_TCK")


def crawl_once(
    site: ThaiNewsSite, redis: RedisServer, workers: int, engine: str, via: str = "article"
) -> tuple[float, float, float, list[int]]:
    """(seconds from the round's push to all pages stored, the workers' CPU seconds in that time,
    the machine's mean 1-minute load average sampled every second meanwhile, each worker's pages)."""
    redis.client().flushall()
    site.served.clear()
    source = (f'{{name: news, kind: article, url: "{site.base_url}/", follow: "/news/"}}' if via == "article" else
              f'{{name: news, kind: sitemap, url: "{site.base_url}/sitemap_index.xml", max_pages: {site.pages}}}')
    with tempfile.TemporaryDirectory(prefix="sadap-bench-dist-") as tmp:
        folder = Path(tmp)
        (folder / "sadap.yaml").write_text(
            f"data_dir: data\nrules: []\nnotifiers: []\nenrich: {{sentiment_model: {engine}}}\n"
            f'distributed: {{redis_url: "{redis.url}"}}\n'
            f"sources:\n  - {source}\n",
            encoding="utf-8",
        )
        logs = [folder / f"w{i}.log" for i in range(workers)]
        procs = [
            subprocess.Popen(
                [PY, "-m", "sadap", "worker", "--config", "sadap.yaml", "--id", f"w{i}", "--log-level", "INFO",
                 "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false",
                 "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", f"USER_AGENT=w{i}"],
                cwd=folder, stdout=logs[i].open("wb"), stderr=subprocess.STDOUT,
            )
            for i in range(workers)
        ]
        try:
            for log in logs:
                _wait_for(log, "Spider opened")
            time.sleep(1)
            config = load_config_file(folder / "sadap.yaml")
            db = config.store_path
            cpu_before = sum(_cpu_seconds(p.pid) for p in procs)
            start = time.monotonic()
            push_start(config, "news")
            loads: list[float] = []
            sampled = 0.0
            while _count(db) < site.pages:
                if time.monotonic() - start > 1800:
                    raise SystemExit(f"only {_count(db)} of {site.pages} stored after 30 minutes")
                if time.monotonic() - sampled >= 1.0:
                    sampled = time.monotonic()
                    loads.append(os.getloadavg()[0])
                time.sleep(0.1)
            elapsed = time.monotonic() - start
            shares = [sum(1 for path, agent in list(site.served) if agent == f"w{i}" and path.startswith("/news/"))
                      for i in range(workers)]
            return elapsed, sum(_cpu_seconds(p.pid) for p in procs) - cpu_before, statistics.mean(loads or [0.0]), shares
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGINT)
            for proc in procs:
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    proc.kill()


def crawl(args: argparse.Namespace) -> None:
    redis = RedisServer()
    results: dict[int, list[float]] = {n: [] for n in args.workers}
    cpu: dict[int, list[float]] = {n: [] for n in args.workers}
    loads: dict[int, list[float]] = {n: [] for n in args.workers}
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    try:
        sitemaps = 20 if args.via == "sitemap" else 0
        with ThaiNewsSite(args.pages, sitemaps=sitemaps, dated_at=datetime.now(timezone.utc)) as site:
            for run in range(args.runs):
                for n in args.workers:
                    seconds, cpu_s, load, shares = crawl_once(site, redis, n, args.engine, args.via)
                    results[n].append(seconds)
                    cpu[n].append(cpu_s)
                    loads[n].append(load)
                    print(f"run {run + 1}: {n} worker(s): {args.pages} pages in {seconds:.1f} s = "
                          f"{args.pages / seconds:.1f} pages/s; workers' CPU {cpu_s:.1f} s "
                          f"({1000 * cpu_s / args.pages:.1f} ms a page); load average meanwhile {load:.1f}; "
                          f"pages per worker {shares}", flush=True)
    finally:
        redis.stop()
    print(f"\n{args.pages} pages via {args.via}, engine {args.engine}, {os.cpu_count()} CPUs, {args.runs} runs each, "
          f"load average at the end {os.getloadavg()[0]:.1f}")
    medians = {}
    for n, times in results.items():
        medians[n] = statistics.median(times)
        rates = sorted(args.pages / t for t in times)
        per_page = 1000 * statistics.median(cpu[n]) / args.pages
        print(f"{n} worker(s): median {medians[n]:.1f} s, {args.pages / medians[n]:.1f} pages/s "
              f"(range {rates[0]:.1f}-{rates[-1]:.1f}); workers' CPU median {per_page:.1f} ms a page, "
              f"so {1000 / per_page:.0f} pages/s per busy core; load average during the runs "
              f"{min(loads[n]):.1f}-{max(loads[n]):.1f}")
    if 1 in medians and 2 in medians:
        speedup = medians[1] / medians[2]
        print(f"2 workers against 1: {speedup:.2f}x (scaling efficiency {speedup / 2:.0%})")


def failover(args: argparse.Namespace) -> None:
    redis = RedisServer() if args.where == "redis" else None
    times: list[float] = []
    try:
        for run in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="sadap-bench-failover-") as tmp:
                folder = Path(tmp)
                shared = f'redis_url: "{redis.url}", ' if redis else ""
                (folder / "sadap.yaml").write_text(
                    f"data_dir: data\nrules: []\nnotifiers: []\nschedule: {{alerts_every: 1s}}\n"
                    f"distributed: {{{shared}lease: {args.lease}s}}\n",
                    encoding="utf-8",
                )
                logs = [folder / "a.log", folder / "b.log"]
                env = {**os.environ, "PYTHONUNBUFFERED": "1"}

                def start(log: Path) -> subprocess.Popen[bytes]:
                    return subprocess.Popen(
                        [PY, "-m", "sadap", "run", "--role", "scheduler", "--config", "sadap.yaml"],
                        cwd=folder, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env,
                    )

                active = start(logs[0])
                _wait_for(logs[0], ": active (holds the lease)")
                standby = start(logs[1])
                try:
                    _wait_for(logs[1], "standing by")
                    time.sleep(args.lease / 2)  # the kill falls anywhere in a renewal period
                    active.send_signal(signal.SIGKILL)
                    killed = time.monotonic()
                    active.wait(10)
                    took_over = _wait_for(logs[1], ": active (holds the lease)", timeout=args.lease * 4)
                    evaluated = _wait_for(logs[1], "rules evaluated", timeout=30)
                finally:
                    for proc in (active, standby):
                        if proc.poll() is None:
                            proc.send_signal(signal.SIGINT)
                            proc.wait(30)
                times.append(took_over - killed)
                print(f"run {run + 1}: took over {took_over - killed:.2f} s after kill -9, "
                      f"rules evaluated {evaluated - killed:.2f} s after", flush=True)
    finally:
        if redis:
            redis.stop()
    print(f"\nlease {args.lease} s in {args.where}: takeover median {statistics.median(times):.2f} s "
          f"(range {min(times):.2f}-{max(times):.2f}, {args.runs} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    c = sub.add_parser("crawl")
    c.add_argument("--pages", type=int, default=5000)
    c.add_argument("--runs", type=int, default=3)
    c.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    c.add_argument("--engine", default="ensemble-v4", help="enrich.sentiment_model (default: the shipped default)")
    c.add_argument("--via", choices=["article", "sitemap"], default="article",
                   help="an index page read by the article spider, or a sitemap index read by the sitemap spider")
    f = sub.add_parser("failover")
    f.add_argument("--runs", type=int, default=3)
    f.add_argument("--lease", type=float, default=15.0, help="distributed.lease in seconds (default: the default, 15)")
    f.add_argument("--where", choices=["redis", "sqlite"], default="redis")
    args = parser.parse_args()
    crawl(args) if args.what == "crawl" else failover(args)


if __name__ == "__main__":
    main()
