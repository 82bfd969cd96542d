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
import uuid
import warnings
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.utils.project import get_project_settings

from crawlers.distributed import outage, outage_errors
from crawlers.options import SourceOptions
from crawlers.spiders import SPIDERS
from sadap.app import erasure_share
from sadap.app.config import Config
from sadap.app.crawl import _check, _ErrorCounter
from sadap.app.crawl_reports import save_report
from sadap.app.distributed import check_redis, default_worker_id, key, redis_client, scrapy_settings
from sadap.app.logs import remove_cli_logging
from sadap.core.datalock import hold
from sadap.core.errors import ConfigError, StoreError
from sadap.core.timeutil import UTC
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
COUNTS = ("items", "new", "errors")
#: Rounds whose share a worker remembers (sent or not). A share is three counts, a time and a line,
#: so a worker that cannot reach Redis for however long holds at most this many.
KEPT_ROUNDS = 8


class RoundReports:
    """This worker's share of each crawl round of one source, added up in Redis with the other
    workers' shares (``<prefix>:<source>:report:<round>``) and written to the store as the
    source's last crawl, for the Sources page. A worker's share ends when it goes idle after
    taking part; it is written at the next idle tick, once the batches of that tick are stored,
    and when the worker stops.

    A share that Redis did not take (unreachable) is kept and sent when it answers again, tried
    with the crawl's other calls to Redis (one outage line for all, crawlers.distributed.outage).
    It counts under the round the worker was in when its part began (read then), not whichever
    round is current when Redis is back. Each worker process writes its running totals for the
    round (fields ``items:<worker id>:<process>`` …) rather than adding to the round's, so a share
    sent again after a timeout (Redis may have taken it all the same) is not counted twice."""

    def __init__(self, config: Config, source: str, crawler: Crawler, client: Redis, store: Store,
                 errors: _ErrorCounter) -> None:
        self.config, self.source, self.crawler = config, source, crawler
        self.client, self.store, self.errors = client, store, errors
        self.outage = outage(crawler)
        self.me = f"{config.worker_id or default_worker_id()}:{uuid.uuid4().hex[:8]}"
        self.active = self.ended = False
        self.part_round: str | None = None  # the round of the part under way (None: not read)
        self.counted = dict.fromkeys(COUNTS, 0)  # the crawl's counts already in a share
        # This process's running totals per round, oldest first (None: round not read yet).
        self.shares: dict[str | None, dict[str, Any]] = {}
        self.unsent: set[str | None] = set()
        crawler.signals.connect(self.response, signal=signals.response_received)
        crawler.signals.connect(self.idle, signal=signals.spider_idle)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    def response(self, *args: Any, **kwargs: Any) -> None:
        if not self.active and self.part_round is None and self.outage.usable():
            try:
                self.part_round = self._round()
            except outage_errors() as err:
                self.outage.failed(err)  # read again when the share is sent
            else:
                self.outage.answered()
        self.active = True

    def idle(self, spider: Any) -> None:
        if self.active:
            self.active, self.ended = False, True
            return
        if self.ended:
            self.ended = False
            self._count(spider)
        if self.unsent and self.outage.usable():
            self._send()

    def closed(self, spider: Any, reason: str = "") -> None:
        if self.active or self.ended:
            self._count(spider)  # a worker stopped mid-round: what it did so far
        if not self.unsent:
            return
        self._send()  # one last try, even while Redis is out
        for round_id in self.unsent:
            share = self.shares[round_id]
            log.warning("source %r: crawl report not sent, Redis unreachable: this worker's %d items, %d new and %d "
                        "errors are missing from round %s's report", self.source, share["items"], share["new"],
                        share["errors"], round_id or "(unknown)")

    def _round(self) -> str | None:
        raw = self.client.get(key(self.config, self.source, "round"))
        return raw.decode() if isinstance(raw, bytes) else None

    def _count(self, spider: Any) -> None:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        now = {"items": int(stats.get("item_scraped_count", 0)), "new": int(stats.get("sadap/stored", 0)),
               "errors": self.errors.counts.get(spider, 0)}
        delta = {name: now[name] - self.counted[name] for name in COUNTS}
        self.counted = now
        first = self.errors.first.pop(spider, None) if delta["errors"] else None  # the next error starts afresh
        round_id, self.part_round = self.part_round, None
        self._add(round_id, {**delta, "finished": time.time(), "first_error": first})

    def _add(self, round_id: str | None, part: dict[str, Any]) -> None:
        share = self.shares.pop(round_id, None) or {**dict.fromkeys(COUNTS, 0), "finished": 0.0, "first_error": None}
        for name in COUNTS:
            share[name] += part[name]
        share["finished"] = max(share["finished"], part["finished"])
        share["first_error"] = share["first_error"] or part["first_error"]
        self.shares[round_id] = share
        self.unsent.add(round_id)
        while len(self.shares) > KEPT_ROUNDS:
            oldest = next(iter(self.shares))
            lost = self.shares.pop(oldest)
            if oldest in self.unsent:
                self.unsent.discard(oldest)
                log.warning("source %r: crawl report of round %s given up (Redis unreachable): this worker's %d items "
                            "are missing from it", self.source, oldest or "(unknown)", lost["items"])

    def _send(self) -> None:
        for round_id in [r for r in self.shares if r in self.unsent]:
            try:
                sent, totals = self._push(round_id)
            except outage_errors() as err:
                self.outage.failed(err)
                return
            except Exception as err:  # refused by Redis (redis.exceptions.RedisError): not tried again
                self.unsent.discard(round_id)
                log.error("source %r: could not record its crawl report: %s: %s", self.source, type(err).__name__, err)
                continue
            self.outage.answered()
            try:
                save_report(
                    self.store, self.source, started=datetime.fromtimestamp(float(sent), UTC),
                    finished=datetime.fromtimestamp(float(totals["finished"]), UTC), items=int(totals["items"]),
                    new=int(totals["new"]), errors=int(totals["errors"]), first_error=totals.get("first_error"),
                )
            except (StoreError, OSError, ValueError) as err:
                log.error("source %r: could not record its crawl report: %s", self.source, err)

    def _push(self, round_id: str | None) -> tuple[str, dict[str, Any]]:
        """Send this process's share of a round; the round's totals, every worker's added up."""
        if round_id is None:  # not read when the part began: the round under way now
            known = self._round() or str(time.time())
            self.unsent.discard(None)
            self._add(known, self.shares.pop(None))
            round_id = known
        share = self.shares[round_id]
        totals_key = key(self.config, self.source, "report", round_id)
        pipe = self.client.pipeline()
        pipe.hset(totals_key, mapping={f"{name}:{self.me}": share[name] for name in (*COUNTS, "finished")})
        if share["first_error"]:
            pipe.hsetnx(totals_key, "first_error", share["first_error"])
        pipe.expire(totals_key, REPORT_KEPT_S)
        pipe.hgetall(totals_key)
        fields = {k.decode(): v.decode() for k, v in pipe.execute()[-1].items()}
        self.unsent.discard(round_id)
        totals: dict[str, Any] = {"first_error": fields.get("first_error")}
        for name in (*COUNTS, "finished"):  # a field named just `items` …: written by an earlier version
            values = [float(v) for f, v in fields.items() if f == name or f.startswith(f"{name}:")]
            totals[name] = max(values, default=time.time()) if name == "finished" else sum(values)
        return round_id, totals


def run_worker(
    config: Config,
    *,
    sources: list[str] | None = None,
    log_level: str = "INFO",
    settings: dict[str, Any] | None = None,
    role: str = "sadap worker",
) -> None:
    """Run until stopped. ``sources``: names to work on (default: every enabled crawled source);
    ``settings``: Scrapy settings on top of ``crawlers.settings`` (tests and benchmarks use
    ``{"DOWNLOAD_DELAY": 0}`` against a local site); ``role``: how a restore names this process
    while it holds the data folder's lock."""
    chosen = [s for s in config.sources if s.enabled and s.kind != "file"]
    if sources:
        chosen = [config.source(name) for name in sources]
    if not chosen:
        raise ConfigError("no enabled crawled sources in the config: a worker has nothing to do")
    for source in chosen:
        _check(source)
        source.check()
    with hold(config.data_path, role):
        _work(config, chosen, log_level, settings or {})


def _work(config: Config, chosen: list[SourceOptions], log_level: str, settings: dict[str, Any]) -> None:
    client = redis_client(config)
    check_redis(config, client)  # one clear line now rather than a traceback per spider
    erasure_share.Follower(config, client).outage.close()  # another machine's pseudonym key: one line now, too

    # scrapy-redis 0.9 passes `spider` to the stats collector, which Scrapy 2.19 warns about on every request.
    warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module="scrapy_redis")
    remove_cli_logging()
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawlers.settings")
    project = get_project_settings()
    project.setdict(settings, priority="cmdline")
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
