"""``sadap worker``: the crawl-enrich-store pipeline of every enabled source against the shared
queue in Redis, until stopped (Ctrl-C or SIGTERM: batches in hand are stored first). Each round's
crawl report (items, new, errors: every worker's share added up) goes to the store as the source's
last crawl (:class:`RoundReports`).

Each source is one spider kept open between rounds; its requests come from the source's queue in
Redis, which every worker on every machine shares, and a round starts when the scheduler pushes
it (see :mod:`sadap.app.distributed` and :mod:`crawlers.distributed`). Mentions are enriched and
stored here, by the worker that downloaded them.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.utils.project import get_project_settings

from crawlers.spiders import SPIDERS
from sadap.app.config import Config
from sadap.app.crawl import _check, _ErrorCounter
from sadap.app.crawl_reports import save_report
from sadap.app.distributed import check_redis, default_worker_id, key, redis_client, scrapy_settings
from sadap.app.logs import remove_cli_logging
from sadap.core.errors import ConfigError, StoreError
from sadap.core.timeutil import UTC, now_utc
from sadap.store import Store, open_store

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger("sadap.worker")


def worker_config(config: Config, worker_id: str | None = None) -> Config:
    """``config`` with this worker's id set (``--id``, else the config's, else the host name)."""
    wid = worker_id or config.worker_id or default_worker_id()
    try:  # the id is checked as the file's would be
        distributed = type(config.distributed).model_validate({**config.distributed.model_dump(), "worker_id": wid})
    except ValidationError as err:
        raise ConfigError(f"worker id {wid!r}: {err.errors()[0]['msg'].removeprefix('Value error, ')}") from None
    return config.model_copy(update={"distributed": distributed})  # private attributes (the file's path) kept


REPORT_KEPT_S = 7 * 24 * 3600


class RoundReports:
    """This worker's share of each crawl round of one source, added up in Redis with the other
    workers' shares (``<prefix>:<source>:report:<round>``) and written to the store as the
    source's last crawl, for the Sources page. A worker's share ends when it goes idle after
    taking part; it is written at the next idle tick, once the batches of that tick are stored."""

    def __init__(self, config: Config, source: str, crawler: Crawler, client: Redis, store: Store,
                 errors: _ErrorCounter) -> None:
        self.config, self.source, self.crawler = config, source, crawler
        self.client, self.store, self.errors = client, store, errors
        self.active = self.pending = False
        self.reported = {"items": 0, "new": 0, "errors": 0}
        crawler.signals.connect(self.response, signal=signals.response_received)
        crawler.signals.connect(self.idle, signal=signals.spider_idle)

    def response(self, *args: Any, **kwargs: Any) -> None:
        self.active = True

    def idle(self, spider: Any) -> None:
        if self.active:
            self.active, self.pending = False, True
            return
        if self.pending:
            self.pending = False
            try:
                self.write(spider)
            except (StoreError, OSError, ValueError) as err:
                log.error("source %r: could not record its crawl report: %s", self.source, err)
            except Exception as err:  # Redis unreachable (redis.exceptions.RedisError): the crawl goes on
                log.error("source %r: could not record its crawl report: %s: %s", self.source, type(err).__name__, err)

    def write(self, spider: Any) -> None:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        now = {"items": int(stats.get("item_scraped_count", 0)), "new": int(stats.get("sadap/stored", 0)),
               "errors": self.errors.counts.get(spider, 0)}
        share = {name: now[name] - self.reported[name] for name in now}
        first = self.errors.first.pop(spider, None) if share["errors"] else None  # the next error starts afresh
        self.reported = now
        raw = self.client.get(key(self.config, self.source, "round"))
        round_id = raw.decode() if isinstance(raw, bytes) else str(raw or time.time())
        totals_key = key(self.config, self.source, "report", round_id)
        pipe = self.client.pipeline()
        for name, value in share.items():
            pipe.hincrby(totals_key, name, value)
        if first:
            pipe.hsetnx(totals_key, "first_error", first)
        pipe.expire(totals_key, REPORT_KEPT_S)
        pipe.hgetall(totals_key)
        totals = {k.decode(): v.decode() for k, v in pipe.execute()[-1].items()}
        save_report(
            self.store, self.source, started=datetime.fromtimestamp(float(round_id), UTC), finished=now_utc(),
            items=int(totals.get("items", 0)), new=int(totals.get("new", 0)), errors=int(totals.get("errors", 0)),
            first_error=totals.get("first_error"),
        )


def run_worker(
    config: Config,
    *,
    sources: list[str] | None = None,
    log_level: str = "INFO",
    settings: dict[str, Any] | None = None,
) -> None:
    """Run until stopped. ``sources``: names to work on (default: every enabled crawled source);
    ``settings``: Scrapy settings on top of ``crawlers.settings`` (tests and benchmarks use
    ``{"DOWNLOAD_DELAY": 0}`` against a local site)."""
    chosen = [s for s in config.sources if s.enabled and s.kind != "file"]
    if sources:
        chosen = [config.source(name) for name in sources]
    if not chosen:
        raise ConfigError("no enabled crawled sources in the config: a worker has nothing to do")
    for source in chosen:
        _check(source)
        source.check()
    client = redis_client(config)
    check_redis(config, client)  # one clear line now rather than a traceback per spider

    # scrapy-redis 0.9 passes `spider` to the stats collector, which Scrapy 2.19 warns about on every request.
    warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module="scrapy_redis")
    remove_cli_logging()
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawlers.settings")
    project = get_project_settings()
    project.setdict(settings or {}, priority="cmdline")
    project.set("SADAP_CONFIG", config, priority="cmdline")
    if not project.get("SADAP_STATE_DIR"):  # read only to seed the state in Redis (crawls on one machine wrote it)
        project.set("SADAP_STATE_DIR", str(config.data_path / "crawl-state"), priority="cmdline")
    project.set("LOG_LEVEL", log_level, priority="cmdline")
    process = CrawlerProcess(project)
    store = open_store(config)  # the crawl reports (the ingest has its own)
    errors = _ErrorCounter()
    reports: list[RoundReports] = []  # held here: Scrapy's signals keep only weak references
    for source in chosen:
        crawler = process.create_crawler(SPIDERS[source.kind])
        # Its own queue, filter and start list (settings are frozen only when the crawl starts).
        crawler.settings.setdict(scrapy_settings(config, source.name), priority="cmdline")
        if SPIDERS[source.kind].one_site:
            # Take from the shared queue only what this worker may download at once from the source's
            # site: Scrapy's downloader would otherwise take up to CONCURRENT_REQUESTS (16) of them and
            # hold them behind its per-site limit and delay while the other workers stand idle. (Above
            # the project's settings, which process.crawl() applies again; below a -s CONCURRENT_REQUESTS.)
            crawler.settings.set(
                "CONCURRENT_REQUESTS", crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), priority="spider"
            )
        reports.append(RoundReports(config, source.name, crawler, client, store, errors))
        process.crawl(crawler, **source.spider_arguments())
    log.info("worker %s: %d source(s) on the shared queue", config.worker_id, len(chosen))
    logging.root.addHandler(errors)
    try:
        process.start(install_signal_handlers=threading.current_thread() is threading.main_thread())
    finally:
        logging.root.removeHandler(errors)
        store.close()
