"""Throughput of the enrichment stage alone (normalise, mask, tokenise, language, hashtags,
keywords, entities, fingerprints, sentiment, expectation/category/complaint) on real Thai
messages, in batches and one message at a time; plus import time, model load time and
peak memory. Prints medians of several runs.

    python benchmarks/enrich.py [--messages N] [--runs 3] [--engines ensemble-v4 linear-v3]

The messages are the Wisesight *test* split (2,671), which no shipped model was fitted on: on
messages a model has seen (the train split) the default's cascade finds ``linear-v3`` sure more
often and skips the transformer more, which flatters the default's speed by about 10 %.

Each engine is measured in its own process (load time, peak memory); one JSON line each.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "test.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=0, help="how many messages of --data (default all)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--engines", nargs="+", default=["ensemble-v4", "linear-v3"],
                        help="sentiment engines to measure (default: the shipped default and the fast one)")
    parser.add_argument("--engine", help=argparse.SUPPRESS)  # one engine, in this process
    args = parser.parse_args()
    if args.engine is None:
        for engine in args.engines:
            subprocess.run([sys.executable, __file__, "--engine", engine, "--messages", str(args.messages),
                            "--runs", str(args.runs), "--data", str(args.data)], check=True)
        return

    import_s = float(subprocess.run(
        [sys.executable, "-c", "import time; t=time.perf_counter(); import enrich.pipeline; print(time.perf_counter()-t)"],
        capture_output=True, text=True, cwd=ROOT, check=True).stdout)

    from enrich.entities import Entity
    from enrich.pipeline import Enricher
    from enrich.sentiment import warm
    from sadap.core.mention import RawMention, to_mention

    t = time.perf_counter()
    warm(args.engine)
    load_s = time.perf_counter() - t
    texts = []
    with args.data.open(encoding="utf-8") as fh:
        for line in fh:
            texts.append(json.loads(line)["text"])
            if args.messages and len(texts) == args.messages:
                break
    mentions = [to_mention(RawMention(source_kind="file", source_name="bench", native_id=str(i), text=x), pseudonym_key=b"k")
                for i, x in enumerate(texts)]
    enricher = Enricher([Entity("Honda", ("ฮอนด้า",)), Entity("Toyota", ("โตโยต้า",))], sentiment_model=args.engine)
    enricher.enrich(mentions[:50])  # warm caches (dictionary trie, lexicons)
    batch, single = [], []
    for _ in range(args.runs):
        t = time.perf_counter()
        for i in range(0, len(mentions), 100):
            enricher.enrich(mentions[i : i + 100])
        batch.append(len(mentions) / (time.perf_counter() - t))
        t = time.perf_counter()
        for m in mentions[:1000]:
            enricher.enrich([m])
        single.append(1000 / (time.perf_counter() - t))
    peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # before the extra pass below
    share = _expensive_share(args.engine, [m.text for m in mentions])
    print(json.dumps({
        "engine": args.engine,
        "messages": len(mentions),
        "batch_of_100_per_s_median": round(statistics.median(batch)),
        "single_per_s_median": round(statistics.median(single)),
        "import_enrich_s": round(import_s, 3),
        "sentiment_model_load_s": round(load_s, 3),
        "peak_rss_mb": peak_rss_mb,
        **({} if share is None else {"share_past_the_gate": round(share, 3)}),
    }))


def _expensive_share(engine: str, texts: list[str]) -> float | None:
    """For a cascade, the share of messages its first member is not sure of (those the
    expensive members score); None for other engines."""
    from enrich.normalize import normalize
    from enrich.sentiment import get_model
    from enrich.sentiment.ensemble import sure
    from enrich.tokenize import tokenize

    model = get_model(engine)
    if getattr(model, "gate", None) is None:
        return None
    bodies = [normalize(t) for t in texts]
    first, _ = model.resolve(model.members[0][0]).proba(bodies, [tokenize(b) for b in bodies])
    return float((~sure(first, model.gate)).mean())


if __name__ == "__main__":
    main()
