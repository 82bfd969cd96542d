"""Ingest throughput: `sadap ingest` on the Wisesight train split (21,628 real Thai messages)
into a fresh SQLite store, repeated; prints the median mentions per second for each number of
enrichment workers, and the scaling efficiency of N workers against 1.

    python benchmarks/ingest.py [--runs 3] [--workers 1 2] [--limit N] [--engine linear-v3]
                                [--data ../shared/data/wisesight-sentiment/train.jsonl]
                                [--against /work/main]

Each run is a separate `sadap ingest --workers N` process (start-up and model load included),
with the default config (no alert rules; ``--engine`` sets ``enrich.sentiment_model``) in a new
temporary folder. The worker counts take
turns within each round (1, 2, 1, 2, …), so that a busy spell on a shared machine hits both.
Besides wall time, each run reports the CPU seconds of the whole process tree (parent and
workers: less sensitive to other load than wall time), how much of it the importing process
itself spent (reading, the duplicate checks, the store; with workers, the rest is theirs) and
the peak resident memory of the parent and of each worker (``VmHWM`` from /proc, sampled while
it runs).

``--against CHECKOUT`` runs another checkout of Sadap (its own ``.venv``, e.g. ``/work/main``)
in the same rounds, taking turns with this one, so that both meet the same load; the summary
then has both, and the load average of each round is printed with it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _revision import interpreters

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "train.jsonl"


def first_lines(data: Path, limit: int | None, folder: Path) -> Path:
    """``data`` itself, or with ``limit`` its first ``limit`` lines copied to a file in ``folder``."""
    if not limit:
        return data
    out = folder / "data.jsonl"
    with data.open(encoding="utf-8") as src:
        out.write_text("".join(line for _, line in zip(range(limit), src)), encoding="utf-8")
    return out


def _hwm_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return None


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of ``pid`` so far (from /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def one_run(data: Path, workers: int, engine: str | None = None, python: str = sys.executable) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        config = "data_dir: .\n" + (f"enrich:\n  sentiment_model: {engine}\n" if engine else "")
        (Path(tmp) / "sadap.yaml").write_text(config, encoding="utf-8")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        out = Path(tmp) / "out.json"
        with out.open("w") as fh:
            proc = subprocess.Popen(
                [python, "-m", "sadap", "ingest", str(data), "--json", "--workers", str(workers)],
                cwd=tmp, stdout=fh, stderr=subprocess.PIPE, text=True,
            )
            peak: dict[int, int] = {}
            worker_cpu: dict[int, float] = {}  # last seen (sampled: a worker's last 0.1 s may be missed)
            while proc.poll() is None:  # peak memory of the parent and each worker, the workers' CPU
                for pid in [proc.pid, *_children(proc.pid)]:
                    kb = _hwm_kb(pid)
                    if kb is not None:
                        peak[pid] = max(peak.get(pid, 0), kb)
                    cpu = _cpu_s(pid) if pid != proc.pid else None
                    if cpu is not None:
                        worker_cpu[pid] = cpu
                time.sleep(0.1)
            stderr = proc.stderr.read() if proc.stderr else ""
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode:
            raise SystemExit(f"sadap ingest failed: {stderr.strip()}")
        report = json.loads(out.read_text())
        parent_mb = peak.pop(proc.pid, 0) / 1024
        worker_mb = sorted((kb / 1024 for kb in peak.values()), reverse=True)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return {
            "workers": workers, "wall_s": wall, "read": report["read"], "stored": report["stored"],
            "per_s": report["read"] / wall, "cpu_s": cpu, "cpu_ms_per_mention": 1000 * cpu / report["read"],
            "parent_peak_mb": parent_mb, "worker_peak_mb": worker_mb,
            "parent_cpu_ms_per_mention": 1000 * (cpu - sum(worker_cpu.values())) / report["read"],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--limit", type=int, default=0, help="only the first N messages (0: all)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--engine", help="enrich.sentiment_model (default: the default engine)")
    parser.add_argument("--against", type=Path, help="another checkout (with its .venv) to run in the same rounds")
    args = parser.parse_args()
    if not args.data.exists():
        raise SystemExit(f"{args.data}: not found (pass --data)")
    pythons = interpreters(args.against)
    with tempfile.TemporaryDirectory() as tmp:
        data = first_lines(args.data, args.limit, Path(tmp))
        runs: dict[tuple[str, int], list[dict]] = {(name, w): [] for name in pythons for w in args.workers}
        for i in range(args.runs):
            for w in args.workers:
                for name, python in pythons.items():
                    r = one_run(data, w, args.engine, python)
                    runs[name, w].append(r)
                    print(f"round {i + 1}, {name}, {w} worker(s): {r['read']} read, {r['stored']} stored in {r['wall_s']:.1f} s = "
                          f"{r['per_s']:.0f} mentions/s; CPU {r['cpu_s']:.1f} s ({r['cpu_ms_per_mention']:.2f} ms/mention, "
                          f"importing process {r['parent_cpu_ms_per_mention']:.2f}); "
                          f"peak RSS parent {r['parent_peak_mb']:.0f} MB, workers "
                          f"{', '.join(f'{m:.0f}' for m in r['worker_peak_mb']) or '-'} MB; "
                          f"load {os.getloadavg()[0]:.1f}", flush=True)
    summary: dict[str, object] = {"data": str(args.data), "limit": args.limit or None, "runs": args.runs, "cores": os.cpu_count(),
                                  "engine": args.engine or "default", "load_average": os.getloadavg()[0]}
    for name in pythons:
        part: dict[str, object] = {}
        for w in args.workers:
            rs = runs[name, w]
            rates = [r["per_s"] for r in rs]
            part[f"workers_{w}"] = {
                "median_mentions_per_s": round(statistics.median(rates), 1),
                "min": round(min(rates), 1), "max": round(max(rates), 1),
                "median_wall_s": round(statistics.median(r["wall_s"] for r in rs), 1),
                "median_cpu_ms_per_mention": round(statistics.median(r["cpu_ms_per_mention"] for r in rs), 3),
                "median_parent_cpu_ms_per_mention": round(statistics.median(r["parent_cpu_ms_per_mention"] for r in rs), 3),
                "max_parent_peak_mb": round(max(r["parent_peak_mb"] for r in rs)),
                "max_worker_peak_mb": round(max((max(r["worker_peak_mb"], default=0) for r in rs))),
            }
        if 1 in args.workers:
            base = statistics.median(r["per_s"] for r in runs[name, 1])
            part["scaling_efficiency"] = {
                str(w): round(statistics.median(r["per_s"] for r in runs[name, w]) / base / w, 3) for w in args.workers if w != 1
            }
        if name == "this":
            summary.update(part)
        else:
            summary[f"against {args.against}"] = part
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
