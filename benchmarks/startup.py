"""Start-up of `sadap ingest`: whole processes importing 1 and 100 Wisesight messages, where
start-up (imports, config, dictionary, models, workers) is nearly all of the time.

    python benchmarks/startup.py [--runs 5] [--messages 1 100] [--engine default linear-v3]
                                 [--workers 1 2] [--against /work/main]

Each run is a separate `sadap ingest FILE --json --workers N` process in a new temporary folder
(``sadap.yaml`` with ``data_dir: .`` and, unless ``default``, ``enrich.sentiment_model``), so
nothing is cached from an earlier run. Reported per case: the median wall time and the median
CPU time of the whole process tree (the `sadap` process and its enrichment workers), with the
range. The cases take turns within each round, and with ``--against CHECKOUT`` (another
checkout with its own ``.venv``, e.g. ``/work/main``) each case runs there right after here, so
that both meet the same load; the load average is printed with each run.

On a shared machine read the CPU times first: wall time waits for other processes.

``--bytecode``: where ``PYTHONDONTWRITEBYTECODE`` is set (as on the development machines), each
process compiles Sadap's own modules from source again (about 0.1 s); an installed package has
its bytecode compiled by pip. With ``--bytecode`` each checkout gets a bytecode cache in a
temporary folder (``PYTHONPYCACHEPREFIX``), filled by one untimed run first.
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


def one_run(python: str, data: Path, workers: int, engine: str, env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall and CPU seconds of one `sadap ingest` of ``data`` in a fresh folder."""
    with tempfile.TemporaryDirectory() as tmp:
        config = "data_dir: .\n" + (f"enrich:\n  sentiment_model: {engine}\n" if engine != "default" else "")
        (Path(tmp) / "sadap.yaml").write_text(config, encoding="utf-8")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        proc = subprocess.run(
            [python, "-m", "sadap", "ingest", str(data), "--json", "--workers", str(workers)],
            cwd=tmp, capture_output=True, text=True, env=env,
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode:
            raise SystemExit(f"{python}: sadap ingest failed: {proc.stderr.strip()}")
        report = json.loads(proc.stdout)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return {"wall_s": wall, "cpu_s": cpu, "read": report["read"], "stored": report["stored"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--messages", type=int, nargs="+", default=[1, 100])
    parser.add_argument("--engine", nargs="+", default=["default", "linear-v3"],
                        help="enrich.sentiment_model for each case (`default`: the shipped default)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--against", type=Path, help="another checkout (with its .venv) to run in the same rounds")
    parser.add_argument("--bytecode", action="store_true", help="a bytecode cache per checkout, as an installed package has")
    args = parser.parse_args()
    if not args.data.exists():
        raise SystemExit(f"{args.data}: not found (pass --data)")
    pythons = interpreters(args.against)
    cases = [(m, e, w) for m in args.messages for e in args.engine for w in args.workers]
    runs: dict[tuple[str, int, str, int], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        envs: dict[str, dict[str, str] | None] = {name: None for name in pythons}
        if args.bytecode:
            for name in pythons:
                env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
                env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / f"pycache-{name}")
                envs[name] = env
        files = {}
        with args.data.open(encoding="utf-8") as src:
            lines = [line for _, line in zip(range(max(args.messages)), src)]
        for m in args.messages:
            files[m] = Path(tmp) / f"first-{m}.jsonl"
            files[m].write_text("".join(lines[:m]), encoding="utf-8")
        if args.bytecode:  # fill each checkout's cache (every engine's and the workers' modules)
            for name, python in pythons.items():
                for engine in args.engine:
                    one_run(python, files[min(args.messages)], max(args.workers), engine, envs[name])
        for i in range(args.runs):
            for m, engine, w in cases:
                for name, python in pythons.items():
                    r = one_run(python, files[m], w, engine, envs[name])
                    runs.setdefault((name, m, engine, w), []).append(r)
                    print(f"round {i + 1}, {name}, {m} message(s), {engine}, {w} worker(s): wall {r['wall_s']:.2f} s, "
                          f"CPU {r['cpu_s']:.2f} s ({r['stored']} stored); load {os.getloadavg()[0]:.1f}", flush=True)
    summary: dict[str, object] = {"runs": args.runs, "cores": os.cpu_count(), "bytecode_cache": args.bytecode,
                                  "load_average": round(os.getloadavg()[0], 1)}
    print()
    print(f"{'case':38s} " + " ".join(f"{name + ' wall':>22s} {name + ' CPU':>22s}" for name in pythons))
    for m, engine, w in cases:
        row = f"{m} msg, {engine}, {w} worker(s)"
        cells = []
        for name in pythons:
            rs = runs[name, m, engine, w]
            walls, cpus = [r["wall_s"] for r in rs], [r["cpu_s"] for r in rs]
            cells.append(f"{statistics.median(walls):7.2f} ({min(walls):.2f}–{max(walls):.2f}) "
                         f"{statistics.median(cpus):7.2f} ({min(cpus):.2f}–{max(cpus):.2f})")
            key = "this" if name == "this" else f"against {args.against}"
            part = summary.setdefault(key, {})
            assert isinstance(part, dict)
            part[row] = {"median_wall_s": round(statistics.median(walls), 3),
                         "median_cpu_s": round(statistics.median(cpus), 3),
                         "wall_range": [round(min(walls), 3), round(max(walls), 3)],
                         "cpu_range": [round(min(cpus), 3), round(max(cpus), 3)]}
        print(f"{row:38s} " + " ".join(f"{c:>45s}" for c in cells))
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
