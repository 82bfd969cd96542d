"""CPU cost of the voice-of-customer rules (``Lexicons.analyze``) of two checkouts, A/B: for a change
to ``enrich/voc.py`` or the lexicons, whose cost is too small to see in whole-enrichment figures.

    python benchmarks/voc_rules_ab.py /tmp/sadap-base . [--rounds 3] [--passes 5]

The Wisesight test messages are normalised and tokenised once (by checkout A); each checkout then
runs its rules on every message under each sentiment label (pos, neu, neg, q: every path of the
rules), in its own process, ``--passes`` times, and reports the median CPU microseconds per call.
A then B, ``--rounds`` times; one JSON line per process, then the medians per checkout.
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "test.jsonl"
LABELS = ("pos", "neu", "neg", "q")


def prepare(root: str, data: str, out: str) -> None:
    sys.path.insert(0, root)
    from enrich.normalize import normalize
    from enrich.tokenize import tokenize

    with open(data, encoding="utf-8") as fh:
        texts = [normalize(json.loads(line)["text"]) for line in fh]
    with open(out, "wb") as fh:
        pickle.dump([(tokenize(t), t) for t in texts], fh)


def measure(root: str, items_path: str, passes: int) -> dict[str, object]:
    sys.path.insert(0, root)
    from enrich.voc import Lexicons

    with open(items_path, "rb") as fh:
        items = pickle.load(fh)
    lexicons = Lexicons.build()
    times = []
    for _ in range(passes):
        start = time.process_time()
        for tokens, text in items:
            for label in LABELS:
                lexicons.analyze(tokens, text, label)
        times.append((time.process_time() - start) / (len(LABELS) * len(items)) * 1e6)
    return {"checkout": root, "analyze_us": round(statistics.median(times), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--one", help=argparse.SUPPRESS)  # measure this checkout, in this process
    parser.add_argument("--items", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.items, args.passes)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        items = str(Path(tmp) / "items.pickle")
        prepare(str(Path(args.a).resolve()), args.data, items)
        results: dict[str, list[float]] = {args.a: [], args.b: []}
        for _ in range(args.rounds):
            for root in (args.a, args.b):
                done = subprocess.run([sys.executable, __file__, args.a, args.b, "--one", str(Path(root).resolve()),
                                       "--items", items, "--passes", str(args.passes)],
                                      capture_output=True, text=True, check=True, cwd="/")
                line = json.loads(done.stdout.strip().splitlines()[-1])
                print(json.dumps(line))
                results[root].append(float(line["analyze_us"]))
    for root, values in results.items():
        print(json.dumps({"checkout": root, "analyze_us_median": statistics.median(values)}))


if __name__ == "__main__":
    main()
