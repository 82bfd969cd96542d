"""What reading articles as news costs: enrichment throughput on real Thai news articles read as
news (source kind ``article``) and, for comparison, the same texts read as posts (news reading
off: the sentiment engine and the voice-of-customer rules, as before). Prints medians.

    python benchmarks/news.py [--runs 3] [--engine ensemble-v4] [--articles 240]

The articles are the 240 of ``tests/data/news_eval`` (headline plus up to 1,200 characters of
Thai government news each, about 1,100 characters on average).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = [ROOT / "tests" / "data" / "news_eval" / f"news-{s}.jsonl" for s in ("tune", "test")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engine", default="ensemble-v4", help="sentiment engine for the posts reading")
    parser.add_argument("--articles", type=int, default=240)
    args = parser.parse_args()

    from enrich.entities import Entity
    from enrich.news import NewsSettings
    from enrich.pipeline import Enricher
    from enrich.sentiment import warm
    from sadap.core.mention import RawMention, to_mention

    rows = [json.loads(line) for path in DATA for line in path.read_text(encoding="utf-8").splitlines()][: args.articles]
    chars = statistics.mean(len(r["title"]) + len(r["text"]) for r in rows)
    warm(args.engine)
    entities = [Entity("กระทรวงสาธารณสุข", ("สธ.",)), Entity("ธนาคารออมสิน", ("ออมสิน",))]
    out: dict[str, object] = {"articles": len(rows), "mean_chars": round(chars), "engine": args.engine}
    for name, kind, news in (("as_news", "article", NewsSettings()), ("as_posts", "file", NewsSettings(enabled=False))):
        mentions = [to_mention(RawMention(source_kind=kind, source_name="bench", native_id=str(i), text=r["text"],
                                          title=r["title"]), pseudonym_key=b"k") for i, r in enumerate(rows)]
        enricher = Enricher(entities, sentiment_model=args.engine, news=news)
        enricher.enrich(mentions[:20])  # warm caches
        speeds = []
        for _ in range(args.runs):
            t = time.perf_counter()
            for i in range(0, len(mentions), 100):
                enricher.enrich(mentions[i : i + 100])
            speeds.append(len(mentions) / (time.perf_counter() - t))
        out[f"{name}_per_s_median"] = round(statistics.median(speeds), 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
