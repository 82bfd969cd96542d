"""The outbox claims each delivery just before it sends it, so a long pass never leaves its last
deliveries for another pass to send twice, and a claim outlasts a send waiting on `Retry-After`;
an escalation whose incident was acknowledged before it went out is cancelled, not sent; a link
that is not http(s) is neither stored nor shown (found by a review of the notifications)."""

from __future__ import annotations

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from alerts.message import build_payload, build_text
from alerts.notifiers.console import ConsoleNotifier, ConsoleOptions
from alerts.notifiers.webhook import DELIVERY_HEADER, WebhookNotifier, WebhookOptions
from alerts.outbox import OutboxWorker
from sadap.core.alert import FiredAlert
from sadap.core.incident import Incident
from sadap.core.mention import RawMention, canonical_url, to_mention
from sadap.core.timeutil import now_utc
from sadap.store import Delivery
from sadap.store.sqlite import SQLiteStore
from tests.test_outbox import Clock


class SlowNotifier(ConsoleNotifier):
    """Each send takes ``seconds`` of the test's clock; ``during`` runs once, at send number ``at``."""

    def __init__(self, clock: Clock, seconds: float, at: int, during) -> None:
        super().__init__(ConsoleOptions(id="slow", type="console"))
        self.clock, self.seconds, self.at, self.during = clock, seconds, at, during
        self.sent: list[str] = []

    def send(self, notification) -> None:
        self.sent.append(notification.delivery_id)
        self.clock.now += timedelta(seconds=self.seconds)
        if len(self.sent) == self.at:
            self.during()


def _queue(store: SQLiteStore, at, count: int, kind: str = "alert", incident_id: str | None = None) -> list[Delivery]:
    deliveries = [Delivery(id=f"{kind}-{i:02d}", notifier="slow", created_at=at, text_th=f"แจ้งเตือนที่ {i}",
                           text_en=f"alert {i}", payload={"n": i}, kind=kind, incident_id=incident_id,
                           next_at=at + timedelta(microseconds=i)) for i in range(count)]
    store.enqueue(deliveries)
    return deliveries


def test_a_long_pass_and_another_pass_meanwhile_send_each_delivery_once(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    clock = Clock()
    _queue(store, clock.now, 45)
    clock.now += timedelta(seconds=1)
    # 45 sends of 2 s each: 90 s, longer than one send's lease (60 s). At send 35 another
    # process's pass (70 s in) runs over the same outbox.
    other: list[OutboxWorker] = []
    notifier = SlowNotifier(clock, 2.0, 35, lambda: other[0].run())
    other.append(OutboxWorker(store, [notifier], clock=clock))
    counts = OutboxWorker(store, [notifier], clock=clock).run()
    assert sorted(notifier.sent) == sorted(f"alert-{i:02d}" for i in range(45))  # each once
    assert len(notifier.sent) == 45 and counts["sent"] + 10 == 45  # the other pass sent the last 10
    assert {d.status for d in store.deliveries()} == {"sent"}
    store.close()


def test_a_send_waiting_on_retry_after_keeps_its_claim(tmp_path):
    """A receiver answering 429 with ``Retry-After: 60`` makes one send last minutes; its claim
    must outlast it, or another pass (``sadap alerts check`` beside the service) sends it again."""
    answers = [(429, "60"), (429, "60"), (200, None)]
    got: list[tuple[str, int]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            status, after = answers.pop(0) if len(answers) > 1 else answers[0]
            got.append((self.headers[DELIVERY_HEADER], status))
            self.send_response(status)
            if after:
                self.send_header("Retry-After", after)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    store = SQLiteStore(tmp_path / "s.db")
    clock = Clock()
    hook = WebhookNotifier(WebhookOptions(id="slow", type="webhook", url=f"http://127.0.0.1:{server.server_address[1]}/"))
    other = OutboxWorker(store, [hook], clock=clock)

    def wait(seconds: float) -> None:  # the wait passes on the test's clock; another pass runs meanwhile
        clock.now += timedelta(seconds=seconds)
        other.run()

    hook.sleep = wait
    _queue(store, clock.now, 1)
    clock.now += timedelta(seconds=1)
    try:
        assert OutboxWorker(store, [hook], clock=clock).run()["sent"] == 1
    finally:
        server.shutdown()
        server.server_close()
    assert [status for _, status in got] == [429, 429, 200]  # sent once: the other pass claimed nothing
    assert [d.status for d in store.deliveries()] == ["sent"]
    store.close()


def test_an_escalation_for_an_acknowledged_incident_is_cancelled(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    clock = Clock()
    incident = Incident(playbook="service-outage", rule="outage", severity="P2", title="แอปล่ม",
                        opened_at=clock.now, updated_at=clock.now)
    store.save_incident(incident)
    _queue(store, clock.now, 1, kind="escalation", incident_id=incident.id)
    _queue(store, clock.now, 1, kind="alert", incident_id=incident.id)
    store.save_incident(incident.model_copy(update={"state": "acknowledged"}))  # before the worker ran
    notifier = SlowNotifier(clock, 0.1, 0, lambda: None)
    clock.now += timedelta(seconds=1)
    counts = OutboxWorker(store, [notifier], clock=clock).run()
    assert counts["cancelled"] == 1 and counts["sent"] == 1 and notifier.sent == ["alert-00"]
    [escalation] = store.deliveries("cancelled")
    assert escalation.id == "escalation-00" and "acknowledged" in escalation.last_error
    store.close()


def test_a_link_that_is_not_http_is_neither_stored_nor_shown():
    raw = RawMention(source_kind="file", source_name="import", native_id="1", url="javascript:alert(1)",
                     text="แอปธนาคารแสงทองล่มอีกแล้ว โอนเงินไม่ได้")
    mention = to_mention(raw, pseudonym_key=b"k")
    assert mention.url is None
    bare = to_mention(raw.model_copy(update={"url": "www.example.com/post/1"}), pseudonym_key=b"k")
    assert bare.url == canonical_url("www.example.com/post/1")  # no scheme: kept as text, as before
    shown = mention.model_copy(update={"url": "javascript:alert(1)"})  # as an older store may hold it
    now = now_utc()
    alert = FiredAlert(rule="outage", rule_type="watch", title_th="แอปล่ม", title_en="Outage", severity="P2", count=1,
                       mention_ids=[shown.id], window_start=now - timedelta(hours=1), window_end=now)
    text = build_text(alert, None, None, [shown], "th")
    assert "javascript" not in text and "แอปธนาคารแสงทองล่มอีกแล้ว" in text
    assert build_payload(alert, None, None, [shown])["mentions"][0]["url"] is None
