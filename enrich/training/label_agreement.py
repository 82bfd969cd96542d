"""How often Wisesight's annotators gave the same text the same sentiment label.

    python -m enrich.training.label_agreement [--data-dir ../shared/data/wisesight-sentiment] [--json]

Some texts occur more than once in the pooled train + valid splits (after
:func:`enrich.normalize.normalize`), each time labelled independently. For those groups it
reports the pairwise agreement (of all pairs of labels given to one text, the share that are
equal) and which labels the disagreeing pairs mix up. It also checks the test split's
texts that occur in train + valid: how often the test label is the majority label of their
copies there.

This is context for the sentiment figures, not a ceiling. The repeated texts are mostly very
short (``อยาก``, ``เท่าไหร่``), which are the hardest to label. No model is read.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import combinations
from pathlib import Path
from typing import Any

from enrich.normalize import normalize

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment"


def _rows(path: Path) -> Iterable[tuple[str, str]]:
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                yield str(row["text"]), str(row["label"])
            except (ValueError, KeyError, TypeError):
                raise ValueError(f"{path}:{n}: expected a JSON object with \"text\" and \"label\"") from None


def agreement(data_dir: Path) -> dict[str, Any]:
    """The figures described in the module docstring, as a dict."""

    labels: dict[str, list[str]] = defaultdict(list)
    for split in ("train", "valid"):
        for text, label in _rows(data_dir / f"{split}.jsonl"):
            labels[normalize(text).strip()].append(label)
    groups = [ls for ls in labels.values() if len(ls) > 1]
    pairs = [tuple(sorted(p)) for ls in groups for p in combinations(ls, 2)]
    agreeing = sum(a == b for a, b in pairs)
    mixed = Counter(f"{a}/{b}" for a, b in pairs if a != b)

    test_total = test_agree = 0
    test_path = data_dir / "test.jsonl"
    if test_path.is_file():
        for text, label in _rows(test_path):
            seen = labels.get(normalize(text).strip())
            if seen:
                test_total += 1
                test_agree += Counter(seen).most_common(1)[0][0] == label
    return {
        "repeated_texts": len(groups),
        "messages": sum(len(ls) for ls in groups),
        "label_pairs": len(pairs),
        "pairwise_agreement": round(agreeing / len(pairs), 4) if pairs else None,
        "disagreements": dict(mixed.most_common()),
        "test_texts_also_in_train_valid": test_total,
        "test_label_is_their_majority": test_agree,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    missing = [str(args.data_dir / f"{s}.jsonl") for s in ("train", "valid") if not (args.data_dir / f"{s}.jsonl").is_file()]
    if missing:
        parser.error(f"--data-dir {args.data_dir}: missing {', '.join(missing)} (Wisesight-style JSON lines)")
    try:
        figures = agreement(args.data_dir)
    except ValueError as err:
        parser.error(str(err))
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=1))
        return 0
    share = figures["pairwise_agreement"]
    print(f"{figures['repeated_texts']:,} texts occur more than once in train + valid "
          f"({figures['messages']:,} messages, {figures['label_pairs']:,} pairs of labels)")
    print(f"pairs with the same label: {'-' if share is None else f'{share:.1%}'}")
    if figures["disagreements"]:
        print("disagreeing pairs: " + ", ".join(f"{k} {v}" for k, v in figures["disagreements"].items()))
    print(f"test texts also in train + valid: {figures['test_texts_also_in_train_valid']:,}; "
          f"test label = their majority label: {figures['test_label_is_their_majority']:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
