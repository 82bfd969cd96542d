"""Crawl configured sources in-process and hand what they find to Sadap's ingest pipeline.

Twisted's reactor can run only once per process, so :func:`crawl` can be called once
per process. Callers that crawl repeatedly (``sadap run`` on a schedule) should run
``sadap crawl`` in a subprocess each time.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import datetime
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.utils.project import get_project_settings

from crawlers.spiders import SPIDERS, SourceOptions
from sadap.app.config import Config
from sadap.app.crawl_reports import save_report
from sadap.app.logs import remove_cli_logging
from sadap.core.errors import ConfigError, StoreError
from sadap.core.timeutil import now_utc
from sadap.core.urls import UnsafeUrlError, check_source_url
from sadap.store import open_store

logger = logging.getLogger(__name__)

# Per-source result keys and the crawl stats they come from.
_STATS = {
    "items": "item_scraped_count",
    "dropped": "item_dropped_count",
    "stored": "sadap/stored",
    "duplicates": "sadap/duplicates",
    "alerts": "sadap/alerts",
    "feed_errors": "sadap/feed_errors",
    "empty_pages": "sadap/empty_pages",
}
# Why items or pages were not stored, by the stat that counts them (see docs/crawlers.md).
_SKIPPED = {
    "sadap/duplicates": "already stored",
    "sadap/erased": "ลบตามคำขอ (erased on request)",
    "sadap/repeated": "repeated in this crawl",
    "sadap/invalid": "invalid item",
    "sadap/empty_pages": "no main text",
    "robotstxt/forbidden": "robots.txt",
}

_started = False
_lock = threading.Lock()


def crawl(
    config: Config,
    sources: list[SourceOptions],
    *,
    log_level: str = "WARNING",
    settings: dict[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Crawl ``sources`` together, blocking until all finish; per-source counts by name.

    ``settings`` overrides project settings from ``crawlers.settings`` (for example
    ``{"DOWNLOAD_DELAY": 0}`` against a local site).

    Each result has ``items``, ``new`` (stored now), ``skipped`` (reason → count:
    already stored, robots.txt, index pages, refused non-http(s) URLs and links, …),
    ``dropped``, ``stored``, ``duplicates``, ``alerts``, ``feed_errors``, ``empty_pages``
    and ``errors`` (error lines logged for that source: one per failed download, HTTP
    error, redirect loop or bad feed).
    Raises :class:`ConfigError` for sources no spider reads (``file``: use
    ``sadap ingest``). Works once per process (see the module docstring).
    """
    for source in sources:
        _check(source)
    # A source missing a key (or another setting read at crawl time) is one error line and
    # errors 1 in its result; the other sources are crawled.
    unready: dict[str, str] = {}
    for source in sources:
        try:
            source.check()
        except ConfigError as err:
            logger.error("%s", err)
            unready[source.name] = str(err)
    results: dict[str, dict[str, Any]] = {
        name: {**{key: 0 for key in _STATS}, "errors": 1} for name in unready
    }
    started = now_utc()
    for name, message in unready.items():
        _report(config, name, results[name], started, message)
    sources = [source for source in sources if source.name not in unready]
    if not sources:
        return results
    global _started
    with _lock:
        if _started:
            raise RuntimeError(
                "sadap.app.crawl.crawl() can run once per process (Twisted's reactor cannot restart); "
                "run `sadap crawl` in a subprocess for repeated crawls"
            )
        _started = True

    remove_cli_logging()  # Scrapy's root handler takes over (at log_level)
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawlers.settings")
    project = get_project_settings()
    project.setdict(settings or {}, priority="cmdline")
    project.set("SADAP_CONFIG", config, priority="cmdline")
    if not project.get("SADAP_STATE_DIR"):
        project.set("SADAP_STATE_DIR", str(config.data_path / "crawl-state"), priority="cmdline")
    project.set("LOG_LEVEL", log_level, priority="cmdline")
    process = CrawlerProcess(project)

    errors = _ErrorCounter()
    failed: dict[str, str] = {}
    crawlers: dict[str, Crawler] = {}
    for source in sources:
        crawler = process.create_crawler(SPIDERS[source.kind])
        crawlers[source.name] = crawler
        done = process.crawl(crawler, **source.spider_arguments())
        done.addErrback(_failed, source.name, failed)

    logging.root.addHandler(errors)
    main = threading.current_thread() is threading.main_thread()
    # Scrapy's Ctrl-C and SIGTERM handlers stay after its reactor stopped, and then stop nothing:
    # the caller's come back (`sadap demo --serve` serves on after its crawl until Ctrl-C).
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)} if main else {}
    try:
        process.start(install_signal_handlers=main)
    finally:
        logging.root.removeHandler(errors)
        for sig, handler in handlers.items():
            if handler is not None:  # None: set outside Python, nothing to put back
                signal.signal(sig, handler)

    for name, crawler in crawlers.items():
        # A crawler that failed to start has no stats: read the attribute behind the property.
        stats = crawler._stats.get_stats() if crawler._stats is not None else {}
        result: dict[str, Any] = {key: int(stats.get(stat, 0)) for key, stat in _STATS.items()}
        result["new"] = result["stored"]
        result["skipped"] = _skipped(stats)
        result["errors"] = errors.counts.get(crawler.spider, 0) if crawler.spider is not None else 0
        first = errors.first.get(crawler.spider) if crawler.spider is not None else None
        if name in failed:
            result["errors"] += 1
            first = first or f"crawl failed: {failed[name]}"
        results[name] = result
        _report(config, name, result, started, first)
    return results


def _report(config: Config, name: str, result: dict[str, Any], started: datetime, first_error: str | None) -> None:
    """Keep this crawl as the source's last one in the store (the workspace's Sources page shows it)."""
    try:
        with open_store(config) as store:
            save_report(store, name, started=started, finished=now_utc(), items=result.get("items", 0),
                        new=result.get("stored", 0), errors=result.get("errors", 0), first_error=first_error)
    except (OSError, StoreError) as err:
        logger.error("source %r: could not record its crawl report: %s", name, err)


def _skipped(stats: dict[str, Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for stat, reason in _SKIPPED.items():
        if stats.get(stat):
            found[reason] = int(stats[stat])
    for stat, value in stats.items():
        if stat.startswith("sadap/skipped/") and value:
            found[stat.removeprefix("sadap/skipped/").replace("_", " ")] = int(value)
    return found


def _check(source: SourceOptions) -> None:
    if source.kind == "file":
        raise ConfigError(f"source {source.name!r}: use `sadap ingest` for file sources")
    if source.url:  # also checked when the config is read; sources built in code come here too
        try:
            check_source_url(source.url)
        except UnsafeUrlError as err:
            raise ConfigError(f"source {source.name!r}: url {err}") from None
    if source.kind not in SPIDERS:
        raise ConfigError(f"source {source.name!r}: no spider for kind {source.kind!r} (use {', '.join(SPIDERS)})")


def _failed(failure: Any, name: str, failed: dict[str, str]) -> None:
    # A spider that could not start (bad arguments, a broken component): one line, and
    # the other sources carry on.
    message = str(failure.value).splitlines()[0] if str(failure.value) else failure.type.__name__
    failed[name] = message
    logger.error("source %r: crawl failed: %s", name, message)


class _ErrorCounter(logging.Handler):
    """Counts ERROR lines per spider. Scrapy's ``log_count/ERROR`` counts every error in
    the process while a crawler runs, which mixes up sources crawled side by side."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.counts: dict[Any, int] = {}
        self.first: dict[Any, str] = {}  # the first error line of each spider, for its crawl report

    def emit(self, record: logging.LogRecord) -> None:
        spider = getattr(record, "spider", None)
        if spider is not None:
            self.counts[spider] = self.counts.get(spider, 0) + 1
            if spider not in self.first:
                try:
                    message = record.getMessage()
                except Exception:  # a bad format string in someone's log call
                    message = str(record.msg)
                self.first[spider] = message.splitlines()[0] if message else "error"
