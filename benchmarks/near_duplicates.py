"""The near-duplicate index's cost as the week's horizon fills: CPU microseconds a lookup
(``SimHashIndex.find``) and an insertion (``add``) with N hashes held, for two checkouts, A/B.

    python benchmarks/near_duplicates.py BASE . [--sizes 20000 100000 300000 1000000] [--rounds 2]
    python benchmarks/near_duplicates.py BASE . --store /path/to/sadap.db   # a store's own hashes

The ingest's single writer holds the SimHashIndex of the last 7 days' mentions
(``NEAR_DUPLICATE_HORIZON``) and looks up each new mention in it. The hashes are the SimHashes
of the real Wisesight messages (train, valid and test); past their number (about 13,000) each
further hash is a real one with 0–8 random bits flipped (a retold post), seeded, so both
checkouts see the same hashes. ``--store`` reads a SQLite store's hashes instead. The 2,000
lookups are other real hashes with 1 bit flipped, looked up twice: ``first_find_us`` is the
first pass, which also pays once for moving the hashes added in bulk (the horizon an ingest loads
at start) into arrays; ``find_us`` the second, as an ingest goes (look a mention up, then add it),
the add included. Each checkout runs in its own process, A then
B, ``--rounds`` times; one JSON line per process, then the medians per checkout and size.
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment"
PROBES = 2000


def real_hashes(root: str) -> list[int]:
    sys.path.insert(0, root)
    from enrich.dedup import simhash
    from enrich.normalize import normalize

    out: list[int] = []
    for split in ("train", "valid", "test"):
        with (DATA / f"{split}.jsonl").open(encoding="utf-8") as fh:
            out.extend(h for line in fh if (h := simhash(normalize(json.loads(line)["text"]))) is not None)
    return out


def store_hashes(path: Path) -> list[int]:
    import sqlite3

    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = db.execute("SELECT simhash FROM mentions WHERE simhash IS NOT NULL ORDER BY collected_at, id")
    return [s + (1 << 64) if s < 0 else s for (s,) in rows]


def prepare(root: str, store: Path | None, largest: int) -> tuple[list[int], list[int]]:
    rng = random.Random(19)
    base = store_hashes(store) if store else real_hashes(root)
    rng.shuffle(base)
    probes = [h ^ (1 << rng.randrange(64)) for h in base[:PROBES]]
    held = base[PROBES:]
    while len(held) < largest:
        value = rng.choice(base)
        for _ in range(rng.randrange(0, 9)):
            value ^= 1 << rng.randrange(64)
        held.append(value)
    return held[:largest], probes


def measure(root: str, items_path: str, sizes: list[int]) -> dict[str, object]:
    sys.path.insert(0, root)
    from enrich.dedup import SimHashIndex

    with open(items_path, "rb") as fh:
        held, probes = pickle.load(fh)
    out: dict[str, object] = {"checkout": root}
    for size in sizes:
        index = SimHashIndex(6)
        start = time.process_time()
        for n, value in enumerate(held[:size]):
            index.add(value, f"m{n}")
        added = time.process_time() - start
        start = time.process_time()  # the first pass also moves what was added into arrays, once
        found = sum(index.find(p) is not None for p in probes)
        first = time.process_time() - start
        start = time.process_time()
        for n, p in enumerate(probes):  # as an ingest goes: look a mention up, then add it
            index.find(p)
            index.add(p, f"p{n}")
        steady = time.process_time() - start
        out[str(size)] = {"find_us": round(steady / len(probes) * 1e6, 1),
                          "first_find_us": round(first / len(probes) * 1e6, 1),
                          "add_us": round(added / size * 1e6, 2), "found": found}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000, 300_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--store", type=Path, help="a SQLite store whose mentions' SimHashes to hold")
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], args.measure[1], args.sizes)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        items = Path(tmp) / "hashes.pickle"
        with items.open("wb") as fh:
            pickle.dump(prepare(str(Path(args.a).resolve()), args.store, max(args.sizes)), fh)
        results: dict[str, list[dict[str, object]]] = {args.a: [], args.b: []}
        for _ in range(args.rounds):
            for checkout in (args.a, args.b):
                root = str(Path(checkout).resolve())
                done = subprocess.run(
                    [sys.executable, __file__, args.a, args.b, "--sizes", *map(str, args.sizes),
                     "--measure", root, str(items)],
                    capture_output=True, text=True, check=True)
                line = json.loads(done.stdout)
                print(json.dumps(line), flush=True)
                results[checkout].append(line)
    for checkout, lines in results.items():
        summary = {str(size): {key: statistics.median(line[str(size)][key] for line in lines)  # type: ignore[index]
                               for key in ("find_us", "first_find_us", "add_us", "found")} for size in args.sizes}
        print(json.dumps({"median": checkout, **summary}))


if __name__ == "__main__":
    main()
