"""Alerting benchmarks.

1. **Stream** — replays real Thai messages (the Wisesight train split) as a three-day
   stream with timestamps, in crawler-sized batches through the real ingest pipeline,
   then injects a crisis (an app outage at a fictional bank). The default rules run at
   ingest and every 5 simulated minutes. Reports the latency from a batch being stored to
   its `watch` notification arriving at a local webhook receiver (median, p95), and the
   alerts fired on the quiet part (goal: none).
2. **Scale** — 50 rules of every type over 1,000,000 stored mentions in SQLite: the time of
   one evaluation cycle (median of several cycles; goal < 1 s).

    python benchmarks/alerts.py stream [--messages 6000]
    python benchmarks/alerts.py scale [--mentions 1000000] [--db /tmp/sadap-1m.db] [--cycles 5]

The 1M-mention store is built once (synthetic times, sources and brands on real Thai
texts) and reused when --db exists.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WISESIGHT = ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "train.jsonl"
START = datetime(2026, 11, 1, 0, 0, tzinfo=__import__("datetime").timezone.utc)

# Crisis posts are put together from parts, so that no two are copies of each other.
CRISIS_OPEN = ["แอปแสงทองล่มอีกแล้ว", "เข้าแอปแสงทองไม่ได้ตั้งแต่เช้า", "ธนาคารแสงทองระบบล่ม", "แสงทองพลัสค้างหน้าล็อกอิน",
               "ใครเข้าแอปแสงทองได้บ้าง", "แอปธนาคารแสงทองใช้ไม่ได้เลย", "วันนี้แอปแสงทองเป็นอะไร"]
CRISIS_PROBLEM = ["โอนเงินไม่ได้", "จ่ายบิลไม่ได้", "โดนตัดเงินซ้ำ", "สแกนจ่ายไม่ผ่าน", "เงินเดือนเข้าแต่ถอนไม่ได้",
                  "โทรคอลเซ็นเตอร์ก็ไม่มีคนรับ", "ลูกค้าโอนมาไม่ได้ ร้านเสียหาย"]
CRISIS_FEEL = ["แย่มาก", "ผิดหวังสุดๆ", "โมโหมาก", "เครียดเลย", "ทนไม่ไหวแล้ว", "จะย้ายธนาคาร", "ช่วยด้วยค่ะ", "😡😡"]


def _texts(n: int) -> list[str]:
    out = []
    with WISESIGHT.open(encoding="utf-8") as fh:
        for line in fh:
            out.append(json.loads(line)["text"])
            if len(out) == n:
                break
    return out


def _config(tmp: Path, hook_url: str):
    from sadap.app.config import load_config_file
    from sadap.app.starter import render_config

    watch = (
        "  - {name: ธนาคารแสงทอง, aliases: [แสงทอง, Saengthong]}\n"
        "  - {name: Honda, aliases: [ฮอนด้า, honda]}\n"
        "  - {name: Toyota, aliases: [โตโยต้า, toyota]}\n"
    )
    text = render_config(watch, "  []\n").replace("data_dir: sadap-data", "data_dir: .")
    text = text.replace("notifiers:\n", f"notifiers:\n  - {{id: bench, type: webhook, url: \"{hook_url}\", retries: 0}}\n", 1)
    text = text.replace("  - id: console\n    type: console\n    lang: th\n", "")
    # A watch rule with the shortest cool-down (1m; batches are minutes apart), so that every
    # matching batch sends a notification and the latency has a real sample.
    text += (
        "\n  - {id: bench-watch, type: watch, title: ล่ม, query: 'ล่ม OR \"ใช้ไม่ได้\"', entities: [ธนาคารแสงทอง],"
        " window: 10m, cooldown: 1m}\n"
    )
    (tmp / "sadap.yaml").write_text(text, encoding="utf-8")
    return load_config_file(tmp / "sadap.yaml")


def stream(messages: int) -> dict:
    from sadap.app.ingest import IngestPipeline
    from sadap.core.mention import RawMention

    received: list[tuple[float, dict]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((time.perf_counter(), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stored_at: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        config = _config(Path(tmp), f"http://127.0.0.1:{server.server_address[1]}/hook")
        clock = {"now": START}
        pipe = IngestPipeline(config, clock=lambda: clock["now"])
        original = pipe.store.upsert

        def timed_upsert(mentions):
            result = original(mentions)
            t = time.perf_counter()
            for i in result.inserted:
                stored_at[i] = t
            return result

        pipe.store.upsert = timed_upsert
        texts = _texts(messages)
        quiet_span = timedelta(days=3)
        per = quiet_span / len(texts)
        rows = [(START + per * i, "wisesight", f"w{i}", t) for i, t in enumerate(texts)]
        crisis_start = START + quiet_span
        rng = random.Random(7)
        for i in range(120):
            text = f"{rng.choice(CRISIS_OPEN)} {rng.choice(CRISIS_PROBLEM)} {rng.choice(CRISIS_FEEL)} (ครั้งที่ {i + 1})"
            rows.append((crisis_start + timedelta(seconds=30 * i), "forum", f"c{i}", text))
        quiet_alerts: list[dict] = []
        crisis_alerts: list[dict] = []
        next_check = START + timedelta(minutes=5)
        batch: list = []
        batch_time = START
        wall = time.perf_counter()
        for published, source, native, text in rows:
            batch.append(RawMention(source_kind="file", source_name=source, native_id=native, text=text, published_at=published, author=native))
            if len(batch) == 50 or published - batch_time > timedelta(minutes=10):
                clock["now"] = published
                result = pipe.process(batch)
                (quiet_alerts if published < crisis_start else crisis_alerts).extend(a.model_dump() for a in result.alerts)
                batch, batch_time = [], published
            while next_check <= published:
                fired = pipe.engine.check(next_check)
                (quiet_alerts if next_check < crisis_start else crisis_alerts).extend(a.model_dump() for a in fired)
                next_check += timedelta(minutes=5)
        if batch:
            clock["now"] = rows[-1][0]
            crisis_alerts.extend(a.model_dump() for a in pipe.process(batch).alerts)
        crisis_alerts.extend(a.model_dump() for a in pipe.engine.check(rows[-1][0] + timedelta(minutes=5)))
        wall = time.perf_counter() - wall
        pipe.close()
    time.sleep(0.5)
    server.shutdown()
    latencies = []
    for t, body in received:
        if body.get("rule_type") == "watch" and body["mentions"]:
            stored = [stored_at[m["id"]] for m in body["mentions"] if m["id"] in stored_at]
            if stored:
                latencies.append(t - max(stored))
    latencies.sort()
    p95 = latencies[max(0, int(round(0.95 * len(latencies))) - 1)] if latencies else None
    return {
        "messages": len(rows),
        "wall_s": round(wall, 1),
        "watch_notifications": len(latencies),
        "latency_median_s": round(statistics.median(latencies), 3) if latencies else None,
        "latency_p95_s": round(p95, 3) if p95 is not None else None,
        "quiet_alerts": len(quiet_alerts),
        "quiet_alert_rules": sorted({(a["rule"], a["key"]) for a in quiet_alerts}),
        "crisis_alerts": sorted({(a["rule"], a["key"]) for a in crisis_alerts}),
    }


BRANDS = [f"แบรนด์{i:02d}" for i in range(20)]
SOURCES = ["pantip", "facebook", "x", "news-a", "news-b", "youtube", "tiktok", "lineoa"]


def build_store(path: Path, n: int) -> None:
    from enrich.dedup import text_hash
    from enrich.keywords import keywords
    from enrich.normalize import normalize
    from enrich.tokenize import tokenize
    from sadap.core.mention import Mention, Sentiment
    from sadap.store.sqlite import SQLiteStore

    rng = random.Random(42)
    pool = []
    for text in _texts(4000):
        tokens = tokenize(normalize(text))
        pool.append((text, tokens, keywords(tokens)))
    store = SQLiteStore(path)
    span = 30 * 86400
    started = time.perf_counter()
    labels = ["neu"] * 55 + ["neg"] * 25 + ["pos"] * 18 + ["q"] * 2
    batch = []
    for i in range(n):
        text, tokens, kws = pool[rng.randrange(len(pool))]
        published = START + timedelta(seconds=rng.randrange(span))
        brand = BRANDS[min(int(rng.expovariate(0.25)), 19)]
        m = Mention(
            id=f"m{i:08d}", source_kind="social", source_name=rng.choice(SOURCES), author_id=f"a_{rng.randrange(200000)}",
            published_at=published, collected_at=published + timedelta(minutes=rng.randrange(1, 90)),
            text=text, tokens=tokens, keywords=kws, language="th", entities=[brand],
            sentiment=Sentiment(label=rng.choice(labels), score=0.8), text_hash=text_hash(text) + str(i),
        )
        batch.append(m)
        if len(batch) == 5000:
            store.upsert(batch)
            batch = []
            if (i + 1) % 100000 == 0:
                print(f"… {i + 1} mentions ({(i + 1) / (time.perf_counter() - started):.0f}/s)", file=sys.stderr, flush=True)
    if batch:
        store.upsert(batch)
    store.close()


def fifty_rules() -> list[dict]:
    rules = []
    for i in range(15):
        rules.append({"id": f"th{i}", "type": "threshold", "title": "t", "group_by": "entity", "window": "1h",
                      "limit": 50 + i, "sentiment": ["neg"] if i % 2 else []})
    queries = ["ล่ม", "แย่", "ผิดหวัง OR แย่มาก", '"ไม่ ได้"', "โกง", "ช้า", "ขอบคุณ", "ราคา", "โปรโมชั่น", "คืนเงิน"]
    for i, q in enumerate(queries):
        rules.append({"id": f"w{i}", "type": "watch", "title": "w", "query": q, "group_by": "entity", "window": "15m", "min_count": 5})
    for i in range(10):
        rules.append({"id": f"sp{i}", "type": "spike", "title": "s", "group_by": "entity" if i % 2 else "source_name",
                      "window": "1h", "baseline": "7d", "min_count": 20})
    for i in range(5):
        rules.append({"id": f"ss{i}", "type": "sentiment_shift", "title": "s", "group_by": "entity", "window": "3h",
                      "baseline": "7d", "margin": 0.2})
    for i, fld in enumerate(["hashtag", "keyword", "entity", "keyword", "hashtag"]):
        rules.append({"id": f"nt{i}", "type": "new_term", "title": "n", "field": fld, "window": "3h", "baseline": "7d"})
    for i in range(3):
        rules.append({"id": f"si{i}", "type": "silence", "title": "s", "period": "6h", "baseline": "7d"})
    for i in range(2):
        rules.append({"id": f"co{i}", "type": "coordinated", "title": "c", "window": "1h", "min_authors": 5 + i})
    assert len(rules) == 50
    return rules


def scale(n: int, db: Path, cycles: int) -> dict:
    from sadap.app.alerting import build_engine
    from sadap.app.config import Config
    from sadap.store import MentionFilter
    from sadap.store.sqlite import SQLiteStore

    if not db.exists():
        print(f"building {n} mentions in {db} (once) …", file=sys.stderr, flush=True)
        build_store(db, n)
    store = SQLiteStore(db)
    total = store.count(MentionFilter())
    config = Config.model_validate({"rules": fifty_rules(), "notifiers": [], "playbooks": {"shipped": True}})
    engine = build_engine(config, store, notifiers=[])
    at = START + timedelta(days=29, hours=12)
    times = []  # the first cycle fills the baseline cache; the others are the steady state
    fired = 0
    for c in range(cycles):
        t = time.perf_counter()
        fired += len(engine.check(at + timedelta(minutes=5 * c), notify=False))
        times.append(time.perf_counter() - t)
    per_type: dict[str, float] = {}
    for rule in engine.rules:
        t = time.perf_counter()
        from alerts.rules.base import EvalContext

        rule.evaluate(EvalContext(store, at, buckets=engine.buckets))  # warm, as in a running service
        per_type[rule.type_name] = per_type.get(rule.type_name, 0) + time.perf_counter() - t
    store.close()
    return {
        "mentions": total, "rules": 50, "cycles": cycles,
        "first_cycle_s": round(times[0], 3),
        "cycle_median_s": round(statistics.median(times[1:] or times), 3), "cycle_max_s": round(max(times[1:] or times), 3),
        "alerts_fired": fired, "seconds_by_rule_type_without_memo": {k: round(v, 3) for k, v in sorted(per_type.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    s = sub.add_parser("stream")
    s.add_argument("--messages", type=int, default=6000)
    c = sub.add_parser("scale")
    c.add_argument("--mentions", type=int, default=1_000_000)
    c.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "sadap-bench-1m.db")
    c.add_argument("--cycles", type=int, default=5)
    args = parser.parse_args()
    if args.what == "stream":
        print(json.dumps(stream(args.messages), ensure_ascii=False, indent=2))
    else:
        print(json.dumps(scale(args.mentions, args.db, args.cycles), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
