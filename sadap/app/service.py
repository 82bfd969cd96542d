"""``sadap run``: APScheduler 3.x drives crawls (each in its own process, since Twisted's
reactor cannot restart) and the scheduled evaluation of windowed rules."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import datetime

from sadap.core.errors import ConfigError
from sadap.core.timeutil import BANGKOK, now_utc

log = logging.getLogger("sadap.run")


def crawl_in_subprocess(config_path: str, source: str) -> int:
    cmd = [sys.executable, "-m", "sadap", "crawl", source, "--config", config_path]
    done = subprocess.run(cmd, capture_output=True, text=True)
    for line in (done.stdout + done.stderr).splitlines():
        log.info("crawl %s: %s", source, line)
    if done.returncode:
        log.error("crawl %s failed (exit %s)", source, done.returncode)
    return done.returncode


def run_service(config, port: int | None = None, *, block: bool = True):
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    from alerts.engine import AlertEngine
    from sadap.app.importer import import_file
    from sadap.store import open_store

    if config.path is None and config.sources:
        raise ConfigError("`sadap run` needs a config file (see `sadap init`)")
    logging.getLogger("sadap").setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    store = open_store(config)
    engine = AlertEngine.from_config(config, store)

    def evaluate() -> None:
        fired = engine.check(now_utc())
        log.info("rules evaluated: %d alert(s)", len(fired))

    def ingest_file(path: str) -> None:
        report = import_file(config, path)
        log.info("file %s: %s stored, %s rejected", path, report["stored"], len(report["rejected"]))

    scheduler = (BlockingScheduler if block else BackgroundScheduler)(timezone=BANGKOK)
    first = datetime.now(BANGKOK)
    common = {"max_instances": 1, "coalesce": True, "next_run_time": first, "misfire_grace_time": 300}
    scheduler.add_job(
        evaluate, IntervalTrigger(seconds=config.schedule.alerts_every.total_seconds()), id="alerts", **common
    )
    for source in config.sources:
        if not source.enabled:
            continue
        trigger = IntervalTrigger(seconds=source.every.total_seconds())
        if source.kind == "file":
            path = str((config.base_dir / source.url).resolve())
            scheduler.add_job(ingest_file, trigger, args=[path], id=f"file:{source.name}", **common)
        else:
            scheduler.add_job(
                crawl_in_subprocess, trigger, args=[str(config.path), source.name], id=f"crawl:{source.name}", **common
            )
    if port:
        from sadap.app.web import start_console

        url = start_console(config, None, port, store)
        print(f"workspace: {url}", flush=True)
    print(f"sadap run: {len(config.sources)} source(s), rules every {config.schedule.alerts_every}; Ctrl-C to stop", flush=True)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if block:
            store.close()
    return scheduler
