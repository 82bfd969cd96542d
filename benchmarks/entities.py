"""Cost of watched-entity matching per message: ten watched names (about 30 spellings, Thai and
Latin, short and long) over real Wisesight messages cut to 100 characters, and the cases that
cost most (a Thai name touching Thai letters; a long one overlapping a dictionary word, where
newmm runs). Prints medians of several runs, in µs.

    python benchmarks/entities.py [--messages 2000] [--runs 5]
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
DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "valid.jsonl"
ENTITIES = [
    ("ธนาคารแสงทอง", ("แสงทอง", "Saengthong", "Saeng Thong Bank")),
    ("ทรู", ("True", "ทรูมูฟ", "TrueMove")),
    ("ไทยพาณิชย์", ("SCB", "ไทยพานิชย์")),
    ("กรุงไทย", ("Krungthai", "KTB")),
    ("ออมสิน", ("GSB",)),
    ("เอไอเอส", ("AIS", "เอไอเอส ไฟเบอร์")),
    ("โตโยต้า", ("Toyota",)),
    ("ฮอนด้า", ("Honda",)),
    ("แกร็บ", ("Grab", "แกรบ")),
    ("ไลน์แมน", ("LINE MAN", "Lineman")),
]
CASES = {
    "Thai, no watched name": "วันนี้ไปกินข้าวร้านใหม่แถวบ้านมา อร่อยดีแต่รอนานไปหน่อย พนักงานบริการโอเค",
    "Thai, a long name": "แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้ตั้งแต่เช้า ใครเป็นบ้างคะ",
    "English": "Saeng Thong Bank app is down again, cannot transfer money since this morning",
    "short Thai name touching Thai letters": "เน็ตทรูช้ามากช่วงนี้ โทรหาคอลเซ็นเตอร์ก็ไม่มีใครรับสาย",
    "long Thai name inside a longer word": "ซื้อกระปุกออมสินให้ลูกหยอดเหรียญทุกวัน ได้เยอะเลย",
}


def per_message_us(matcher, texts: list[str], runs: int) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        for text in texts:
            matcher.find(text)
        timings.append((time.perf_counter() - start) / len(texts) * 1e6)
    return round(statistics.median(timings), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()

    from enrich.entities import Entity, EntityMatcher
    from enrich.normalize import normalize

    entities = [Entity(name, aliases) for name, aliases in ENTITIES]
    start = time.perf_counter()
    matcher = EntityMatcher(entities, custom_words=[s for name, aliases in ENTITIES for s in (name, *aliases)])
    build_s = time.perf_counter() - start
    with args.data.open(encoding="utf-8") as fh:
        texts = [normalize(json.loads(line)["text"])[:100] for line in fh][: args.messages]
    matcher.find(texts[0])  # warm the tokenizer's dictionary
    result = {
        "spellings": sum(1 + len(aliases) for _, aliases in ENTITIES),
        "build_s": round(build_s, 3),
        "wisesight_100_chars_us_median": per_message_us(matcher, texts, args.runs),
    }
    for name, text in CASES.items():
        result[f"{name} (us)"] = per_message_us(matcher, [normalize(text)] * 500, args.runs)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
