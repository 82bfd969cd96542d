"""The service's scheduler, in-process: its jobs, an injected clock, and one line per failed job."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler

from sadap.app.config import load_config_file
from sadap.app.service import job_listener, schedule
from sadap.core.timeutil import BANGKOK
from sadap.store.sqlite import SQLiteStore
from tests.factories import mention
from tests.test_alerts import COMPLAINTS, CONFIG, NOW

SOURCES = """
sources:
  - {name: news, kind: rss, url: "http://127.0.0.1:9/rss.xml", every: 10m}
  - {name: old, kind: rss, url: "http://127.0.0.1:9/old.xml", enabled: false}
  - {name: export, kind: file, url: exports/mentions.jsonl, every: 1h}
schedule:
  alerts_every: 2m
"""


def test_schedule_adds_one_job_per_enabled_source_and_evaluates_at_the_injected_time(tmp_path):
    path = tmp_path / "sadap.yaml"
    path.write_text(CONFIG + SOURCES + "data_dir: data\nnotifiers: []\n", encoding="utf-8")
    config = load_config_file(path)
    store = SQLiteStore(tmp_path / "sadap.db")
    store.upsert([mention(i, text, "neg", NOW - timedelta(minutes=30 + i)) for i, text in enumerate(COMPLAINTS)])
    crawled: list[tuple[str, str]] = []
    scheduler = BackgroundScheduler(timezone=BANGKOK)
    schedule(scheduler, config, store, clock=lambda: NOW, crawler=lambda cfg, name: crawled.append((cfg, name)) or 0)

    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"alerts", "outbox", "crawl:news", "file:export"}  # outbox: sends and retries queued notifications
    assert jobs["alerts"].trigger.interval == timedelta(minutes=2)
    assert jobs["crawl:news"].trigger.interval == timedelta(minutes=10)
    assert jobs["file:export"].args == (str((tmp_path / "exports" / "mentions.jsonl").resolve()),)
    assert jobs["alerts"].next_run_time == NOW  # the first run is due at once, by the injected clock

    jobs["crawl:news"].func(*jobs["crawl:news"].args)
    assert crawled == [(str(path.resolve()), "news")]
    jobs["alerts"].func()
    fired = store.last_fired("outage", "ธนาคารแสงทอง")
    assert fired == NOW  # evaluated as of the injected time, not the wall clock
    store.close()


def test_a_crawl_process_that_dies_is_recorded_for_the_sources_page(tmp_path):
    from sadap.app.crawl_reports import load_reports, save_report
    from sadap.core.timeutil import now_utc

    path = tmp_path / "sadap.yaml"
    path.write_text(CONFIG + SOURCES + "data_dir: data\nnotifiers: []\n", encoding="utf-8")
    config = load_config_file(path)
    store = SQLiteStore(tmp_path / "sadap.db")
    codes = iter([-9, 0])
    scheduler = BackgroundScheduler(timezone=BANGKOK)
    schedule(scheduler, config, store, clock=lambda: NOW, crawler=lambda cfg, name: next(codes))
    job = scheduler.get_job("crawl:news")
    job.func(*job.args)  # killed before it could write its own report
    report = load_reports(store)["news"]
    assert report["errors"] == 1 and "exit -9" in report["first_error"]
    # a crawl that wrote its own report keeps it
    save_report(store, "news", started=now_utc(), finished=now_utc(), items=4, new=2)
    job.func(*job.args)
    assert load_reports(store)["news"]["items"] == 4
    store.close()


def test_a_failed_or_missed_job_is_one_log_line(caplog):
    caplog.set_level(logging.INFO, logger="sadap.run")
    job_listener(JobExecutionEvent(EVENT_JOB_ERROR, "crawl:news", "default", NOW, exception=OSError("ดิสก์เต็ม")))
    job_listener(JobExecutionEvent(EVENT_JOB_MISSED, "alerts", "default", NOW))
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "job crawl:news failed: OSError: ดิสก์เต็ม"
    assert lines[1].startswith("job alerts missed its run at 2026-11-21 03:00:00")
    assert len(lines) == 2
