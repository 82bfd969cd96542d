"""Draw the voice-of-customer training set from Wisesight-Sentiment train (build time only).

    .venv/bin/python -m enrich.training.sample_voc ../shared/data/wisesight-sentiment OUT.jsonl

The learned complaint and expectation classifiers are fitted on these rows, hand labelled
with the guidelines in ``tests/data/enrich_dev/README.md``. They never overlap the sets the
figures are measured on: texts in test.jsonl or valid.jsonl, in ``tests/data/enrich_dev``,
``tests/data/pr_posts``, ``tests/data/enrich_tune`` or ``tests/data/org_cars`` are skipped,
as are exact duplicates and texts shorter than 6 or longer than 400 characters.

Seed 20261207. Two halves, drawn without overlap:

* ``corpus``: 110 messages of each corpus label (pos, neu, neg, q), like ``enrich_dev``.
* ``pr``: short brand posts like ``pr_posts`` (the same stratum filters, imported from its
  sampler): praise with a failure 90 asked (51 were left in the corpus), praise then แต่ 90,
  mild praise 90, controls 50.

A second batch (``batch`` 2, 960 rows) continues the same random stream from the rows left:
200 of each corpus label, then praise then แต่ 60, mild praise 60, controls 40. Batch 1 is the
same with or without it. A third (``batch`` 3, 942 rows) continues it again, leaning to where
complaints are: 550 neg, 200 neu, 100 pos and the 2 questions left, then praise then แต่ 60 and
controls 30 (no mild praise was left). A stratum takes what is left when it has fewer rows.
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from pathlib import Path

SEED = 20261207
PER_LABEL = 110
PER_PR_STRATUM = {"praise_failure": 90, "praise_but": 90, "mild_praise": 90, "control": 50}
BATCH2_PER_LABEL = 200
BATCH2_PR_STRATUM = {"praise_but": 60, "mild_praise": 60, "control": 40}
# batch 3 leans to where complaints are: negative posts (the questions and mild praise are used up)
BATCH3_PER_LABEL = {"neg": 550, "q": 200, "neu": 200, "pos": 100}
BATCH3_PR_STRATUM = {"praise_but": 60, "mild_praise": 60, "control": 30}
MIN_LEN, MAX_LEN = 6, 400
TESTS_DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
EXCLUDE = ("enrich_dev/enrich-dev.jsonl", "enrich_tune/enrich-tune.jsonl", "enrich_tune/complaint-evidence.jsonl",
           "pr_posts/pr-posts-dev.jsonl", "pr_posts/pr-posts-tune.jsonl", "org_cars/cars.jsonl")


def _texts(path: Path) -> set[str]:
    if not path.exists():
        return set()
    with path.open(encoding="utf-8") as fh:
        return {json.loads(line)["text"] for line in fh if line.strip()}


def sample(data: Path, seed: int = SEED) -> list[dict[str, object]]:
    # the pr_posts strata, one definition (a script in tests/data, loaded from its file)
    spec = importlib.util.spec_from_file_location("pr_posts_sample", TESTS_DATA / "pr_posts" / "sample.py")
    if spec is None or spec.loader is None:
        raise ImportError("tests/data/pr_posts/sample.py not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stratum = module.stratum

    excluded = _texts(data / "test.jsonl") | _texts(data / "valid.jsonl")
    for rel in EXCLUDE:
        excluded |= _texts(TESTS_DATA / rel)
    seen: set[str] = set()
    by_label: dict[str, list[tuple[int, str]]] = {"pos": [], "neu": [], "neg": [], "q": []}
    by_stratum: dict[str, list[tuple[int, str]]] = {k: [] for k in PER_PR_STRATUM}
    with (data / "train.jsonl").open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            row = json.loads(line)
            text = row["text"]
            n = len(text.strip())
            if n < MIN_LEN or n > MAX_LEN or text in seen or text in excluded:
                continue
            seen.add(text)
            by_label[row["label"]].append((lineno, text))
            kind = stratum(text)
            if kind:
                by_stratum[kind].append((lineno, text))
    rng = random.Random(seed)
    out: list[dict[str, object]] = []
    taken: set[int] = set()
    plan: tuple[tuple[int, int | dict[str, int], dict[str, int]], ...] = (
        (1, PER_LABEL, PER_PR_STRATUM), (2, BATCH2_PER_LABEL, BATCH2_PR_STRATUM),
        (3, BATCH3_PER_LABEL, BATCH3_PR_STRATUM))
    for batch, per_label, per_stratum in plan:
        for label, pool in by_label.items():
            left = [p for p in pool if p[0] not in taken]
            k = per_label if isinstance(per_label, int) else per_label[label]
            for lineno, text in rng.sample(left, min(k, len(left))):
                taken.add(lineno)
                out.append({"line": lineno, "batch": batch, "half": "corpus", "stratum": label, "text": text})
        for kind, k in per_stratum.items():
            left = [p for p in by_stratum[kind] if p[0] not in taken]
            for lineno, text in rng.sample(left, min(k, len(left))):
                taken.add(lineno)
                out.append({"line": lineno, "batch": batch, "half": "pr", "stratum": kind, "text": text})
    return out


def main() -> None:
    data, out = Path(sys.argv[1]), Path(sys.argv[2])
    rows = sample(data)
    with out.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to {out} (seed {SEED})")


if __name__ == "__main__":
    main()
