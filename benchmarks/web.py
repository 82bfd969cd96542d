"""Web workspace response times (median and p95 per page and API call) and server memory, on the
demo store and on a synthetic store of many mentions (default 1,000,000).

    python benchmarks/web.py [--mentions 1000000] [--runs 10] [--demo-only] [--store-dir DIR]

The server is a real `sadap serve` process (uvicorn); requests are sequential, with an API token
(pages accept one too). The large store is built once (kept in --store-dir for re-runs): Thai
mentions over 60 days up to now, 5 sources, 20,000 authors, 6 watched brands, hashtags,
keywords, 10% complaints, 5% near-duplicates. Goal: the overview under 1 s p95 on 1,000,000.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PATHS = [
    "/", "/?entity=แสงทอง", "/mentions", "/mentions?q=แอป+ล่ม", "/mentions?sentiment=neg&source=forum-1",
    "/mentions?complaint_type=digital_outage", "/mentions?language=en", "/mentions?author=a00042",
    "/incidents", "/complaints", "/rules", "/sources", "/api/mentions?q=แอป&limit=50", "/api/incidents",
]
WORDS = ("แอป ล่ม โอน เงิน ไม่ได้ ธนาคาร บริการ ดี มาก ประทับใจ ช้า รอ นาน พนักงาน สาขา บัตร เครดิต ดอกเบี้ย "
         "ผิดหวัง ระบบ ขัดข้อง ค่าธรรมเนียม ข้อมูล รั่ว โปรโมชัน สินเชื่อ บ้าน รถ ประกัน ลูกค้า ตอบ ช่วย ด้วย").split()
BRANDS = ["แสงทอง", "แอปแสงทองพลัส", "ธนาคารฟ้าใส", "กรุงดาว", "เงินไว", "บัตรทองคำ"]
TAGS = [f"#แท็ก{i}" for i in range(20)]


def build_store(path: Path, n: int) -> None:
    from sadap.core.mention import Complaint, Mention, Sentiment
    from sadap.core.timeutil import now_utc
    from sadap.store.sqlite import SQLiteStore

    rng = random.Random(15)
    now = now_utc()
    store = SQLiteStore(path)
    kinds = {"news-1": "rss", "news-2": "article", "forum-1": "forum", "forum-2": "forum", "file-1": "file"}
    batch: list[Mention] = []
    started = time.perf_counter()
    for i in range(n):
        published = now - timedelta(seconds=rng.random() * 60 * 86400)
        words = rng.choices(WORDS, k=rng.randint(4, 12))
        label = rng.choices(("pos", "neu", "neg", "q"), (2, 4, 3, 1))[0]
        complaint = label == "neg" and rng.random() < 0.35
        source = rng.choice(list(kinds))
        entities = rng.sample(BRANDS, k=rng.choice((0, 1, 1, 2)))
        batch.append(Mention(
            id=f"b{i:08d}", source_kind=kinds[source], source_name=source, url=f"https://example.com/{source}/{i}",
            author_id=f"a{rng.randrange(20000):05d}", published_at=published, collected_at=published + timedelta(minutes=3),
            text=" ".join(words), tokens=words, language="th",
            sentiment=Sentiment(label=label, score=0.8), expectation=rng.choice(("delighted", "satisfied", "disappointed", None)),
            category=rng.choice(("product_service", "customer_support", "transaction", "relationship", "other")),
            complaint=Complaint(is_complaint=complaint, type=rng.choice(("digital_outage", "service_staff", "price_billing")) if complaint else None),
            entities=entities, hashtags=[rng.choice(TAGS)] if rng.random() < 0.3 else [],
            keywords=sorted(set(words))[:6], text_hash=f"h{i}", simhash=rng.getrandbits(63),
            duplicate_of=f"b{rng.randrange(max(i, 1)):08d}" if i and rng.random() < 0.05 else None,
            spam_score=round(rng.random() * 0.3, 2),
        ))
        if len(batch) == 5000:
            store.upsert(batch)
            batch = []
            if (i + 1) % 100000 == 0:
                print(f"  built {i + 1:,} mentions ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    store.upsert(batch)
    store.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    values = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines() if line.startswith(("VmRSS", "VmHWM"))}
    return values["VmRSS"] / 1024, values["VmHWM"] / 1024


def measure(config_path: Path, runs: int, label: str) -> dict:
    from sadap.app.config import load_config_file
    from sadap.app.web.auth import add_user, new_api_token
    from sadap.store import open_store

    with open_store(load_config_file(config_path)) as store:
        if store.get_user("bench") is None:
            add_user(store, "bench", "admin", "benchmark password")
        token, _ = new_api_token(store, "bench", "benchmark")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sadap", "serve", "--config", str(config_path), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    results = {}
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.get("/api/incidents")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            idle = rss_mb(proc.pid)
            for path in PATHS:
                first = client.get(path)
                if first.status_code != 200:
                    raise SystemExit(f"{path}: {first.status_code} {first.text[:200]}")
                times = []
                for _ in range(runs):
                    started = time.perf_counter()
                    client.get(path).raise_for_status()
                    times.append(time.perf_counter() - started)
                times.sort()
                p95 = times[min(len(times) - 1, max(0, round(0.95 * len(times)) - 1))]
                results[path] = {"median_ms": round(statistics.median(times) * 1000, 1), "p95_ms": round(p95 * 1000, 1)}
                print(f"{label:>10}  {path:<45} median {results[path]['median_ms']:>8.1f} ms   p95 {results[path]['p95_ms']:>8.1f} ms",
                      flush=True)
            rss, peak = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(f"{label:>10}  server memory: {idle[0]:.0f} MB after start, {rss:.0f} MB after the runs (peak {peak:.0f} MB)", flush=True)
    return {"paths": results, "rss_start_mb": round(idle[0]), "rss_mb": round(rss), "peak_mb": round(peak)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--demo-only", action="store_true")
    parser.add_argument("--no-demo", action="store_true", help="Only the large store.")
    parser.add_argument("--paths", default=None, help="Comma-separated paths to time instead of the default list.")
    parser.add_argument("--store-dir", default=None, help="Where the large store is kept (default: a temp folder per size).")
    args = parser.parse_args()
    report: dict = {}
    if args.paths:
        PATHS[:] = [p for p in args.paths.split(",") if p]
    if not args.no_demo:
        with tempfile.TemporaryDirectory() as tmp:
            demo = Path(tmp) / "demo"
            done = subprocess.run([sys.executable, "-m", "sadap", "demo", "--data-dir", str(demo)], capture_output=True,
                                  text=True)
            if done.returncode:
                raise SystemExit(done.stderr)
            report["demo"] = measure(demo / "sadap.yaml", args.runs, "demo")
    if not args.demo_only:
        folder = Path(args.store_dir or Path(tempfile.gettempdir()) / f"sadap-bench-web-{args.mentions}")
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "sadap.yaml"
        config.write_text("data_dir: .\nwatch:\n" + "".join(f"  - name: {b}\n" for b in BRANDS), encoding="utf-8")
        if not (folder / "sadap.db").exists():
            started = time.perf_counter()
            build_store(folder / "sadap.db.part", args.mentions)
            for suffix in ("", "-wal", "-shm"):
                part = folder / f"sadap.db.part{suffix}"
                if part.exists():
                    part.rename(folder / f"sadap.db{suffix}")
            print(f"built {args.mentions:,} mentions in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        report[f"{args.mentions}"] = measure(config, args.runs, f"{args.mentions:,}")
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
