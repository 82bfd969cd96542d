"""Faults on the way to on-call, counted at a local webhook receiver.

(a) ``kill``: the receiver hangs; ``sadap run`` is killed with SIGKILL while it is delivering;
    the receiver recovers and ``sadap run`` is started again.
(b) ``outage``: the receiver is down (nothing listening) for ``--outage`` seconds while
    ``sadap run`` keeps retrying, then comes back.

Each prints the requests the receiver got and the distinct ``X-Sadap-Delivery`` ids it
answered 200 to, per alert. Exactly once = one id per alert answered 200.

    .venv/bin/python benchmarks/outbox_faults.py kill
    .venv/bin/python benchmarks/outbox_faults.py outage --outage 600
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sadap.core.timeutil import now_utc  # noqa: E402
from sadap.store.sqlite import SQLiteStore  # noqa: E402
from tests.factories import ENTITY, mention  # noqa: E402

CONFIG = f"""
data_dir: data
watch:
  - name: {ENTITY}
    aliases: [แสงทอง]
schedule: {{alerts_every: 3s}}
delivery: {{every: 2s, first_retry: 2s, max_backoff: 30s, max_age: 1d}}
playbooks: {{shipped: true}}
rules:
  - id: outage
    type: watch
    title: {{th: "มีผู้พูดถึงระบบล่ม", en: "Outage mentioned"}}
    query: 'ล่ม OR "โอนเงินไม่ได้"'
    group_by: entity
    min_count: 3
    window: 1h
    cooldown: 6h
    playbook: service-outage
notifiers:
  - {{id: hook, type: webhook, url: "http://127.0.0.1:{{port}}/hook", timeout: 5s, retries: 1}}
"""


class State:
    mode = "ok"  # ok | hang
    requests: list[str] = []
    answered: list[str] = []
    release = threading.Event()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        delivery = self.headers.get("X-Sadap-Delivery", "?")
        State.requests.append(delivery)
        if State.mode == "hang":
            State.release.wait(600)
            return
        if delivery not in State.answered:  # a receiver that drops repeats by id
            State.answered.append(delivery)
            json.loads(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


class Receiver:
    def __init__(self, port: int):
        self.port = port
        self.server: ThreadingHTTPServer | None = None

    def up(self) -> None:
        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(folder: Path, port: int) -> Path:
    cfg = folder / "sadap.yaml"
    cfg.write_text(CONFIG.replace("{port}", str(port)), encoding="utf-8")
    (folder / "data").mkdir()
    now = now_utc()
    with SQLiteStore(folder / "data" / "sadap.db") as store:
        store.upsert([mention(i, "แอปแสงทองล่ม โอนเงินไม่ได้", "neg", now - timedelta(minutes=10 - i)) for i in range(5)])
    return cfg


def start(cfg: Path, log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sadap", "run", "--config", str(cfg)], cwd=cfg.parent,
                            stdout=log, stderr=subprocess.STDOUT)


def wait_for(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def outbox(cfg: Path) -> Counter:
    with SQLiteStore(cfg.parent / "data" / "sadap.db") as store:
        return Counter(d.status for d in store.deliveries())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["kill", "outage"])
    ap.add_argument("--outage", type=float, default=60.0, help="seconds the receiver is down (case outage)")
    args = ap.parse_args()
    port = free_port()
    receiver = Receiver(port)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cfg = prepare(folder, port)
        log = open(folder / "run.log", "wb")
        t0 = time.monotonic()
        if args.case == "kill":
            State.mode = "hang"
            receiver.up()
            proc = start(cfg, log)
            assert wait_for(lambda: State.requests, 60), "no delivery attempt within 60 s"
            time.sleep(1.0)  # it is inside the request now
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            print(f"killed sadap run (SIGKILL) during delivery at {time.monotonic() - t0:.1f} s; "
                  f"outbox then: {dict(outbox(cfg))}")
            State.release.set()
            receiver.down()
            State.mode = "ok"
            receiver.up()
            proc = start(cfg, log)
        else:
            proc = start(cfg, log)  # nothing listening on the port
            time.sleep(args.outage)
            print(f"receiver down for {args.outage:.0f} s: {len(State.requests)} requests got through; "
                  f"outbox then: {dict(outbox(cfg))}")
            receiver.up()
        recovered = time.monotonic()
        ok = wait_for(lambda: State.answered, 180)
        time.sleep(20)  # anything sent twice would arrive now
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        receiver.down()
        print(f"delivered after recovery: {ok} ({time.monotonic() - recovered - 20:.1f} s after it)")
        print(f"requests received in all: {len(State.requests)}; distinct delivery ids: {len(set(State.requests))}; "
              f"answered 200 (distinct ids): {len(State.answered)}")
        print(f"outbox at the end: {dict(outbox(cfg))}")
        with SQLiteStore(cfg.parent / "data" / "sadap.db") as store:
            incidents = store.list_incidents()
            print(f"alerts fired: {len(store.alerts_since(now_utc() - timedelta(days=1)))}; incidents: {len(incidents)}")
            for inc in incidents:
                print("  timeline:", [e.kind + (f"×{e.data['times']}" if e.data.get("times") else "") for e in store.events(inc.id)])


if __name__ == "__main__":
    main()
