"""``sadap run``: APScheduler 3.x drives crawls (each in its own process, since Twisted's
reactor cannot restart), file imports and the scheduled evaluation of windowed rules."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from sadap.app.alerting import build_engine
from sadap.app.config import Config
from sadap.app.importer import import_file
from sadap.app.logs import show_service_logs
from sadap.app.partners import push
from sadap.app.privacy import purge
from sadap.core.errors import ConfigError, NotifyError
from sadap.core.timeutil import BANGKOK, now_utc
from sadap.store import Store, open_store

log = logging.getLogger("sadap.run")

#: Runs one crawl of a source (by default `sadap crawl` in a subprocess); returns its exit code.
Crawler = Callable[[str, str], int]


def crawl_in_subprocess(config_path: str, source: str) -> int:
    cmd = [sys.executable, "-m", "sadap", "crawl", source, "--config", config_path]
    done = subprocess.run(cmd, capture_output=True, text=True)
    for line in (done.stdout + done.stderr).splitlines():
        log.info("crawl %s: %s", source, line)
    if done.returncode:
        log.error("crawl %s failed (exit %s)", source, done.returncode)
    return done.returncode


def job_listener(event: JobExecutionEvent) -> None:
    """One log line for a job that raised or missed its time (APScheduler keeps the schedule)."""
    if event.code == EVENT_JOB_MISSED:
        log.warning("job %s missed its run at %s (the machine was busy or asleep)", event.job_id, event.scheduled_run_time)
    elif event.exception is not None:
        log.error("job %s failed: %s: %s", event.job_id, type(event.exception).__name__, event.exception)


def schedule(
    scheduler: BaseScheduler,
    config: Config,
    store: Store,
    *,
    clock: Callable[[], datetime] = now_utc,
    crawler: Crawler = crawl_in_subprocess,
) -> None:
    """Add the service's jobs to ``scheduler``: rule evaluation, retention (with
    ``privacy.retention_days``), then one job per enabled source.
    ``clock`` gives the evaluation time (tests inject one)."""
    engine = build_engine(config, store)

    def evaluate() -> None:
        fired = engine.check(clock())
        log.info("rules evaluated: %d alert(s)", len(fired))

    def deliver() -> None:
        counts = engine.deliver()
        if any(counts.values()):
            log.info("outbox: %d sent, %d failed (will retry), %d given up", counts["sent"], counts["failed"], counts["gave_up"])

    def ingest_file(path: str) -> None:
        report = import_file(config, path)
        log.info("file %s: %s stored, %s rejected", path, report["stored"], len(report["rejected"]))

    def share(name: str) -> None:
        partner = config.partner(name)
        try:
            result = push(store, partner, now=clock())
        except NotifyError as err:  # resent at the next push: nothing is recorded for it
            log.warning("%s", err)
            return
        if result.sent:
            log.info("partner %s: %d item(s) pushed", name, result.sent)

    def retention() -> None:

        report = purge(config, store, now=clock())
        log.info("retention (%s days): %d mentions erased", report["retention_days"], report["mentions"])

    first = clock().astimezone(BANGKOK)
    common: dict[str, Any] = {"max_instances": 1, "coalesce": True, "next_run_time": first, "misfire_grace_time": 300}
    scheduler.add_listener(job_listener, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    scheduler.add_job(
        evaluate, IntervalTrigger(seconds=config.schedule.alerts_every.total_seconds()), id="alerts", **common
    )
    # The outbox: notifications queued with their alerts (also by a process that died) are sent
    # and retried here, at start-up first.
    scheduler.add_job(
        deliver, IntervalTrigger(seconds=config.delivery.every.total_seconds()), id="outbox", **common
    )
    if config.privacy.retention_days:  # PDPA: at start, then daily
        scheduler.add_job(retention, IntervalTrigger(days=1), id="retention", **common)
    for partner in config.partners:
        if partner.webhook:
            scheduler.add_job(share, IntervalTrigger(seconds=partner.push_every.total_seconds()), args=[partner.name],
                              id=f"partner:{partner.name}", **common)
    for source in config.sources:
        if not source.enabled:
            continue
        trigger = IntervalTrigger(seconds=source.every.total_seconds())
        if source.kind == "file":
            path = str((config.base_dir / source.url).resolve())
            scheduler.add_job(ingest_file, trigger, args=[path], id=f"file:{source.name}", **common)
        else:
            scheduler.add_job(crawler, trigger, args=[str(config.path), source.name], id=f"crawl:{source.name}", **common)


def run_service(config: Config, port: int | None = None, *, block: bool = True) -> BaseScheduler:
    """Start the service; with ``block`` (``sadap run``) until interrupted, else in the background."""
    from sadap.app.web import start_console  # the console is only started when a port is given

    if config.path is None and config.sources:
        raise ConfigError("`sadap run` needs a config file (see `sadap init`)")
    show_service_logs()
    store = open_store(config)
    scheduler: BaseScheduler = (BlockingScheduler if block else BackgroundScheduler)(timezone=BANGKOK)
    schedule(scheduler, config, store)
    if port:
        url = start_console(config, None, port, store)
        log.info("workspace: %s", url)
    log.info(
        "sadap run: %d source(s), rules every %s; Ctrl-C to stop", len(config.sources), config.schedule.alerts_every
    )
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if block:
            store.close()
    return scheduler
