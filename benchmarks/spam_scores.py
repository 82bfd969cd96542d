"""Spam scores on real texts, now and at an earlier revision: how many of the first N Thai
government news articles (``../shared/data/thaigov-news-sample``) and of the Wisesight test
messages score 0.3 and 0.5 or more, their median, and how many scores differ from the revision.

    python benchmarks/spam_scores.py [--before REV] [--news 1500]

``--before`` runs ``enrich/spam.py`` as it was at REV (e.g. a commit before a change) on the same
normalised texts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "benchmarks"))
SHARED = ROOT.parent / "shared" / "data"

from _revision import module_at  # noqa: E402


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=None, help="git revision to compare with")
    parser.add_argument("--news", type=int, default=1500, help="how many government articles to score")
    args = parser.parse_args()

    from enrich import spam
    from enrich.normalize import normalize

    sets = {
        "thaigov": [normalize(r["text"]) for r in lines(SHARED / "thaigov-news-sample" / "thaigov-news-sample.jsonl")[: args.news]],
        "wisesight_test": [normalize(r["text"]) for r in lines(SHARED / "wisesight-sentiment" / "test.jsonl")],
    }
    modules = {"now": spam}
    if args.before:
        modules[args.before] = module_at(args.before, "enrich/spam.py", "spam_before")
    out: dict[str, object] = {}
    for name, texts in sets.items():
        scores = {label: [m.spam_score(t) for t in texts] for label, m in modules.items()}
        row: dict[str, object] = {"texts": len(texts)}
        for label, got in scores.items():
            row[label] = {"at_least_0.3": sum(s >= 0.3 for s in got), "at_least_0.5": sum(s >= 0.5 for s in got),
                          "median": statistics.median(got)}
        if args.before:
            row["changed"] = sum(a != b for a, b in zip(scores["now"], scores[args.before]))
        out[name] = row
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
