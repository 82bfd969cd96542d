"""Cost of language detection per message, now and at an earlier revision.

    python benchmarks/language.py [--before 704b351] [--messages 20000]

Wisesight train messages (normalised as the pipeline does), and the Latin-script ones among
them repeated to a measurable amount; microseconds per message, best of 7 passes (the least
disturbed by a shared machine). ``--before`` names the revision whose ``enrich/language.py`` is
the baseline (704b351: before Latin-script languages were told apart).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _revision import module_at  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "train.jsonl"


def per_message_us(detect, texts: list[str], passes: int = 7) -> float:
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        for text in texts:
            detect(text)
        best = min(best, time.perf_counter() - start)
    return round(best * 1e6 / len(texts), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="704b351", help="git revision of the baseline")
    parser.add_argument("--messages", type=int, default=20000)
    args = parser.parse_args()

    from enrich.language import detect_language
    from enrich.normalize import normalize

    old = module_at(args.before, "enrich/language.py", "language_before").detect_language
    with DATA.open(encoding="utf-8") as fh:
        texts = [normalize(json.loads(line)["text"]) for _, line in zip(range(args.messages), fh)]
    latin = [t for t in texts if detect_language(t) not in ("th", "mixed", "und")]
    result = {"before": args.before}
    for name, lines in ((f"wisesight_{len(texts)}", texts), (f"latin_script_{len(latin)}", latin * 20)):
        result[name] = {"before_us": per_message_us(old, lines), "now_us": per_message_us(detect_language, lines)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
