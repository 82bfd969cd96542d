"""Reproducible sampler for the PR-posts development set (sarcasm, praise with a complaint,
mild praise, and random brand posts as controls).

Draws candidates from Wisesight-Sentiment *train.jsonl* (never test.jsonl) by keyword filters,
stratum by stratum, and writes them for hand labelling. Texts also in test.jsonl, the dev set
(``../enrich_dev``), the tuning sets (``../enrich_tune``) or valid.jsonl are skipped, as are
exact duplicates and texts shorter than 6 or longer than 300 characters (after strip).

Strata (a message goes to the first that matches, in this order):

* ``praise_failure``: a praise word (เก่ง, สุดยอด, ดีมาก, เยี่ยม, ประทับใจ, ขอบคุณ, เทพ …) and a
  failure or repetition word (ล่ม, ค้าง, พัง, ช้า, หาย, ทุกวัน, อีกแล้ว, ใช้ไม่ได้ …): where
  sarcasm and praise-with-failure live.
* ``praise_but``: a praise word followed, later in the text, by แต่ (but): praise with a complaint.
* ``mild_praise``: a mild-praise phrase (ใช้ง่าย, โอเค, ก็ดี, ใช้ได้, ไม่เลว, พอใช้, ดีนะ …) in a
  short text (at most 160 characters).
* ``control``: any other text that names a product or service word (รถ, ร้าน, แอป, ลิป, เน็ต …).

Usage (from the repo root):
    .venv/bin/python tests/data/pr_posts/sample.py \
        --data ../shared/data/wisesight-sentiment --out /tmp/pr-posts-sample.jsonl
"""
from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

SEED = 20261206
HERE = Path(__file__).resolve().parent
MIN_LEN, MAX_LEN, MILD_MAX = 6, 300, 160
PER_STRATUM = {"praise_failure": 50, "praise_but": 40, "mild_praise": 55, "control": 35}

PRAISE = re.compile(r"เก่ง|สุดยอด|ดีมาก|เยี่ยม|ประทับใจ|ดีจริง|ปัง|เริ่ด|ขอบคุณ|ชอบมาก|เจ๋ง|เทพ|ดีเลิศ|ยอดเยี่ยม|ที่สุด")
FAILURE = re.compile(
    r"ล่ม|พัง|ค้าง|เสียอีก|ช้า|ทุกวัน|อีกแล้ว|อีกละ|ทุกที|ทุกครั้ง|ทุกรอบ|เข้าไม่ได้|ใช้ไม่ได้|ไม่ได้รับ|หาย|ไม่ติด"
    r"|ดับ|หลุด|เสียเวลา|รอนาน|ไม่ตอบ|ผิดหวัง|โดนหัก|ไม่เข้า"
)
BUT = re.compile(r"(เก่ง|สุดยอด|ดี|เยี่ยม|ประทับใจ|อร่อย|สวย|ชอบ|ขอบคุณ|โอเค|ใช้ง่าย)\S*.{0,60}?แต่")
MILD = re.compile(r"ใช้ง่าย|โอเค|ก็ดี|ใช้ได้|ไม่เลว|พอใช้|ดีนะ|ก็โอ|ดีเหมือนกัน|ใช้ดี|(?<![a-z])ok(?![a-z])|พอได้|ดีอยู่|ถือว่าดี|ก็อร่อย|อร่อยดี|สวยดี", re.I)
PRODUCT = re.compile(
    r"รถ|ร้าน|แอป|แอพ|เน็ต|ลิป|ครีม|แป้ง|เบียร์|เหล้า|สาขา|บริการ|พนักงาน|สินค้า|ธนาคาร|บัตร|โทรศัพท์|มือถือ|ซิม"
    r"|เมนู|อาหาร|หมู|ชาบู|สุกี้|กันแดด|รุ่น|ค่าย|โปร|ราคา",
)


def stratum(text: str) -> str | None:
    if PRAISE.search(text) and FAILURE.search(text):
        return "praise_failure"
    if BUT.search(text):
        return "praise_but"
    if len(text.strip()) <= MILD_MAX and MILD.search(text):
        return "mild_praise"
    if PRODUCT.search(text):
        return "control"
    return None


def read_texts(path: Path) -> set[str]:
    if not path.exists():
        return set()
    with path.open(encoding="utf-8") as fh:
        return {json.loads(line)["text"] for line in fh if line.strip()}


def sample(data: Path, seed: int) -> list[dict]:
    excluded = read_texts(data / "test.jsonl") | read_texts(data / "valid.jsonl")
    for extra in (HERE.parent / "enrich_dev" / "enrich-dev.jsonl", HERE.parent / "enrich_tune" / "enrich-tune.jsonl",
                  HERE.parent / "enrich_tune" / "complaint-evidence.jsonl"):
        excluded |= read_texts(extra)
    pools: dict[str, list[tuple[int, str]]] = {k: [] for k in PER_STRATUM}
    seen: set[str] = set()
    with (data / "train.jsonl").open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            text = json.loads(line)["text"]
            n = len(text.strip())
            if n < MIN_LEN or n > MAX_LEN or text in seen or text in excluded:
                continue
            seen.add(text)
            kind = stratum(text)
            if kind:
                pools[kind].append((lineno, text))
    rng = random.Random(seed)
    out = []
    for kind, k in PER_STRATUM.items():
        for lineno, text in rng.sample(pools[kind], min(k, len(pools[kind]))):
            out.append({"line": lineno, "stratum": kind, "text": text})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/wisesight-sentiment")
    ap.add_argument("--out", default="/tmp/pr-posts-sample.jsonl")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    rows = sample(Path(args.data), args.seed)
    with open(args.out, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    counts = {k: sum(r["stratum"] == k for r in rows) for k in PER_STRATUM}
    print(f"wrote {len(rows)} rows to {args.out} (seed={args.seed}): {counts}")


if __name__ == "__main__":
    main()
