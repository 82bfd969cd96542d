"""The seen-terms index of the Elasticsearch store (``<prefix>-seen-terms``): new_term's table of
terms seen per published hour, source and copy (``Store.term_sightings``), kept with every
mention write.

* Cells are read and written back (optimistic concurrency, ``if_seq_no``; osmem-server has no
  update scripts). A cell this process wrote is known with its sequence number and not read
  again; a cell it does not know is created without reading (most are new: cells are per
  published hour) and read only when the cluster says it exists (409). A cell another writer
  changed meanwhile is read and redone.
* What a write could not apply because the cluster went away is kept on disk, next to the
  mentions' spool (``seen-*.json``), and applied with the next write (or ``sadap es replay``).
  A cell whose bulk request was cut off is settled then by reading it: unchanged, the change
  is redone; holding exactly what was written, it was applied; anything else (another writer
  changed it too) leaves the table unsure.
* When the table may be wrong — a process died between the mentions' bulk write and the
  cells', or a cut-off write cannot be settled — its "built" mark is deleted: every reader
  then asks the mentions (``term_sightings`` answers None, checked with each lookup) and
  ``sadap es setup`` rebuilds it from the mentions (a clear log line says so).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from sadap.core.errors import StoreError
from sadap.core.files import open_private, private_dir
from sadap.store.base import SeenDelta, TermCell, seen_rows
from sadap.store.es_mappings import SEEN_TERMS_LAYOUT, Json, Names

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

    from sadap.store.es_spool import Spool

log = logging.getLogger(__name__)
_P = ParamSpec("_P")
_T = TypeVar("_T")

#: One seen-terms change: (field, term, hour, source name, copy, mentions to add, latest
#: publication and collection time to fold in, stale) — ``seen_rows``. Rows of one cell fold
#: into one (sum, max, max, max), in any order.
SeenRow = tuple[str, str, int, str, int, int, float, float, int]
#: Cells known to this process: id -> (mentions, latest publication, latest collection, stale,
#: seq_no, primary_term) as last written or read (numbers only: small, and not tracked by the GC).
_Known = tuple[int, float, float, int, int, int]

BUILT = "_built"  # the document that says the table holds every stored mention
SEEN_PAGE = 9_999  # cells per lookup (with the mark: index.max_result_window); more: the lookup is split
#: Cells per bulk request: small documents, so more than the mentions' chunk (on osmem-server
#: 14,000 cells took 3.5 s in requests of 500, 1.75 s in requests of 5,000; about 1.5 MB).
SEEN_CHUNK = 5000
KNOWN_CELLS = 50_000  # cells remembered with their sequence numbers (the most recently written; about 17 MB)
_PROCESS = uuid.uuid4().hex[:12]  # tells this process's in-flight marks from a dead one's of the same pid


class SeenUnsure(StoreError):
    """Internal: the cluster went away mid-way through a cells write (``left``: rows not applied;
    ``unsettled``: cells whose request was cut off — applied or not)."""

    def __init__(self, error: StoreError, left: list[SeenRow], unsettled: list[Json]):
        super().__init__(str(error))
        self.error, self.left, self.unsettled = error, left, unsettled


def fold_rows(rows: Iterable[SeenRow]) -> list[SeenRow]:
    """Rows of the same cell as one (what applying them one by one does)."""
    out: dict[tuple[str, str, int, str, int], list[Any]] = {}
    for fld, term, hour, source, copy, n, published, collected, stale in rows:
        cell = out.get((fld, term, hour, source, copy))
        if cell is None:
            out[(fld, term, hour, source, copy)] = [n, published, collected, stale]
        else:
            cell[0] += n
            cell[1], cell[2], cell[3] = max(cell[1], published), max(cell[2], collected), max(cell[3], stale)
    return [(*k, n, p, c, s) for k, (n, p, c, s) in out.items() if n or s]


def seen_id(key: Sequence[Any]) -> str:
    return hashlib.sha1("\x1f".join(str(k) for k in key).encode("utf-8")).hexdigest()


class Backlog:
    """Seen-terms rows not yet written, on disk next to the mentions' spool: one JSON file per
    failed write (``seen-<time>-<pid>.json``), claimed by renaming it (as the spool does), and an
    in-flight mark per process while a mention write's cells are not applied or kept."""

    def __init__(self, spool: "Spool"):
        self.folder = spool.folder
        self._inflight = 0
        self._lock = threading.Lock()

    # -- rows kept for later ------------------------------------------------------
    def files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted([*self.folder.glob("seen-*.json"), *self.folder.glob("*/seen-*.json")], key=lambda p: p.name)

    def pending(self) -> int:
        """Rows (cells) waiting."""
        total = 0
        for path in self.files():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            total += len(data.get("rows", ())) + len(data.get("unsettled", ()))
        return total

    def write(self, rows: Sequence[SeenRow], unsettled: Sequence[Json]) -> Path:
        private_dir(self.folder)
        name = f"seen-{time.time_ns():020d}-{os.getpid()}.json"
        tmp = self.folder / (name + ".part")
        with open_private(tmp) as fh:
            json.dump({"rows": [list(r) for r in rows], "unsettled": list(unsettled)}, fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        path = self.folder / name
        os.replace(tmp, path)
        return path

    def claim(self) -> list[tuple[Path, list[SeenRow], list[Json]]]:
        """Take every waiting file (renamed ``….applying-<pid>-<process>``: a process that dies
        holding one leaves the table unsure, see :meth:`orphans`)."""
        out = []
        for path in self.files():
            claimed = path.with_name(f"{path.name}.applying-{os.getpid()}-{_PROCESS}")
            try:
                os.replace(path, claimed)
            except FileNotFoundError:
                continue  # another process took it
            data = json.loads(claimed.read_text(encoding="utf-8"))
            rows = [(str(r[0]), str(r[1]), int(r[2]), str(r[3]), int(r[4]), int(r[5]), float(r[6]), float(r[7]), int(r[8]))
                    for r in data.get("rows", ())]
            out.append((claimed, rows, list(data.get("unsettled", ()))))
        return out

    @staticmethod
    def release(claimed: Iterable[Path], done: bool) -> None:
        """Delete claimed files (``done``) or put them back."""
        for path in claimed:
            if done:
                path.unlink(missing_ok=True)
            else:
                os.replace(path, path.with_name(path.name.split(".applying-")[0]))

    # -- writes in flight ---------------------------------------------------------
    def _mark(self) -> Path:
        return self.folder / f"seen-inflight-{os.getpid()}-{_PROCESS}"

    def begin(self) -> None:
        """A mention write starts: its cells are neither applied nor kept until :meth:`end`."""
        with self._lock:
            self._inflight += 1
            if self._inflight == 1:
                private_dir(self.folder)
                with open_private(self._mark()) as fh:
                    fh.flush()
                    os.fsync(fh.fileno())

    def end(self) -> None:
        with self._lock:
            self._inflight -= 1
            if self._inflight == 0:
                self._mark().unlink(missing_ok=True)

    def orphans(self) -> list[Path]:
        """Marks and claimed files left in this folder by processes that died: their cells may
        or may not have reached the table. (A worker's folder is its own: the worker finds what
        its previous run left when it starts again.)"""
        if not self.folder.is_dir():
            return []
        found = []
        for path in [*self.folder.glob("seen-inflight-*"), *self.folder.glob("seen-*.applying-*")]:
            tail = path.name.rsplit("-", 2)
            try:
                pid, process = int(tail[-2]), tail[-1]
            except (ValueError, IndexError):
                continue
            if process != _PROCESS and (pid == os.getpid() or not _alive(pid)):
                found.append(path)
        return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SeenTerms:
    """The seen-terms half of :class:`sadap.store.elasticsearch.ElasticsearchStore` (a mixin)."""

    client: Elasticsearch
    names: Names
    label: str
    chunk_size: int
    spool: "Spool | None"
    _seen_built: bool
    _seen_layout: int | None
    _seen_backlog: tuple[list[SeenRow], list[Json]]
    _seen_known: OrderedDict[str, _Known]

    if TYPE_CHECKING:

        def _call(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T: ...

        def _ensure_ready(self) -> None: ...

        def _search(self, index: str, **body: Any) -> Json: ...

        def _translate(self, err: Exception) -> Exception: ...

        def _create(self, index: str, body: Json | None = None) -> bool: ...

    def _init_seen(self) -> None:
        self._seen_built = False  # the index holds every stored mention (as last read)
        self._seen_layout = None  # the index's layout (read once)
        self._seen_backlog = ([], [])  # rows (and cut-off cells) not written yet, where there is no spool folder
        self._seen_known = OrderedDict()
        self._seen_files = Backlog(self.spool) if self.spool is not None else None
        self._seen_checked = False  # orphans of dead processes looked for

    # -- layout, completeness -----------------------------------------------------
    def _seen_current(self) -> bool:
        """The index has this version's layout (an older one is rebuilt by `sadap es setup`;
        until then the table is not written or read)."""
        if self._seen_layout != SEEN_TERMS_LAYOUT:  # read again while older (setup may rebuild it meanwhile)
            warned = self._seen_layout is not None
            got: Json = self._call(self.client.indices.get_mapping, index=self.names.seen_terms).body
            mapping: Json = next(iter(got.values()), {})
            meta = (mapping.get("mappings") or {}).get("_meta") or {}
            self._seen_layout = int(meta.get("seen_terms_layout", 1))
            if self._seen_layout != SEEN_TERMS_LAYOUT and not warned:
                log.warning("%s: %s has layout %d (this version writes %d): new_term asks the mentions until "
                            "`sadap es setup` rebuilds it", self.label, self.names.seen_terms, self._seen_layout,
                            SEEN_TERMS_LAYOUT)
        return self._seen_layout == SEEN_TERMS_LAYOUT

    def _seen_unsure(self, why: str) -> None:
        """The table may be wrong: unmark it (every reader asks the mentions) until setup rebuilds it."""
        from elasticsearch import NotFoundError

        try:
            self.client.delete(index=self.names.seen_terms, id=BUILT, refresh=True)
        except NotFoundError:
            pass
        except Exception as err:
            raise self._translate(err) from None
        self._seen_built = False
        self._seen_known.clear()
        log.warning("%s: the seen-terms table may be incomplete (%s); new_term asks the mentions until "
                    "`sadap es setup` rebuilds it", self.label, why)

    def seen_terms_ready(self) -> bool:
        """The table is complete, of this layout, and answers ``term_sightings``."""
        self._ensure_ready()
        return self._seen_current() and self._call(self.client.exists, index=self.names.seen_terms, id=BUILT).body

    def rebuild_seen_terms(self, reason: str, *, first: bool = False) -> int:
        """Empty the index (made again from its template) and fill it from the stored mentions;
        returns how many mentions. Writers should be stopped meanwhile (a mention stored during
        the rebuild can be counted twice). ``first``: a new store's first build (logged as info)."""
        t = time.monotonic()
        log.log(logging.INFO if first else logging.WARNING, "%s: %s %s from the stored mentions (%s)", self.label,
                "building" if first else "rebuilding", self.names.seen_terms, reason)
        if not first:  # (a new store's empty index is filled as it is: processes may set up at once)
            self._call(self.client.options(ignore_status=404).indices.delete, index=self.names.seen_terms)
            self._create(self.names.seen_terms)
        self._seen_layout = None
        self._seen_known.clear()
        if self._seen_files is not None:  # what was kept for the old table is in the rebuild
            for path in self._seen_files.files() + self._seen_files.orphans():
                path.unlink(missing_ok=True)
        self._seen_backlog = ([], [])
        n = 0
        for delta, count in self._seen_batches():
            self._apply_seen(seen_rows(delta))
            n += count
        self._call(self.client.index, index=self.names.seen_terms, id=BUILT, refresh=True, document={
            "field": BUILT, "term": "", "hour": 0, "source_name": "", "copy": 0, "n": n, "last_published": 0.0,
            "last_collected": 0.0, "stale": 0})
        self._seen_built = True
        log.info("%s: seen-terms index built from %d mentions (%.0f s)", self.label, n, time.monotonic() - t)
        return n

    def _seen_batches(self) -> Iterator[tuple[SeenDelta, int]]:  # the store reads the mentions
        raise NotImplementedError

    def _seen_setup(self, rebuild: bool = False) -> int | None:
        """What `sadap es setup` does for the table: rebuild it when asked, when it has an older
        layout, or when it is not marked complete. Returns the mentions it was built from."""
        if rebuild:
            return self.rebuild_seen_terms("asked to")
        if not self._seen_current():
            return self.rebuild_seen_terms(f"layout {self._seen_layout} → {SEEN_TERMS_LAYOUT}")
        if not self._call(self.client.exists, index=self.names.seen_terms, id=BUILT).body:
            cells = self._call(self.client.count, index=self.names.seen_terms).body["count"]
            return self.rebuild_seen_terms("not marked complete", first=not cells)
        return None

    # -- writing --------------------------------------------------------------------
    def _seen_begin(self) -> None:
        if self._seen_files is not None:
            self._seen_files.begin()

    def _seen_end(self) -> None:
        if self._seen_files is not None:
            self._seen_files.end()

    def _check_orphans(self) -> None:
        """Once per process: marks of a process that died mid-write leave the table unsure."""
        if self._seen_checked or self._seen_files is None:
            return
        orphans = self._seen_files.orphans()
        if orphans:
            self._seen_unsure(f"a process died writing it: {', '.join(p.name for p in orphans[:3])}")
            for path in orphans:
                path.unlink(missing_ok=True)
        self._seen_checked = True

    def _write_seen(self, delta: SeenDelta) -> None:
        """Fold a write's changes into the table, with what earlier writes could not apply; what
        the cluster did not take is kept (on disk where there is a spool folder)."""
        from sadap.store.elasticsearch import StoreUnavailable

        rows = seen_rows(delta)
        try:
            if not self._seen_current():
                return  # rebuilt by setup
            self._check_orphans()
        except StoreUnavailable as err:
            self._keep(rows, [], [])
            log.warning("%s: %d seen-terms cells kept until the next write (%s)", self.label, len(rows), err)
            return
        own = len(rows)
        claimed: list[Path] = []
        unsettled: list[Json] = []
        if self._seen_files is not None:
            for path, kept, cut in self._seen_files.claim():
                claimed.append(path)
                rows += kept
                unsettled += cut
        rows += self._seen_backlog[0]
        unsettled += self._seen_backlog[1]
        folded = len(rows) > own or bool(unsettled)  # one write's rows are one per cell already
        self._seen_backlog = ([], [])
        try:
            if unsettled:
                rows += self._settle(unsettled)
            self._apply_seen(fold_rows(rows) if folded else rows)
        except SeenUnsure as cut:
            self._keep(cut.left, cut.unsettled, claimed)
            log.warning("%s: %d seen-terms cells kept until the next write (%s)", self.label,
                        len(cut.left) + len(cut.unsettled), cut.error)
            return
        except StoreUnavailable as err:
            self._keep(fold_rows(rows), unsettled, claimed)
            log.warning("%s: %d seen-terms cells kept until the next write (%s)", self.label, len(rows), err)
            return
        except BaseException:
            if self._seen_files is not None:
                self._seen_files.release(claimed, done=False)
            raise
        if self._seen_files is not None:
            self._seen_files.release(claimed, done=True)

    def _keep(self, rows: list[SeenRow], unsettled: list[Json], claimed: list[Path]) -> None:
        if self._seen_files is None:
            self._seen_backlog = (self._seen_backlog[0] + rows, self._seen_backlog[1] + unsettled)
            return
        if rows or unsettled:
            self._seen_files.write(rows, unsettled)
        self._seen_files.release(claimed, done=True)  # their rows are in the new file

    def _settle(self, unsettled: list[Json]) -> list[SeenRow]:
        """Cells whose bulk request was cut off: read each; unchanged since it was read (or still
        missing, for a new one), the change is redone (returned); holding what was written (or
        gone, for a deletion), it was applied; otherwise the table is unsure."""
        ids = [u["id"] for u in unsettled]
        now: dict[str, Json | None] = {}
        for i in range(0, len(ids), 1000):
            got = self._call(self.client.mget, index=self.names.seen_terms, ids=ids[i:i + 1000]).body
            now.update({d["_id"]: d if d.get("found") else None for d in got["docs"]})
        redo: list[SeenRow] = []
        for u in unsettled:
            doc = now.get(u["id"])
            before, after = u.get("before"), u.get("after")
            if doc is None:
                same, applied = before is None, after is None
            else:
                same = before is not None and [doc["_seq_no"], doc["_primary_term"]] == list(before)
                applied = after is not None and doc["_source"] == after
            if same:
                r = u["row"]
                redo.append((str(r[0]), str(r[1]), int(r[2]), str(r[3]), int(r[4]), int(r[5]), float(r[6]), float(r[7]),
                             int(r[8])))
            elif not applied:
                self._seen_unsure(f"cell {u['id']} was cut off mid-write and changed since")
                return []
        return redo

    def _apply_seen(self, rows: list[SeenRow]) -> None:
        """Fold rows into the index: a known cell is written on its remembered sequence number,
        an unknown one with a positive count is created, the rest are read first; cells that
        changed meanwhile (409) are read and redone. Empty cells are deleted. Raises
        :class:`SeenUnsure` when the cluster goes away mid-way."""
        from elasticsearch import helpers

        from sadap.store.elasticsearch import StoreUnavailable

        pending = {seen_id(r[:5]): r for r in rows}
        index = self.names.seen_terms
        known = self._seen_known
        must_read: set[str] = set()
        for _ in range(8):
            if not pending:
                return
            read = [i for i in pending if i not in known and (i in must_read or pending[i][5] <= 0)]
            current: dict[str, _Known] = {}
            try:
                for i in range(0, len(read), 1000):
                    got = self._call(self.client.mget, index=index, ids=read[i:i + 1000]).body
                    for d in got["docs"]:
                        if d.get("found"):
                            src = d["_source"]
                            current[d["_id"]] = (int(src["n"]), float(src["last_published"]), float(src["last_collected"]),
                                                 int(src["stale"]), int(d["_seq_no"]), int(d["_primary_term"]))
            except StoreUnavailable as err:
                raise SeenUnsure(err, list(pending.values()), []) from None
            actions: list[Json] = []
            skipped: set[str] = set()  # nothing to write (a removal from a cell that is gone)
            plans: dict[str, Json] = {}  # id -> what an unsettled write needs to be settled later
            for doc_id, row in pending.items():
                fld, term, hour, source, copy, n, published, collected, stale = row
                old = known.get(doc_id) or current.get(doc_id)
                if old is None:
                    if n > 0:
                        new = {"field": fld, "term": term, "hour": hour, "source_name": source, "copy": copy, "n": n,
                               "last_published": published, "last_collected": collected, "stale": stale}
                        actions.append({"_op_type": "create", "_index": index, "_id": doc_id, "_source": new})
                        plans[doc_id] = {"id": doc_id, "row": list(row), "before": None, "after": new}
                    else:
                        skipped.add(doc_id)
                    continue
                old_n, old_published, old_collected, old_stale, seq, term_no = old
                lock = {"if_seq_no": seq, "if_primary_term": term_no}
                if old_n + n <= 0:
                    actions.append({"_op_type": "delete", "_index": index, "_id": doc_id, **lock})
                    plans[doc_id] = {"id": doc_id, "row": list(row), "before": [seq, term_no], "after": None}
                else:
                    new = {"field": fld, "term": term, "hour": hour, "source_name": source, "copy": copy, "n": old_n + n,
                           "last_published": max(old_published, published), "last_collected": max(old_collected, collected),
                           "stale": max(old_stale, stale)}
                    actions.append({"_op_type": "index", "_index": index, "_id": doc_id, **lock, "_source": new})
                    plans[doc_id] = {"id": doc_id, "row": list(row), "before": [seq, term_no], "after": new}
            retry: set[str] = set()
            applied: set[str] = set(skipped)
            for c in range(0, len(actions), SEEN_CHUNK):
                chunk = actions[c:c + SEEN_CHUNK]
                try:
                    results = list(helpers.streaming_bulk(self.client, chunk, chunk_size=len(chunk), max_retries=0,
                                                          raise_on_error=False, raise_on_exception=True, yield_ok=True))
                except Exception as err:
                    translated = self._translate(err)
                    if not isinstance(translated, StoreUnavailable):
                        raise translated from None
                    cut = {a["_id"] for a in chunk}
                    for a in chunk:
                        known.pop(a["_id"], None)
                    left = [r for i, r in pending.items() if i not in applied and i not in cut]
                    raise SeenUnsure(translated, left, [plans[i] for i in cut]) from None
                for ok, item in results:
                    op, info = next(iter(item.items()))
                    doc_id = info["_id"]
                    known.pop(doc_id, None)
                    if ok:
                        applied.add(doc_id)
                        if op != "delete":  # remembered, most recent last
                            new = plans[doc_id]["after"]
                            known[doc_id] = (new["n"], new["last_published"], new["last_collected"], new["stale"],
                                             int(info["_seq_no"]), int(info["_primary_term"]))
                    elif info.get("status") == 409:  # changed (or made) by another writer: read it, redo
                        retry.add(doc_id)
                    elif info.get("status") == 404 and op == "delete":
                        applied.add(doc_id)
                    else:
                        raise StoreError(f"{self.label}: seen-terms update refused: {info.get('error')}")
            while len(known) > KNOWN_CELLS:
                try:
                    known.popitem(last=False)
                except KeyError:  # another thread emptied it
                    break
            if retry:
                log.debug("%s: %d seen-terms cells changed by another writer: read and redone", self.label, len(retry))
            must_read |= retry
            pending = {i: r for i, r in pending.items() if i in retry}
        raise StoreError(f"{self.label}: seen-terms cells kept changing under this write ({len(pending)} left)")

    # -- reading --------------------------------------------------------------------
    def term_sightings(self, field: str, terms: Sequence[str], since: datetime, until: datetime) -> list[TermCell] | None:
        self._ensure_ready()
        if not self._seen_current():
            return None
        lo, hi = int(since.timestamp() // 3600), int(-(-until.timestamp() // 3600))
        wanted = list(dict.fromkeys(terms))
        out: list[TermCell] = []
        for i in range(0, max(len(wanted), 1), 1000):
            hits = self._cells(field, wanted[i:i + 1000], lo, hi)
            if hits is None:
                self._seen_built = False
                return None  # not built, or unsure (`sadap es setup` builds it)
            for d in hits:
                out.append((d["term"], int(d["hour"]), d["source_name"], int(d["copy"]), int(d["n"]),
                            float(d["last_published"]), float(d["last_collected"]), int(d["stale"])))
        self._seen_built = True
        return out

    _CELL_FIELDS = ["field", "term", "hour", "source_name", "copy", "n", "last_published", "last_collected", "stale"]

    def _cells(self, field: str, terms: list[str], lo: int, hi: int) -> list[Json] | None:
        """The cells of these terms in hours [lo, hi), with the "built" mark in the same request
        (None without it); a full page is split in two (by terms, else by hours) — no sort
        key needed."""
        cells: Json = {"bool": {"filter": [{"term": {"field": field}}, {"terms": {"term": terms}},
                                           {"range": {"hour": {"gte": lo, "lt": hi}}}]}}
        query = {"bool": {"should": [cells, {"ids": {"values": [BUILT]}}], "minimum_should_match": 1}}
        hits = self._search(self.names.seen_terms, query=query, size=SEEN_PAGE + 1, sort=["_doc"],
                            source=self._CELL_FIELDS)["hits"]["hits"]
        if not any(h["_id"] == BUILT for h in hits):
            return None
        found = [h["_source"] for h in hits if h["_id"] != BUILT]
        if len(hits) <= SEEN_PAGE:
            return found
        if len(terms) > 1:
            halves = [self._cells(field, terms[:len(terms) // 2], lo, hi), self._cells(field, terms[len(terms) // 2:], lo, hi)]
        elif hi - lo > 1:
            mid = (lo + hi) // 2
            halves = [self._cells(field, terms, lo, mid), self._cells(field, terms, mid, hi)]
        else:
            raise StoreError(f"{self.label}: more than {SEEN_PAGE} seen-terms cells for {terms[0]!r} in one hour")
        if halves[0] is None or halves[1] is None:
            return None
        return halves[0] + halves[1]
