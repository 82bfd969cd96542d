"""The hand-off every collector uses: raw mentions → enrichment → duplicates → store → watch rules."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from enrich.dedup import SimHashIndex
from enrich.parallel import EnrichPool, default_workers, settle
from enrich.pipeline import Enricher
from sadap.app import complaints as complaint_cases
from sadap.app import erasure_register, erasure_share
from sadap.app.alerting import build_engine
from sadap.app.stakeholders import tagger as stakeholder_tagger
from sadap.app.config import Config, load_config_file
from sadap.core.alert import FiredAlert
from sadap.core.errors import StoreError
from sadap.core.mention import Mention, RawMention, to_mention
from sadap.core.timeutil import as_utc, now_utc
from sadap.store import Store, open_store

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult

    from scrapy.settings import BaseSettings

log = logging.getLogger(__name__)
#: Called after a batch is stored, with the new ids and the time; returns the alerts fired.
AfterStore = Callable[[list[str], datetime], list[FiredAlert]]
NEAR_DUPLICATE_HORIZON = timedelta(days=7)


@dataclass
class _Prepared:
    result: "BatchResult"
    fresh: list[Mention]


@dataclass
class BatchResult:
    read: int = 0
    stored: int = 0
    duplicates: int = 0  # already stored (same id): nothing new
    near_duplicates: int = 0  # stored, but marked as a copy of an earlier mention
    spooled: int = 0  # Elasticsearch unreachable: waiting on local disk, stored when it is back
    refused: int = 0  # refused by Elasticsearch for good: kept aside in the spool's refused-* file
    erased: int = 0  # not stored: erased on request (PDPA), by id or by author (the erasure register)
    alerts: list[FiredAlert] = field(default_factory=list)

    def add(self, other: "BatchResult") -> None:
        self.read += other.read
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.near_duplicates += other.near_duplicates
        self.spooled += other.spooled
        self.refused += other.refused
        self.erased += other.erased
        self.alerts.extend(other.alerts)


class IngestPipeline:
    """Owns the store, enricher and alert engine for one run (a crawl, an import)."""

    def __init__(
        self,
        config: Config,
        *,
        store: Store | None = None,
        after_store: AfterStore | None = None,
        alerts: bool = True,
        clock: Callable[[], datetime] = now_utc,
        history: bool = False,
        workers: int = 1,
    ) -> None:
        """``after_store`` is called with the ids just stored and the time, and returns the alerts
        it fired; by default (with ``alerts``) the configured ingest-time rules are evaluated.

        ``history=True`` imports past data: each mention counts as collected when it was
        published (so backtests replay it as it happened) and nothing runs after storing (no
        alert rule, no ``after_store``).

        ``workers`` > 1 enriches in that many worker processes (:mod:`enrich.parallel`); this
        process still does all the store's reads and writes, in input order."""
        self.config = config
        # Several machines: erases made elsewhere come through Redis into this folder's register (first:
        # a machine under another pseudonym key refuses here, before anything is opened).
        self.erasures = erasure_share.Follower(config) if config.distributed.redis_url else None
        self._own_store = store is None
        self.store = store or open_store(config)
        self.enricher = Enricher.from_config(config)
        self.clock = clock
        self.history = history
        self.key = config.pseudonym_key()
        if history:
            alerts, after_store = False, None
        if after_store is None and alerts:
            engine = build_engine(config, self.store)
            after_store = lambda ids, at: engine.check(at, ids=ids)  # noqa: E731
        self.after_store = after_store
        # Registered stakeholders: the match table is read once per run (enrich never reads the store).
        self.enricher.stakeholders = stakeholder_tagger(config, self.store)
        self.near = SimHashIndex(config.enrich.near_duplicate_distance)
        for fp in self.store.fingerprints_since(self.clock() - NEAR_DUPLICATE_HORIZON):
            if fp.simhash is not None:
                self.near.add(fp.simhash, fp.id)
        self._hashes: dict[str, str] = {}
        self._in_flight: set[str] = set()  # ids of batches submitted and not stored yet
        self._pending: deque[tuple[_Prepared, AsyncResult[list[Mention]] | None]] = deque()
        # Last: a forked worker inherits what is built above (dictionary, lexicons, models).
        self.pool = EnrichPool.shared(self.enricher, workers) if workers > 1 else None

    def process(self, raws: Sequence[RawMention]) -> BatchResult:
        """Enrich and store one batch (in a worker process when there are several); with
        batches still in flight from :meth:`submit`, they are stored first and counted here."""
        if self.pool is None:
            prepared = self._prepare(raws)
            if prepared.fresh:
                settle(self.enricher)  # once: models loaded, long-lived objects frozen
                self._finish(prepared, self.enricher.enrich(prepared.fresh))
            return prepared.result
        total = BatchResult()
        for result in self.submit(raws) + self.drain():
            total.add(result)
        return total

    def submit(self, raws: Sequence[RawMention]) -> list[BatchResult]:
        """Hand a batch to the workers and return at once with the results of the batches
        stored meanwhile (the oldest first; it waits only while ``2 × workers`` batches are in
        the workers' hands). :meth:`drain` stores the rest. In one process: :meth:`process`."""
        if self.pool is None:
            return [self.process(raws)]
        prepared = self._prepare(raws)
        self._pending.append((prepared, self.pool.submit(prepared.fresh) if prepared.fresh else None))
        done = []
        while self._pending and (len(self._pending) >= 2 * self.pool.workers or _done(self._pending[0][1])):
            done.append(self._collect(*self._pending.popleft()))
        return done

    def drain(self) -> list[BatchResult]:
        """Wait for the batches in flight and store them, in order."""
        done = []
        while self._pending:
            done.append(self._collect(*self._pending.popleft()))
        return done

    def process_all(self, batches: Iterable[Sequence[RawMention]]) -> Iterator[BatchResult]:
        """:meth:`process` each batch, in order; with several workers, the next batches are
        enriched while this one is stored. Each result comes once its batch is committed."""
        try:
            for raws in batches:
                yield from self.submit(raws)
            yield from self.drain()
        except BaseException:
            self._abandon()
            raise

    def _abandon(self) -> None:
        """Stop the workers without storing what they hold (an error, Ctrl-C): a re-run
        enriches those batches again."""
        self._pending.clear()
        if self.pool is not None:
            self.pool.terminate()
            self.pool = None

    def _collect(self, prepared: "_Prepared", job: "AsyncResult[list[Mention]] | None") -> BatchResult:
        if job is not None:
            self._finish(prepared, job.get())
        return prepared.result

    def _prepare(self, raws: Sequence[RawMention]) -> "_Prepared":
        """Mentions of ``raws`` not stored yet (nor in a batch still being enriched)."""
        prepared = _Prepared(BatchResult(read=len(raws)), [])
        if not raws:
            return prepared
        at = self.clock()
        mentions: dict[str, Mention] = {}
        for raw in raws:
            # History: collected when published (never later than now), so replays see it then.
            collected = min(as_utc(raw.published_at), at) if self.history and raw.published_at else at
            m = to_mention(raw, pseudonym_key=self.key, keep_author_names=self.config.privacy.keep_author_names, collected_at=collected)
            mentions.setdefault(m.id, m)
        prepared.result.erased = self._drop_erased(mentions)
        existing = self.store.existing_ids(mentions) | (self._in_flight & mentions.keys())
        prepared.fresh = [m for i, m in mentions.items() if i not in existing]
        prepared.result.duplicates = len(raws) - len(prepared.fresh) - prepared.result.erased
        self._in_flight.update(m.id for m in prepared.fresh)
        return prepared

    def _drop_erased(self, mentions: dict[str, Mention]) -> int:
        """Take out of ``mentions`` those erased on request (PDPA): the person asked to be erased,
        so a post of theirs collected again — or, erased by author, a new one — is not stored."""
        if self.erasures is not None:
            self.erasures.catch_up()
        register = erasure_register.current(self.config.data_path)
        if not register:
            return 0
        gone = [i for i, m in mentions.items() if register.has_id(i) or register.has_author(m.author_id)]
        for i in gone:
            del mentions[i]
        if gone:  # a count only: no id, pseudonym or text
            log.info("%d mention(s) not stored: erased on request (erasure register)", len(gone))
        return len(gone)

    def _finish(self, prepared: "_Prepared", enriched: list[Mention]) -> None:
        """Link duplicates (in input order) and store the enriched batch: the one writer."""
        result = prepared.result
        # The stored originals of the batch's texts, in one query (the batch is not stored yet).
        stored_hashes = self.store.find_by_text_hashes(
            h for h in (m.text_hash or "" for m in enriched) if h not in self._hashes)
        for m in enriched:
            text_hash = m.text_hash or ""  # enrichment always sets it
            original = self._hashes.get(text_hash) or stored_hashes.get(text_hash)
            if original is None and m.simhash is not None:
                original = self.near.find(m.simhash)
            if original is not None and original != m.id:
                m.duplicate_of = original
                result.near_duplicates += 1
            else:
                self._hashes[text_hash] = m.id
                if m.simhash is not None:
                    self.near.add(m.simhash, m.id)
        stored = self.store.upsert(enriched)
        self._in_flight.difference_update(m.id for m in prepared.fresh)
        spooled = set(getattr(stored, "spooled", ()))
        result.spooled = len(spooled)
        result.refused = len(getattr(stored, "refused", ()))
        result.stored = len([i for i in stored.inserted if i not in spooled])
        # Stored meanwhile by another process (two imports of one file at once): not new here.
        result.duplicates += len(stored.updated)
        if self.after_store is not None:
            result.alerts = self.after_store(stored.inserted, self.clock())
        new = set(stored.inserted) - spooled
        if any(m.complaint.is_complaint for m in enriched if m.id in new):
            try:
                complaint_cases.assign(self.store, [m for m in enriched if m.id in new], self.clock(), fresh=True)
            except StoreError as err:  # the queue's sync picks them up later
                log.warning("complaint cases not updated: %s", err)

    def close(self) -> None:
        """Store what is still in flight, then stop the workers."""
        try:
            if self._pending:
                self.drain()
        except BaseException:
            self._abandon()
            raise
        finally:
            if self.pool is not None:
                self.pool.close()
                self.pool = None
            if self.erasures is not None:
                self.erasures.close()
            if self._own_store:
                self.store.close()


def _done(job: "AsyncResult[list[Mention]] | None") -> bool:
    return job is None or job.ready()


def from_scrapy_settings(settings: BaseSettings) -> IngestPipeline:
    """The crawlers' ``SADAP_INGEST_FACTORY``: an ingest pipeline for ``SADAP_CONFIG`` (a
    :class:`Config` or the path of a ``sadap.yaml``), enriching in ``SADAP_ENRICH_WORKERS``
    processes (0, the default: one per core; 1: in the crawl's own process)."""
    value = settings.get("SADAP_CONFIG")
    config = value if isinstance(value, Config) else load_config_file(Path(value))
    workers = settings.getint("SADAP_ENRICH_WORKERS", 0)
    return IngestPipeline(config, workers=workers if workers > 0 else default_workers())
