"""How tests/data/org_cars/cars.jsonl was sampled (run from the repository root; needs ../shared).

An organisation to simulate for `sadap train`: a car brand's PR team. Messages from the Wisesight
train split (never test) that name a car, a car brand or a car dealer (the pattern below),
20 to 200 characters, exact repeats dropped; 300 drawn with a fixed seed. The first 200 are the
team's corrections, the last 100 its held-out messages. Each was then labelled by hand
(pos/neu/neg/q, a PR team's reading: a complaint or a bad experience is neg, praise pos, a
question q, ads, news and chit-chat neu); `wisesight` keeps the corpus's own label for comparison.
"""

import json
import random
import re
import sys
from pathlib import Path

CARS = re.compile(r"(รถ|ฮอนด้า|honda|toyota|โตโยต้า|mazda|มาสด้า|isuzu|อีซูซุ|ford|nissan|mitsubishi)", re.I)


def main() -> None:
    rows = [json.loads(line) for line in Path("../shared/data/wisesight-sentiment/train.jsonl").open(encoding="utf-8")]
    seen: set[str] = set()
    pool = []
    for r in rows:
        text = " ".join(r["text"].split())
        if CARS.search(text) and 20 <= len(text) <= 200 and text not in seen:
            seen.add(text)
            pool.append({"text": r["text"], "wisesight": r["label"]})
    random.Random(18).shuffle(pool)
    for i, r in enumerate(pool[:300]):
        sys.stdout.write(json.dumps({"id": f"car-{i:03d}", **r}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
