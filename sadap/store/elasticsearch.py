"""Elasticsearch backend: the production store. Same interface and contract tests as SQLite.

* Mentions go to monthly indices behind a write alias (see ``es_mappings``); reads use the
  read alias over all months. Thai full text is matched as phrases on the pre-tokenised
  ``tokens`` field (whitespace analyzer), exactly like the SQLite backend.
* Writes use ``helpers.streaming_bulk`` with retries and backoff on 429/5xx; items the
  cluster rejects are reported one by one. When the cluster cannot be reached, batches go
  to a spool on local disk and are replayed, in order, before the next write that gets
  through (or by ``sadap es replay``).
* Counts, groups, distinct counts and histograms are Elasticsearch aggregations; no
  documents are pulled into Python for them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from sadap.core.errors import ConfigError, InputError, StoreError
from sadap.core.incident import Incident, IncidentEvent
from sadap.core.mention import LabelCorrection, Mention, keep_stored_correction
from sadap.core.complaint_case import PRESS_COVERAGE, ComplaintCase, closed_time
from sadap.core.stakeholder import Stakeholder
from sadap.core.users import ApiToken, User
from sadap.core.timeutil import UTC, now_utc
from sadap.store.base import LATE_WRITE, ENGAGEMENT_FIELDS, CaseKey, GROUP_FIELDS, NEWS_SOURCE_KINDS, SeenDelta, seen_change, seen_change_of, DELIVERY_STATE, ERASE_COUNTS, KEY_COUNTS, Delivery, MentionRow, ResponseRow, RuleRead, RuleRow, Fingerprint, delivery_from_json, delivery_json, MentionFilter, PageKey, Store, UpsertResult, search_segments, with_correction
from sadap.store.es_admin import IndexAdmin
from sadap.store.es_mappings import CASE_FIELDS, CASE_KEYS, CASE_SOURCE_FIELDS, CASES_LAYOUT, STATE_PROPERTIES, Json, Names
from sadap.store.es_seen import SeenTerms
from sadap.store.es_spool import REFUSED, Spool
from sadap.store.query import Query
from sadap.store.erasure import names_person, scrub_case, scrub_delivery, scrub_ids, scrub_keyed

if TYPE_CHECKING:
    from elastic_transport import BaseNode
    from elasticsearch import Elasticsearch

    from sadap.store.base import ElasticsearchSettings, StoreSource

log = logging.getLogger(__name__)
_P = ParamSpec("_P")
_T = TypeVar("_T")

BANGKOK_OFFSET_MS = 7 * 3600 * 1000  # Asia/Bangkok: UTC+7, no daylight saving since 1920
CARDINALITY_PRECISION = 40000  # exact below about this many distinct values, approximate above
#: Hits a search asks for at a time (index.max_result_window, 10,000 by default, bounds it): each
#: page of a search_after scan runs the query again (osmem-server: about 0.4 s on 50,000 mentions
#: whatever the page's size), so the fewer pages the better.
PAGE = 10_000
#: Most terms ``terms_last_seen`` asks for in one aggregation (more: it reads rows instead).
TERMS_LAST_SEEN_MAX = 50_000
#: Ids in one query where a call looks up many: a terms query of many thousands costs more than
#: its share (osmem-server: 0.06 s for 1,000 ids, 3.4 s for 20,000, on 21,000 cases) and runs
#: again for each page of its hits.
ID_CHUNK = 1_000
RETRY_STATUS = (429, 500, 502, 503, 504)
#: How many times a mention changed meanwhile (a correction) is read and written again.
CONFLICT_TRIES = 10

#: A case document's received time (its third key: after ``id`` and ``state``).
_RECEIVED = re.compile(r'"received_at":"([^"]+)"')
_FIELD = {f.name: f.elasticsearch for f in GROUP_FIELDS.values()}
_SINGLE = tuple(f.name for f in GROUP_FIELDS.values() if not f.multi)


class StoreUnavailable(StoreError):
    """The cluster could not be reached (or kept answering 429/5xx after retries)."""


class BulkRejected(StoreError):
    """Some mentions were refused by the cluster (the others were stored)."""

    def __init__(self, message: str, result: "EsUpsertResult", errors: list[Json]):
        super().__init__(message)
        self.result = result
        self.errors = errors


@dataclass
class EsUpsertResult(UpsertResult):
    """What ``upsert`` did; ``spooled`` mentions wait on disk until the cluster is back."""

    spooled: list[str] = field(default_factory=list)
    #: Refused by the cluster for good (a mapping conflict…): kept aside in the spool's ``refused-*``.
    refused: list[str] = field(default_factory=list)


# -- small helpers -----------------------------------------------------------------
#: What the seen-terms table holds of a stored mention: publication and collection time (epoch
#: seconds), source, copy or not, terms per field (``seen_change_of``'s arguments).
_SeenFields = tuple[float, float, str, bool, dict[str, Sequence[str]]]


def _seen_fields(src: Json) -> _SeenFields:
    def many(name: str) -> list[str]:
        value = src.get(name)
        return [] if value is None else [str(v) for v in (value if isinstance(value, list) else [value])]

    return (_seconds(src["published_at"]), _seconds(src["collected_at"]), src.get("source_name") or "",
            src.get("duplicate_of") is not None,
            {"hashtag": many("hashtags"), "keyword": many("keywords"), "entity": many("entities")})


def _ms(value: datetime) -> int:
    return (value.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def _iso_ms(value: datetime) -> str:
    v = value.astimezone(UTC)
    return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z"


def _from_ms(value: int | float) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(value))


def _seconds(value: str | int | float) -> float:
    """A stored time (ISO text or epoch milliseconds) as epoch seconds."""
    if isinstance(value, (int, float)):
        return float(value) / 1000
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _unsigned(value: int | None) -> int | None:
    if value is None:
        return None
    return value + (1 << 64) if value < 0 else value


def _reason(err: Exception) -> str:
    body = getattr(err, "body", None)
    if isinstance(body, dict):
        e = body.get("error")
        if isinstance(e, dict):
            return f"{e.get('type', 'error')}: {e.get('reason', '')}".strip()
        if e:
            return str(e)
    return str(getattr(err, "message", "") or err)


def build_client(cfg: ElasticsearchSettings, node_class: type[BaseNode] | None = None) -> Elasticsearch:
    """An ``elasticsearch.Elasticsearch`` client from ``store.elasticsearch`` settings.

    Secrets come only from the environment variables the settings name.
    """
    from elasticsearch import Elasticsearch

    kwargs: dict[str, Any] = {
        "hosts": list(cfg.hosts),
        "request_timeout": cfg.request_timeout.total_seconds(),
        "max_retries": cfg.max_retries,
        "retry_on_status": RETRY_STATUS,
        "retry_on_timeout": True,
        "verify_certs": cfg.verify_certs,
    }
    if cfg.ca_certs:
        if not Path(cfg.ca_certs).is_file():
            raise ConfigError(f"store.elasticsearch.ca_certs: {cfg.ca_certs}: file not found")
        kwargs["ca_certs"] = cfg.ca_certs
    if not cfg.verify_certs:
        kwargs["ssl_show_warn"] = False
    api_key = os.environ.get(cfg.api_key_env) if cfg.api_key_env else None
    if api_key:
        kwargs["api_key"] = api_key
    elif cfg.username:
        password = os.environ.get(cfg.password_env)
        if not password:
            raise ConfigError(
                f"store.elasticsearch: user {cfg.username!r} needs a password in ${cfg.password_env} (not set)"
            )
        kwargs["basic_auth"] = (cfg.username, password)
    if node_class is not None:
        kwargs["node_class"] = node_class
    return Elasticsearch(**kwargs)


class ElasticsearchStore(SeenTerms, IndexAdmin, Store):
    def __init__(
        self,
        client: Elasticsearch,
        *,
        prefix: str = "sadap",
        spool_dir: str | Path | None = None,
        refresh_on_write: bool = True,
        chunk_size: int = 500,
        max_retries: int = 3,
        auto_setup: bool = True,
        shards: int = 1,
        replicas: int = 1,
        retention_months: int | None = None,
        label: str | None = None,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.client = client
        self.names = Names(prefix)
        self.spool = Spool(spool_dir) if spool_dir is not None else None
        self.refresh_on_write = refresh_on_write
        self.chunk_size = chunk_size
        self.max_retries = max_retries
        self.auto_setup = auto_setup
        self.shards = shards
        self.replicas = replicas
        self.retention_months = retention_months
        self.initial_backoff = 0.5  # seconds before the first per-item retry; doubles each time
        self.label = label or "Elasticsearch"
        self.clock = clock
        self._ready = False
        self._newest: float | None = None  # the newest collection time stored, as far as this process knows
        self._write_month: str | None = None
        self._lock = threading.RLock()
        self._last_seq = 0
        self._warned_unavailable = False
        self._outage_spooled = 0  # mentions spooled since the cluster became unreachable
        self._cases_ready = False  # the complaint-cases index has the join keys (checked once)
        self._init_seen()

    @classmethod
    def from_config(cls, config: StoreSource, node_class: type[BaseNode] | None = None) -> "ElasticsearchStore":
        es = config.store.elasticsearch
        spool = Path(es.spool_dir)
        if not spool.is_absolute():
            spool = config.data_path / spool
        worker = getattr(config, "worker_id", None)
        if worker:  # several workers (sadap worker): each its own folder, so none replays another's
            spool = spool / str(worker)
        return cls(
            build_client(es, node_class=node_class),
            prefix=es.index_prefix,
            spool_dir=spool,
            refresh_on_write=es.refresh_on_write,
            chunk_size=es.bulk_chunk_size,
            max_retries=es.max_retries,
            auto_setup=es.auto_setup,
            shards=es.shards,
            replicas=es.replicas,
            retention_months=es.retention_months,
            label="Elasticsearch at " + ", ".join(es.hosts),
        )

    # -- calling the cluster -----------------------------------------------------
    def _translate(self, err: Exception) -> Exception:
        """A client exception as the StoreError to raise (StoreUnavailable when worth retrying later)."""
        from elasticsearch import ApiError, AuthenticationException, AuthorizationException, TransportError

        if isinstance(err, AuthenticationException):
            return StoreError(f"{self.label}: authentication failed (check the API key or user/password variables)")
        if isinstance(err, AuthorizationException):
            return StoreError(f"{self.label}: permission denied: {_reason(err)}")
        if isinstance(err, ApiError):
            if err.meta.status in RETRY_STATUS:
                return StoreUnavailable(f"{self.label}: unavailable ({err.meta.status} {_reason(err)})")
            return StoreError(f"{self.label}: {err.meta.status} {_reason(err)}")
        if isinstance(err, TransportError):  # refused, TLS, timeouts: already retried by the client
            return StoreUnavailable(f"{self.label}: unreachable ({err.message})")
        return err

    def _call(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return fn(*args, **kwargs)
        except StoreError:
            raise
        except Exception as err:
            translated = self._translate(err)
            if translated is err:
                raise
            raise translated from None

    def _seq(self) -> int:
        with self._lock:
            self._last_seq = max(time.time_ns(), self._last_seq + 1)
            return self._last_seq

    def _search(self, index: str, **body: Any) -> Json:
        body.setdefault("track_total_hits", False)
        found: Json = self._call(self.client.search, index=index, **body).body
        return found

    def _scan(
        self, index: str, query: Json, sort: list[Json], source: bool | list[str], page: int = PAGE,
        seq_no: bool = False,
    ) -> Iterator[Json]:
        """Every hit in sort order, page by page with search_after (no point-in-time needed);
        ``seq_no``: with each hit's ``_seq_no`` and ``_primary_term`` (for a conditional write)."""
        after = None
        while True:
            extra: Json = {"search_after": after} if after is not None else {}
            if seq_no:
                extra["seq_no_primary_term"] = True
            hits = self._search(index, query=query, sort=sort, size=page, source=source, **extra)["hits"]["hits"]
            yield from hits
            if len(hits) < page:
                return
            after = hits[-1]["sort"]

    # -- the spool ------------------------------------------------------------------
    def replay_spool(self) -> int:
        """Store every spooled mention now; returns how many."""
        if self.spool is None:
            return 0
        cells = self._seen_files is not None and bool(self._seen_files.files())
        if not cells and not self.spool.files():
            return 0
        self._ensure_ready()
        n = self.spool.replay(self._replay_batch, self.chunk_size)
        if cells:  # and the seen-terms cells kept on disk
            self._write_seen({})
            if self.refresh_on_write:
                self._call(self.client.indices.refresh, index=self.names.seen_terms)
        if n:
            log.warning("replayed %d spooled mentions into %s", n, self.label)
        return n

    def _replay_batch(self, mentions: list[Mention]) -> int:
        """A spooled batch stored (how many); what the cluster refuses for good is kept aside
        (``refused-*``), not replayed before every write: one such mention must not hold back the rest."""
        try:
            self._store_batch(mentions)
            return len(mentions)
        except BulkRejected as err:
            return len(mentions) - len(self._set_aside(mentions, err))

    def _set_aside(self, mentions: Sequence[Mention], err: BulkRejected) -> list[str]:
        """The mentions the cluster refused for good, written to the spool's ``refused-*`` file with
        one warning line (their ids and the cluster's reasons); their ids."""
        assert self.spool is not None
        refused = {str(r["id"]) for r in err.errors}
        path = self.spool.write([m for m in mentions if m.id in refused], REFUSED)
        log.warning("%s; kept in %s, not replayed again (fix the cause, then rename the file to mentions-….jsonl)",
                    err, path)
        return sorted(refused)

    def _spool(self, mentions: Sequence[Mention], err: StoreError) -> list[str]:
        if self.spool is None:
            raise err
        path = self.spool.write(mentions)
        if not self._outage_spooled:  # one line per outage; the count follows when it ends
            log.warning("%s; spooling mentions to %s until it is back (first batch: %d)", err, path.parent, len(mentions))
        else:
            log.debug("%d more mentions spooled to %s", len(mentions), path)
        self._outage_spooled += len(mentions)
        return [m.id for m in mentions]

    def _outage_over(self, replayed: int) -> None:
        if self._outage_spooled or self._warned_unavailable:
            log.warning(
                "%s is back: %d mentions were spooled during the outage, %d replayed",
                self.label, self._outage_spooled, replayed,
            )
        self._outage_spooled = 0
        self._warned_unavailable = False

    # -- mentions -------------------------------------------------------------------
    def _source(self, m: Mention, responded: frozenset[str] = frozenset()) -> Json:
        return {
            "id": m.id,
            "source_kind": m.source_kind,
            "source_name": m.source_name,
            "native_id": m.native_id,
            "url": m.url,
            "author_id": m.author_id,
            "author_name": m.author_name,
            "published_at": _iso_ms(m.published_at),
            "collected_at": _iso_ms(m.collected_at),
            "title": m.title,
            "text": m.text,
            # An array: phrase queries never join two values (position_increment_gap).
            "tokens": search_segments(m),
            "language": m.language,
            "sentiment": m.sentiment.label if m.sentiment else None,
            "sentiment_score": m.sentiment.score if m.sentiment else None,
            "expectation": m.expectation,
            "category": m.category,
            "is_complaint": m.complaint.is_complaint,
            "complaint_type": m.complaint.type,
            "news_topic": m.news_topic,
            # "name:tone" for each watched name a news text names: `entity_tones:"แสงทอง:neg"`.
            "entity_tones": sorted(f"{name}:{tone}" for name, tone in m.entity_tones.items()),
            "entities": sorted(set(m.entities)),
            "hashtags": sorted(set(m.hashtags)),
            "keywords": sorted(set(m.keywords)),
            "csr": sorted(set(m.csr)),
            "stakeholders": sorted(set(m.stakeholders)),
            "likes": m.engagement.likes,
            "shares": m.engagement.shares,
            "comments": m.engagement.comments,
            "views": m.engagement.views,
            "text_hash": m.text_hash,
            "simhash": None if m.simhash is None else str(_unsigned(m.simhash)),
            "duplicate_of": m.duplicate_of,
            "spam_score": m.spam_score,
            "cluster": m.duplicate_of or m.id,
            "responded": m.id in responded,
            "doc": m.model_dump_json(),
        }

    def _locate(self, ids: Iterable[str]) -> dict[str, str]:
        """Concrete index holding each stored id (an update must land where the doc lives)."""
        ids = list(ids)
        found: dict[str, str] = {}
        for i in range(0, len(ids), 1000):
            chunk = ids[i:i + 1000]
            res = self._search(self.names.mentions, query={"ids": {"values": chunk}}, size=len(chunk), source=False)
            for hit in res["hits"]["hits"]:
                found[hit["_id"]] = hit["_index"]
        return found

    _SEEN_FIELDS = ["published_at", "collected_at", "source_name", "duplicate_of", "hashtags", "keywords", "entities"]

    def _locate_seen(self, ids: Iterable[str]) -> tuple[dict[str, str], dict[str, _SeenFields]]:
        """:meth:`_locate`, and what the seen-terms table holds of these stored mentions (an
        update or an erasure takes it out), in one search."""
        ids = list(ids)
        found: dict[str, str] = {}
        out: dict[str, _SeenFields] = {}
        for i in range(0, len(ids), 1000):
            chunk = ids[i:i + 1000]
            res = self._search(self.names.mentions, query={"ids": {"values": chunk}}, size=len(chunk), source=self._SEEN_FIELDS)
            for hit in res["hits"]["hits"]:
                found[hit["_id"]] = hit["_index"]
                out[hit["_id"]] = _seen_fields(hit["_source"])
        return found, out

    def setup(self, rebuild_seen_terms: bool = False) -> dict[str, Any]:
        """:meth:`IndexAdmin.setup`, and the seen-terms index (re)built from the stored mentions
        when asked, when it has an older layout, or when it is not marked complete (a store
        made before it, a new empty one, or a table left unsure)."""
        out = super().setup()
        self._cases_ready = False
        self._ensure_cases()
        n = self._seen_setup(rebuild_seen_terms)
        if n is not None:
            out["seen_terms_built_from"] = n
        return out

    def status(self) -> dict[str, Any]:
        out = super().status()
        out["seen_terms_ready"] = self.seen_terms_ready()
        out["seen_terms_pending"] = self._seen_files.pending() if self._seen_files is not None else 0
        return out

    def _seen_batches(self) -> Iterator[tuple[SeenDelta, int]]:
        """The stored mentions' seen-terms changes, in parts (for a rebuild)."""
        delta: SeenDelta = {}
        n = 0
        for hit in self._scan(self.names.mentions, {"match_all": {}}, [{"id": "asc"}], self._SEEN_FIELDS):
            seen_change_of(delta, *_seen_fields(hit["_source"]), 1)
            n += 1
            if len(delta) >= 20_000:
                yield delta, n
                delta, n = {}, 0
        yield delta, n

    def _cells_of(self, ok: list[str], by_id: dict[str, Mention], before: dict[str, _SeenFields]) -> None:
        """The seen-terms table follows what was stored (``before``: what it held of them)."""
        if not ok:
            return
        delta: SeenDelta = {}
        for i in ok:
            if i in before:
                seen_change_of(delta, *before[i], -1)
            seen_change(delta, by_id[i], by_id[i].collected_at.timestamp(), 1)
        try:
            self._write_seen(delta)
        except Exception as err:  # the mentions are stored, their cells are not: the table cannot be trusted
            try:
                self._seen_unsure(f"a write of its cells failed: {err}")
            except Exception:  # noqa: S110 - the original error is the one to report
                log.exception("%s: could not unmark the seen-terms table", self.label)
            raise

    def _responded(self, ids: Iterable[str]) -> frozenset[str]:
        """Which of these mentions have a logged response (the flag survives re-indexing)."""
        ids = list(ids)
        found: set[str] = set()
        for i in range(0, len(ids), 1000):
            chunk = ids[i:i + 1000]
            agg = {"terms": {"field": "mention_id", "size": len(chunk)}}
            res = self._search(self.names.responses, query={"terms": {"mention_id": chunk}}, size=0, aggs={"m": agg})
            found.update(b["key"] for b in res["aggregations"]["m"]["buckets"])
        return frozenset(found)

    def _keep_corrections(self, ids: list[str], located: dict[str, str], by_id: dict[str, Mention]) -> dict[str, tuple[int, int]]:
        """Read the stored versions of these stored mentions (a realtime get: what is there now,
        refreshed or not); each incoming mention keeps a stored correction it lacks or has an older
        one of (:func:`keep_stored_correction`, replacing it in ``by_id``). Returns each one's
        ``(seq_no, primary_term)``, for a write only if nobody changed it since."""
        docs = [{"_index": located[i], "_id": i} for i in ids if i in located]
        out: dict[str, tuple[int, int]] = {}
        for k in range(0, len(docs), 1000):
            got = self._call(self.client.mget, docs=docs[k:k + 1000], source=["doc"], realtime=True).body
            for d in got.get("docs", []):
                if not d.get("found"):
                    continue
                stored = Mention.model_validate_json(d["_source"]["doc"])
                by_id[d["_id"]] = keep_stored_correction(by_id[d["_id"]], stored)
                out[d["_id"]] = (d["_seq_no"], d["_primary_term"])
        return out

    def _store_batch(self, mentions: list[Mention], expect: dict[str, tuple[int, int]] | None = None) -> EsUpsertResult:
        """Index one batch; raises StoreUnavailable if the cluster is gone, BulkRejected for refused items.

        A stored mention is written only if unchanged since it was read (``if_seq_no``), keeping a
        stored correction the incoming one lacks (:meth:`_keep_corrections`); changed meanwhile (a
        correction), it is read and merged again. ``expect`` (:meth:`correct`): the versions the
        caller read and merged itself; a conflict then raises :class:`_Conflict`."""
        from elasticsearch import helpers

        result = EsUpsertResult()
        by_id = {m.id: m for m in mentions}  # last one wins within a batch
        write, _ = self._ensure_write_index()
        located, before = self._locate_seen(by_id)
        responded = self._responded(by_id)
        ok: list[str] = []
        retryable: list[str] = []
        rejected: list[Json] = []
        pending = list(by_id)
        self._seen_begin()  # until the cells are written or kept, a crash leaves the table unsure
        try:
            for attempt in range(CONFLICT_TRIES):
                conditions = dict(expect) if expect is not None else self._keep_corrections(pending, located, by_id)
                actions = [
                    {"_op_type": "index", "_index": located.get(i, self.names.mentions_write), "_id": i,
                     "_source": self._source(by_id[i], responded),
                     **({"if_seq_no": conditions[i][0], "if_primary_term": conditions[i][1]} if i in conditions else {})}
                    for i in pending
                ]
                conflicts: list[str] = []
                try:
                    for success, item in helpers.streaming_bulk(
                        self.client, actions, chunk_size=self.chunk_size, max_retries=self.max_retries,
                        initial_backoff=self.initial_backoff, max_backoff=30, retry_on_status=RETRY_STATUS,
                        raise_on_error=False, raise_on_exception=True, yield_ok=True,
                    ):
                        info = item.get("index", {})
                        if success:
                            ok.append(info["_id"])
                        elif info.get("status") == 409:  # changed since it was read
                            conflicts.append(info["_id"])
                        elif info.get("status") in RETRY_STATUS:
                            retryable.append(info["_id"])
                        else:
                            err = info.get("error") or {}
                            reason = f"{err.get('type', 'error')}: {err.get('reason', '')}" if isinstance(err, dict) else str(err)
                            rejected.append({"id": info.get("_id"), "status": info.get("status"), "error": reason})
                except Exception as err:  # connection lost mid-way: what was not confirmed goes to the spool
                    translated = self._translate(err)
                    if not isinstance(translated, StoreUnavailable):
                        raise translated from None
                    self._cells_of(ok, by_id, before)  # kept for the next write (the cluster is gone)
                    done = set(ok) | {r["id"] for r in rejected}
                    raise _Partial(ok, located, [m for i, m in by_id.items() if i not in done], translated) from None
                if not conflicts:
                    break
                if expect is not None:
                    self._cells_of(ok, by_id, before)
                    raise _Conflict(conflicts)
                pending = conflicts
            else:
                for i in conflicts:
                    rejected.append({"id": i, "status": 409, "error": f"changed {CONFLICT_TRIES} times while it was written"})
            self._cells_of(ok, by_id, before)
        finally:
            self._seen_end()
        if self.refresh_on_write and ok:
            self._call(self.client.indices.refresh, index=sorted({located.get(i, write) for i in ok} | {self.names.seen_terms}))
        for i in ok:
            (result.updated if i in located else result.inserted).append(i)
        if result.updated or self._late(by_id[i].collected_at.timestamp() for i in result.inserted):
            self._mark()  # rewritten, or older than what rule state has read
        if retryable:
            raise _Partial(ok, located, [by_id[i] for i in retryable],
                           StoreUnavailable(f"{self.label}: still busy after {self.max_retries} retries"))
        if rejected:
            lines = "; ".join(f"{r['id']}: {r['status']} {r['error']}" for r in rejected[:5])
            more = f" (and {len(rejected) - 5} more)" if len(rejected) > 5 else ""
            raise BulkRejected(f"{self.label}: {len(rejected)} of {len(by_id)} mentions refused: {lines}{more}", result, rejected)
        return result

    def upsert(self, mentions: Sequence[Mention]) -> EsUpsertResult:
        result = EsUpsertResult()
        if not mentions:
            return result
        batch = list({m.id: m for m in mentions}.values())
        try:
            self._ensure_ready()
            replayed = self.replay_spool()  # older batches first, so a newer version is never overwritten
            stored = self._store_batch(batch)
            if self._outage_spooled or self._warned_unavailable:
                self._outage_over(replayed)
            return stored
        except _Partial as part:
            for i in part.ok:
                (result.updated if i in part.located else result.inserted).append(i)
            result.spooled = self._spool(part.pending, part.error)
            return result
        except StoreUnavailable as err:
            result.spooled = self._spool(batch, err)
            return result
        except BulkRejected as err:  # the others were stored: set these aside, and the import goes on
            if self.spool is None:
                raise
            stored = err.result
            stored.refused = self._set_aside(batch, err)
            return stored

    def _degrade(self, what: str, err: StoreUnavailable, empty: _T) -> _T:
        """Duplicate lookups at ingest go on without the cluster (its batches are spooled)."""
        if not self._warned_unavailable:
            log.warning("%s; %s skipped while it is unavailable", err, what)
            self._warned_unavailable = True
        return empty

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        ids = list(ids)
        if not ids:
            return set()
        try:
            self._ensure_ready()
            return set(self._locate(ids))
        except StoreUnavailable as err:
            return self._degrade("duplicate check", err, set())

    def get(self, mention_id: str) -> Mention | None:
        self._ensure_ready()
        hits = self._search(self.names.mentions, query={"ids": {"values": [mention_id]}}, size=1, source=["doc"])["hits"]["hits"]
        return Mention.model_validate_json(hits[0]["_source"]["doc"]) if hits else None

    def get_many(self, mention_ids: Sequence[str]) -> dict[str, Mention]:
        """As :meth:`get` for each id (an ids search over the mention indices), ID_CHUNK ids a search."""
        ids = list(dict.fromkeys(mention_ids))
        if not ids:
            return {}
        self._ensure_ready()
        out: dict[str, Mention] = {}
        for i in range(0, len(ids), ID_CHUNK):
            chunk = ids[i:i + ID_CHUNK]
            res = self._search(self.names.mentions, query={"ids": {"values": chunk}}, size=len(chunk), source=["doc"])
            for hit in res["hits"]["hits"]:
                out.setdefault(hit["_id"], Mention.model_validate_json(hit["_source"]["doc"]))
        return out

    def _query(self, flt: MentionFilter) -> Json:
        filters: list[Json] = []
        must: list[Json] = []
        must_not: list[Json] = []
        span = {}
        if flt.since is not None:
            span["gte"] = _ms(flt.since)
        if flt.until is not None:
            span["lt"] = _ms(flt.until)
        if span:
            filters.append({"range": {flt.time_field: {**span, "format": "epoch_millis"}}})
        if flt.collected_until is not None:
            filters.append({"range": {"collected_at": {"lte": _ms(flt.collected_until), "format": "epoch_millis"}}})
        for name, values in (
            ("sentiment", flt.sentiment), ("source_name", flt.source_names), ("source_kind", flt.source_kinds),
            ("category", flt.categories), ("entities", flt.entities), ("expectation", flt.expectations),
            ("news_topic", flt.news_topics),
            ("hashtags", flt.hashtags), ("keywords", flt.keywords), ("cluster", flt.clusters),
            ("complaint_type", flt.complaint_types), ("language", flt.languages), ("author_id", flt.author_ids),
            ("stakeholders", flt.stakeholders),
        ):
            if values:
                filters.append({"terms": {name: list(values)}})
        if flt.ids:  # a mention's id is its document's: looked up, not matched against every id (4x faster on osmem-server)
            filters.append({"ids": {"values": list(flt.ids)}})
        if flt.exclude_source_kinds:
            must_not.append({"terms": {"source_kind": list(flt.exclude_source_kinds)}})
        if flt.complaint is not None:
            filters.append({"term": {"is_complaint": bool(flt.complaint)}})
        if flt.responded is True:
            filters.append({"term": {"responded": True}})
        elif flt.responded is False:
            must_not.append({"term": {"responded": True}})
        if not flt.include_duplicates:
            must_not.append({"exists": {"field": "duplicate_of"}})
        if flt.max_spam_score is not None:  # scored at most this, or not scored at all
            filters.append({"bool": {"minimum_should_match": 1, "should": [
                {"range": {"spam_score": {"lte": float(flt.max_spam_score)}}},
                {"bool": {"must_not": [{"exists": {"field": "spam_score"}}]}},
            ]}})
        if flt.query is not None and not flt.query.empty:
            must.extend(_query_clauses(flt.query))
            must_not.extend(_phrase(p) for p in flt.query.none_of)
        if not (filters or must or must_not):
            return {"match_all": {}}
        q: dict[str, Any] = {}
        if filters:
            q["filter"] = filters
        if must:
            q["must"] = must
        if must_not:
            q["must_not"] = must_not
        return {"bool": q}

    def _sort(self, flt: MentionFilter) -> list[Json]:
        return [{flt.time_field: "desc"}, {"id": "asc"}]

    def search(self, flt: MentionFilter, limit: int = 20) -> list[Mention]:
        if limit <= 0:
            return []
        self._ensure_ready()
        res = self._search(self.names.mentions, query=self._query(flt), sort=self._sort(flt), size=int(limit), source=["doc"])
        return [Mention.model_validate_json(h["_source"]["doc"]) for h in res["hits"]["hits"]]

    def _page(self, flt: MentionFilter, limit: int, key: PageKey, forward: bool) -> list[Mention]:
        self._ensure_ready()
        # search_after on search's sort; for the page ahead, the reversed sort read backwards.
        sort = self._sort(flt) if forward else [{flt.time_field: "asc"}, {"id": "desc"}]
        res = self._search(self.names.mentions, query=self._query(flt), sort=sort, size=int(limit), source=["doc"],
                           search_after=[_ms(key[0]), key[1]])
        found = [Mention.model_validate_json(h["_source"]["doc"]) for h in res["hits"]["hits"]]
        return found if forward else found[::-1]

    def ids(self, flt: MentionFilter, limit: int = 20) -> list[str]:
        if limit <= 0:
            return []
        self._ensure_ready()
        res = self._search(self.names.mentions, query=self._query(flt), sort=self._sort(flt), size=int(limit), source=False)
        return [h["_id"] for h in res["hits"]["hits"]]

    def page_by_id(self, flt: MentionFilter, after: str | None = None, limit: int = 500) -> list[Mention]:
        if limit <= 0:
            return []
        self._ensure_ready()
        extra = {"search_after": [after]} if after is not None else {}
        res = self._search(self.names.mentions, query=self._query(flt), sort=[{"id": "asc"}], size=int(limit),
                           source=["doc"], **extra)
        return [Mention.model_validate_json(h["_source"]["doc"]) for h in res["hits"]["hits"]]

    def count(self, flt: MentionFilter) -> int:
        self._ensure_ready()
        n: int = self._call(self.client.count, index=self.names.mentions, query=self._query(flt)).body["count"]
        return n

    def count_upto(self, flt: MentionFilter, cap: int) -> int:
        self._ensure_ready()
        res = self._search(self.names.mentions, query=self._query(flt), size=0, track_total_hits=max(int(cap), 1))
        n = int(res["hits"]["total"]["value"])
        return min(n, cap)

    def _aggregate(self, flt: MentionFilter, agg: Json) -> Json:
        self._ensure_ready()
        res = self._search(self.names.mentions, query=self._query(flt), size=0, aggs={"a": agg})
        found: Json = res["aggregations"]["a"]
        return found

    def count_by(self, flt: MentionFilter, group_by: str, limit: int = 100) -> dict[str, int]:
        if group_by not in _FIELD:
            raise InputError(f"cannot group by {group_by!r} (allowed: {', '.join(GROUP_FIELDS)})")
        if limit <= 0:
            return {}
        # One shard counts exactly; with more, shard_size keeps the top `limit` exact in practice.
        terms = {"field": _FIELD[group_by], "size": int(limit), "shard_size": max(int(limit) * 2, 1000),
                 "order": [{"_count": "desc"}, {"_key": "asc"}]}
        buckets = self._aggregate(flt, {"terms": terms})["buckets"]
        return {b["key"]: b["doc_count"] for b in buckets}

    def count_voices(self, flt: MentionFilter) -> int:
        # Exact (a cardinality aggregation is approximate): walk the matches' four fields.
        self._ensure_ready()
        keys: set[str] = set()
        fields = ["id", "duplicate_of", "source_kind", "source_name", "author_id"]
        for hit in self._scan(self.names.mentions, self._query(flt), [{"id": "asc"}], fields):
            src = hit["_source"]
            speaker = "" if src.get("source_kind") in NEWS_SOURCE_KINDS else (src.get("author_id") or src.get("source_name"))
            keys.add(f"{src.get('duplicate_of') or src.get('id')}|{speaker}")
        return len(keys)

    def mention_rows(self, flt: MentionFilter, group_by: str | None = None) -> list[MentionRow]:
        if group_by is not None and group_by not in _FIELD:
            raise InputError(f"cannot group by {group_by!r} (allowed: {', '.join(GROUP_FIELDS)})")
        self._ensure_ready()
        fields = ["id", "published_at", "collected_at", "duplicate_of", "source_kind", "source_name", "author_id"]
        key_field = _FIELD[group_by] if group_by is not None and group_by != "cluster" else None
        if key_field is not None:
            fields.append(key_field)
        out = []
        for hit in self._scan(self.names.mentions, self._query(flt), [{"id": "asc"}], fields):
            src = hit["_source"]
            dup = src.get("duplicate_of")
            speaker = "" if src.get("source_kind") in NEWS_SOURCE_KINDS else (src.get("author_id") or src.get("source_name"))
            keys: tuple[str, ...] = ()
            if group_by == "cluster":
                keys = (dup or src["id"],)
            elif key_field is not None:
                value = src.get(key_field)
                if isinstance(value, list):
                    keys = tuple(dict.fromkeys(str(v) for v in value))
                elif value is not None:
                    keys = (str(value),)
            out.append(MentionRow(src["id"], _seconds(src["published_at"]), _seconds(src["collected_at"]), dup is not None,
                                  f"{dup or src['id']}|{speaker}", src.get("author_id"), keys))
        return out

    _RULE_FIELDS = ["id", "published_at", "collected_at", "duplicate_of", "source_kind", "source_name", "author_id",
                    "sentiment", "spam_score", "expectation", "category", "news_topic", "entities", "hashtags", "keywords",
                    "stakeholders"]

    @staticmethod
    def _rule_row(src: Json) -> RuleRow:
        def many(name: str) -> tuple[str, ...]:
            value = src.get(name)
            if value is None or value == []:
                return ()
            return tuple(sorted({str(v) for v in (value if isinstance(value, list) else [value])}))

        return RuleRow(src["id"], _seconds(src["published_at"]), _seconds(src["collected_at"]), src.get("duplicate_of"),
                       src.get("source_kind") or "", src.get("source_name") or "", src.get("author_id"), src.get("sentiment"),
                       src.get("spam_score"), src.get("expectation"), src.get("category"), src.get("news_topic"),
                       many("entities"), many("hashtags"), many("keywords"), many("stakeholders"))

    def rule_rows(self, flt: MentionFilter, queries: Sequence[Query] = (), counts: Sequence[MentionFilter] = (),
                  rows: bool = True, published_before: datetime | None = None) -> RuleRead:
        # One _msearch: the rows, the ids matching each query, the counts; a page that comes
        # back full is read on with search_after.
        self._ensure_ready()
        index = self.names.mentions
        sort = [{"id": "asc"}]

        def where(f: MentionFilter) -> Json:
            q = self._query(f)
            if published_before is None:
                return q
            before = {"range": {"published_at": {"lt": _ms(published_before), "format": "epoch_millis"}}}
            return {"bool": {"filter": [q, before]}}

        wanted: list[tuple[Json, bool | list[str]]] = []
        if rows:
            wanted.append((where(flt), self._RULE_FIELDS))
        wanted += [(where(replace(flt, query=q)), False) for q in queries]
        searches: list[Json] = []
        for query, source in wanted:
            searches += [{"index": index}, {"query": query, "sort": sort, "size": PAGE, "_source": source, "track_total_hits": False}]
        for c in counts:
            searches += [{"index": index}, {"query": self._query(c), "size": 0, "track_total_hits": True}]
        answers = self._call(self.client.msearch, searches=searches).body["responses"]
        for answer in answers:
            if "error" in answer:
                err = answer["error"]
                raise StoreError(f"{self.label}: {err.get('type', 'error') if isinstance(err, dict) else err}: "
                                 f"{err.get('reason', '') if isinstance(err, dict) else ''}")
        pages: list[list[Json]] = []
        for (query, source), answer in zip(wanted, answers):
            hits = list(answer["hits"]["hits"])
            if len(hits) == PAGE:
                hits += self._scan_after(index, query, sort, source, hits[-1]["sort"])
            pages.append(hits)
        found = [self._rule_row(h["_source"]) for h in pages.pop(0)] if rows else []
        hit_sets = [{h["_id"] for h in page} for page in pages]
        totals = [int(a["hits"]["total"]["value"]) for a in answers[len(wanted):]]
        return RuleRead(found, hit_sets, totals)

    def _scan_after(self, index: str, query: Json, sort: list[Json], source: bool | list[str], after: Any) -> list[Json]:
        out: list[Json] = []
        while True:
            hits = self._search(index, query=query, sort=sort, size=PAGE, source=source, search_after=after)["hits"]["hits"]
            out += hits
            if len(hits) < PAGE:
                return out
            after = hits[-1]["sort"]

    def terms_last_seen(self, flt: MentionFilter, field: str) -> dict[str, float]:
        # One aggregation: every term with its latest time (falls back to reading rows when a
        # field has more values than one answer holds).
        agg = {"terms": {"field": _FIELD[field], "size": TERMS_LAST_SEEN_MAX, "shard_size": TERMS_LAST_SEEN_MAX},
               "aggs": {"t": {"max": {"field": flt.time_field}}}}
        found = self._aggregate(flt, agg)
        if found.get("sum_other_doc_count"):
            return super().terms_last_seen(flt, field)
        return {b["key"]: float(b["t"]["value"]) / 1000 for b in found["buckets"] if b["t"].get("value") is not None}

    def count_distinct(self, flt: MentionFilter, fld: str) -> int:
        if fld not in _SINGLE:
            raise InputError(f"cannot count distinct {fld!r} (allowed: {', '.join(_SINGLE)})")
        agg = {"cardinality": {"field": _FIELD[fld], "precision_threshold": CARDINALITY_PRECISION}}
        return int(self._aggregate(flt, agg)["value"])

    def histogram(self, flt: MentionFilter, interval: timedelta, origin: datetime | None = None) -> list[tuple[datetime, int]]:
        step = interval // timedelta(milliseconds=1)
        if step <= 0:
            raise InputError("histogram interval must be positive")
        # Buckets start at the origin (default: a Bangkok midnight) and whole steps from it;
        # Elasticsearch's date_histogram offset is that origin modulo the step.
        origin_ms = _ms(origin) if origin is not None else -BANGKOK_OFFSET_MS
        agg: dict[str, Any] = {"field": flt.time_field, "fixed_interval": f"{step}ms", "min_doc_count": 1}
        offset = origin_ms % step
        if offset:
            agg["offset"] = f"{offset}ms"
        buckets = self._aggregate(flt, {"date_histogram": agg})["buckets"]
        return [(_from_ms(b["key"]), b["doc_count"]) for b in buckets if b["doc_count"]]

    def find_by_text_hash(self, text_hash: str) -> str | None:
        try:
            self._ensure_ready()
            res = self._search(self.names.mentions, query={"term": {"text_hash": text_hash}},
                               sort=[{"collected_at": "asc"}, {"id": "asc"}], size=1, source=False)
        except StoreUnavailable as err:
            return self._degrade("duplicate check", err, None)
        hits = res["hits"]["hits"]
        return hits[0]["_id"] if hits else None

    def fingerprints_since(self, since: datetime) -> list[Fingerprint]:
        query = {"bool": {"filter": [{"range": {"collected_at": {"gte": _ms(since), "format": "epoch_millis"}}}],
                          "must_not": [{"exists": {"field": "duplicate_of"}}]}}
        try:
            self._ensure_ready()
            hits = list(self._scan(self.names.mentions, query, [{"collected_at": "asc"}, {"id": "asc"}],
                                   ["id", "text_hash", "simhash"]))
        except StoreUnavailable as err:
            return self._degrade("near-duplicate index", err, [])
        out = []
        for h in hits:
            s = h["_source"]
            simhash = s.get("simhash")
            out.append(Fingerprint(s["id"], s.get("text_hash"), int(simhash) if simhash is not None else None))
        return out

    # -- alert state --------------------------------------------------------------------
    def _state_id(self, rule_id: str, key: str) -> str:
        return hashlib.sha256(f"{rule_id}\x1f{key}".encode("utf-8")).hexdigest()[:32]

    def _get(self, index: str, doc_id: str) -> Json | None:
        from elasticsearch import NotFoundError

        def fetch() -> Json | None:
            try:
                source: Json = self.client.get(index=index, id=doc_id).body["_source"]
                return source
            except NotFoundError:
                return None

        self._ensure_ready()
        return self._call(fetch)

    _MARK = ("_store", "mentions-changed")  # a rule_state document: the mark of Store.changes

    def _mark(self) -> None:
        doc = {"rule_id": self._MARK[0], "key": self._MARK[1], "last_fired_at": _iso_ms(now_utc()),
               "doc": json.dumps({"n": self._seq()})}
        self._call(self.client.index, index=self.names.rule_state, id=self._state_id(*self._MARK), document=doc)

    def _late(self, collected: Iterable[float]) -> bool:
        """Whether any of these new mentions was collected more than ``LATE_WRITE`` before the
        newest one stored (as this process knows it: read once, then kept up with its writes)."""
        times = list(collected)
        if not times:
            return False
        if self._newest is None:
            agg = self._search(self.names.mentions, size=0, aggs={"n": {"max": {"field": "collected_at"}}})
            value = agg["aggregations"]["n"].get("value")
            self._newest = float(value) / 1000 if value is not None else max(times)
        late = min(times) < self._newest - LATE_WRITE.total_seconds()
        self._newest = max(self._newest, *times)
        return late

    def changes(self) -> int:
        src = self._get(self.names.rule_state, self._state_id(*self._MARK))
        return int(json.loads(src["doc"]).get("n", 0)) if src else 0

    def last_fired(self, rule_id: str, key: str) -> datetime | None:
        src = self._get(self.names.rule_state, self._state_id(rule_id, key))
        return datetime.fromisoformat(json.loads(src["doc"])["at"]) if src else None

    def set_last_fired(self, rule_id: str, key: str, at: datetime) -> None:
        self._ensure_ready()
        self._call(self.client.index, index=self.names.rule_state, id=self._state_id(rule_id, key),
                   document=self._rule_state_doc(rule_id, key, at))

    def last_fired_many(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], datetime]:
        by_id = {self._state_id(r, k): (r, k) for r, k in pairs}
        if not by_id:
            return {}
        self._ensure_ready()
        out: dict[tuple[str, str], datetime] = {}
        ids = list(by_id)
        for i in range(0, len(ids), 1000):
            docs = self._call(self.client.mget, index=self.names.rule_state, ids=ids[i:i + 1000]).body["docs"]
            for d in docs:
                if d.get("found"):
                    out[by_id[d["_id"]]] = datetime.fromisoformat(json.loads(d["_source"]["doc"])["at"])
        return out

    def _rule_state_doc(self, rule_id: str, key: str, at: datetime) -> Json:
        return {"rule_id": rule_id, "key": key, "last_fired_at": _iso_ms(at),
                "doc": json.dumps({"at": at.astimezone(UTC).isoformat()})}

    def write_alert_state(
        self,
        cooling: Sequence[tuple[str, str, datetime]] = (),
        incidents: Sequence[Incident] = (),
        events: Sequence[tuple[str, IncidentEvent]] = (),
    ) -> None:
        # One bulk request, refreshed once, in the order the engine made them.
        self._ensure_ready()
        actions: list[dict[str, Any]] = [
            {"_index": self.names.rule_state, "_id": self._state_id(r, k), "doc": self._rule_state_doc(r, k, at)}
            for r, k, at in cooling
        ]
        actions += [{"_index": self.names.incidents, "_id": i.id, "doc": self._incident_doc(i)} for i in incidents]
        actions += [{"_index": self.names.incident_events, "doc": self._event_doc(iid, e)} for iid, e in events]
        self._bulk_state(actions)

    def record_alert(self, alert_json: str, rule_id: str, key: str, fired_at: datetime, incident_id: str | None) -> None:
        self._ensure_ready()
        try:
            alert = json.loads(alert_json)
        except ValueError:
            alert = {}
        alert = alert if isinstance(alert, dict) else {}
        count = alert.get("count")
        doc = {
            "rule_id": rule_id, "key": key, "fired_at": _iso_ms(fired_at), "incident_id": incident_id,
            "rule_type": alert.get("rule_type"), "severity": alert.get("severity"), "playbook": alert.get("playbook"),
            "count": count if isinstance(count, int) else None, "seq": self._seq(), "doc": alert_json,
        }
        self._call(self.client.index, index=self.names.alerts, document=doc, refresh=True)

    # -- the outbox --------------------------------------------------------------------
    def _outbox_source(self, d: Delivery) -> dict[str, Any]:
        return {"id": d.id, "notifier": d.notifier, "incident_id": d.incident_id, "status": d.status,
                "next_at": _iso_ms(d.next_at or d.created_at), "created_at": _iso_ms(d.created_at),
                "doc": delivery_json(d)}

    def _bulk_state(self, actions: list[dict[str, Any]]) -> None:
        """One bulk request, refreshed; any failed item is a StoreError (the caller retries the whole)."""
        if not actions:
            return
        operations: list[dict[str, Any]] = []
        for a in actions:
            meta: dict[str, Any] = {"_index": a["_index"]}
            if a.get("_id"):
                meta["_id"] = a["_id"]
            operations += [{a.get("_op", "index"): meta}, a["doc"]]
        res = self._call(self.client.bulk, operations=operations, refresh=True).body
        if res.get("errors"):
            failed = [i for item in res["items"] for i in item.values() if i.get("error")
                      and i.get("status") != 409]
            if failed:
                raise StoreError(f"{self.label}: {len(failed)} outbox/alert writes failed: {failed[0]['error'].get('type')}")

    def _enqueue_actions(
        self, deliveries: Sequence[Delivery], events: Sequence[tuple[str, IncidentEvent]]
    ) -> list[dict[str, Any]]:
        actions: list[dict[str, Any]] = []
        for d in deliveries:  # create: an id already queued stays as it is
            actions.append({"_index": self.names.outbox, "_id": d.id, "_op": "create", "doc": self._outbox_source(d)})
        for incident_id, event in events:
            actions.append({"_index": self.names.incident_events, "doc": self._event_doc(incident_id, event)})
        return actions

    def record_fired(
        self,
        alert_json: str,
        rule_id: str,
        key: str,
        fired_at: datetime,
        incident_id: str | None,
        deliveries: Sequence[Delivery] = (),
        events: Sequence[tuple[str, IncidentEvent]] = (),
    ) -> None:
        # No transactions here: one bulk request, the outbox and its events before the alert and
        # the cool-down, so a crash between them at worst fires the alert again (never silently).
        self._ensure_ready()
        try:
            alert = json.loads(alert_json)
        except ValueError:
            alert = {}
        alert = alert if isinstance(alert, dict) else {}
        count = alert.get("count")
        actions = self._enqueue_actions(deliveries, events)
        actions.append({"_index": self.names.alerts, "doc": {
            "rule_id": rule_id, "key": key, "fired_at": _iso_ms(fired_at), "incident_id": incident_id,
            "rule_type": alert.get("rule_type"), "severity": alert.get("severity"), "playbook": alert.get("playbook"),
            "count": count if isinstance(count, int) else None, "seq": self._seq(), "doc": alert_json}})
        actions.append({"_index": self.names.rule_state, "_id": self._state_id(rule_id, key), "doc": {
            "rule_id": rule_id, "key": key, "last_fired_at": _iso_ms(fired_at),
            "doc": json.dumps({"at": fired_at.astimezone(UTC).isoformat()})}})
        self._bulk_state(actions)

    def enqueue(self, deliveries: Sequence[Delivery], events: Sequence[tuple[str, IncidentEvent]] = ()) -> None:
        self._ensure_ready()
        self._bulk_state(self._enqueue_actions(deliveries, events))

    def claim_due(self, at: datetime, lease: timedelta, limit: int = 100) -> list[Delivery]:
        from elasticsearch import ConflictError

        self._ensure_ready()
        query = {"bool": {"filter": [{"terms": {"status": ["pending", "sending"]}},
                                     {"range": {"next_at": {"lte": _ms(at), "format": "epoch_millis"}}}]}}
        res = self._search(self.names.outbox, query=query, sort=[{"created_at": "asc"}, {"id": "asc"}],
                           size=limit, seq_no_primary_term=True, source=["doc"])
        claimed = []
        for hit in res["hits"]["hits"]:
            d = delivery_from_json(hit["_source"]["doc"])
            d.status, d.next_at = "sending", at + lease
            try:  # only if nobody changed it since we read it: one worker per delivery
                self.client.index(index=self.names.outbox, id=d.id, document=self._outbox_source(d),
                                  if_seq_no=hit["_seq_no"], if_primary_term=hit["_primary_term"], refresh=True)
            except ConflictError:
                continue
            except Exception as err:
                raise self._translate(err) from None
            claimed.append(d)
        return claimed

    def save_delivery(self, delivery: Delivery) -> None:
        # The state only: what it says stays as stored, which an erasure may have rewritten since
        # this delivery was claimed (scrub_delivery); read, merged and written only if unchanged.
        from elasticsearch import ConflictError, NotFoundError

        self._ensure_ready()
        state = {k: v for k, v in json.loads(delivery_json(delivery)).items() if k in DELIVERY_STATE}
        for _ in range(10):
            try:
                got = self.client.get(index=self.names.outbox, id=delivery.id).body
            except NotFoundError:
                got = None
            except Exception as err:
                raise self._translate(err) from None
            if got is None:
                doc = delivery
                conditions: dict[str, Any] = {}
            else:
                doc = delivery_from_json(json.dumps({**json.loads(got["_source"]["doc"]), **state}, ensure_ascii=False))
                conditions = {"if_seq_no": got["_seq_no"], "if_primary_term": got["_primary_term"]}
            try:
                self.client.index(index=self.names.outbox, id=delivery.id, document=self._outbox_source(doc),
                                  refresh=True, **conditions)
                return
            except ConflictError:
                continue
            except Exception as err:
                raise self._translate(err) from None
        raise StoreError(f"{self.label}: delivery {delivery.id} kept changing while its state was written")

    def deliveries(self, status: str | None = None, incident_id: str | None = None) -> list[Delivery]:
        self._ensure_ready()
        filters: list[dict[str, Any]] = []
        if status is not None:
            filters.append({"term": {"status": status}})
        if incident_id is not None:
            filters.append({"term": {"incident_id": incident_id}})
        query = {"bool": {"filter": filters}} if filters else {"match_all": {}}
        hits = self._scan(self.names.outbox, query, [{"created_at": "asc"}, {"id": "asc"}], ["doc"])
        return [delivery_from_json(h["_source"]["doc"]) for h in hits]

    def alerts_since(self, since: datetime) -> list[Json]:
        self._ensure_ready()
        query = {"range": {"fired_at": {"gte": _ms(since), "format": "epoch_millis"}}}
        hits = self._scan(self.names.alerts, query, [{"fired_at": "asc"}, {"seq": "asc"}], ["doc"])
        return [json.loads(h["_source"]["doc"]) for h in hits]

    def log_response(self, mention_id: str, at: datetime, actor: str, channel: str, text: str) -> None:
        self._ensure_ready()
        doc = {"mention_id": mention_id, "at": _iso_ms(at), "actor": actor, "channel": channel, "text": text,
               "seq": self._seq()}
        self._call(self.client.index, index=self.names.responses, document=doc, refresh=True)
        # Flag the mention where it lives, so `responded` filters stay plain term queries.
        for index in {v for v in self._locate([mention_id]).values()}:
            self._call(self.client.update, index=index, id=mention_id, doc={"responded": True},
                       refresh=self.refresh_on_write)

    def engagement_totals(self, flt: MentionFilter) -> dict[str, int]:
        # One search: a sum aggregation per field over the matching mentions.
        self._ensure_ready()
        aggs = {name: {"sum": {"field": name}} for name in ENGAGEMENT_FIELDS}
        found = self._search(self.names.mentions, query=self._query(flt), size=0, aggs=aggs)["aggregations"]
        return {name: int(found[name].get("value") or 0) for name in ENGAGEMENT_FIELDS}

    def response_rows(self, flt: MentionFilter, group_by: str) -> list[ResponseRow]:
        # The matches' id, time, group field and `responded` flag only (a filtered scan, no
        # text), then the first response of the answered ones: a terms aggregation with a min
        # per mention on the responses index, a chunk of ids at a time.
        if group_by not in _FIELD:
            raise InputError(f"cannot group by {group_by!r} (allowed: {', '.join(GROUP_FIELDS)})")
        self._ensure_ready()
        key_field = "duplicate_of" if group_by == "cluster" else _FIELD[group_by]
        fields = list(dict.fromkeys(["id", "published_at", "responded", key_field]))
        found: list[tuple[str, list[str], float]] = []
        answered: list[str] = []
        for hit in self._scan(self.names.mentions, self._query(flt), [{"id": "asc"}], fields):
            src = hit["_source"]
            value = src.get(key_field)
            if group_by == "cluster":
                keys = [str(value or src["id"])]
            elif isinstance(value, list):
                keys = sorted({str(v) for v in value}) or [""]
            else:
                keys = [str(value)] if value is not None else [""]
            found.append((src["id"], keys, _seconds(src["published_at"])))
            if src.get("responded"):
                answered.append(src["id"])
        first: dict[str, float] = {}
        for i in range(0, len(answered), 1000):
            chunk = answered[i:i + 1000]
            agg = {"terms": {"field": "mention_id", "size": len(chunk)}, "aggs": {"first": {"min": {"field": "at"}}}}
            res = self._search(self.names.responses, query={"terms": {"mention_id": chunk}}, size=0, aggs={"a": agg})
            for b in res["aggregations"]["a"]["buckets"]:
                if b["first"].get("value") is not None:
                    first[b["key"]] = float(b["first"]["value"]) / 1000
        out: list[ResponseRow] = []
        for mention_id, keys, published in found:
            at = first.get(mention_id)
            delay = None if at is None else at - published
            out.extend((mention_id, k, published, delay) for k in keys)
        return out

    def snooze(self, rule_id: str, key: str, until: datetime, actor: str, reason: str = "") -> None:
        self._ensure_ready()
        doc = {"rule_id": rule_id, "key": key, "until": _iso_ms(until), "actor": actor, "reason": reason,
               "doc": json.dumps({"until": until.astimezone(UTC).isoformat()})}
        self._call(self.client.index, index=self.names.snoozes, id=self._state_id(rule_id, key), document=doc)

    def snoozed_until(self, rule_id: str, key: str) -> datetime | None:
        ends = []
        for k in {key, "*"}:
            src = self._get(self.names.snoozes, self._state_id(rule_id, k))
            if src:
                ends.append(datetime.fromisoformat(json.loads(src["doc"])["until"]))
        return max(ends) if ends else None

    def responses(self, mention_id: str) -> list[dict[str, Any]]:
        self._ensure_ready()
        hits = self._scan(self.names.responses, {"term": {"mention_id": mention_id}}, [{"at": "asc"}, {"seq": "asc"}],
                          ["at", "actor", "channel", "text"])
        return [{"at": datetime.fromisoformat(h["_source"]["at"].replace("Z", "+00:00")), "actor": h["_source"]["actor"],
                 "channel": h["_source"]["channel"], "text": h["_source"]["text"]} for h in hits]

    def assign(self, mention_id: str, assignee: str, actor: str, at: datetime) -> None:
        self._ensure_ready()
        doc = {"mention_id": mention_id, "assignee": assignee, "actor": actor, "at": _iso_ms(at)}
        self._call(self.client.index, index=self.names.assignments, id=mention_id, document=doc, refresh=True)

    def correct(self, mention_id: str, correction: LabelCorrection) -> Mention | None:
        # Read (realtime), merge and write only if nobody changed the mention since (if_seq_no);
        # changed meanwhile (another correction, a re-enrichment), read and merged again.
        from elasticsearch import NotFoundError

        self._ensure_ready()
        for _ in range(CONFLICT_TRIES):
            index = self._locate([mention_id]).get(mention_id)
            if index is None:
                return None
            try:
                got = self.client.get(index=index, id=mention_id, source=["doc"], realtime=True).body
            except NotFoundError:
                return None
            except Exception as err:
                raise self._translate(err) from None
            fixed = with_correction(Mention.model_validate_json(got["_source"]["doc"]), correction)
            try:
                self._store_batch([fixed], expect={mention_id: (got["_seq_no"], got["_primary_term"])})
            except _Conflict:
                continue
            except _Partial as part:  # the cluster went away: the correction is not stored
                raise part.error from None
            self.record_correction(mention_id, correction)
            return fixed
        raise StoreError(f"{self.label}: mention {mention_id} kept changing while the correction was written; try again")

    def record_correction(self, mention_id: str, correction: LabelCorrection) -> None:
        self._ensure_ready()
        doc = {"mention_id": mention_id, "actor": correction.by, "at": _iso_ms(correction.at), "seq": self._seq(),
               "doc": json.dumps(correction.fields(), ensure_ascii=False)}
        self._call(self.client.index, index=self.names.corrections, document=doc, refresh=True)

    def corrections(self, mention_id: str | None = None) -> list[dict[str, Any]]:
        self._ensure_ready()
        query: Json = {"term": {"mention_id": mention_id}} if mention_id is not None else {"match_all": {}}
        hits = self._scan(self.names.corrections, query, [{"at": "asc"}, {"seq": "asc"}], ["mention_id", "actor", "at", "doc"])
        return [{"mention_id": h["_source"]["mention_id"], "actor": h["_source"]["actor"],
                 "at": datetime.fromisoformat(h["_source"]["at"].replace("Z", "+00:00")),
                 "fields": json.loads(h["_source"]["doc"])} for h in hits]

    def assignments(self, mention_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        ids = list(mention_ids)
        if not ids:
            return {}
        self._ensure_ready()
        hits = self._scan(self.names.assignments, {"terms": {"mention_id": ids}}, [{"mention_id": "asc"}],
                          ["mention_id", "assignee", "actor", "at"])
        return {h["_source"]["mention_id"]: {"assignee": h["_source"]["assignee"], "actor": h["_source"]["actor"],
                                             "at": datetime.fromisoformat(h["_source"]["at"].replace("Z", "+00:00"))}
                for h in hits}

    def snoozes(self) -> list[dict[str, Any]]:
        self._ensure_ready()
        hits = self._scan(self.names.snoozes, {"match_all": {}}, [{"rule_id": "asc"}, {"key": "asc"}],
                          ["rule_id", "key", "actor", "reason", "doc"])
        return [{"rule_id": h["_source"]["rule_id"], "key": h["_source"]["key"],
                 "until": datetime.fromisoformat(json.loads(h["_source"]["doc"])["until"]),
                 "actor": h["_source"]["actor"], "reason": h["_source"].get("reason", "")} for h in hits]

    # -- partner sharing audit --------------------------------------------------------------
    def record_share(self, share: dict[str, Any]) -> None:
        self._ensure_ready()
        at = share["at"].astimezone(UTC)
        doc = {"partner": share["partner"], "channel": share["channel"], "actor": share["actor"], "at": _iso_ms(at),
               "seq": time.time_ns(),
               "doc": json.dumps({"at": at.isoformat(), "items": list(share["items"]),
                                  "upto": share["upto"].astimezone(UTC).isoformat() if share.get("upto") else None})}
        self._call(self.client.index, index=self.names.shares, document=doc, refresh=True)

    def shares(self, partner: str | None = None, channel: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        self._ensure_ready()
        terms: list[Json] = [{"term": {k: v}} for k, v in (("partner", partner), ("channel", channel)) if v is not None]
        hits = self._search(self.names.shares, query={"bool": {"filter": terms}}, sort=[{"seq": "desc"}], size=limit,
                            source=["partner", "channel", "actor", "doc"])["hits"]["hits"]
        out = []
        for h in hits:
            src = h["_source"]
            doc = json.loads(src["doc"])
            out.append({"partner": src["partner"], "channel": src["channel"], "actor": src["actor"],
                        "at": datetime.fromisoformat(doc["at"]),
                        "upto": datetime.fromisoformat(doc["upto"]) if doc.get("upto") else None, "items": doc["items"]})
        return out

    # -- users and API tokens --------------------------------------------------------------
    def save_user(self, user: User) -> None:
        self._ensure_ready()
        doc = {"username": user.username, "role": user.role, "disabled": user.disabled, "doc": user.model_dump_json()}
        self._call(self.client.index, index=self.names.users, id=user.username, document=doc, refresh=True)

    def get_user(self, username: str) -> User | None:
        src = self._get(self.names.users, username)
        return User.model_validate_json(src["doc"]) if src else None

    def list_users(self) -> list[User]:
        self._ensure_ready()
        hits = self._scan(self.names.users, {"match_all": {}}, [{"username": "asc"}], ["doc"])
        return [User.model_validate_json(h["_source"]["doc"]) for h in hits]

    def save_api_token(self, token: ApiToken) -> None:
        self._ensure_ready()
        doc = {"token_hash": token.token_hash, "username": token.username, "created_at": _iso_ms(token.created_at),
               "doc": token.model_dump_json()}
        self._call(self.client.index, index=self.names.api_tokens, id=token.token_hash, document=doc, refresh=True)

    def find_api_token(self, token_hash: str) -> ApiToken | None:
        src = self._get(self.names.api_tokens, token_hash)
        return ApiToken.model_validate_json(src["doc"]) if src else None

    def list_api_tokens(self, username: str | None = None) -> list[ApiToken]:
        self._ensure_ready()
        query = {"term": {"username": username}} if username is not None else {"match_all": {}}
        hits = self._scan(self.names.api_tokens, query, [{"created_at": "desc"}, {"token_hash": "asc"}], ["doc"])
        return [ApiToken.model_validate_json(h["_source"]["doc"]) for h in hits]

    # -- crawl reports -------------------------------------------------------------------------
    def save_crawl_report(self, report: dict[str, Any]) -> None:
        self._ensure_ready()
        source = str(report["source"])
        doc = {"source": source, "finished_at": str(report["finished_at"]), "doc": json.dumps(report, ensure_ascii=False)}
        self._call(self.client.index, index=self.names.crawls, id=source, document=doc, refresh=True)

    def crawl_reports(self) -> list[dict[str, Any]]:
        self._ensure_ready()
        hits = self._scan(self.names.crawls, {"match_all": {}}, [{"source": "asc"}], ["doc"])
        return [json.loads(h["_source"]["doc"]) for h in hits]

    # -- stakeholder registry and complaint cases ---------------------------------------------
    def save_stakeholder(self, stakeholder: Stakeholder) -> None:
        self._ensure_ready()
        doc = {"id": stakeholder.id, "name": stakeholder.name, "group": stakeholder.group,
               "status": stakeholder.status, "doc": stakeholder.model_dump_json()}
        self._call(self.client.index, index=self.names.stakeholders, id=stakeholder.id, document=doc, refresh=True)

    def get_stakeholder(self, stakeholder_id: str) -> Stakeholder | None:
        src = self._get(self.names.stakeholders, stakeholder_id)
        return Stakeholder.model_validate_json(src["doc"]) if src else None

    def list_stakeholders(self) -> list[Stakeholder]:
        self._ensure_ready()
        hits = self._scan(self.names.stakeholders, {"match_all": {}}, [{"id": "asc"}], ["doc"])
        return [Stakeholder.model_validate_json(h["_source"]["doc"]) for h in hits]

    def delete_stakeholder(self, stakeholder_id: str) -> bool:
        from elasticsearch import NotFoundError

        self._ensure_ready()

        def delete() -> bool:
            try:
                self.client.delete(index=self.names.stakeholders, id=stakeholder_id, refresh=True)
                return True
            except NotFoundError:
                return False

        return self._call(delete)

    @staticmethod
    def _case_source(case: ComplaintCase) -> Json:
        return {"id": case.id, "state": case.state, "received_at": _iso_ms(case.received_at),
                "author_id": case.author_id, "thread": case.thread, "incident_id": case.incident_id,
                "mention_ids": case.mention_ids, "stakeholders": case.stakeholders, "cause": case.cause,
                "closed_at": None if (closed := closed_time(case)) is None else _iso_ms(closed), "doc": case.model_dump_json()}

    def save_case(self, case: ComplaintCase) -> None:
        self._ensure_cases()
        self._call(self.client.index, index=self.names.complaint_cases, id=case.id, document=self._case_source(case),
                   refresh=True)

    def add_case(self, case: ComplaintCase) -> bool:
        from elasticsearch import ConflictError

        self._ensure_cases()
        try:  # op_type create: refused (409) when the id is taken
            self.client.create(index=self.names.complaint_cases, id=case.id, document=self._case_source(case), refresh=True)
        except ConflictError:
            return False
        except Exception as err:
            raise self._translate(err) from None
        return True

    def get_case(self, case_id: str) -> ComplaintCase | None:
        src = self._get(self.names.complaint_cases, case_id)
        return ComplaintCase.model_validate_json(src["doc"]) if src else None

    def get_cases(self, case_ids: Sequence[str]) -> dict[str, ComplaintCase]:
        """As :meth:`get_case` for each id (a realtime read), ID_CHUNK ids an ``mget``."""
        ids = list(dict.fromkeys(case_ids))
        if not ids:
            return {}
        self._ensure_cases()
        out: dict[str, ComplaintCase] = {}
        for i in range(0, len(ids), ID_CHUNK):
            got = self._call(self.client.mget, index=self.names.complaint_cases, ids=ids[i:i + ID_CHUNK], source=["doc"]).body
            for d in got.get("docs", []):
                if d.get("found"):
                    out[d["_id"]] = ComplaintCase.model_validate_json(d["_source"]["doc"])
        return out

    def _case_sources(self, query: Json, fields: list[str]) -> list[Json]:
        """``fields`` of the cases matching ``query``, in list_cases' order (latest received
        first, then id)."""
        return [h["_source"] for h in self._scan(self.names.complaint_cases, query,
                                                 [{"received_at": "desc"}, {"id": "asc"}], fields)]

    def _cases(self, query: Json) -> list[ComplaintCase]:
        return [ComplaintCase.model_validate_json(src["doc"]) for src in self._case_sources(query, ["doc"])]

    def list_cases(self, states: tuple[str, ...] = ()) -> list[ComplaintCase]:
        self._ensure_ready()
        return self._cases({"terms": {"state": list(states)}} if states else {"match_all": {}})

    @staticmethod
    def _queue_query(closed_since: datetime) -> Json:
        # closed_at is indexed to the millisecond: the query takes a second more and the exact
        # bound is applied to the cases' own datetimes
        return {"bool": {"should": [{"bool": {"must_not": [{"term": {"state": "closed"}}]}},
                                    {"range": {"closed_at": {"gte": _iso_ms(closed_since - timedelta(seconds=1))}}}],
                         "minimum_should_match": 1}}

    def queue_cases(self, closed_since: datetime) -> list[ComplaintCase]:
        self._ensure_cases()
        return [c for c in self._cases(self._queue_query(closed_since)) if (closed_time(c) or closed_since) >= closed_since]

    def queue_case_keys(self, closed_since: datetime) -> list[CaseKey]:
        self._ensure_cases()
        keys = self._case_keys(self._queue_query(closed_since), with_ids=False)
        return [k for k, closed in keys if closed is None or closed >= closed_since]

    def open_case_keys(self) -> list[CaseKey]:
        self._ensure_cases()
        return [k for k, _ in self._case_keys({"term": {"state": "open"}}, with_ids=True)]

    def _case_keys(self, query: Json, with_ids: bool) -> list[tuple[CaseKey, datetime | None]]:
        """The cases ``query`` picks as :class:`CaseKey` (what the default derives from whole
        cases), each with when it was closed (None while open), in list_cases order; ``with_ids``:
        the ids each case holds as well. Read without whole cases: of each case its id, state,
        mention ids and exact received and closing times (the document read as plain JSON, not
        validated as a case with its events: the indexed times are cut to the millisecond); of
        the responses their mention and time; of the complaints their publication time (an ids
        query); ID_CHUNK ids a request, never a request per case."""
        cases: list[tuple[str, str, list[str], datetime, datetime | None]] = []
        for src in self._case_sources(query, ["id", "state", "mention_ids", "doc"]):
            # An open case needs only its received time: the document's third key, found without
            # parsing its events (a quote inside a value is escaped, so the pattern matches keys only)
            found = _RECEIVED.search(src["doc"], 0, 200) if src["state"] == "open" else None
            closed = None
            if found is not None:
                received = datetime.fromisoformat(found.group(1))
            else:
                doc = json.loads(src["doc"])
                received = datetime.fromisoformat(doc["received_at"])
                if src["state"] == "closed":  # closed_time: closed_at, else the last closing, else received_at
                    closings = [datetime.fromisoformat(e["at"]) for e in doc.get("events") or () if e.get("kind") == "closed"]
                    closed = datetime.fromisoformat(doc["closed_at"]) if doc.get("closed_at") else max(closings, default=received)
            cases.append((src["id"], src["state"], list(src.get("mention_ids") or ()), received, closed))
        owners: dict[str, list[str]] = {}  # mention id → the cases holding it
        for case_id, _, mids, _, _ in cases:
            for mid in mids:
                owners.setdefault(mid, []).append(case_id)
        answers: dict[str, list[datetime]] = {}
        posted: dict[str, list[tuple[datetime, str]]] = {}
        for mid, at in self._response_times(list(owners)):
            for case_id in owners.get(mid, ()):
                answers.setdefault(case_id, []).append(at)
        several = {case_id for case_id, _, mids, _, _ in cases if len(set(mids)) > 1}
        ids = list(dict.fromkeys(m for case_id, _, mids, _, _ in cases if case_id in several for m in mids))
        for i in range(0, len(ids), ID_CHUNK):  # a mention erased since is not among the complaints
            query = self._query(MentionFilter(ids=tuple(ids[i:i + ID_CHUNK])))
            for h in self._scan(self.names.mentions, query, [{"id": "asc"}], ["id", "published_at"]):
                mid, at = h["_source"]["id"], datetime.fromtimestamp(_seconds(h["_source"]["published_at"]), UTC)
                for case_id in owners.get(mid, ()):
                    if case_id in several:
                        posted.setdefault(case_id, []).append((at, mid))
        return [(CaseKey(case_id, state, received, tuple(sorted(posted.get(case_id, ()))),
                         tuple(sorted(answers.get(case_id, ()))), tuple(sorted(set(mids))) if with_ids else ()), closed)
                for case_id, state, mids, received, closed in cases]

    def _response_times(self, ids: list[str]) -> Iterator[tuple[str, datetime]]:
        """(mention id, time) of every response logged to any of ``ids``: ID_CHUNK ids a terms
        query, or, where the index holds no more responses than there are ids (a queue of
        thousands of cases, most unanswered), every response read, a page of PAGE a request, and
        those to other mentions left out here."""
        if not ids:
            return
        total = int(self._call(self.client.count, index=self.names.responses).body["count"])
        chunks = [{"match_all": {}}] if total <= len(ids) else [
            {"terms": {"mention_id": ids[i:i + ID_CHUNK]}} for i in range(0, len(ids), ID_CHUNK)]
        wanted = set(ids)
        for query in chunks:
            for h in self._scan(self.names.responses, query, [{"seq": "asc"}], ["mention_id", "at"]):
                if h["_source"]["mention_id"] in wanted:
                    yield h["_source"]["mention_id"], datetime.fromisoformat(h["_source"]["at"])

    def case_cause_counts(self, closed_since: datetime, closed_until: datetime) -> dict[str | None, int]:
        self._ensure_cases()
        # as queue_cases: closed_at is indexed to the millisecond, so the query takes a second
        # more either side and the exact bounds are applied to the cases' own datetimes
        query = {"bool": {"filter": [{"term": {"state": "closed"}}, {"range": {"closed_at": {
            "gte": _iso_ms(closed_since - timedelta(seconds=1)), "lt": _iso_ms(closed_until + timedelta(seconds=1))}}}]}}
        counts: dict[str | None, int] = {}
        for case in self._cases(query):  # news coverage the system closed: no complaint (as the base class)
            if case.close_reason != PRESS_COVERAGE and closed_since <= (closed_time(case) or closed_until) < closed_until:
                counts[case.cause] = counts.get(case.cause, 0) + 1
        return counts

    def open_cases_joining(self, authors: Iterable[str] = (), threads: Iterable[str] = (),
                           incidents: Iterable[str] = ()) -> list[ComplaintCase]:
        should: list[Json] = []
        for field, values in zip(CASE_KEYS, (authors, threads, incidents), strict=True):
            keys = sorted({v for v in values if v})
            # terms takes up to 65,536 values (index.max_terms_count); a batch has a few hundred
            should.extend({"terms": {field: keys[i:i + 10_000]}} for i in range(0, len(keys), 10_000))
        if not should:
            return []
        self._ensure_cases()
        query = {"bool": {"filter": [{"term": {"state": "open"}}], "should": should, "minimum_should_match": 1}}
        return self._cases(query)

    def open_cases_of(self, stakeholder_id: str) -> list[ComplaintCase]:
        self._ensure_cases()
        return self._cases({"bool": {"filter": [{"term": {"state": "open"}},
                                                {"term": {"stakeholders": stakeholder_id}}]}})

    def _holding(self, ids: list[str], states: tuple[str, ...] = ()) -> Json:
        """The query for the cases (all, or in ``states``) holding any of ``ids`` (not empty)."""
        self._ensure_cases()
        # terms takes up to 65,536 values (index.max_terms_count): a sync asks for up to 5,000
        should = [{"terms": {"mention_ids": ids[i:i + 10_000]}} for i in range(0, len(ids), 10_000)]
        query: Json = {"bool": {"should": should, "minimum_should_match": 1}}
        if states:
            query["bool"]["filter"] = [{"terms": {"state": list(states)}}]
        return query

    def cases_holding(self, mention_ids: Iterable[str], states: tuple[str, ...] = ()) -> list[ComplaintCase]:
        ids = sorted(set(mention_ids))
        return self._cases(self._holding(ids, states)) if ids else []

    def held_mentions(self, mention_ids: Iterable[str]) -> set[str]:
        ids = sorted(set(mention_ids))
        held: set[str] = set()
        for i in range(0, len(ids), ID_CHUNK):  # complaint_sla asks for every unanswered complaint of its window
            wanted = set(ids[i:i + ID_CHUNK])
            for src in self._case_sources(self._holding(sorted(wanted)), ["mention_ids"]):
                held.update(m for m in src.get("mention_ids") or () if m in wanted)
        return held

    def _ensure_cases(self) -> None:
        """The complaint-cases index is of this version's layout (es_mappings.CASES_LAYOUT): one
        made before the join keys, mention_ids, stakeholders, closed_at or cause gets them here, once, by the first
        process to look. One of a newer layout is refused, as SQLite refuses a newer schema: a case
        this version wrote would lack the newer fields, and the newer processes' look-ups would
        miss it."""
        if self._cases_ready:
            return
        self._ensure_ready()
        with self._lock:
            if self._cases_ready:
                return
            index = self.names.complaint_cases
            got: Json = self._call(self.client.indices.get_mapping, index=index).body
            mapping: Json = next(iter(got.values()), {})
            layout = int(((mapping.get("mappings") or {}).get("_meta") or {}).get("cases_layout", 1))
            if layout > CASES_LAYOUT:  # its cases carry fields this version would not keep up to date
                raise StoreError(f"{self.label}: {index} has layout {layout}, made by a newer Sadap (this version "
                                 f"knows layouts up to {CASES_LAYOUT}); upgrade Sadap on this machine")
            if layout < CASES_LAYOUT:
                self._upgrade_cases(index, layout)
            self._cases_ready = True

    def _upgrade_cases(self, index: str, layout: int) -> None:
        """Add the join keys, ``mention_ids``, ``stakeholders``, ``closed_at`` and ``cause`` to an older
        complaint-cases index: the fields (an additive change), then every case indexed again with
        them (a case saved meanwhile by another process already has them and is left alone), then
        the mark."""
        from elasticsearch import helpers

        props = STATE_PROPERTIES["complaint_cases"]
        self._call(self.client.indices.put_mapping, index=index, properties={k: props[k] for k in CASE_SOURCE_FIELDS})
        actions = []
        for h in self._scan(index, {"match_all": {}}, [{"_doc": "asc"}], True, seq_no=True):
            src = h["_source"]
            try:
                case = ComplaintCase.model_validate_json(src.get("doc") or "{}")
            except ValueError:
                continue
            fields = self._case_source(case)
            src.update({k: fields[k] for k in CASE_SOURCE_FIELDS})
            actions.append({"_op_type": "index", "_index": h["_index"], "_id": h["_id"], "_source": src,
                            "if_seq_no": h["_seq_no"], "if_primary_term": h["_primary_term"]})
        if actions:
            _, errors = self._call(helpers.bulk, self.client, actions, raise_on_error=False, chunk_size=self.chunk_size)
            failed: list[Json] = []
            for item in cast(list[Json], errors):  # {"index": {"status": ..., "error": ...}}
                result: Json = next(iter(item.values()), {})
                if result.get("status") != 409:  # 409: saved meanwhile, with its keys
                    failed.append(result)
            if failed:
                raise StoreError(f"{self.label}: {index}: {len(failed)} cases not indexed again with their keys: "
                                 f"{failed[0].get('error')}")
            self._call(self.client.indices.refresh, index=index)
        self._call(self.client.indices.put_mapping, index=index, meta={"cases_layout": CASES_LAYOUT})
        log.info("%s: %s brought from layout %d to %d (%d cases indexed with their join keys)", self.label, index,
                 layout, CASES_LAYOUT, len(actions))

    # -- incidents ---------------------------------------------------------------------------
    @staticmethod
    def _incident_doc(incident: Incident) -> Json:
        return {
            "id": incident.id, "playbook": incident.playbook, "rule": incident.rule, "key": incident.key,
            "severity": incident.severity, "state": incident.state, "title": incident.title,
            "opened_at": _iso_ms(incident.opened_at), "updated_at": _iso_ms(incident.updated_at),
            "alert_count": incident.alert_count, "doc": incident.model_dump_json(),
        }

    def add_incident(self, incident: Incident) -> bool:
        from elasticsearch import ConflictError

        self._ensure_ready()
        try:  # op_type create: refused (409) when the id is taken
            self.client.create(index=self.names.incidents, id=incident.id, document=self._incident_doc(incident),
                               refresh=True)
        except ConflictError:
            return False
        except Exception as err:
            raise self._translate(err) from None
        return True

    def save_incident(self, incident: Incident) -> None:
        self._ensure_ready()
        self._call(self.client.index, index=self.names.incidents, id=incident.id, document=self._incident_doc(incident),
                   refresh=True)

    def get_incident(self, incident_id: str) -> Incident | None:
        src = self._get(self.names.incidents, incident_id)
        return Incident.model_validate_json(src["doc"]) if src else None

    def find_incident(self, playbook: str, key: str | None, states: tuple[str, ...] = ("open", "acknowledged")) -> Incident | None:
        self._ensure_ready()
        q: dict[str, Any] = {"filter": [{"term": {"playbook": playbook}}, {"terms": {"state": list(states)}}]}
        if key is None:
            q["must_not"] = [{"exists": {"field": "key"}}]
        else:
            q["filter"].append({"term": {"key": key}})
        res = self._search(self.names.incidents, query={"bool": q}, sort=[{"opened_at": "desc"}, {"id": "asc"}],
                           size=1, source=["doc"])
        hits = res["hits"]["hits"]
        return Incident.model_validate_json(hits[0]["_source"]["doc"]) if hits else None

    def list_incidents(self, states: tuple[str, ...] = ()) -> list[Incident]:
        self._ensure_ready()
        query = {"terms": {"state": list(states)}} if states else {"match_all": {}}
        hits = self._scan(self.names.incidents, query, [{"opened_at": "desc"}, {"id": "asc"}], ["doc"])
        return [Incident.model_validate_json(h["_source"]["doc"]) for h in hits]

    def _event_doc(self, incident_id: str, event: IncidentEvent) -> Json:
        return {"incident_id": incident_id, "kind": event.kind, "actor": event.actor, "at": _iso_ms(event.at),
                "seq": self._seq(), "doc": event.model_dump_json()}

    def add_event(self, incident_id: str, event: IncidentEvent) -> None:
        self._ensure_ready()
        self._call(self.client.index, index=self.names.incident_events, document=self._event_doc(incident_id, event),
                   refresh=True)

    def events(self, incident_id: str) -> list[IncidentEvent]:
        self._ensure_ready()
        hits = self._scan(self.names.incident_events, {"term": {"incident_id": incident_id}}, [{"seq": "asc"}], ["doc"])
        return [IncidentEvent.model_validate_json(h["_source"]["doc"]) for h in hits]

    def events_many(self, incident_ids: Iterable[str]) -> dict[str, list[IncidentEvent]]:
        wanted = list(dict.fromkeys(incident_ids))
        out: dict[str, list[IncidentEvent]] = {i: [] for i in wanted}
        if not wanted:
            return out
        self._ensure_ready()
        for i in range(0, len(wanted), 1000):
            query = {"terms": {"incident_id": wanted[i:i + 1000]}}
            for h in self._scan(self.names.incident_events, query, [{"seq": "asc"}], ["incident_id", "doc"]):
                out[h["_source"]["incident_id"]].append(IncidentEvent.model_validate_json(h["_source"]["doc"]))
        return out

    def _find_event(self, incident_id: str, kind: str, same: str, value: object) -> tuple[Any, IncidentEvent] | None:
        self._ensure_ready()
        query = {"bool": {"filter": [{"term": {"incident_id": incident_id}}, {"term": {"kind": kind}}]}}
        for h in self._scan(self.names.incident_events, query, [{"seq": "desc"}], True):
            event = IncidentEvent.model_validate_json(h["_source"]["doc"])
            if event.data.get(same) == value:
                return (h["_index"], h["_id"], h["_source"]), event
        return None

    def _replace_event(self, incident_id: str, handle: Any, event: IncidentEvent) -> None:
        index, doc_id, source = handle
        doc = {**source, "incident_id": incident_id, "doc": event.model_dump_json()}  # the same seq: the same place
        self._call(self.client.index, index=index, id=doc_id, document=doc, refresh=True)

    # -- personal data (PDPA) ------------------------------------------------------------------
    def _ids_matching(self, query: dict[str, Any]) -> list[str]:
        self._ensure_ready()
        return [h["_id"] for h in self._scan(self.names.mentions, query, [{"id": "asc"}], False)]

    def ids_by_author(self, author_ids: Sequence[str], author_names: Sequence[str] = ()) -> list[str]:
        should: list[dict[str, Any]] = []
        if author_ids:
            should.append({"terms": {"author_id": list(author_ids)}})
        names = sorted({n.strip() for n in author_names if n.strip()})
        for name in names:
            should.append({"term": {"author_name": {"value": name, "case_insensitive": True}}})
        if not should:
            return []
        return self._ids_matching({"bool": {"should": should, "minimum_should_match": 1}})

    def copies_of(self, ids: Sequence[str]) -> list[str]:
        ids = list(ids)
        found: list[str] = []
        for i in range(0, len(ids), 1000):
            found.extend(self._ids_matching({"terms": {"duplicate_of": ids[i:i + 1000]}}))
        return found

    def ids_collected_before(self, cutoff: datetime, limit: int = 5000) -> list[str]:
        self._ensure_ready()
        query = {"range": {"collected_at": {"lt": _ms(cutoff), "format": "epoch_millis"}}}
        hits = self._search(self.names.mentions, query=query, sort=[{"collected_at": "asc"}, {"id": "asc"}],
                            size=int(limit), source=False)["hits"]["hits"]
        return [h["_id"] for h in hits]

    def responses_for(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        self._ensure_ready()
        ids = list(ids)
        out: list[dict[str, Any]] = []
        for i in range(0, len(ids), 1000):
            query = {"terms": {"mention_id": ids[i:i + 1000]}}
            for h in self._scan(self.names.responses, query, [{"seq": "asc"}], True):
                src = h["_source"]
                out.append({k: src.get(k) for k in ("mention_id", "at", "actor", "channel", "text")})
        return out

    def _bulk_delete(self, targets: list[tuple[str, str]]) -> int:
        from elasticsearch import helpers

        if not targets:
            return 0
        actions = [{"_op_type": "delete", "_index": index, "_id": doc_id} for index, doc_id in targets]
        ok, _ = self._call(helpers.bulk, self.client, actions, raise_on_error=False, chunk_size=self.chunk_size)
        return int(ok)

    def _rewrite_docs(self, index: str, fix: Callable[[dict[str, Any]], bool], fields: Sequence[str] = (),
                      query: Json | None = None) -> int:
        """Re-index every document of a state index whose ``doc`` JSON ``fix`` changes (and its
        ``fields``, copies of the doc's, with it); each write only if nobody changed the document
        since it was read (else it is read and fixed again), so a delivery claimed meanwhile keeps
        its state."""
        from elasticsearch import ConflictError

        changed = 0
        for h in self._scan(index, query or {"match_all": {}}, [{"_doc": "asc"}], True, seq_no=True):
            for _ in range(10):
                src = h["_source"]
                try:
                    data = json.loads(src.get("doc") or "{}")
                except ValueError:
                    break
                if not fix(data):
                    break
                src["doc"] = json.dumps(data, ensure_ascii=False)
                src.update({k: data.get(k) for k in fields})
                try:
                    self.client.index(index=h["_index"], id=h["_id"], document=src, if_seq_no=h["_seq_no"],
                                      if_primary_term=h["_primary_term"])
                except ConflictError:  # changed meanwhile: read it again
                    h = self._call(self.client.get, index=h["_index"], id=h["_id"]).body
                    continue
                except Exception as err:
                    raise self._translate(err) from None
                changed += 1
                break
        if changed:
            self._call(self.client.indices.refresh, index=index)
        return changed

    def erase(self, ids: Sequence[str]) -> dict[str, int]:

        gone = set(ids)
        counts = dict.fromkeys(ERASE_COUNTS, 0)
        if not gone:
            return counts
        self._ensure_ready()
        located, before = self._locate_seen(sorted(gone))
        self._seen_begin()
        try:
            counts["mentions"] = self._bulk_delete([(index, doc_id) for doc_id, index in located.items()])
            delta: SeenDelta = {}
            for fields in before.values():  # terms only the erased mentions used go with them
                seen_change_of(delta, *fields, -1)
            self._write_seen(delta)
        finally:
            self._seen_end()
        self._call(self.client.indices.refresh, index=self.names.seen_terms)
        self._call(self.client.indices.refresh, index=self.names.mentions)
        if counts["mentions"]:
            self._mark()
        counts.update(self._erase_references(gone))
        return counts

    def _erase_references(self, gone: set[str]) -> dict[str, int]:
        """Remove what refers to the mentions ``gone``: responses, complaint assignments, and
        their ids in incidents, timelines and alerts."""
        counts: dict[str, int] = {}
        responses: list[tuple[str, str]] = []
        ordered = sorted(gone)
        for i in range(0, len(ordered), 1000):
            query = {"terms": {"mention_id": ordered[i:i + 1000]}}
            responses.extend((h["_index"], h["_id"]) for h in self._scan(self.names.responses, query, [{"seq": "asc"}], False))
        counts["responses"] = self._bulk_delete(responses)
        # complaint assignments are keyed by mention id
        self._bulk_delete([(h["_index"], h["_id"]) for i in range(0, len(ordered), 1000) for h in self._scan(
            self.names.assignments, {"terms": {"mention_id": ordered[i:i + 1000]}}, [{"mention_id": "asc"}], False)])
        self._bulk_delete([(h["_index"], h["_id"]) for i in range(0, len(ordered), 1000) for h in self._scan(
            self.names.corrections, {"terms": {"mention_id": ordered[i:i + 1000]}}, [{"seq": "asc"}], False)])
        self._call(self.client.indices.refresh, index=[self.names.mentions, self.names.responses, self.names.assignments])

        def fix_incident(data: dict[str, Any]) -> bool:
            before = data.get("mention_ids") or []
            data["mention_ids"] = [i for i in before if i not in gone]
            return len(data["mention_ids"]) != len(before)

        counts["incidents"] = self._rewrite_docs(self.names.incidents, fix_incident)
        counts["events"] = self._rewrite_docs(self.names.incident_events, lambda d: scrub_ids(d.get("data"), gone))
        counts["alerts"] = self._rewrite_docs(self.names.alerts, lambda d: scrub_ids(d, gone))
        counts["notifications"] = self._rewrite_docs(self.names.outbox, lambda d: scrub_delivery(d, gone))
        self._ensure_cases()

        def author_left(ids: list[str], author: str) -> bool:
            query = {"bool": {"filter": [{"terms": {"id": ids[i:i + 10_000]}}, {"term": {"author_id": author}}]}}
            return any(self._call(self.client.count, index=self.names.mentions, query=query).body["count"]
                       for i in range(0, len(ids), 10_000))

        self._rewrite_docs(self.names.complaint_cases, lambda d: scrub_case(d, gone, author_left), CASE_FIELDS)
        return counts

    def erase_keys(self, keys: frozenset[str]) -> dict[str, int]:
        counts = dict.fromkeys(KEY_COUNTS, 0)
        if not keys:
            return counts
        self._ensure_ready()
        masked = {h["_id"]: h["_source"]["key"] for h in self._scan(self.names.incidents, {"match_all": {}}, [{"_doc": "asc"}], ["key"])
                  if names_person(h["_source"].get("key"), keys)}
        counts["incidents"] = self._rewrite_docs(self.names.incidents, lambda d: scrub_keyed(d, keys), ("key", "title"))
        counts["alerts"] = self._rewrite_docs(self.names.alerts, lambda d: scrub_keyed(d, keys), ("key",))
        counts["notifications"] = self._rewrite_docs(self.names.outbox, lambda d: scrub_keyed(d, keys))
        for incident, key in masked.items():  # what the incident's timeline and notifications wrote of its key
            def scrub(data: dict[str, Any], key: str = key) -> bool:
                return scrub_keyed(data, frozenset(), key)

            only = {"term": {"incident_id": incident}}
            for index, count in ((self.names.incident_events, "events"), (self.names.alerts, "alerts"),
                                 (self.names.outbox, "notifications")):
                counts[count] += self._rewrite_docs(index, scrub, query=only)
        for index in (self.names.snoozes, self.names.rule_state):
            gone = [(h["_index"], h["_id"]) for h in self._scan(index, {"match_all": {}}, [{"_doc": "asc"}], ["rule_id", "key"])
                    if h["_source"].get("rule_id") != self._MARK[0] and names_person(h["_source"].get("key"), keys)]
            counts["snoozes"] += self._bulk_delete(gone)
            self._call(self.client.indices.refresh, index=index)
        return counts

    def _referenced_ids(self) -> set[str]:
        """Every mention id something else refers to (responses, assignments, incidents, their
        timelines, alerts, complaint cases): a few thousand at most, unlike the mentions themselves."""
        found: set[str] = set()
        for index, sort in ((self.names.responses, "seq"), (self.names.assignments, "mention_id")):
            for h in self._scan(index, {"match_all": {}}, [{sort: "asc"}], ["mention_id"]):
                if isinstance(h["_source"].get("mention_id"), str):
                    found.add(h["_source"]["mention_id"])
        for index in (self.names.incidents, self.names.incident_events, self.names.alerts, self.names.complaint_cases):
            for h in self._scan(index, {"match_all": {}}, [{"_doc": "asc"}], ["doc"]):
                try:
                    data = json.loads(h["_source"].get("doc") or "{}")
                except ValueError:
                    continue
                events = [e.get("data") for e in data.get("events") or [] if isinstance(e, dict)]
                for part in (data, data.get("data"), *events):
                    if not isinstance(part, dict):
                        continue
                    for key in ("mention_ids", "mentions"):
                        if isinstance(part.get(key), list):
                            found.update(i for i in part[key] if isinstance(i, str))
                    if isinstance(part.get("mention_id"), str):
                        found.add(part["mention_id"])
        return found

    def _forget_indices(self, indices: Sequence[str]) -> int:
        """Before monthly indices are deleted (retention): what refers to their mentions goes
        too, as with an erase. Returns how many referenced mentions were in them."""
        referenced = sorted(self._referenced_ids())
        gone: set[str] = set()
        for i in range(0, len(referenced), 1000):
            chunk = referenced[i:i + 1000]
            res = self._search(",".join(indices), query={"ids": {"values": chunk}}, size=len(chunk), source=False)
            gone.update(h["_id"] for h in res["hits"]["hits"])
        if gone:
            self._erase_references(gone)
        return len(gone)

    def privacy_counts(self) -> dict[str, int | str | None]:
        self._ensure_ready()

        def count(index: str, query: dict[str, Any] | None = None) -> int:
            return int(self._call(self.client.count, index=index, query=query).body["count"])

        agg = self._search(self.names.mentions, size=0, aggs={
            "authors": {"cardinality": {"field": "author_id", "precision_threshold": CARDINALITY_PRECISION}},
            "oldest": {"min": {"field": "collected_at"}},
        })["aggregations"]
        oldest = agg["oldest"].get("value")
        return {
            "mentions": count(self.names.mentions),
            "with_author_pseudonym": count(self.names.mentions, {"exists": {"field": "author_id"}}),
            "distinct_author_pseudonyms": int(agg["authors"]["value"] or 0),
            "with_author_name": count(self.names.mentions, {"exists": {"field": "author_name"}}),
            "with_extra_fields": None,  # extras live only in the stored (unindexed) doc
            "responses": count(self.names.responses),
            "incidents": count(self.names.incidents),
            "incident_events": count(self.names.incident_events),
            "alerts": count(self.names.alerts),
            "oldest_collected_at": _from_ms(oldest).isoformat() if oldest is not None else None,
        }

    def close(self) -> None:
        if self._outage_spooled:
            log.warning(
                "%s still unreachable: %d mentions spooled in this run (%d waiting in all); "
                "they are stored on the next write that gets through, or by `sadap es replay`",
                self.label, self._outage_spooled, self.spool.pending() if self.spool else 0,
            )
            self._outage_spooled = 0
        self.client.close()


class _Conflict(Exception):
    """Internal: a conditional write found the mention changed since it was read."""

    def __init__(self, ids: list[str]):
        self.ids = ids


class _Partial(Exception):
    """Internal: part of a batch was stored before the cluster went away."""

    def __init__(self, ok: list[str], located: dict[str, str], pending: list[Mention], error: StoreError):
        self.ok, self.located, self.pending, self.error = ok, located, pending, error


def _phrase(phrase: tuple[str, ...]) -> Json:
    return {"match_phrase": {"tokens": {"query": " ".join(phrase)}}}


def _query_clauses(query: Query) -> list[Json]:
    """AND of OR-groups of phrases, as bool clauses."""
    out = []
    for group in query.all_of:
        alts = [_phrase(p) for p in group]
        out.append(alts[0] if len(alts) == 1 else {"bool": {"should": alts, "minimum_should_match": 1}})
    return out
