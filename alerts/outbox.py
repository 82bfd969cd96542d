"""The outbox: every notification is written to the store with the alert that caused it, and
this worker sends it, so an alert that fired always reaches someone.

* **Queued** with the alert, in the same store transaction (``Store.record_fired``): a crash
  after the alert is recorded leaves the notification queued, never lost.
* **Claimed** before sending (``Store.claim_due``): marked ``sending`` for a lease long enough
  for every in-process attempt of its notifier; a worker that dies (kill -9) leaves it
  ``sending``, and once the lease runs out the next worker (after a restart) takes it again.
* **Sent** once per delivery id: the id is the idempotency key the receiver sees
  (``X-Sadap-Delivery`` on webhooks, ``X-Line-Retry-Key`` on LINE), the same across
  retries, processes and restarts, so a receiver drops the copy a crash may cause.
* **Retried** with backoff (``first_retry`` doubling up to ``max_backoff``, or longer when the
  receiver's ``Retry-After`` asks) while the receiver is down, for up to ``max_age`` after it
  was queued; then ``gave_up``, and the other notifiers are told (an escalation), so on-call
  learns that a channel is broken. A delivery the receiver refuses (HTTP 400, 401, 403, 404,
  a refused SMTP login …) is given up at once: sending it again would fail the same way.

Every step is on the incident's timeline: ``queued``, ``notified`` (sent), ``notify_failed``
(an attempt failed, will retry), ``gave_up``. A delivery that fails again and again is one
``notify_failed`` line, folded: ``data.times`` failures, the last error as its text,
``data.last_at`` the last try (``Store.fold_event``)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.notifiers import Notification, Notifier
from alerts.notifiers.delivery import DeliveryFailed
from sadap.core.errors import NotifyError
from sadap.core.incident import IncidentEvent
from sadap.core.timeutil import now_utc
from sadap.store import Delivery, Store

log = logging.getLogger(__name__)


#: What a delivery attempt can come to (:meth:`OutboxWorker.run` counts them).
OUTCOMES = ("sent", "failed", "gave_up", "cancelled")


@dataclass(frozen=True)
class OutboxSettings:
    """How long and how often the worker keeps trying (``delivery:`` in sadap.yaml)."""

    max_age: timedelta = timedelta(hours=24)
    first_retry: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(minutes=10)


def new_deliveries(
    notifiers: Sequence[Notifier], note: Notification, incident_id: str | None, at: datetime, kind: str = "alert"
) -> list[Delivery]:
    """One outbox entry per notifier for ``note``, queued (and due) at ``at``: the real time,
    which the outbox's ages and retries run on, even when rules are evaluated as of the past."""
    return [
        Delivery(
            id=str(uuid.uuid4()), notifier=n.id, created_at=at, text_th=note.text_th, text_en=note.text_en,
            payload=note.payload, incident_id=incident_id, kind=kind, next_at=at + timedelta(microseconds=i),
        )
        for i, n in enumerate(notifiers)
    ]


def queued_events(deliveries: Sequence[Delivery], at: datetime) -> list[tuple[str, IncidentEvent]]:
    return [
        (d.incident_id, IncidentEvent(at=at, kind="queued", text=d.notifier, data={"delivery": d.id, "kind": d.kind}))
        for d in deliveries
        if d.incident_id
    ]


def lease_for(notifier: Notifier | None) -> timedelta:
    """How long one ``send`` may take: every in-process attempt with its timeout and waits (each
    as long as the receiver's ``Retry-After`` may ask, up to ``max_retry_after``), plus a margin."""
    config = getattr(notifier, "config", None)
    if notifier is None or config is None:
        return timedelta(seconds=60)
    attempts = getattr(config, "retries", 0) + 1
    timeout = getattr(config, "timeout", timedelta(0)).total_seconds()
    asked = getattr(config, "max_retry_after", timedelta(0)).total_seconds()
    waits = sum(max(min(notifier.backoff_seconds * 2**i, notifier.max_backoff_seconds), asked) for i in range(attempts - 1))
    return timedelta(seconds=attempts * timeout + waits + 30)


class OutboxWorker:
    """Sends what is due in the outbox. Safe to run in several processes at once (claims)."""

    def __init__(
        self,
        store: Store,
        notifiers: Sequence[Notifier],
        settings: OutboxSettings | None = None,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.store = store
        self.notifiers = {n.id: n for n in notifiers}
        self.settings = settings or OutboxSettings()
        self.clock = clock

    def backoff(self, attempts: int) -> timedelta:
        wait: timedelta = self.settings.first_retry * (2 ** max(attempts - 1, 0))
        longest: timedelta = self.settings.max_backoff
        return min(wait, longest)

    def run(self, limit: int = 10_000) -> dict[str, int]:
        """One pass: send every delivery due when it starts, once (at most ``limit``). Returns
        counts by outcome.

        Each delivery is claimed just before it is sent, for one send's lease: a batch claimed at
        once would outlive its lease while the sends before it ran, and the next pass (or another
        process) would claim and send its last ones a second time."""
        counts = dict.fromkeys(OUTCOMES, 0)
        due = self.clock()
        lease = max((lease_for(n) for n in self.notifiers.values()), default=timedelta(seconds=60))
        for _ in range(limit):
            now = self.clock()
            claimed = self.store.claim_due(due, lease + (now - due), 1)  # the lease runs from now
            if not claimed:
                break
            counts[self._attempt(claimed[0])] += 1
        return counts

    def _attempt(self, d: Delivery) -> str:
        if d.kind == "escalation" and self._settled(d):
            d.status, d.next_at, d.last_error = "cancelled", None, "the incident was acknowledged or resolved first"
            self.store.save_delivery(d)
            log.info("escalation %s to %s not sent: incident %s is no longer open", d.id, d.notifier, d.incident_id)
            return "cancelled"
        notifier = self.notifiers.get(d.notifier)
        d.attempts += 1
        error = ""
        refused = False  # the receiver refused it: sending it again would fail the same way
        asked = 0.0  # seconds the receiver asked to wait (Retry-After)
        if notifier is None:
            error = f"notifier {d.notifier!r} is no longer configured"
        else:
            note = Notification(text_th=d.text_th, text_en=d.text_en, payload=d.payload, delivery_id=d.id)
            try:
                notifier.send(note)
            except DeliveryFailed as err:
                error, refused, asked = str(err), err.permanent, err.retry_after or 0.0
            except NotifyError as err:
                error = str(err)
            except Exception as err:  # never let a notifier crash the worker
                log.exception("notifier %s crashed", d.notifier)
                error = f"{d.notifier}: {type(err).__name__}"
        now = self.clock()
        if not error:
            d.status, d.sent_at, d.next_at, d.last_error = "sent", now, None, ""
            self.store.save_delivery(d)
            self._event(d, IncidentEvent(at=now, kind="notified", text=d.notifier,
                                         data={"delivery": d.id, "attempts": d.attempts}))
            return "sent"
        d.last_error = error
        if notifier is None or refused or now - d.created_at >= self.settings.max_age:
            d.status, d.next_at = "gave_up", None
            self.store.save_delivery(d)
            log.error("gave up delivering %s to %s after %d attempt(s): %s", d.id, d.notifier, d.attempts, error)
            self._event(d, IncidentEvent(at=now, kind="gave_up", text=error,
                                         data={"delivery": d.id, "attempts": d.attempts, "notifier": d.notifier}))
            self._escalate(d, now)
            return "gave_up"
        d.status, d.next_at = "pending", now + max(self.backoff(d.attempts), timedelta(seconds=asked))
        self.store.save_delivery(d)
        log.error("%s (attempt %d; next try at %s)", error, d.attempts, d.next_at.isoformat(timespec="seconds"))
        # One line per delivery however often it fails: the count, the last error and when.
        self._event(d, IncidentEvent(at=now, kind="notify_failed", text=error,
                                     data={"delivery": d.id, "attempts": d.attempts, "notifier": d.notifier}),
                    fold=True)
        return "failed"

    def _settled(self, d: Delivery) -> bool:
        """Whether an escalation's incident is no longer open (someone acknowledged it meanwhile)."""
        incident = self.store.get_incident(d.incident_id) if d.incident_id else None
        return incident is not None and incident.state != "open"

    def _event(self, d: Delivery, event: IncidentEvent, fold: bool = False) -> None:
        if not d.incident_id:
            return
        if fold:
            self.store.fold_event(d.incident_id, event, same="delivery")
        else:
            self.store.add_event(d.incident_id, event)

    def _escalate(self, d: Delivery, at: datetime) -> None:
        """Tell the other notifiers that this one could not deliver (not for a give-up notice itself)."""
        if d.kind == "gave_up":
            return
        others = [n for n in self.notifiers.values() if n.id != d.notifier]
        if not others:
            log.critical("no other notifier to tell that %s could not deliver an alert", d.notifier)
            return
        first_th = d.text_th.splitlines()[0] if d.text_th else ""
        first_en = d.text_en.splitlines()[0] if d.text_en else ""
        note = Notification(
            text_th=f"⚠️ ส่งการแจ้งเตือนทาง {d.notifier} ไม่สำเร็จหลังพยายาม {d.attempts} ครั้ง: {first_th}\n{d.text_th}",
            text_en=f"Could not deliver via {d.notifier} after {d.attempts} attempt(s): {first_en}\n{d.text_en}",
            payload={**d.payload, "undelivered": {"notifier": d.notifier, "delivery": d.id, "attempts": d.attempts}},
        )
        deliveries = new_deliveries(others, note, d.incident_id, at, kind="gave_up")
        self.store.enqueue(deliveries, queued_events(deliveries, at))
