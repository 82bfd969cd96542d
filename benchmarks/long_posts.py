"""Long posts in the first person (#18, "News and long texts"): what ``enrich.news.first_person_min``
changes on real data. A long text from a source that is not news is read as news unless it has at
least that many first-person words; then it is read as a post (sentiment engine, expectation,
complaints). Prints, for ``first_person_min`` 0 (every long text is news) and the setting given:

* **Wisesight long posts** (every split, at least ``long_text_chars`` characters, source kind
  ``file`` as ``sadap ingest`` gives): how many are read as posts, and the sentiment accuracy
  against Wisesight's labels, with the complaints flagged.
* **Thai government news reposted** (``../shared/data/thaigov-news-sample``, articles of at least
  ``long_text_chars`` characters, read as if a Facebook page had posted them): how many are taken
  for someone's own story (a false reading: they are news), and how many of those get a complaint.

    python benchmarks/long_posts.py [--first-person-min 3] [--engine ensemble-v4] [--news 2000]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first-person-min", type=int, default=3)
    parser.add_argument("--engine", default="ensemble-v4")
    parser.add_argument("--news", type=int, default=2000, help="how many long government articles to read")
    args = parser.parse_args()

    from enrich.news import NewsSettings
    from enrich.pipeline import Enricher
    from sadap.core.mention import RawMention, to_mention

    limit = NewsSettings().long_text_chars
    posts = [json.loads(line) for split in ("train", "valid", "test")
             for line in (SHARED / "wisesight-sentiment" / f"{split}.jsonl").read_text(encoding="utf-8").split("\n") if line.strip()]
    posts = [p for p in posts if len(p["text"]) >= limit]
    news = [json.loads(line) for line in
            (SHARED / "thaigov-news-sample" / "thaigov-news-sample.jsonl").read_text(encoding="utf-8").split("\n") if line.strip()]
    news = [n for n in news if len(n.get("text") or "") >= limit][: args.news]

    def mentions(rows: list[dict], kind: str) -> list:
        return [to_mention(RawMention(source_kind=kind, source_name="bench", native_id=str(i), text=r["text"],
                                      title=r.get("title")), pseudonym_key=b"k") for i, r in enumerate(rows)]

    out: dict[str, object] = {"long_text_chars": limit, "wisesight_long_posts": len(posts),
                              "thaigov_long_articles": len(news)}
    for least in (0, args.first_person_min):
        enricher = Enricher(sentiment_model=args.engine, news=NewsSettings(first_person_min=least))
        got = enricher.enrich(mentions(posts, "file"))
        as_posts = [m.news_topic is None for m in got]
        right = sum(m.sentiment.label == p["label"] for m, p in zip(got, posts))
        out[f"min_{least}"] = {
            "wisesight_read_as_posts": sum(as_posts),
            "wisesight_sentiment_accuracy": round(right / len(posts), 3),
            "wisesight_labels": dict(collections.Counter(m.sentiment.label for m in got)),
            "wisesight_complaints": sum(m.complaint.is_complaint for m in got),
        }
        got = enricher.enrich(mentions(news, "facebook_page"))
        own = [m for m in got if m.news_topic is None]
        out[f"min_{least}"]["thaigov_taken_for_own_story"] = len(own)  # type: ignore[index]
        out[f"min_{least}"]["thaigov_complaints"] = sum(m.complaint.is_complaint for m in got)  # type: ignore[index]
    out["gold_sentiment_of_wisesight_long"] = dict(collections.Counter(p["label"] for p in posts))
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
