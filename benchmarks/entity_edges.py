"""What the word-edge rule for long Thai watched names changes, on real corpora.

    python benchmarks/entity_edges.py [--before 16cd068] [--examples 3]

60 realistic watched names (banks, telcos, airlines, retailers, brands, politicians, parties,
topics) with their aliases are matched over the Wisesight train split (one mention per message)
and the Thai government news sample (one mention per paragraph), with the matcher now and the
one of ``--before`` (16cd068: before the rule). Prints the entity mentions found by each, per
corpus; then, per entity whose count changed, the counts and a few of the mentions that lost it,
to read whether they were false positives.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _revision import module_at  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
WATCHED = [
    ("ธนาคารกสิกรไทย", ("กสิกรไทย", "กสิกร", "KBank")),
    ("ธนาคารไทยพาณิชย์", ("ไทยพาณิชย์", "SCB")),
    ("ธนาคารกรุงไทย", ("กรุงไทย", "KTB")),
    ("ธนาคารกรุงศรี", ("กรุงศรี", "Krungsri")),
    ("ธนาคารกรุงเทพ", ("บัวหลวง", "BBL")),
    ("ธนาคารออมสิน", ("ออมสิน", "GSB")),
    ("ทีเอ็มบีธนชาต", ("ทีเอ็มบี", "ธนชาต", "ทหารไทย", "TMB")),
    ("เอไอเอส", ("AIS",)), ("ดีแทค", ("dtac",)), ("ทรู", ("True", "ทรูมูฟ")),
    ("การบินไทย", ("Thai Airways",)), ("แอร์เอเชีย", ("AirAsia",)), ("นกแอร์", ("Nok Air",)),
    ("ไทยสมายล์", ()), ("บางกอกแอร์เวย์ส", ("Bangkok Airways",)),
    ("เซเว่นอีเลฟเว่น", ("เซเว่น", "7-Eleven")), ("โลตัส", ("Lotus's",)), ("บิ๊กซี", ("Big C",)),
    ("แม็คโคร", ("Makro",)), ("ลาซาด้า", ("Lazada",)), ("ช้อปปี้", ("Shopee",)),
    ("แกร็บ", ("Grab",)), ("ไลน์แมน", ("LINE MAN",)), ("โตโยต้า", ("Toyota",)), ("ฮอนด้า", ("Honda",)),
    ("มาม่า", ("Mama",)), ("สิงห์", ("Singha",)), ("โออิชิ", ("Oishi",)), ("ยูนิโคล่", ("Uniqlo",)),
    ("ประยุทธ์ จันทร์โอชา", ("ประยุทธ์", "ประยุทธ", "บิ๊กตู่", "ลุงตู่")),
    ("ประวิตร วงษ์สุวรรณ", ("ประวิตร", "บิ๊กป้อม")), ("อนุทิน ชาญวีรกูล", ("อนุทิน",)),
    ("วิษณุ เครืองาม", ("วิษณุ",)), ("จุรินทร์ ลักษณวิศิษฏ์", ("จุรินทร์",)),
    ("สมศักดิ์ เทพสุทิน", ("สมศักดิ์",)), ("ธรรมนัส พรหมเผ่า", ("ธรรมนัส",)),
    ("สุริยะ จึงรุ่งเรืองกิจ", ("สุริยะ",)), ("ศักดิ์สยาม ชิดชอบ", ("ศักดิ์สยาม",)),
    ("เฉลิมชัย ศรีอ่อน", ("เฉลิมชัย",)), ("ทักษิณ ชินวัตร", ("ทักษิณ",)), ("ยิ่งลักษณ์", ()),
    ("ธนาธร", ()), ("อภิสิทธิ์", ()), ("ชัชชาติ", ()), ("สมคิด", ()), ("อุตตม", ()), ("เศรษฐา", ()),
    ("ประชาธิปัตย์", ()), ("เพื่อไทย", ()), ("พลังประชารัฐ", ()), ("ภูมิใจไทย", ()), ("ก้าวไกล", ()),
    ("โควิด", ("COVID",)), ("ทองคำ", ()), ("ไทยรัฐ", ()), ("มติชน", ()), ("แสงทอง", ()),
]


def corpus(name: str):
    if name == "wisesight":
        with (SHARED / "wisesight-sentiment" / "train.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)["text"]
        return
    with (SHARED / "thaigov-news-sample" / "thaigov-news-sample.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            for para in f"{doc['title']}\n{doc['text']}".split("\n"):
                if para.strip():
                    yield para


def matcher(module):
    words = [s for name, aliases in WATCHED for s in (name, *aliases)]
    return module.EntityMatcher([module.Entity(n, a) for n, a in WATCHED], custom_words=words)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="16cd068", help="git revision of the baseline matcher")
    parser.add_argument("--examples", type=int, default=3, help="mentions shown per entity that lost matches")
    args = parser.parse_args()

    import enrich.entities as now
    from enrich.normalize import normalize

    old, new = matcher(module_at(args.before, "enrich/entities.py", "entities_before")), matcher(now)
    for name in ("wisesight", "thaigov"):
        before, after = collections.Counter(), collections.Counter()
        lost: dict[str, list[str]] = collections.defaultdict(list)
        n = 0
        for raw in corpus(name):
            n += 1
            text = normalize(raw)
            found_old, found_new = old.find(text), new.find(text)
            before.update(found_old)
            after.update(found_new)
            for entity in set(found_old) - set(found_new):
                lost[entity].append(" ".join(text.split())[:90])
        print(json.dumps({"corpus": name, "mentions": n, "entity_mentions_before": sum(before.values()),
                          "entity_mentions_now": sum(after.values())}, ensure_ascii=False))
        for entity in sorted(set(before) | set(after), key=lambda e: after[e] - before[e]):
            if before[entity] != after[entity]:
                print(f"  {entity}: {before[entity]} -> {after[entity]}")
                for example in lost[entity][: args.examples]:
                    print(f"      {example}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
