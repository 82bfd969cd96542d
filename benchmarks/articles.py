"""Per-field accuracy of the news-page reader on the saved Thai news pages.

    .venv/bin/python benchmarks/articles.py [--pages DIR] [--json] [--show]

Reads every page named in ``DIR/truth.json`` (default ``tests/data/site/thainews``) with
:func:`crawlers.newspage.read_news_page` and counts, over the article pages:

- headline: exactly the expected headline;
- time: the expected publication time, to the minute;
- body: holds every ``body_has`` sentence and none of the ``body_not`` strings;
- author: exactly the expected author (``null`` expected: none found);

and, over index pages, how many were recognised as index pages (no mention).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawlers.newspage import read_news_page  # noqa: E402

FIELDS = ("headline", "time", "body", "author")


def check(pages: Path) -> tuple[dict[str, list[bool]], list[bool], list[dict]]:
    truth = json.loads((pages / "truth.json").read_text("utf-8"))
    scores: dict[str, list[bool]] = {f: [] for f in FIELDS}
    index_ok: list[bool] = []
    rows = []
    for name, want in truth.items():
        if name.startswith("_"):
            continue
        html = (pages / name).read_text("utf-8")
        page = read_news_page(html, f"https://example.test/{name}")
        if want["kind"] == "index":
            index_ok.append(page.kind == "index")
            rows.append({"page": name, "kind": page.kind, "ok": page.kind == "index"})
            continue
        expected_time = datetime.fromisoformat(want["published"])
        got_time = page.published.replace(second=0, microsecond=0) if page.published else None
        result = {
            "headline": page.title == want["title"],
            "time": got_time == expected_time,
            "body": page.kind == "article"
            and all(s in page.text for s in want["body_has"])
            and not any(s in page.text for s in want["body_not"]),
            "author": page.author == want["author"],
        }
        for key, ok in result.items():
            scores[key].append(ok)
        rows.append({
            "page": name, "kind": page.kind, **result,
            "got": {"title": page.title, "published": page.published.isoformat() if page.published else None,
                    "author": page.author, "sources": page.sources},
        })
    return scores, index_ok, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=ROOT / "tests" / "data" / "site" / "thainews")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--show", action="store_true", help="Also print what was read from each page.")
    args = parser.parse_args()
    scores, index_ok, rows = check(args.pages)
    figures = {f: f"{sum(v)}/{len(v)}" for f, v in scores.items()}
    figures["index pages skipped"] = f"{sum(index_ok)}/{len(index_ok)}"
    if args.json:
        print(json.dumps({"figures": figures, "pages": rows}, ensure_ascii=False, indent=2))
        return 0
    if args.show:
        for row in rows:
            flags = " ".join(f"{f}={'ok' if row.get(f) else 'WRONG'}" for f in FIELDS if f in row)
            print(f"{row['page']}: {row['kind']} {flags}")
            if "got" in row:
                print(f"    {row['got']}")
    for name, value in figures.items():
        print(f"{name:22} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
