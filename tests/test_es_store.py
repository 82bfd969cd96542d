"""Elasticsearch backend beyond the shared contract: index design, monthly rollover and
retention, the spool, retries, refused items, configuration and the `sadap es` commands.

Runs against osmem-server (an in-memory OpenSearch-compatible server), or a real cluster
when SADAP_TEST_ES_URL is set.
"""

from __future__ import annotations

import json
import logging
import socket
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from sadap.app.cli import main
from sadap.core.timeutil import UTC
from sadap.store import MentionFilter
from sadap.store.es_mappings import expected_files
from tests.es_support import ForwardingProxy, PlainJsonNode, drop_test_store, es_test_url, make_test_store
from tests.fake_http import serving
from tests.test_store_contract import TEXTS, make

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.es


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def cluster_url(request) -> str:
    return es_test_url() or request.getfixturevalue("osmem_clone").url


@pytest.fixture
def new_store(cluster_url, tmp_path):
    made = []

    def factory(**kwargs):
        kwargs.setdefault("spool_dir", tmp_path / "spool")
        s = make_test_store(cluster_url, real=bool(es_test_url()), **kwargs)
        made.append(s)
        return s

    yield factory
    for s in made:
        drop_test_store(s) if es_test_url() else s.close()


def _mentions(n: int = 5, start: int = 0):
    return [make(start + i, *TEXTS[i % len(TEXTS)], minutes=i) for i in range(n)]


def test_exported_templates_are_current():
    folder = ROOT / "infra" / "elasticsearch"
    expected = expected_files()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.json")}
    assert on_disk == expected, "run: python -m sadap.store.es_mappings infra/elasticsearch"


def test_setup_creates_templates_aliases_and_reports_status(new_store):
    store = new_store(clock=Clock(datetime(2026, 11, 20, tzinfo=UTC)))
    report = store.setup()
    p = store.names.prefix
    assert report["write_index"] == f"{p}-mentions-2026.11"
    try:  # ask the cluster directly whether it has the Thai analyzer (osmem-server: no; Elasticsearch: yes)
        store.client.indices.analyze(text="ทดสอบภาษาไทย", analyzer="thai")
        has_thai = True
    except Exception:
        has_thai = False
    assert report["thai_analyzer"] is has_thai
    again = store.setup()  # idempotent
    assert again["write_index"] == report["write_index"] and f"{p}-mentions-2026.11" not in again["created"]
    store.upsert(_mentions(3))
    st = store.status()
    assert st["templates_current"] is True
    assert st["write_index"] == f"{p}-mentions-2026.11"
    assert st["mentions"] == 3 and st["spool_pending"] == 0
    assert set(st["state_indices"]) == set(store.names.state_indices)
    mapping = store.client.indices.get_mapping(index=f"{p}-mentions-2026.11").body
    props = next(iter(mapping.values()))["mappings"]["properties"]
    assert props["tokens"]["analyzer"] == "sadap_tokens" and props["entities"]["type"] == "keyword"


def test_tokens_analyzer_matches_sqlite_splitting(new_store):
    store = new_store()
    store.setup()
    index = store.names.monthly(*(lambda d: (d.year, d.month))(store.clock()))
    res = store.client.indices.analyze(index=index, analyzer="sadap_tokens", text="แอป ล่ม App-Down 10:30 น.").body
    assert [t["token"] for t in res["tokens"]] == ["แอป", "ล่ม", "app", "down", "10", "30", "น"]


def test_monthly_rollover_keeps_updates_in_place_and_applies_retention(new_store):
    clock = Clock(datetime(2026, 10, 5, tzinfo=UTC))
    store = new_store(clock=clock, retention_months=1)
    p = store.names.prefix
    first = _mentions(2)
    assert len(store.upsert(first).inserted) == 2
    clock.at = datetime(2026, 11, 2, tzinfo=UTC)
    changed = first[0].model_copy(update={"category": "service"})
    result = store.upsert([changed] + _mentions(1, start=10))
    assert result.updated == [changed.id] and len(result.inserted) == 1
    assert store.mention_indices() == [f"{p}-mentions-2026.10", f"{p}-mentions-2026.11"]
    assert store.count(MentionFilter()) == 3  # the update did not make a second copy in November
    assert store.get(changed.id).category == "service"
    assert store._write_indices() == [f"{p}-mentions-2026.11"]
    clock.at = datetime(2026, 12, 1, tzinfo=UTC)  # October is now more than 1 month back
    store.upsert(_mentions(1, start=20))
    assert store.mention_indices() == [f"{p}-mentions-2026.11", f"{p}-mentions-2026.12"]


def test_indices_of_an_earlier_version_get_the_fields_added_since(new_store, monkeypatch):
    from sadap.core.errors import StoreError
    from sadap.store import es_admin, es_mappings

    added = ("csr", "news_topic", "entity_tones")  # fields that came after the first monthly indices
    old = {k: v for k, v in es_mappings.MENTION_PROPERTIES.items() if k not in added}
    clock = Clock(datetime(2026, 10, 5, tzinfo=UTC))
    with monkeypatch.context() as m:
        m.setattr(es_mappings, "MENTION_PROPERTIES", old)
        m.setattr(es_admin, "MENTION_PROPERTIES", old, raising=False)
        earlier = new_store(clock=clock)
        earlier.setup()
        clock.at = datetime(2026, 11, 2, tzinfo=UTC)
        earlier.setup()  # October and November made from the earlier templates
    p = earlier.names.prefix
    mention = _mentions(1)[0].model_copy(update={"news_topic": "economy", "csr": ["environment"]})

    manual = new_store(prefix=p, clock=clock, auto_setup=False)
    with pytest.raises(StoreError, match=rf"{p}-mentions-2026.11 has no fields news_topic, entity_tones, csr .*"
                                         r"; run `sadap es setup`") as info:
        manual.upsert([mention])
    assert "\n" not in str(info.value)

    store = new_store(prefix=p, clock=clock)  # auto_setup: brought up to date at first use
    assert store.upsert([mention]).inserted == [mention.id]
    assert store.ids(MentionFilter(news_topics=("economy",))) == [mention.id]
    for index in (f"{p}-mentions-2026.10", f"{p}-mentions-2026.11"):
        props = next(iter(store.client.indices.get_mapping(index=index).body.values()))["mappings"]["properties"]
        assert all(props[f] == es_mappings.MENTION_PROPERTIES[f] for f in added), index
    assert store.status()["templates_current"] is True


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_cluster_spools_and_replays_without_loss(cluster_url, new_store, tmp_path):
    from elasticsearch import Elasticsearch

    from sadap.store.elasticsearch import ElasticsearchStore

    spool = tmp_path / "spool"
    dead = ElasticsearchStore(
        Elasticsearch(f"http://127.0.0.1:{_closed_port()}", node_class=PlainJsonNode, max_retries=1, request_timeout=2),
        prefix="sadap-dead", spool_dir=spool, label="dead cluster",
    )
    batch = _mentions(5)
    result = dead.upsert(batch)
    assert result.spooled == [m.id for m in batch] and not result.inserted
    assert dead.existing_ids([batch[0].id]) == set()  # ingest's duplicate checks go on
    assert dead.fingerprints_since(datetime(2020, 1, 1, tzinfo=UTC)) == []
    with pytest.raises(Exception, match="unreachable"):
        dead.count(MentionFilter())  # alerts must not read zeros from a dead cluster
    dead.close()
    files = list(spool.glob("mentions-*.jsonl"))
    assert len(files) == 1 and len(files[0].read_text(encoding="utf-8").splitlines()) == 5

    alive = new_store(spool_dir=spool)
    later = _mentions(1, start=40)
    result = alive.upsert(later)  # replays the spool first, then stores the new batch
    assert result.inserted == [later[0].id]
    assert alive.count(MentionFilter()) == 6
    assert alive.get(batch[3].id) == batch[3]
    assert not list(spool.glob("mentions-*"))


def test_a_spooled_mention_the_cluster_refuses_is_kept_aside_and_holds_back_nothing(new_store, tmp_path, monkeypatch):
    from elasticsearch import Elasticsearch

    from sadap.store.elasticsearch import ElasticsearchStore

    spool = tmp_path / "spool"
    dead = ElasticsearchStore(
        Elasticsearch(f"http://127.0.0.1:{_closed_port()}", node_class=PlainJsonNode, max_retries=0, request_timeout=2),
        prefix="sadap-dead", spool_dir=spool, label="dead cluster",
    )
    batch = _mentions(3)
    assert len(dead.upsert(batch).spooled) == 3
    dead.close()

    original = ElasticsearchStore._source

    def broken(self, m, *args):
        src = original(self, m, *args)
        if m.id == batch[1].id:
            src["not_in_mapping"] = 1  # refused for good, as a mapping conflict is
        return src

    monkeypatch.setattr(ElasticsearchStore, "_source", broken)
    store = new_store(spool_dir=spool)
    for n in range(2):  # the refused one no longer stops every later write
        later = _mentions(1, start=40 + n)
        assert store.upsert(later).inserted == [later[0].id]
    assert store.count(MentionFilter()) == 4
    assert not list(spool.glob("mentions-*"))
    (kept,) = spool.glob("refused-*.jsonl")
    assert [json.loads(line)["id"] for line in kept.read_text(encoding="utf-8").splitlines()] == [batch[1].id]
    st = store.status()
    assert st["spool_pending"] == 0 and st["spool_refused"] == 1
    assert [m.id for m in store.spool.mentions()] == [batch[1].id]  # erasure and exports still see it

    monkeypatch.setattr(ElasticsearchStore, "_source", original)  # the cause fixed: put it back in line
    kept.rename(kept.with_name(kept.name.replace("refused-", "mentions-")))
    assert store.replay_spool() == 1 and store.get(batch[1].id) == batch[1]
    assert not list(spool.glob("*.jsonl"))


class _FlakyProxy(ForwardingProxy):
    """Forwards to the test cluster; answers the first `fail_bulk` bulk requests with 503 and
    the next `busy_items` with per-item 429s."""

    fail_bulk = 0
    busy_items = 0
    bulk_calls = 0

    def _forward(self):
        body = self._body()
        cls = type(self)
        if "/_bulk" in self.path:
            cls.bulk_calls += 1
            if cls.fail_bulk > 0:
                cls.fail_bulk -= 1
                return self._reply(503, b'{"error":{"type":"unavailable","reason":"test"},"status":503}')
            if cls.busy_items > 0:
                cls.busy_items -= 1
                lines = [json.loads(x) for x in body.decode().splitlines() if x.strip()]
                items = [{"index": {"_index": a["index"].get("_index"), "_id": a["index"]["_id"], "status": 429,
                                    "error": {"type": "es_rejected_execution_exception", "reason": "busy"}}}
                         for a in lines[0::2]]
                return self._reply(200, json.dumps({"errors": True, "took": 1, "items": items}).encode())
        self._reply(*self._pass(body))


@pytest.fixture
def flaky_proxy(cluster_url):
    handler = type("Proxy", (_FlakyProxy,), {"target": cluster_url})
    with serving(handler) as url:
        yield handler, url


@pytest.mark.skipif(bool(es_test_url()), reason="the proxy speaks plain JSON to osmem-server")
def test_bulk_retries_on_5xx_and_429_then_succeeds(flaky_proxy, tmp_path):
    from elasticsearch import Elasticsearch

    from sadap.store.elasticsearch import ElasticsearchStore

    handler, url = flaky_proxy
    client = Elasticsearch(url, node_class=PlainJsonNode, max_retries=3, retry_on_status=(429, 500, 502, 503, 504),
                           retry_backoff_base=0.01, retry_backoff_cap=0.05)
    store = ElasticsearchStore(client, prefix="sadap-flaky", spool_dir=tmp_path / "spool", replicas=0)
    store.initial_backoff = 0.01
    store.setup()
    handler.fail_bulk, handler.busy_items, handler.bulk_calls = 2, 1, 0
    result = store.upsert(_mentions(4))
    assert len(result.inserted) == 4 and not result.spooled
    # two 503s retried by the client, one round of 429 items retried by streaming_bulk, then the seen-terms cells
    assert handler.bulk_calls == 5
    assert store.count(MentionFilter()) == 4
    store.close()


def test_refused_items_are_reported_one_by_one_and_the_rest_stored(new_store, monkeypatch, caplog):
    from sadap.store.elasticsearch import BulkRejected, ElasticsearchStore

    store = new_store(spool_dir=None)  # no spool folder to keep them in: the write says so
    batch = _mentions(3)
    original = ElasticsearchStore._source

    def broken(self, m, *args):
        src = original(self, m, *args)
        if m.id == batch[1].id:
            src["not_in_mapping"] = 1  # strict mapping refuses it
        return src

    monkeypatch.setattr(ElasticsearchStore, "_source", broken)
    with pytest.raises(BulkRejected) as info:
        store.upsert(batch)
    err = info.value
    assert [e["id"] for e in err.errors] == [batch[1].id] and "strict" in err.errors[0]["error"]
    assert batch[1].id in str(err) and "1 of 3" in str(err)
    assert sorted(err.result.inserted) == sorted([batch[0].id, batch[2].id])
    assert store.count(MentionFilter()) == 2
    kept = new_store()  # with a spool folder: kept aside there, one warning line, the write goes on
    with caplog.at_level(logging.WARNING):
        result = kept.upsert(batch)
    assert result.refused == [batch[1].id] and sorted(result.inserted) == sorted([batch[0].id, batch[2].id])
    (line,) = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert batch[1].id in line and "strict" in line and "refused-" in line


def test_simhash_keeps_unsigned_64_bits_and_cardinality_is_exact_when_small(new_store):
    store = new_store()
    ms = _mentions(5)
    ms[0].simhash = (1 << 64) - 1
    store.upsert(ms)
    fps = {f.id: f.simhash for f in store.fingerprints_since(datetime(2020, 1, 1, tzinfo=UTC))}
    assert fps[ms[0].id] == (1 << 64) - 1
    assert store.count_distinct(MentionFilter(), "author_id") == 3


def test_responses_flag_mentions_and_survive_reindexing(new_store):
    store = new_store()
    ms = _mentions(3)
    store.upsert(ms)
    at = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
    store.log_response(ms[0].id, at, "somchai", "line", "ขออภัยค่ะ กำลังแก้ไข")
    store.log_response("not-yet-stored", at, "somchai", "phone", "โทรกลับแล้ว")
    assert store.count(MentionFilter(responded=True)) == 1
    assert store.count(MentionFilter(responded=False)) == 2
    store.upsert([ms[0].model_copy(update={"category": "service"})])  # re-indexed: still answered
    assert store.ids(MentionFilter(responded=True)) == [ms[0].id]
    late = make(7, *TEXTS[1], minutes=9)
    late = late.model_copy(update={"id": "not-yet-stored"})
    store.upsert([late])  # arrives after its response was logged
    assert store.count(MentionFilter(responded=True)) == 2


def test_fingerprints_page_through_more_than_one_page(new_store, monkeypatch):
    import sadap.store.elasticsearch as es_mod

    monkeypatch.setattr(es_mod, "PAGE", 2)
    store = new_store()
    store.upsert(_mentions(5))
    fps = store.fingerprints_since(datetime(2020, 1, 1, tzinfo=UTC))
    assert len(fps) == 5 and len({f.id for f in fps}) == 5


# -- configuration and commands ------------------------------------------------------------
def _config(tmp_path: Path, url: str, prefix: str) -> Path:
    path = tmp_path / "sadap.yaml"
    path.write_text(
        "data_dir: data\n"
        "store:\n"
        "  backend: elasticsearch\n"
        "  elasticsearch:\n"
        f"    hosts: [{url}]\n"
        f"    index_prefix: {prefix}\n"
        "    replicas: 0\n"
        "    api_key_env: null\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def plain_json_client(monkeypatch):
    import sadap.store.elasticsearch as es_mod

    real = es_mod.build_client
    monkeypatch.setattr(es_mod, "build_client", lambda cfg, node_class=None: real(cfg, node_class=PlainJsonNode))


@pytest.mark.skipif(bool(es_test_url()), reason="uses the osmem-server clone")
def test_open_store_and_es_commands(cluster_url, tmp_path, plain_json_client):
    from sadap.app.config import load_config
    from sadap.store import open_store

    path = _config(tmp_path, cluster_url, "cli")
    config = load_config(path)
    with open_store(config) as store:
        assert type(store).__name__ == "ElasticsearchStore"
        assert store.spool.folder == tmp_path / "data" / "es-spool"
        store.upsert(_mentions(2))
    runner = CliRunner()
    res = runner.invoke(main, ["es", "setup", "--config", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["write_index"].startswith("cli-mentions-")
    res = runner.invoke(main, ["es", "status", "--config", str(path), "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["mentions"] == 2
    res = runner.invoke(main, ["es", "status", "--config", str(path)])
    assert res.exit_code == 0 and "templates current: yes" in res.output
    res = runner.invoke(main, ["es", "replay", "--config", str(path)])
    assert res.exit_code == 0 and "replayed 0" in res.output
    res = runner.invoke(main, ["es", "setup", "--config", str(path), "--json"])  # built already: not again
    assert res.exit_code == 0 and "seen_terms_built_from" not in json.loads(res.output)
    res = runner.invoke(main, ["es", "setup", "--config", str(path), "--rebuild-seen-terms"])
    assert res.exit_code == 0 and "seen terms built from 2 mentions" in res.output, res.output


def test_es_commands_fail_with_one_line(tmp_path):
    runner = CliRunner()
    sqlite_cfg = tmp_path / "sqlite.yaml"
    sqlite_cfg.write_text("data_dir: .\n", encoding="utf-8")
    res = runner.invoke(main, ["es", "status", "--config", str(sqlite_cfg)])
    assert res.exit_code == 1 and "store.backend is 'sqlite'" in res.output
    down = _config(tmp_path, f"http://127.0.0.1:{_closed_port()}", "down")
    text = down.read_text(encoding="utf-8").replace("    replicas: 0\n", "    replicas: 0\n    max_retries: 0\n")
    down.write_text(text, encoding="utf-8")
    res = runner.invoke(main, ["es", "status", "--config", str(down)])
    assert res.exit_code == 1 and "unreachable" in res.output and len(res.output.strip().splitlines()) == 1


@pytest.mark.parametrize("hosts", ["[es1.example.internal:9200]", "['http://127.0.0.1:92OO']", "[ftp://es1:9200]", "[]"])
def test_a_host_that_is_no_node_url_is_refused_in_one_line(tmp_path, hosts):
    path = _config(tmp_path, "http://127.0.0.1:9200", "cfg")
    path.write_text(path.read_text(encoding="utf-8").replace("[http://127.0.0.1:9200]", hosts), encoding="utf-8")
    res = CliRunner().invoke(main, ["es", "status", "--config", str(path)])
    assert res.exit_code == 1, res.output
    assert len(res.output.strip().splitlines()) == 1, res.output
    assert "sadap.yaml:5: store.elasticsearch.hosts:" in res.output and "https://" in res.output


def test_config_validates_prefix_and_reads_secrets_from_environment(tmp_path, monkeypatch):
    from sadap.app.config import load_config
    from sadap.core.errors import ConfigError
    from sadap.store.elasticsearch import build_client

    bad = tmp_path / "bad.yaml"
    bad.write_text("store:\n  backend: elasticsearch\n  elasticsearch:\n    index_prefix: Sadap!\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="index_prefix"):
        load_config(bad)
    cfg = load_config(_config(tmp_path, "https://es.example:9200", "x")).store.elasticsearch
    assert cfg.verify_certs is True
    user = cfg.model_copy(update={"username": "sadap"})
    monkeypatch.delenv("SADAP_ES_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="SADAP_ES_PASSWORD"):
        build_client(user)
    monkeypatch.setenv("SADAP_ES_PASSWORD", "s3cret")
    client = build_client(user)
    assert "s3cret" not in repr(client)
    client.close()


# -- docs --------------------------------------------------------------------------------------
_START = "<!-- es-config:start (generated from ElasticsearchConfig; a test checks it is current) -->"
_END = "<!-- es-config:end -->"


def _config_block() -> str:
    from sadap.app.config import ElasticsearchConfig
    from sadap.app.docgen import model_table

    return "\n".join([_START, "", (ElasticsearchConfig.__doc__ or "").strip(), "",
                      *model_table(ElasticsearchConfig, "store.elasticsearch."), "", _END])


def write_config_reference() -> None:
    """python -c "from tests.test_es_store import write_config_reference as w; w()" """
    path = ROOT / "docs" / "deploy.md"
    text = path.read_text(encoding="utf-8")
    a, b = text.index(_START), text.index(_END) + len(_END)
    path.write_text(text[:a] + _config_block() + text[b:], encoding="utf-8")


def test_deploy_doc_config_reference_is_current():
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    a, b = text.index(_START), text.index(_END) + len(_END)
    assert text[a:b] == _config_block(), 'run: python -c "from tests.test_es_store import write_config_reference as w; w()"'


def test_compose_file_runs_the_stack_with_security_on():
    import yaml

    compose = yaml.safe_load((ROOT / "infra" / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"elasticsearch", "kibana", "sadap", "console"} <= set(services)
    es = services["elasticsearch"]["environment"]
    assert es["xpack.security.enabled"] == "true" and es["xpack.security.http.ssl.enabled"] == "true"
    assert {"esdata", "kibanadata", "snapshots", "sadapdata"} <= set(compose["volumes"])
    config = yaml.safe_load(compose["configs"]["sadap_config"]["content"])
    from sadap.app.config import Config

    Config.model_validate(config)  # the embedded sadap.yaml is a valid config
    assert config["store"]["backend"] == "elasticsearch"
    text = (ROOT / "infra" / "compose.yaml").read_text(encoding="utf-8")
    assert "verify_certs: false" not in text


def _references(store, ids: list[str]):
    """An incident, its timeline, an alert, a response and a complaint assignment naming ``ids``."""
    import json as _json

    from sadap.core.incident import Incident, IncidentEvent

    at = store.clock()
    inc = Incident(playbook="service-outage", rule="r1", severity="P2", title="แอปล่ม", opened_at=at, updated_at=at,
                   mention_ids=list(ids))
    store.save_incident(inc)
    store.add_event(inc.id, IncidentEvent(at=at, kind="opened", data={"rule": "r1", "mentions": list(ids)}))
    store.record_alert(_json.dumps({"rule": "r1", "mention_ids": list(ids), "count": len(ids)}), "r1", "k", at, inc.id)
    for i in ids:
        store.log_response(i, at, "staff", "social", "ขออภัยค่ะ ทีมงานกำลังตรวจสอบ")
        store.assign(i, "somsri", "lead", at)
    return inc.id


def test_monthly_retention_also_forgets_the_deleted_mentions_everywhere(new_store):
    """Deleting a month's index (``retention_months``) must not leave its mentions' responses,
    complaint assignments or ids in incidents, timelines and alerts behind (PDPA)."""
    from datetime import timedelta

    clock = Clock(datetime(2026, 9, 10, tzinfo=UTC))
    store = new_store(clock=clock, retention_months=1)
    p = store.names.prefix
    september = _mentions(2)
    store.upsert(september)
    clock.at = datetime(2026, 10, 3, tzinfo=UTC)
    october = _mentions(1, start=10)
    store.upsert(october)
    old_id, kept_id = september[0].id, october[0].id
    incident_id = _references(store, [old_id, kept_id])
    clock.at = datetime(2026, 11, 2, tzinfo=UTC)  # September is now more than a month back
    store.upsert(_mentions(1, start=20))
    assert store.mention_indices() == [f"{p}-mentions-2026.10", f"{p}-mentions-2026.11"]
    assert store.get(old_id) is None and store.get(kept_id) is not None
    assert [r["mention_id"] for r in store.responses_for([old_id, kept_id])] == [kept_id]
    assert set(store.assignments([old_id, kept_id])) == {kept_id}
    assert store.get_incident(incident_id).mention_ids == [kept_id]
    assert store.events(incident_id)[0].data["mentions"] == [kept_id]
    assert store.alerts_since(clock.at - timedelta(days=60))[0]["mention_ids"] == [kept_id]


def test_retention_days_purge_on_elasticsearch(new_store, tmp_path):
    """`privacy.retention_days` (`sadap privacy purge`, the scheduler's daily job) on the
    Elasticsearch store: mentions collected before the cut-off go, with their references; the
    newer ones and this month's index stay."""
    from datetime import timedelta

    from sadap.app import privacy as pdpa
    from sadap.app.config import load_config_file
    from sadap.core.timeutil import now_utc

    (tmp_path / "sadap.yaml").write_text("data_dir: data\nrules: []\nnotifiers: []\nprivacy:\n  retention_days: 30\n",
                                         encoding="utf-8")
    config = load_config_file(tmp_path / "sadap.yaml")
    store = new_store()
    now = now_utc()
    old = [m.model_copy(update={"collected_at": now - timedelta(days=45 + i)}) for i, m in enumerate(_mentions(3))]
    new = [m.model_copy(update={"collected_at": now - timedelta(days=2)}) for m in _mentions(2, start=10)]
    store.upsert(old + new)
    incident_id = _references(store, [old[0].id, new[0].id])
    result = pdpa.purge(config, store, now=now)
    assert result["mentions"] == 3 and result["responses"] == 1 and result["incidents_updated"] == 1
    assert sorted(m.id for m in store.search(MentionFilter(), 10)) == sorted(m.id for m in new)
    assert store.get_incident(incident_id).mention_ids == [new[0].id]
    assert set(store.assignments([old[0].id, new[0].id])) == {new[0].id}
    assert store.ids_collected_before(now - timedelta(days=30)) == []
    again = pdpa.purge(config, store, now=now)
    assert again["mentions"] == 0


def test_a_fresh_mention_the_cluster_refuses_is_kept_aside_and_the_import_goes_on(new_store, tmp_path, monkeypatch):
    """Before, the refused mention raised out of upsert: `sadap ingest` stopped there, and a re-run
    stopped at the same mention, so the rest of the file was never imported."""
    from sadap.app.config import Config
    from sadap.app.importer import import_file
    from sadap.app.ingest import IngestPipeline
    from sadap.store.elasticsearch import ElasticsearchStore

    rows = [{"id": f"r{i}", "text": text, "published_at": f"2026-11-20T0{i % 10}:00:00+07:00"}
            for i, text in enumerate(["แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้", "ขอบคุณแสงทองที่แก้ปัญหาให้เร็ว",
                                      "สาขาแสงทองคนเยอะมาก รอคิวนาน", "บัตรแสงทองโดนตัดเงินซ้ำ"])]
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    original = ElasticsearchStore._source

    def broken(self, m, *args):
        src = original(self, m, *args)
        if "ขอบคุณ" in m.text:
            src["not_in_mapping"] = 1  # refused for good, as a mapping conflict is
        return src

    monkeypatch.setattr(ElasticsearchStore, "_source", broken)
    store = new_store()
    config = Config.model_validate({"data_dir": str(tmp_path / "data"), "rules": [], "notifiers": []})
    report = import_file(config, path, batch_size=2, pipeline=IngestPipeline(config, store=store, alerts=False))
    assert (report["stored"], report["refused"], report["spooled"]) == (3, 1, 0)
    assert sorted(m.text for m in store.search(MentionFilter(), limit=10)) == sorted(
        r["text"] for r in rows if "ขอบคุณ" not in r["text"])
    (kept,) = (tmp_path / "spool").glob("refused-*.jsonl")
    assert ["ขอบคุณแสงทองที่แก้ปัญหาให้เร็ว"] == [json.loads(line)["text"] for line in kept.read_text(encoding="utf-8").splitlines()]
    assert store.status()["spool_refused"] == 1
