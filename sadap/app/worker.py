"""``sadap worker``: the crawl-enrich-store pipeline of every enabled source against the shared
queue in Redis, until stopped (Ctrl-C or SIGTERM: batches in hand are stored first).

Each source is one spider kept open between rounds; its requests come from the source's queue in
Redis, which every worker on every machine shares, and a round starts when the scheduler pushes
it (see :mod:`sadap.app.distributed` and :mod:`crawlers.distributed`). Mentions are enriched and
stored here, by the worker that downloaded them.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from typing import Any

from pydantic import ValidationError
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.utils.project import get_project_settings

from crawlers.spiders import SPIDERS
from sadap.app.config import Config
from sadap.app.crawl import _check
from sadap.app.distributed import default_worker_id, redis_client, scrapy_settings
from sadap.app.logs import remove_cli_logging
from sadap.core.errors import ConfigError

log = logging.getLogger("sadap.worker")


def worker_config(config: Config, worker_id: str | None = None) -> Config:
    """``config`` with this worker's id set (``--id``, else the config's, else the host name)."""
    wid = worker_id or config.worker_id or default_worker_id()
    try:  # the id is checked as the file's would be
        distributed = type(config.distributed).model_validate({**config.distributed.model_dump(), "worker_id": wid})
    except ValidationError as err:
        raise ConfigError(f"worker id {wid!r}: {err.errors()[0]['msg']}") from None
    return config.model_copy(update={"distributed": distributed})  # private attributes (the file's path) kept


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
    redis_client(config).ping()  # one clear line now rather than a traceback per spider

    # scrapy-redis 0.9 passes `spider` to the stats collector, which Scrapy 2.19 warns about on every request.
    warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module="scrapy_redis")
    remove_cli_logging()
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawlers.settings")
    project = get_project_settings()
    project.setdict(settings or {}, priority="cmdline")
    project.set("SADAP_CONFIG", config, priority="cmdline")
    project.set("LOG_LEVEL", log_level, priority="cmdline")
    process = CrawlerProcess(project)
    for source in chosen:
        crawler = process.create_crawler(SPIDERS[source.kind])
        # Its own queue, filter and start list (settings are frozen only when the crawl starts).
        crawler.settings.setdict(scrapy_settings(config, source.name), priority="cmdline")
        process.crawl(crawler, **source.spider_arguments())
    log.info("worker %s: %d source(s) on the shared queue", config.worker_id, len(chosen))
    process.start(install_signal_handlers=threading.current_thread() is threading.main_thread())
