"""``sadap run``: APScheduler 3.x drives crawls (each in its own process, since Twisted's
reactor cannot restart), file imports and the scheduled evaluation of windowed rules.

Roles (``--role``): ``all`` (one machine: scheduler and, with ``--port``, the workspace),
``scheduler``, ``worker`` (``sadap worker``) and ``web``. The scheduler's jobs run only while
it holds the lease (:func:`sadap.app.distributed.scheduler_lease`): a second scheduler waits and
takes over when the first dies. With ``distributed.redis_url`` set, a crawl job pushes the
source's round to the workers instead of crawling here."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from sadap.app import backup as backups
from sadap.app.alerting import build_engine
from sadap.app.config import Config
from sadap.app.crawl_reports import load_reports, save_report
from sadap.app.distributed import Lease, answer_within, push_start, redis_problem, scheduler_lease
from sadap.app.importer import import_file
from sadap.app.logs import show_service_logs
from sadap.app.partners import push
from sadap.app.privacy import purge
from sadap.app.worker import run_worker, worker_config
from sadap.core.datalock import hold
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


def crawl_on_workers(config: Config) -> Crawler:
    """The crawl job with ``distributed.redis_url``: the round is pushed to the workers."""

    def start_round(config_path: str, source: str) -> int:
        push_start(config, source)
        return 0

    return start_round


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
            log.info("outbox: %d sent, %d failed (will retry), %d given up, %d escalations no longer needed",
                     counts["sent"], counts["failed"], counts["gave_up"], counts.get("cancelled", 0))

    def ingest_file(path: str) -> None:
        report = import_file(config, path)
        log.info("file %s: %s stored, %s rejected, %s erased on request (not stored again)", path, report["stored"],
                 len(report["rejected"]), report["erased"])

    def crawl_source(name: str) -> int:
        """One crawl; a crawl process that dies before it records its report is recorded here."""
        started = now_utc()
        code = crawler(str(config.path), name)
        if code:
            last = load_reports(store).get(name)
            if last is None or last["finished_at"] < started:
                save_report(store, name, started=started, finished=now_utc(), errors=1,
                            first_error=f"the crawl process failed (exit {code}); see the service log")
        return code

    def share(name: str) -> None:
        partner = config.partner(name)
        try:
            result = push(store, partner, now=clock())
        except NotifyError as err:  # resent at the next push: nothing is recorded for it
            log.warning("%s", err)
            return
        if result.sent:
            log.info("partner %s: %d item(s) pushed", name, result.sent)

    def back_up() -> None:
        if not backups.due(config, clock()):
            return
        result = backups.backup(config, actor="sadap run")
        removed = backups.prune(result.path.parent, config.backup.keep)
        log.info("backup: %s (%.1f MB, %s mentions) in %.1f s; %d older archive(s) removed", result.path,
                 result.size / 1e6, result.counts.get("mentions", "-"), result.seconds, len(removed))
        for link in result.links:
            log.warning("backup: %s is a link, left out of the archive: back up what it points to separately", link)

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
    if config.backup.every:  # at start, then every 10 minutes: backs up when the newest archive is old enough
        scheduler.add_job(back_up, IntervalTrigger(minutes=10), id="backup", **common)
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
            scheduler.add_job(crawl_source, trigger, args=[source.name], id=f"crawl:{source.name}", **common)


ROLES = ("all", "scheduler", "worker", "web")


class LeaderLoop:
    """Runs the scheduler's jobs only while ``lease`` is held: tries to take it every third of its
    length, pauses the jobs when it is lost, and runs them at once when it is taken over."""

    def __init__(
        self, scheduler: BaseScheduler, lease: Lease, ttl_s: float, describe: Callable[[Exception], str] | None = None
    ) -> None:
        self.scheduler = scheduler
        self.describe = describe or (lambda err: f"{type(err).__name__}: {err}")
        self.lease = lease
        self.every = answer_within(ttl_s)  # as long as one try may wait: a try every third of the lease
        self.active = False
        self.stop = threading.Event()
        self.failing: str | None = None  # the last error reaching the lease store, until a try works

    def step(self) -> None:
        try:
            held = self.lease.acquire()
        except Exception as err:  # Redis or the store unreachable: the lease can't be vouched for
            problem = self.describe(err)
            if problem != self.failing:  # once, not every few seconds while it lasts
                log.error("scheduler %s: cannot reach the lease store (%s); standing by and trying again every "
                          "%.0f s", self.lease.holder, problem, self.every)
            self.failing = problem
            held = False
        else:
            if self.failing is not None:
                log.info("scheduler %s: the lease store answers again", self.lease.holder)
            self.failing = None
        if held and not self.active:
            self.active = True
            log.info("scheduler %s: active (holds the lease); rules, notifications and crawl rounds run here", self.lease.holder)
            now = datetime.now(BANGKOK)
            for job in self.scheduler.get_jobs():
                job.modify(next_run_time=now)
            self.scheduler.resume()
        elif not held and self.active:
            self.active = False
            self.scheduler.pause()
            log.warning("scheduler %s: lost the lease; standing by", self.lease.holder)
        elif not held:
            log.debug("scheduler %s: standing by", self.lease.holder)

    def run(self) -> None:
        if not self.active and self.failing is None:
            log.info("scheduler %s: standing by until the lease is free (another scheduler holds it)", self.lease.holder)
        while not self.stop.is_set():
            self.step()
            self.stop.wait(self.every)
        if self.active:
            self.lease.release()


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def stop_on_signals() -> None:
    """Ctrl-C and SIGTERM (``docker stop``, systemd) both stop the service cleanly: the lease
    released, the store closed. SIGINT too when the service was started in the background,
    where the shell makes it ignore SIGINT (``nohup sadap run &``)."""
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _stop)


def run_service(
    config: Config, port: int | None = None, *, block: bool = True, role: str = "all"
) -> BaseScheduler | None:
    """Start the service in ``role``; with ``block`` (``sadap run``) until interrupted, else in the
    background. Returns the scheduler (None for the ``worker`` and ``web`` roles)."""
    from sadap.app.web import serve_forever  # the workspace is only started when asked

    if role not in ROLES:
        raise ConfigError(f"role {role!r}: use one of {', '.join(ROLES)}")
    if role == "worker":
        run_worker(worker_config(config), role="sadap run --role worker")
        return None
    if role == "web":
        serve_forever(config, None, port, role="sadap run --role web")
        return None
    if config.path is None and config.sources:
        raise ConfigError("`sadap run` needs a config file (see `sadap init`)")
    if not block:
        return _scheduled(config, port, block=False, role=role)
    # Held while the process lives: `sadap backup restore` refuses meanwhile.
    with hold(config.data_path, "sadap run" if role == "all" else f"sadap run --role {role}"):
        return _scheduled(config, port, block=True, role=role)


def _scheduled(config: Config, port: int | None, *, block: bool, role: str) -> BaseScheduler:
    """The scheduler's part of :func:`run_service` (roles ``all`` and ``scheduler``)."""
    from sadap.app.web import start_console  # the console is only started when asked

    show_service_logs()
    lease = scheduler_lease(config)
    store = open_store(config)
    scheduler: BaseScheduler = BackgroundScheduler(timezone=BANGKOK)
    crawler = crawl_on_workers(config) if config.distributed.redis_url else crawl_in_subprocess
    schedule(scheduler, config, store, crawler=crawler)
    if port and role == "all":
        url = start_console(config, None, port, store)
        log.info("workspace: %s", url)
    log.info(
        "sadap run: role %s, %d source(s), rules every %s; Ctrl-C to stop",
        role, len(config.sources), config.schedule.alerts_every,
    )
    if lease is None:
        if role == "scheduler":
            log.warning(
                "no distributed.redis_url: nothing stops a second scheduler on Elasticsearch; run exactly one "
                "`sadap run --role scheduler` (or set distributed.redis_url)"
            )
        scheduler.start()
        loop = None
    else:
        scheduler.start(paused=True)
        describe = (lambda err: redis_problem(config, err)) if config.distributed.redis_url else None
        loop = LeaderLoop(scheduler, lease, config.distributed.lease.total_seconds(), describe)
        loop.step()  # take a free lease now, so that the jobs start at once
    if not block:
        if loop is not None:
            threading.Thread(target=loop.run, name="scheduler-lease", daemon=True).start()
        return scheduler
    stop_on_signals()
    try:
        if loop is not None:
            loop.run()
        else:
            while True:
                time.sleep(3600)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if loop is not None:
            loop.stop.set()
            if loop.active:
                lease.release()  # type: ignore[union-attr]
        scheduler.shutdown(wait=False)
        store.close()
    return scheduler
