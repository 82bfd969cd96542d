"""Item pipelines: validate each item as a RawMention, drop repeats, hand batches to Sadap.

Order (see ``ITEM_PIPELINES``): :class:`ValidatePipeline` → :class:`DuplicatesPipeline`
→ :class:`SadapIngestPipeline`. Items that pass flow on unchanged to feed exports.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

from itemadapter import ItemAdapter
from pydantic import ValidationError
from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.logformatter import LogFormatter
from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object

from sadap.core.mention import RawMention, mention_id
from sadap.core.urls import is_web_url, scheme_of

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.logformatter import LogFormatterResult

logger = logging.getLogger(__name__)


class BatchCounts(Protocol):
    read: int
    stored: int
    duplicates: int
    near_duplicates: int
    alerts: list[Any]


class Ingest(Protocol):
    """Where validated batches go (Sadap's ingest pipeline, or a test double)."""

    def process(self, raws: list[RawMention]) -> BatchCounts: ...

    def close(self) -> None: ...


IngestFactory = Callable[[BaseSettings], Ingest]


def raw_mention(item: Any) -> RawMention:
    """The item as a :class:`RawMention`; raises pydantic's ValidationError."""
    data = {key: value for key, value in ItemAdapter(item).items() if value is not None}
    return RawMention.model_validate(data)


def _where(item: Any) -> str:
    """Where an item came from, for one-line messages: its URL and native id."""
    adapter = ItemAdapter(item)
    url, native_id = adapter.get("url"), adapter.get("native_id")
    if url and native_id:
        return f"{url} [{native_id}]"
    return str(url or native_id or adapter.get("source_name") or "item")


class ValidatePipeline:
    """Drop items that are not valid RawMentions or have no text."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        text = ItemAdapter(item).get("text")
        if text is None or (isinstance(text, str) and not text.strip()):
            # A comment of a picture or a sticker only: nothing to read, and nothing wrong with the
            # page; counted, not warned about one by one.
            self.stats.inc_value("sadap/skipped/no_text")
            raise DropItem(f"{_where(item)}: text: empty (a picture or sticker only?), nothing to store",
                           log_level="INFO")
        try:
            raw = raw_mention(item)
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "item"
            self.stats.inc_value("sadap/invalid")
            raise DropItem(f"{_where(item)}: {field}: {first['msg']}") from None
        if not raw.text.strip():  # (emptied by tidying: only spaces of other kinds)
            self.stats.inc_value("sadap/skipped/no_text")
            raise DropItem(f"{_where(item)}: text: empty, nothing to store", log_level="INFO")
        if raw.url is not None and not is_web_url(raw.url):
            # Kept without its link: a javascript: or file: link must never be shown as one.
            logger.warning("%s: link refused, only http/https links are stored (%s)", _where(item), scheme_of(raw.url) or "no scheme")
            self.stats.inc_value("sadap/skipped/unsafe_link")
            ItemAdapter(item)["url"] = None
        return item


class DuplicatesPipeline:
    """Drop items whose mention id was already seen in this crawl."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DuplicatesPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        key = mention_id(
            adapter["source_name"], adapter.get("native_id"), adapter.get("url"), adapter.get("text") or ""
        )
        if key in self.seen:
            self.stats.inc_value("sadap/repeated")
            # Expected on feeds and forums that repeat entries: not worth a warning.
            raise DropItem(f"{_where(item)}: already seen in this crawl (id {key})", log_level="INFO")
        self.seen.add(key)
        return item


class SadapIngestPipeline:
    """Hand validated mentions, in batches, to the ingest the ``SADAP_INGEST_FACTORY``
    setting builds (a callable, or its dotted path, given the crawler's settings).

    Off (items reach feed exports only) unless both ``SADAP_INGEST_FACTORY`` and
    ``SADAP_CONFIG`` are set: the crawlers never import the app layer themselves.
    """

    def __init__(self, crawler: Crawler, factory: IngestFactory, batch_size: int) -> None:
        self.stats = crawler.stats
        self.settings = crawler.settings
        self.factory = factory
        self.batch_size = batch_size
        self.batch: list[RawMention] = []
        self.ingest: Ingest | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SadapIngestPipeline:
        if not crawler.settings.get("SADAP_CONFIG"):
            raise NotConfigured("SADAP_CONFIG is not set: items go to feed exports only")
        value = crawler.settings.get("SADAP_INGEST_FACTORY")
        if not value:
            raise NotConfigured("SADAP_INGEST_FACTORY is not set: items go to feed exports only")
        factory = load_object(value) if isinstance(value, str) else value
        batch_size = crawler.settings.getint("SADAP_BATCH_SIZE", 50)
        if batch_size < 1:
            raise ValueError(f"SADAP_BATCH_SIZE must be at least 1 (got {batch_size})")
        pipeline = cls(crawler, factory, batch_size)
        # A worker's spider stays open between crawl rounds: what waits in a batch is stored when idle.
        crawler.signals.connect(pipeline.idle, signal=signals.spider_idle)
        return pipeline

    def idle(self) -> None:
        if self.ingest is not None:
            self.flush()
            self.drain()  # and what the enrichment workers still hold: the next round may be hours away

    def open_spider(self) -> None:
        # Built here, not in from_crawler: enrichment is heavy and only a running crawl needs it.
        self.ingest = self.factory(self.settings)

    def process_item(self, item: Any) -> Any:
        self.batch.append(raw_mention(item))
        if len(self.batch) >= self.batch_size:
            self.flush()
        return item

    def close_spider(self) -> None:
        try:
            self.flush()
            self.drain()
        finally:
            if self.ingest is not None:
                self.ingest.close()
                self.ingest = None

    def drain(self) -> None:
        """Store the batches still with enrichment workers (an ingest without workers has none)."""
        drain = getattr(self.ingest, "drain", None)
        if drain is not None:
            for result in drain():
                self._count(result)

    def flush(self) -> None:
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        assert self.ingest is not None, "open_spider() builds the ingest before items arrive"
        # An ingest with enrichment workers takes the batch and goes on crawling; the counts
        # are of the batches it stored meanwhile.
        submit = getattr(self.ingest, "submit", None)
        for result in submit(batch) if submit is not None else [self.ingest.process(batch)]:
            self._count(result)

    def _count(self, result: BatchCounts) -> None:
        self.stats.inc_value("sadap/read", result.read)
        self.stats.inc_value("sadap/stored", result.stored)
        self.stats.inc_value("sadap/duplicates", result.duplicates)
        self.stats.inc_value("sadap/near_duplicates", result.near_duplicates)
        self.stats.inc_value("sadap/alerts", len(result.alerts))
        erased = int(getattr(result, "erased", 0))  # Sadap's ingest has it; a test double may not
        if erased:
            self.stats.inc_value("sadap/erased", erased)
        logger.info(
            "ingested %d mentions: %d stored, %d duplicates, %d near-duplicates, %d erased on request, %d alerts",
            result.read, result.stored, result.duplicates, result.near_duplicates, erased, len(result.alerts),
        )


class SadapLogFormatter(LogFormatter):
    """Log a dropped item as its one-line reason, without dumping the whole item."""

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> LogFormatterResult:
        entry = dict(super().dropped(item, exception, response, spider))
        entry["msg"] = "Dropped: %(exception)s"
        entry["args"] = {"exception": exception}
        return cast("LogFormatterResult", entry)
