"""The Elasticsearch seen-terms index when the cluster goes away between a write's mentions and
its cells (a proxy in front of a real osmem-server stops answering), and when the writing
process dies there (killed): the cells are kept on disk next to the spool and applied by the
next process's first write (or `sadap es replay`), a bulk request cut off mid-way is settled by
reading its cells, and a table that cannot be trusted answers None until `sadap es setup`
rebuilds it. Every case ends with the table equal to SQLite's after the same writes."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from sadap.store.sqlite import SQLiteStore
from tests.es_support import ForwardingProxy, PlainJsonNode
from tests.fake_http import serving
from tests.test_alerts import NOW
from tests.test_seen_terms import _tagged

pytestmark = pytest.mark.es

ROOT = Path(__file__).resolve().parents[1]


class _Switch(ForwardingProxy):
    """Forwards to osmem-server while ``up``; down, it drops every connection unanswered. ``cut``:
    the next bulk request reaches the cluster, its answer is lost, and the proxy goes down."""

    up = True
    cut = False

    def _forward(self):
        body = self._body()
        cls = type(self)
        if not cls.up:
            self.close_connection = True
            return
        status, data = self._pass(body)
        if cls.cut and "/_bulk" in self.path:
            cls.cut, cls.up = False, False
            self.close_connection = True
            return
        self._reply(status, data)


@pytest.fixture
def switch(osmem_clone):
    handler = type("Switch", (_Switch,), {"target": osmem_clone.url, "up": True, "cut": False})
    with serving(handler) as url:
        yield handler, url


def _store(url, spool, prefix="sadap-outage", refresh=True):
    from elasticsearch import Elasticsearch

    from sadap.store.elasticsearch import ElasticsearchStore

    client = Elasticsearch(url, node_class=PlainJsonNode, request_timeout=30, max_retries=0)
    return ElasticsearchStore(client, prefix=prefix, spool_dir=spool, replicas=0, refresh_on_write=refresh, label="osmem")


def _cells(store, mentions):
    since, until = NOW - timedelta(days=4), NOW + timedelta(hours=1)
    terms = {"hashtag": sorted({h for m in mentions for h in m.hashtags}),
             "keyword": sorted({k for m in mentions for k in m.keywords}),
             "entity": sorted({e for m in mentions for e in m.entities})}
    got = {f: store.term_sightings(f, t, since, until) for f, t in terms.items()}
    return None if any(v is None for v in got.values()) else {f: sorted(v) for f, v in got.items()}


def _cluster_goes_away_after_the_mentions(store, handler, *, cut=False, blip=False):
    """The proxy stops answering right after the mentions' bulk write (``cut``: in the middle of
    the cells' bulk request, after the cluster took it; ``blip``: back right after the cells)."""
    original = store._write_seen

    def write_seen(delta):
        if cut:
            handler.cut = True
        else:
            handler.up = False
        original(delta)
        if blip:
            handler.up = True

    store._write_seen = write_seen
    return lambda: setattr(store, "_write_seen", original)


@pytest.mark.parametrize("cut", [False, True], ids=["between", "mid-bulk"])
def test_cells_kept_on_disk_reach_the_table_after_a_restart(switch, tmp_path, cut):
    handler, url = switch
    mentions = _tagged(random.Random(11))[:300]
    spool = tmp_path / "spool"
    lite = SQLiteStore(tmp_path / "parity.db")
    first = _store(url, spool)
    first.setup()
    first.upsert(mentions[:100])
    restore = _cluster_goes_away_after_the_mentions(first, handler, cut=cut)
    first.upsert(mentions[100:200])  # the mentions are stored, their cells are not
    restore()
    handler.up = True  # the cluster is back
    assert first.client.count(index=first.names.mentions)["count"] == 200  # (asked of the cluster directly)
    kept = list(spool.glob("seen-*.json"))
    assert len(kept) == 1 and not list(spool.glob("seen-inflight-*"))
    waiting = json.loads(kept[0].read_text(encoding="utf-8"))
    # The bulk request was cut off: its cells are settled by reading them (between: unchanged,
    # so redone; mid-bulk: holding what was written, so applied).
    assert len(waiting["unsettled"]) > 100
    first.close()  # the process ends; what it kept is on disk only

    second = _store(url, spool)
    assert second.status()["seen_terms_pending"] > 0
    second.upsert(mentions[200:])  # its first write applies them
    assert not list(spool.glob("seen-*"))
    for part in (mentions[:100], mentions[100:200], mentions[200:]):
        lite.upsert(part)
    want = _cells(lite, mentions)
    assert sum(len(c) for c in want.values()) > 200
    assert _cells(second, mentions) == want
    second.close()
    lite.close()


def test_replay_applies_the_kept_cells_without_a_new_write(switch, tmp_path):
    handler, url = switch
    mentions = _tagged(random.Random(12))[:120]
    spool = tmp_path / "spool"
    store = _store(url, spool)
    store.setup()
    restore = _cluster_goes_away_after_the_mentions(store, handler, blip=True)  # (else the batch is spooled too)
    assert len(store.upsert(mentions).inserted) == 120
    restore()
    handler.up = True
    assert list(spool.glob("seen-*.json"))
    assert store.replay_spool() == 0  # no mentions were spooled; the cells were applied
    assert not list(spool.glob("seen-*"))
    lite = SQLiteStore(tmp_path / "parity.db")
    lite.upsert(mentions)
    assert _cells(store, mentions) == _cells(lite, mentions)
    store.close()
    lite.close()


_DIES = textwrap.dedent("""
    import os, random, sys
    sys.path.insert(0, sys.argv[3])
    from tests.test_es_seen_outage import _store
    from tests.test_seen_terms import _tagged
    store = _store(sys.argv[1], sys.argv[2])
    mentions = _tagged(random.Random(13))[:200]
    store._write_seen = lambda delta: os._exit(9)  # killed between the mentions' write and the cells'
    store.upsert(mentions[100:])
""")


def test_a_writer_killed_between_the_writes_leaves_the_table_unsure_until_setup_rebuilds_it(osmem_clone, tmp_path):
    url, spool = osmem_clone.url, tmp_path / "spool"
    mentions = _tagged(random.Random(13))[:200]
    store = _store(url, spool)
    store.setup()
    store.upsert(mentions[:100])
    assert _cells(store, mentions) is not None
    proc = subprocess.run([sys.executable, "-c", _DIES, url, str(spool), str(ROOT)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 9, proc.stderr
    assert list(spool.glob("seen-inflight-*"))  # the dead writer's mark

    reader = _store(url, tmp_path / "reader-spool")  # another process (the alert engine) still trusts it
    assert _cells(reader, mentions) is not None
    restarted = _store(url, spool)
    restarted.upsert(mentions[:1])  # its first write finds the mark: the table is unmarked
    assert not list(spool.glob("seen-inflight-*"))
    assert _cells(reader, mentions) is None and _cells(restarted, mentions) is None  # new_term asks the mentions
    assert restarted.status()["seen_terms_ready"] is False
    report = restarted.setup()  # rebuilds it from the stored mentions
    assert report["seen_terms_built_from"] == 200
    lite = SQLiteStore(tmp_path / "parity.db")
    lite.upsert(mentions)
    assert _cells(reader, mentions) == _cells(lite, mentions)
    for s in (store, reader, restarted, lite):
        s.close()


def test_an_index_of_the_first_layout_is_rebuilt_by_setup_and_asks_the_mentions_until_then(osmem_clone, tmp_path, caplog):
    """A seen-terms index made by an earlier version (every field indexed, no layout in its
    mapping): not written or read, setup rebuilds it with one log line."""
    from sadap.store.es_mappings import STATE_PROPERTIES

    mentions = _tagged(random.Random(14))[:150]
    store = _store(osmem_clone.url, tmp_path / "spool", prefix="sadap-old")
    store.setup()
    store.upsert(mentions)
    client = store.client
    client.indices.delete(index=store.names.seen_terms)
    client.indices.delete_index_template(name=store.names.seen_terms)
    old = {"field": {"type": "keyword"}, "term": {"type": "keyword"}, "hour": {"type": "long"},
           "source_name": {"type": "keyword"}, "copy": {"type": "integer"}, "n": {"type": "long"},
           "last_published": {"type": "double"}, "last_collected": {"type": "double"}, "stale": {"type": "integer"}}
    assert set(old) == set(STATE_PROPERTIES["seen_terms"])
    client.indices.create(index=store.names.seen_terms, mappings={"dynamic": "strict", "properties": old})
    client.index(index=store.names.seen_terms, id="_built", refresh=True, document={
        "field": "_built", "term": "", "hour": 0, "source_name": "", "copy": 0, "n": 150, "last_published": 0.0,
        "last_collected": 0.0, "stale": 0})
    upgraded = _store(osmem_clone.url, tmp_path / "spool", prefix="sadap-old")
    with caplog.at_level("WARNING"):
        assert _cells(upgraded, mentions) is None
        upgraded.upsert(mentions[:5])  # not written to the old index
        report = upgraded.setup()
    assert report["seen_terms_built_from"] == 150
    assert any("has layout 1" in r.getMessage() for r in caplog.records)
    assert any("rebuilding" in r.getMessage() and "layout 1 → 2" in r.getMessage() for r in caplog.records)
    lite = SQLiteStore(tmp_path / "parity.db")
    lite.upsert(mentions)
    assert _cells(upgraded, mentions) == _cells(lite, mentions)
    for s in (store, upgraded, lite):
        s.close()


def test_two_writers_remembering_cells_agree_with_sqlite(osmem_clone, tmp_path):
    """Two processes (two stores, each remembering the cells it wrote with their sequence
    numbers) write overlapping hours and sources in turns, re-upsert changed mentions and erase
    some: a remembered cell the other changed meanwhile is refused (409), read and redone."""
    mentions = _tagged(random.Random(15))[:320]
    a = _store(osmem_clone.url, tmp_path / "a")
    a.setup()
    b = _store(osmem_clone.url, tmp_path / "b")
    lite = SQLiteStore(tmp_path / "parity.db")
    parts = [mentions[i:i + 40] for i in range(0, 320, 40)]
    changed = [m.model_copy(update={"hashtags": ["#แก้แล้ว"], "keywords": ["คำ1"]}) for m in mentions[::7]]
    for i, part in enumerate(parts + [changed]):
        (a if i % 2 else b).upsert(part)
        lite.upsert(part)
    gone = [m.id for m in mentions[::5]]
    b.erase(gone)
    lite.erase(gone)
    assert a._seen_known and b._seen_known  # both remembered cells (and had to redo some)
    everything = mentions + changed
    want = _cells(lite, everything)
    assert any(c[7] for cs in want.values() for c in cs)  # some stale
    assert _cells(a, everything) == want
    for s in (a, b, lite):
        s.close()
