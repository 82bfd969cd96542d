"""The importing process's CPU per mention when workers enrich (`sadap ingest --workers N`):
everything that process does for a mention but start-up and the enrichment itself — reading the
file, ids and pseudonyms, the duplicate checks, handing each batch to a worker and taking it
back (pickled both ways, as multiprocessing does), duplicate links, the SQLite writer and
complaint cases. CPU time of the process, the simulated worker's share left out.

    python benchmarks/writer.py [--messages 8000] [--runs 3] [--against /work/main] [--profile]
                                [--data ../shared/data/wisesight-sentiment/train.jsonl] [--register N]

Each run is a fresh process of the checkout's own ``.venv`` importing the first N train messages
through ``sadap.app.importer.import_file`` (batches of 500, clock and pseudonym key pinned) into a
fresh SQLite store. The enrichment is not run there: each batch's enriched mentions come from a
cache made once by this checkout (``/tmp/sadap-bench-writer-N.pkl``, the same labels every
checkout that stores the same rows gives them), handed over as a worker would hand them back.
``--against`` runs another checkout in the same rounds, taking turns; ``--profile`` prints the
parent's top functions (cProfile, this checkout, one run). ``--register N``: the data folder
holds a PDPA erasure register of N erased mention ids and N erased authors (none of the sample's),
which the ingest checks each mention against.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from _revision import child_result, interpreters

# This folder's enrich.py (a benchmark) would hide the enrich package: leave it off the path.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "train.jsonl"
CLOCK = datetime(2026, 1, 15, 3, 0, tzinfo=timezone.utc)
KEY = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"


def _pipeline(folder: Path):  # type: ignore[no-untyped-def]
    from sadap.app.config import load_config_file
    from sadap.app.ingest import IngestPipeline

    (folder / "sadap.yaml").write_text("data_dir: .\n", encoding="utf-8")
    (folder / "pseudonym.key").write_bytes(KEY)
    config = load_config_file(folder / "sadap.yaml")
    return config, IngestPipeline(config, workers=1, clock=lambda: CLOCK)


def make_cache(data: Path, cache: Path) -> None:
    """Enrich the sample once (this checkout) and keep the enriched mentions by id."""
    from sadap.app.fileimport import read_file
    from sadap.core.mention import to_mention

    with tempfile.TemporaryDirectory() as tmp:
        config, pipeline = _pipeline(Path(tmp))
        raws = [r for _, r in read_file(data) if not hasattr(r, "error")]
        mentions = [to_mention(r, pseudonym_key=pipeline.key, collected_at=CLOCK) for r in raws]  # type: ignore[arg-type]
        enriched = {}
        for i in range(0, len(mentions), 500):
            for m in pipeline.enricher.enrich(mentions[i : i + 500]):
                enriched[m.id] = pickle.dumps(m)
        pipeline.close()
    cache.write_bytes(pickle.dumps(enriched))


def measure(data: Path, cache: Path, profile: bool, register: int = 0) -> dict[str, object]:
    """One import of ``data`` in this process, enrichment from ``cache``; CPU seconds of the parent's part."""
    from multiprocessing.reduction import ForkingPickler

    import sadap.app.ingest as ingest_module
    from enrich.parallel import settle
    from sadap.app.importer import import_file

    enriched = pickle.loads(cache.read_bytes())
    worker = [0.0]

    def enrich(mentions: list) -> list:  # type: ignore[type-arg]
        task = bytes(ForkingPickler.dumps(mentions))  # the parent hands the batch over
        started = time.process_time()  # the worker's side: not the parent's CPU
        got = pickle.loads(task)
        answer = bytes(ForkingPickler.dumps([pickle.loads(enriched[m.id]) for m in got]))
        worker[0] += time.process_time() - started
        return pickle.loads(answer)  # the parent takes it back

    with tempfile.TemporaryDirectory() as tmp:
        config, pipeline = _pipeline(Path(tmp))
        if register:
            from sadap.app import erasure_register

            erasure_register.record(config.data_path, ids=[f"erased-{i:024x}" for i in range(register)],
                                    authors=[f"a_{i:016x}" for i in range(register)])
        settle(pipeline.enricher, models=False)  # as the parent does before forking (start-up, not timed)
        ingest_module.settle = lambda *a, **k: None  # type: ignore[attr-defined,assignment]
        pipeline.enricher.enrich = enrich  # type: ignore[method-assign]
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.process_time()
        report = import_file(config, data, pipeline=pipeline)
        pipeline.close()
        cpu = time.process_time() - started - worker[0]
        if profiler is not None:
            import pstats

            profiler.disable()
            stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime")
            stats.print_stats(30)
            stats.print_callers("execute")
    return {"read": report["read"], "stored": report["stored"], "cpu_s": cpu,
            "ms_per_mention": 1000 * cpu / report["read"], "store_module": ingest_module.__file__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=8000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--against", type=Path, help="another checkout (with its .venv) to run in the same rounds")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--register", type=int, default=0, help="erased ids and authors in the erasure register")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child[0]), Path(args.child[1]), args.profile, args.register)))
        return
    sample = Path(tempfile.gettempdir()) / f"sadap-bench-writer-{args.messages}.jsonl"
    cache = Path(tempfile.gettempdir()) / f"sadap-bench-writer-{args.messages}.pkl"
    with args.data.open(encoding="utf-8") as src:
        sample.write_text("".join(line for _, line in zip(range(args.messages), src)), encoding="utf-8")
    if not cache.exists():
        make_cache(sample, cache)
    script = str(Path(__file__).resolve())
    runs: dict[str, list[float]] = {}
    for i in range(args.runs):
        for name, python in interpreters(args.against).items():
            extra = ["--profile"] if args.profile and name == "this" and i == 0 else []
            extra += ["--register", str(args.register)] if args.register else []
            r = child_result(python, script, "--child", str(sample), str(cache), *extra)
            runs.setdefault(name, []).append(r["ms_per_mention"])  # type: ignore[arg-type]
            print(f"round {i + 1}, {name}: {r['read']} read, {r['stored']} stored, importing process "
                  f"{r['ms_per_mention']:.3f} ms CPU a mention (enrichment excluded); load {os.getloadavg()[0]:.1f}", flush=True)
    print(json.dumps({"messages": args.messages, "runs": args.runs, **{
        name: {"median_ms_per_mention": round(statistics.median(v), 3), "all": [round(x, 3) for x in v]}
        for name, v in runs.items()}}))


if __name__ == "__main__":
    main()
