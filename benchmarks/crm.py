"""Cost of the PR/CRM work (docs/pr-crm.md):

1. tagging mentions with stakeholders at ingest: µs per mention for a registry of 40
   stakeholders (Thai and Latin names and aliases, linked watched names, accounts) over real
   Wisesight messages, against enrichment's own cost per message (~1.7 ms);
2. complaint cases: grouping N complaint mentions into cases (``sync``) and building the
   queue the workspace's ``/complaints`` shows, on a fresh SQLite store.

Prints medians of several runs.

    python benchmarks/crm.py [--messages 2000] [--complaints 2000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "valid.jsonl"

ORGS = [
    ("ธนาคารแห่งประเทศไทย", ["แบงก์ชาติ", "ธปท.", "Bank of Thailand"]),
    ("สำนักงานคณะกรรมการคุ้มครองผู้บริโภค", ["สคบ.", "OCPB"]),
    ("กรมโรงงานอุตสาหกรรม", ["กรอ."]),
    ("สำนักงาน กสทช.", ["กสทช", "NBTC"]),
    ("การไฟฟ้านครหลวง", ["กฟน.", "MEA"]),
    ("การประปานครหลวง", ["กปน.", "MWA"]),
    ("กรุงเทพมหานคร", ["กทม.", "BMA"]),
    ("สำนักข่าวไทย", ["อสมท", "MCOT"]),
    ("ชุมชนคลองเตย", ["คลองเตย"]),
    ("มูลนิธิกระจกเงา", ["Mirror Foundation"]),
]


def registry(n: int) -> list[object]:
    from sadap.core.stakeholder import StakeholderEntry

    out = []
    for i in range(n):
        name, aliases = ORGS[i % len(ORGS)]
        suffix = "" if i < len(ORGS) else f" สาขา {i}"
        out.append(StakeholderEntry(id=f"s{i}", names=[name + suffix, *aliases], watched=[f"ชื่อเฝ้าติดตาม{i}"],
                                    author_ids=[f"a_{i:016x}"], author_names=[f"บัญชี{i}"]))
    return out


def bench_tagging(messages: int, runs: int) -> dict[str, float]:
    from enrich.normalize import normalize
    from enrich.stakeholders import StakeholderTagger
    from sadap.core.mention import Mention
    from sadap.core.timeutil import now_utc

    texts = [json.loads(line)["text"] for line in DATA.read_text(encoding="utf-8").splitlines()[:messages]]
    now = now_utc()
    ms = [Mention(id=f"m{i}", source_kind="forum", source_name="f", published_at=now, collected_at=now,
                  text=normalize(t), author_id=f"a_{i:016x}", entities=["แสงทอง"]) for i, t in enumerate(texts)]
    t0 = time.perf_counter()
    tagger = StakeholderTagger(registry(40))
    build = time.perf_counter() - t0
    tagger.tag_all(ms[:50])  # warm the tokenizer's dictionary
    normalised = [m.text for m in ms]  # what enrichment hands the tagger at ingest
    at_ingest: list[float] = []
    alone: list[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for m, text in zip(ms, normalised):
            m.stakeholders = tagger.tag(m, text)
        at_ingest.append((time.perf_counter() - t0) / len(ms) * 1e6)
        t0 = time.perf_counter()
        tagger.tag_all(ms)  # `sadap stakeholders retag`: normalises each text itself
        alone.append((time.perf_counter() - t0) / len(ms) * 1e6)
    tagged = sum(1 for m in ms if m.stakeholders)
    return {"messages": len(ms), "build_s": round(build, 3),
            "us_per_mention_at_ingest": round(statistics.median(at_ingest), 1),
            "us_per_mention_retag": round(statistics.median(alone), 1), "tagged": tagged}


def bench_cases(complaints: int, runs: int) -> dict[str, float]:
    from sadap.app import complaints as cases
    from sadap.core.mention import Complaint, Mention, Sentiment
    from sadap.core.timeutil import now_utc
    from sadap.store.sqlite import SQLiteStore

    syncs, queues, counts = [], [], []
    now = now_utc()
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            store = SQLiteStore(Path(tmp) / "b.db")
            ms = [Mention(id=f"c{i:06d}", source_kind="forum", source_name="forum", published_at=now - timedelta(minutes=i),
                          collected_at=now, text=f"โอนเงินไม่ได้ แอปล่ม รายที่ {i}", author_id=f"a_{i % (complaints // 3):016x}",
                          extras={"thread_id": f"t{i % (complaints // 10)}"} if i % 4 == 0 else {},
                          sentiment=Sentiment(label="neg", score=0.9),
                          complaint=Complaint(is_complaint=True, type="digital_outage")) for i in range(complaints)]
            store.upsert(ms)
            t0 = time.perf_counter()
            cases.sync(store, now)
            syncs.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            rows = cases.queue(store, now, days=7)
            queues.append(time.perf_counter() - t0)
            counts.append(len(rows))
            store.close()
    return {"complaints": complaints, "cases": counts[0], "sync_s": round(statistics.median(syncs), 3),
            "queue_s": round(statistics.median(queues), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--complaints", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print(json.dumps({"tagging": bench_tagging(args.messages, args.runs),
                      "cases": bench_cases(args.complaints, max(1, args.runs // 2))}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
