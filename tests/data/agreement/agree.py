"""Agreement between the two readings of the development data, and the adjudicated gold.

    .venv/bin/python tests/data/agreement/agree.py            # agreement figures
    .venv/bin/python tests/data/agreement/agree.py --check    # gold files == first reading + adjudication

Cohen's kappa per field, and the F1 of one reading's complaints against the other's (the
ceiling a classifier can be held to on these labels). Sentiment is compared on the PR posts
only: the dev set's sentiment is the corpus label, not a reading.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent
GOLD = {
    "enrich-dev": DATA / "enrich_dev" / "enrich-dev.jsonl",
    "pr-posts-tune": DATA / "pr_posts" / "pr-posts-tune.jsonl",
    "pr-posts-dev": DATA / "pr_posts" / "pr-posts-dev.jsonl",
}
FIELDS = ("sentiment", "expectation", "category", "is_complaint", "complaint_type")


def read(path: Path) -> dict[str, dict]:
    return {r["k"]: r for r in (json.loads(line) for line in path.open(encoding="utf-8"))}


def gold() -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name, path in GOLD.items():
        for line in path.open(encoding="utf-8"):
            row = json.loads(line)
            out[f"{name}:{row['line']}"] = row
    return out


def adjudicated_gold() -> dict[str, dict]:
    """The first reading with every adjudicated field applied: what the gold files must hold."""
    first = read(HERE / "first-reading.jsonl")
    for k, row in read(HERE / "adjudicated.jsonl").items():
        first[k] = {**first[k], **row["final"]}
    return first


def kappa(pairs: list[tuple[object, object]]) -> tuple[float, float]:
    n = len(pairs)
    po = sum(a == b for a, b in pairs) / n
    ca, cb = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    pe = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return po, (po - pe) / (1 - pe)


def f1(pairs: list[tuple[object, object]], positive: object) -> float:
    tp = sum(a == positive and b == positive for a, b in pairs)
    wrong = sum((a == positive) != (b == positive) for a, b in pairs)
    return 2 * tp / (2 * tp + wrong)


def report() -> None:
    first, second = read(HERE / "first-reading.jsonl"), read(HERE / "second-reading.jsonl")
    for subset in ("all", *GOLD):
        keys = [k for k in first if subset == "all" or k.startswith(subset + ":")]
        print(f"{subset}: n={len(keys)}")
        for field in FIELDS[:4]:
            ks = [k for k in keys if field != "sentiment" or not k.startswith("enrich-dev:")]
            if not ks:
                continue
            pairs = [(first[k][field], second[k][field]) for k in ks]
            po, kp = kappa(pairs)
            extra = f" · F1 of complaints {f1(pairs, True):.3f}" if field == "is_complaint" else ""
            print(f"  {field:12s} n={len(ks):3d} · agreement {po:.3f} · kappa {kp:.3f}{extra}")
        both = [k for k in keys if first[k]["is_complaint"] and second[k]["is_complaint"]]
        if both:
            same = sum(first[k]["complaint_type"] == second[k]["complaint_type"] for k in both)
            print(f"  complaint_type on the {len(both)} rows both call a complaint: agreement {same / len(both):.3f}")


def check() -> int:
    want, have = adjudicated_gold(), gold()
    bad = [k for k in want if any(want[k][f] != have[k][f] for f in FIELDS)]
    for k in bad[:10]:
        print(f"{k}: gold file differs from first reading + adjudication", file=sys.stderr)
    return 1 if bad or set(want) != set(have) else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    if parser.parse_args().check:
        sys.exit(check())
    report()
