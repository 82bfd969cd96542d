"""Draw the news evaluation set from the Thai government news sample (build time only).

    .venv/bin/python -m enrich.training.sample_news ../shared/data/thaigov-news-sample/thaigov-news-sample.jsonl

How the set is sampled (seed 18): articles whose body has at least 300 characters are split
into two strata by their headline: *event* headlines name harm (a death, accident, fire,
flood, storm, crime, fraud, drugs, leak, outbreak, dust, injury) and *other* headlines do not.
120 articles are drawn at random from each stratum (the event stratum is about 13 % of the
corpus, so drawing it at the same rate as the rest puts enough negative news in the set),
shuffled together and dealt alternately into ``news-tune`` (tuning the lexicons) and
``news-test`` (held out: scored, never tuned on). Each row keeps the headline and the first
1,200 characters of the body (the date line dropped), the source URL and the date; the
``tone`` and ``topic`` labels are added by hand afterwards (docs/enrichment.md, "News").
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

SEED = 18
PER_STRATUM = 120
BODY_CHARS = 1200
EVENT = re.compile(
    "เสียชีวิต|ตาย|อุบัติเหตุ|ไฟไหม้|เพลิงไหม้|น้ำท่วม|อุทกภัย|ภัยแล้ง|จับกุม|ยาเสพติด|ทุจริต|ฉ้อโกง|หลอกลวง"
    "|มิจฉาชีพ|ระเบิด|ยิง|รั่วไหล|แผ่นดินไหว|พายุ|ฝุ่น|PM ?2\\.5|ผู้ติดเชื้อ|ระบาด|บาดเจ็บ|ไฟป่า|ดินถล่ม"
    "|ค้ามนุษย์|ลักลอบ|วาตภัย|สาธารณภัย|ผู้ประสบภัย|โจร|ผิดกฎหมาย"
)
_PREFIX = re.compile(r"^รัฐบาลไทย-ข่าวทำเนียบรัฐบาล-")


def rows(path: Path) -> list[dict[str, str]]:
    out = []
    for line in path.open(encoding="utf-8"):
        r = json.loads(line)
        title = _PREFIX.sub("", r["title"]).strip()
        paras = [p.strip() for p in r["text"].split("\n") if p.strip()]
        # The body opens with the date line and the headline repeated (once or twice).
        while paras and (paras[0].startswith("วัน") and len(paras[0]) < 40 or paras[0] == title):
            paras.pop(0)
        body = "\n".join(paras)
        if len(body) < 300:
            continue
        out.append({"title": title, "text": body[:BODY_CHARS], "url": r["source"], "date": r["date"]})
    return out


def main(path: str, out_dir: str = "tests/data/news_eval") -> None:
    all_rows = rows(Path(path))
    rng = random.Random(SEED)
    event = [r for r in all_rows if EVENT.search(r["title"])]
    other = [r for r in all_rows if not EVENT.search(r["title"])]
    chosen = [dict(r, stratum="event") for r in rng.sample(event, PER_STRATUM)]
    chosen += [dict(r, stratum="other") for r in rng.sample(other, PER_STRATUM)]
    rng.shuffle(chosen)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for split, part in (("tune", chosen[0::2]), ("test", chosen[1::2])):
        with (out / f"news-{split}.unlabelled.jsonl").open("w", encoding="utf-8") as f:
            for i, r in enumerate(part):
                f.write(json.dumps({"id": f"{split}-{i:03d}", **r}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
