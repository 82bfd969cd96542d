"""Enrichment throughput of two checkouts of Sadap, A/B, on short Thai posts: for when the
machine is shared and wall-clock figures drift with the load (CPU time barely does).

    git archive <base-ref> | tar -x -C /tmp/sadap-base
    python benchmarks/enrich_ab.py /tmp/sadap-base . [--pairs 3] [--messages 500] [--engine ensemble-v4]

Each checkout is measured in its own process (its own ``enrich`` on ``sys.path``), A then B,
``--pairs`` times; each process enriches the first ``--messages`` messages of the Wisesight
test split in batches of 100, five times, and reports the median messages per CPU second and
per wall second. One JSON line per process, then the medians per checkout.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "test.jsonl"


def measure(root: str, engine: str, messages: int, data: str) -> dict[str, object]:
    sys.path.insert(0, root)
    from enrich.entities import Entity
    from enrich.pipeline import Enricher
    from enrich.sentiment import warm
    from sadap.core.mention import RawMention, to_mention

    with open(data, encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line, _ in zip(fh, range(messages))]
    mentions = [to_mention(RawMention(source_kind="file", source_name="bench", native_id=str(i), text=t),
                           pseudonym_key=b"k") for i, t in enumerate(texts)]
    warm(engine)
    enricher = Enricher([Entity("Honda", ("ฮอนด้า",)), Entity("Toyota", ("โตโยต้า",))], sentiment_model=engine)
    enricher.enrich(mentions[:50])
    cpu, wall = [], []
    for _ in range(5):
        c, w = time.process_time(), time.perf_counter()
        for i in range(0, len(mentions), 100):
            enricher.enrich(mentions[i:i + 100])
        cpu.append(len(mentions) / (time.process_time() - c))
        wall.append(len(mentions) / (time.perf_counter() - w))
    return {"checkout": root, "engine": engine, "per_cpu_s": round(statistics.median(cpu), 1),
            "per_wall_s": round(statistics.median(wall), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--engine", default="ensemble-v4")
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--one", help=argparse.SUPPRESS)  # measure this checkout, in this process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.engine, args.messages, args.data)))
        return
    results: dict[str, list[dict[str, float]]] = {args.a: [], args.b: []}
    for _ in range(args.pairs):
        for root in (args.a, args.b):
            done = subprocess.run([sys.executable, __file__, args.a, args.b, "--one", str(Path(root).resolve()),
                                   "--engine", args.engine, "--messages", str(args.messages), "--data", args.data],
                                  capture_output=True, text=True, check=True, cwd="/")
            line = json.loads(done.stdout.strip().splitlines()[-1])
            print(json.dumps(line))
            results[root].append(line)
    for root, lines in results.items():
        print(json.dumps({"checkout": root, "per_cpu_s_median": statistics.median(x["per_cpu_s"] for x in lines),
                          "per_wall_s_median": statistics.median(x["per_wall_s"] for x in lines)}))


if __name__ == "__main__":
    main()
