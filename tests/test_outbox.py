"""The notification outbox against a real SQLite store and a real local HTTP receiver: queued
with the alert, retried while the receiver is down, sent once (one delivery id), resumed
after a worker dies, given up (and escalated) after ``max_age``; the CLI's --json and
--dry-run; escalation messages filled in; ``still_active`` coalesced."""

from __future__ import annotations

import io
import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from alerts.notifiers.console import ConsoleNotifier, ConsoleOptions
from alerts.notifiers.webhook import DELIVERY_HEADER, WebhookNotifier
from alerts.outbox import OutboxSettings, OutboxWorker
from sadap.app.alerting import build_engine
from sadap.app.config import load_config_file
from sadap.core.incident import Incident
from sadap.core.timeutil import now_utc
from sadap.store.sqlite import SQLiteStore
from tests.test_alerts import CONFIG, NOW, _webhook_config, quiet_week_and_crisis


class Clock:
    def __init__(self) -> None:
        self.now = now_utc()

    def __call__(self):
        return self.now


class Receiver(BaseHTTPRequestHandler):
    """Counts requests and distinct X-Sadap-Delivery ids; answers ``status``."""

    requests: list = []
    status = 200
    answer_headers: dict = {}

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).requests.append((self.headers[DELIVERY_HEADER], json.loads(body)))
        self.send_response(type(self).status)
        for name, value in type(self).answer_headers.items():
            self.send_header(name, value)
        self.end_headers()

    def log_message(self, *args):
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hook:
    """A receiver on a fixed port that can be taken down and brought back."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.handler = type("R", (Receiver,), {"requests": [], "status": 200, "answer_headers": {}})
        self.server: ThreadingHTTPServer | None = None

    def up(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def delivery_ids(self) -> list[str]:
        return [i for i, _ in self.handler.requests]


@pytest.fixture
def hook():
    h = Hook()
    yield h
    h.down()


@pytest.fixture
def setup(tmp_path):
    (tmp_path / "sadap.yaml").write_text(CONFIG, encoding="utf-8")
    config = load_config_file(tmp_path / "sadap.yaml")
    store = SQLiteStore(tmp_path / "alerts.db")
    yield config, store
    store.close()


def _engine(config, store, notifiers, clock, **settings):
    engine = build_engine(config, store, notifiers=notifiers)
    engine.worker = OutboxWorker(store, notifiers, OutboxSettings(**settings), clock)
    return engine


def test_receiver_down_then_back_delivers_each_alert_exactly_once(setup, hook):
    config, store = setup
    quiet_week_and_crisis(store)
    clock = Clock()
    web = WebhookNotifier(_webhook_config(hook.url).model_copy(update={"retries": 0}))
    engine = _engine(config, store, [web], clock, first_retry=timedelta(seconds=30), max_age=timedelta(hours=1))
    fired = engine.check(NOW)  # the receiver is down: queued, one failed attempt each
    assert len(fired) == 2 and hook.handler.requests == []
    assert {d.status for d in store.deliveries()} == {"pending"}
    clock.now += timedelta(seconds=10)
    assert engine.deliver() == {"sent": 0, "failed": 0, "gave_up": 0, "cancelled": 0}  # backing off
    clock.now += timedelta(seconds=25)
    assert engine.deliver()["failed"] == 2  # still down: the wait doubles
    assert all(d.next_at == clock.now + timedelta(seconds=60) for d in store.deliveries())
    hook.up()
    clock.now += timedelta(seconds=61)
    assert engine.deliver()["sent"] == 2
    clock.now += timedelta(minutes=10)
    assert engine.deliver() == {"sent": 0, "failed": 0, "gave_up": 0, "cancelled": 0}  # nothing twice
    ids = hook.delivery_ids()
    assert len(ids) == 2 and len(set(ids)) == 2
    assert sorted(ids) == sorted(d.id for d in store.deliveries("sent"))
    events = store.events(fired[0].incident)
    assert [e.kind for e in events] == ["opened", "queued", "notify_failed", "notified"]  # two failures, one line
    assert events[2].data["times"] == 2 and events[2].data["attempts"] == 2


def test_a_delivery_failing_again_and_again_is_one_timeline_line(setup, hook):
    """A receiver down for an hour: dozens of failed tries of each delivery, but each delivery is
    one ``notify_failed`` line with the count, the last error and when it was last tried."""
    config, store = setup
    quiet_week_and_crisis(store)
    hook.up()
    hook.handler.status = 503
    clock = Clock()
    web = WebhookNotifier(_webhook_config(hook.url).model_copy(update={"retries": 0}))
    engine = _engine(config, store, [web], clock, first_retry=timedelta(seconds=30),
                     max_backoff=timedelta(seconds=60), max_age=timedelta(hours=2))
    fired = {a.rule: a for a in engine.check(NOW)}
    start = clock.now
    for _ in range(40):
        clock.now += timedelta(seconds=61)
        engine.deliver()
    hook.handler.status = 500  # a different error last
    clock.now += timedelta(seconds=61)
    engine.deliver()
    incident = fired["outage"].incident
    failed = [e for e in store.events(incident) if e.kind == "notify_failed"]
    delivery = next(d for d in store.deliveries(incident_id=incident) if d.notifier == "hook")
    assert len(failed) == 1, [e.text for e in failed]
    line = failed[0]
    assert line.data["delivery"] == delivery.id
    assert line.data["times"] == delivery.attempts == 42  # the first try, 40 retries, the last one
    assert "HTTP 500" in line.text  # the last error, not the first
    assert line.at < start + timedelta(seconds=1)  # keeps the first failure's place and time
    assert line.data["last_at"] == clock.now.astimezone(line.at.tzinfo).isoformat()
    hook.handler.status = 200
    clock.now += timedelta(seconds=61)
    assert engine.deliver()["sent"] == 2
    kinds = [e.kind for e in store.events(incident)]
    assert kinds[-2:] == ["notify_failed", "notified"] and kinds.count("notify_failed") == 1
    # another incident's delivery keeps its own line
    other = [e for e in store.events(fired["negative-surge"].incident) if e.kind == "notify_failed"]
    assert len(other) == 1 and other[0].data["delivery"] != delivery.id


def test_the_delivery_id_is_stable_across_retries_and_a_dead_worker(setup, hook):
    config, store = setup
    quiet_week_and_crisis(store)
    hook.up()
    hook.handler.status = 500  # answers, but fails: the same id on every try
    clock = Clock()
    web = WebhookNotifier(_webhook_config(hook.url).model_copy(update={"retries": 1}))
    web.sleep = lambda s: None
    engine = _engine(config, store, [web], clock, first_retry=timedelta(seconds=1))
    engine.check(NOW)
    first = list(hook.handler.requests)
    assert len(first) == 4  # two alerts, two attempts each
    by_rule: dict = {}
    for delivery_id, body in first:
        by_rule.setdefault(body["rule"], set()).add(delivery_id)
    assert all(len(ids) == 1 for ids in by_rule.values())
    # A worker claims them and dies (kill -9) before it can record anything.
    clock.now += timedelta(seconds=5)
    lease = timedelta(seconds=90)
    dead = store.claim_due(clock(), lease)
    assert len(dead) == 2
    hook.handler.status = 200
    after_restart = OutboxWorker(store, [web], OutboxSettings(), clock)
    assert after_restart.run()["sent"] == 0  # still leased to the dead worker
    clock.now += lease
    assert after_restart.run()["sent"] == 2
    sent = hook.handler.requests[len(first):]
    assert {body["rule"]: {i} for i, body in sent} == by_rule  # the receiver can drop repeats by id
    assert after_restart.run()["sent"] == 0


def test_gives_up_after_max_age_and_tells_the_other_notifiers(setup, hook):
    config, store = setup
    quiet_week_and_crisis(store)
    clock = Clock()
    web = WebhookNotifier(_webhook_config(hook.url).model_copy(update={"retries": 0}))
    out = io.StringIO()
    console = ConsoleNotifier(ConsoleOptions(id="console", type="console"), stream=out)
    engine = _engine(config, store, [web, console], clock, first_retry=timedelta(minutes=1), max_age=timedelta(minutes=5))
    fired = {a.rule: a for a in engine.check(NOW)}
    for _ in range(8):
        clock.now += timedelta(minutes=1, seconds=1)
        engine.deliver()
    gave_up = store.deliveries("gave_up")
    assert {d.notifier for d in gave_up} == {"hook"} and len(gave_up) == 2
    text = out.getvalue()
    assert text.count("ส่งการแจ้งเตือนทาง hook ไม่สำเร็จ") == 2
    kinds = [e.kind for e in store.events(fired["outage"].incident)]
    assert "gave_up" in kinds and kinds.count("notified") == 2  # the alert, then the give-up notice
    assert not store.deliveries("pending") and not store.deliveries("sending")


def test_a_refused_delivery_is_given_up_at_once_and_the_others_are_told(setup, hook):
    """A 404 (a deleted webhook, a wrong URL) fails the same way every time: it is not tried again
    for max_age (24 h) before on-call hears that the channel is broken."""
    config, store = setup
    quiet_week_and_crisis(store)
    hook.handler.status = 404
    hook.up()
    clock = Clock()
    web = WebhookNotifier(_webhook_config(hook.url).model_copy(update={"retries": 3}))
    out = io.StringIO()
    console = ConsoleNotifier(ConsoleOptions(id="console", type="console"), stream=out)
    engine = _engine(config, store, [web, console], clock)
    fired = {a.rule: a for a in engine.check(NOW)}
    clock.now += timedelta(seconds=1)
    engine.deliver()  # the give-up notices queued during the first pass
    assert len(hook.handler.requests) == 2  # one request per alert: 404 is not retried
    assert {d.notifier for d in store.deliveries("gave_up")} == {"hook"} and not store.deliveries("pending")
    assert out.getvalue().count("ส่งการแจ้งเตือนทาง hook ไม่สำเร็จหลังพยายาม 1 ครั้ง") == 2
    events = store.events(fired["outage"].incident)
    assert "HTTP 404" in next(e.text for e in events if e.kind == "gave_up")
    clock.now += timedelta(hours=1)
    engine.deliver()
    assert len(hook.handler.requests) == 2


def test_the_outbox_waits_as_long_as_retry_after_asks(setup, hook):
    """A Retry-After longer than the notifier may wait within one send is not a refusal: the
    outbox tries again, and not before the receiver said it would take requests."""
    config, store = setup
    quiet_week_and_crisis(store)
    hook.handler.status = 429
    hook.handler.answer_headers = {"Retry-After": "900"}
    hook.up()
    clock = Clock()
    web = WebhookNotifier(_webhook_config(hook.url).model_copy(update={"retries": 0}))
    engine = _engine(config, store, [web], clock, first_retry=timedelta(seconds=30))
    engine.check(NOW)
    pending = store.deliveries("pending")
    assert len(pending) == 2 and all(d.next_at == clock.now + timedelta(seconds=900) for d in pending)
    hook.handler.status, hook.handler.answer_headers = 200, {}
    clock.now += timedelta(minutes=10)
    assert engine.deliver()["sent"] == 0 and len(hook.handler.requests) == 2
    clock.now += timedelta(minutes=5, seconds=1)
    assert engine.deliver()["sent"] == 2


def test_json_sends_notifications_and_keeps_stdout_json(tmp_path, hook):
    from sadap.app.cli import main

    hook.up()
    (tmp_path / "sadap.yaml").write_text(
        CONFIG + f"data_dir: data\nnotifiers:\n  - {{id: console, type: console}}\n"
        f"  - {{id: hook, type: webhook, url: '{hook.url}'}}\n",
        encoding="utf-8",
    )
    config = load_config_file(tmp_path / "sadap.yaml")
    with SQLiteStore(config.store_path) as store:
        quiet_week_and_crisis(store)
    runner = CliRunner()
    cfg = str(tmp_path / "sadap.yaml")
    dry = runner.invoke(main, ["alerts", "check", "--config", cfg, "--at", NOW.isoformat(), "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert {r["rule"] for r in json.loads(dry.stdout)} == {"outage", "negative-surge"}
    assert hook.handler.requests == []
    with SQLiteStore(config.store_path) as store:
        assert store.list_incidents() == [] and store.last_fired("outage", "ธนาคารแสงทอง") is None
    result = runner.invoke(main, ["alerts", "check", "--config", cfg, "--at", NOW.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)  # the console notifier printed to stderr, not into the JSON
    assert {r["rule"] for r in rows} == {"outage", "negative-surge"}
    assert "🔔" in result.stderr
    assert len(hook.handler.requests) == 2  # --json changes the output only


def test_escalation_message_fills_every_variable_and_counts_mentions(setup):
    config, store = setup
    engine = build_engine(config, store, notifiers=[])
    incident = Incident(playbook="service-outage", rule="outage", key=None, severity="P2", title="t",
                        opened_at=NOW, updated_at=NOW, alert_count=1, mention_count=47)
    template = "[{playbook}] {key} {count} ข้อความ ตั้งแต่ {since} น. คำที่พบบ่อย: {top_terms} ใน {window}"
    text = engine._render(template, incident, "th", NOW + timedelta(minutes=30))
    assert "{" not in text and "}" not in text
    assert "47 ข้อความ" in text and "30 นาที" in text


def test_still_active_is_coalesced(setup):
    config, store = setup
    quiet_week_and_crisis(store)
    engine = build_engine(config, store, notifiers=[])
    fired = {a.rule: a for a in engine.check(NOW)}
    for minutes in range(1, 30):
        engine.check(NOW + timedelta(minutes=minutes))
    kinds = [e.kind for e in store.events(fired["negative-surge"].incident)]
    assert kinds.count("still_active") == 1, kinds
