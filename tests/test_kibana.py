"""Kibana saved objects: offline checks of the shipped NDJSON, provisioning against a local
HTTP server standing in for Kibana, and a live smoke test when SADAP_TEST_KIBANA_URL is set."""

from __future__ import annotations

import json
import os
import re
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from click.testing import CliRunner

from sadap.app.cli import main
from sadap.app.kibana import KibanaError, ndjson, provision, saved_objects
from sadap.store.es_mappings import AGGREGATABLE_TYPES, MENTION_PROPERTIES, STATE_PROPERTIES
from tests.fake_http import serving

ROOT = Path(__file__).resolve().parents[1]
NDJSON = ROOT / "infra" / "kibana" / "sadap.ndjson"
THAI = re.compile(r"[\u0E00-\u0E7F]")
FIELDS_BY_VIEW = {
    "sadap-mentions": MENTION_PROPERTIES,
    "sadap-alerts": STATE_PROPERTIES["alerts"],
    "sadap-incidents": STATE_PROPERTIES["incidents"],
}


def _objects() -> list[dict]:
    return [json.loads(line) for line in NDJSON.read_text(encoding="utf-8").splitlines()]


def test_shipped_ndjson_is_current_and_every_line_parses():
    text = NDJSON.read_text(encoding="utf-8")
    assert text == ndjson(), "run: sadap kibana export"
    for n, line in enumerate(text.splitlines(), 1):
        obj = json.loads(line)
        assert {"id", "type", "attributes", "references"} <= set(obj), f"line {n}"


def test_ids_unique_and_references_resolve_inside_the_bundle():
    objs = _objects()
    keys = [(o["type"], o["id"]) for o in objs]
    assert len(keys) == len(set(keys))
    known = set(keys)
    for o in objs:
        for ref in o["references"]:
            assert (ref["type"], ref["id"]) in known, f"{o['id']}: {ref}"
        if o["type"] == "dashboard":
            panels = json.loads(o["attributes"]["panelsJSON"])
            names = {r["name"] for r in o["references"]}
            for p in panels:
                assert f"{p['panelIndex']}:{p['panelRefName']}" in names
        for key in ("visState", "panelsJSON", "optionsJSON", "fieldAttrs", "fieldFormatMap", "sourceFilters"):
            if key in o["attributes"]:
                json.loads(o["attributes"][key])
        meta = o["attributes"].get("kibanaSavedObjectMeta")
        if meta:
            source = json.loads(meta["searchSourceJSON"])
            if "indexRefName" in source:
                assert source["indexRefName"] in {r["name"] for r in o["references"]}


def _view_of(obj: dict) -> str:
    (ref,) = [r for r in obj["references"] if r["type"] == "index-pattern"]
    return ref["id"]


def test_visualised_fields_exist_in_the_index_templates_and_are_aggregatable():
    objs = _objects()
    used = 0
    for o in objs:
        if o["type"] == "index-pattern":
            props = FIELDS_BY_VIEW[o["id"]]
            assert props[o["attributes"]["timeFieldName"]]["type"] == "date"
            for f in json.loads(o["attributes"]["fieldAttrs"]):
                assert f in props, f"{o['id']}: label for unknown field {f}"
            for f in json.loads(o["attributes"]["fieldFormatMap"]):
                assert f in props
        elif o["type"] == "visualization":
            props = FIELDS_BY_VIEW[_view_of(o)]
            for agg in json.loads(o["attributes"]["visState"])["aggs"]:
                field = agg["params"].get("field")
                if field:
                    used += 1
                    assert field in props, f"{o['id']}: {field} not in the index template"
                    assert props[field]["type"] in AGGREGATABLE_TYPES and props[field].get("doc_values", True), field
        elif o["type"] == "search":
            props = FIELDS_BY_VIEW[_view_of(o)]
            assert all(c in props for c in o["attributes"]["columns"])
    assert used >= 20


def test_dashboards_cover_the_three_audiences_in_thai():
    objs = {o["id"]: o for o in _objects()}
    dashboards = [o for o in objs.values() if o["type"] == "dashboard"]
    assert {d["id"] for d in dashboards} == {"sadap-dashboard-overview", "sadap-dashboard-complaints", "sadap-dashboard-alerts"}
    for o in objs.values():
        title = o["attributes"].get("title") if o["type"] != "index-pattern" else o["attributes"]["name"]
        assert THAI.search(title), title
    overview_fields = set()
    for ref in objs["sadap-dashboard-overview"]["references"]:
        target = objs[ref["id"]]
        if target["type"] == "visualization":
            overview_fields |= {a["params"].get("field") for a in json.loads(target["attributes"]["visState"])["aggs"]}
    assert {"published_at", "sentiment", "expectation", "category", "source_name", "author_id", "keywords",
            "hashtags", "entities"} <= overview_fields
    labels = json.loads(objs["sadap-mentions"]["attributes"]["fieldFormatMap"])["expectation"]["params"]["lookupEntries"]
    assert {e["value"] for e in labels} >= {"ประทับใจ", "พอใจ", "ผิดหวัง"}


def test_other_prefix_points_every_view_at_its_indices():
    objs = saved_objects("acme")
    views = [o for o in objs if o["type"] == "index-pattern"]
    assert {v["attributes"]["title"] for v in views} == {"acme-mentions", "acme-alerts", "acme-incidents"}
    assert all(o["id"].startswith("acme-") for o in objs)


# -- provisioning against a stand-in Kibana -------------------------------------------------
class _FakeKibana(BaseHTTPRequestHandler):
    requests: list[dict] = []
    store: dict = {}
    reply: dict | None = None

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        m = re.search(rb"\r\n\r\n(.*)\r\n--", body, re.S)
        lines = [json.loads(x) for x in m.group(1).decode("utf-8").splitlines() if x.strip()] if m else []
        if type(self).reply is not None:
            out = type(self).reply
        elif self.headers.get("kbn-xsrf") is None:
            out = {"statusCode": 400, "error": "Bad Request", "message": "Request must contain a kbn-xsrf header."}
        else:
            for obj in lines:  # overwrite=true: same (type, id) replaces
                type(self).store[(obj["type"], obj["id"])] = obj
            out = {"success": True, "successCount": len(lines), "errors": []}
        data = json.dumps(out).encode()
        self.send_response(out.get("statusCode", 200))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_kibana():
    handler = type("Kibana", (_FakeKibana,), {"requests": [], "store": {}, "reply": None})
    with serving(handler) as url:
        yield handler, url


def test_provision_posts_the_import_request_idempotently(fake_kibana):
    handler, url = fake_kibana
    data = NDJSON.read_text(encoding="utf-8")
    first = provision(url, data, space="pr-team", api_key="abc123")
    second = provision(url, data, space="pr-team", api_key="abc123")
    n = len(data.splitlines())
    assert first["imported"] == second["imported"] == n and len(handler.store) == n
    req = handler.requests[0]
    assert req["path"] == "/s/pr-team/api/saved_objects/_import?overwrite=true"
    headers = {k.lower(): v for k, v in req["headers"].items()}
    assert headers["kbn-xsrf"] and headers["authorization"] == "ApiKey abc123"
    assert headers["content-type"].startswith("multipart/form-data")
    assert b'name="file"; filename="sadap.ndjson"' in req["body"]
    provision(url, data)
    assert handler.requests[-1]["path"] == "/api/saved_objects/_import?overwrite=true"


def test_provision_reports_kibana_errors(fake_kibana):
    handler, url = fake_kibana
    handler.reply = {"success": False, "successCount": 0,
                     "errors": [{"type": "dashboard", "id": "sadap-dashboard-overview", "error": {"type": "missing_references"}}]}
    with pytest.raises(KibanaError, match="dashboard/sadap-dashboard-overview: missing_references"):
        provision(url, "{}\n")
    handler.reply = {"statusCode": 401, "error": "Unauthorized", "message": "no"}
    with pytest.raises(KibanaError, match="401"):
        provision(url, "{}\n")
    with pytest.raises(KibanaError, match="unreachable"):
        provision("http://127.0.0.1:9", "{}\n", timeout=2)


def test_kibana_commands(fake_kibana, tmp_path, monkeypatch):
    handler, url = fake_kibana
    monkeypatch.setenv("SADAP_KIBANA_API_KEY", "k3y")
    cfg = tmp_path / "sadap.yaml"
    cfg.write_text("store:\n  backend: elasticsearch\n  elasticsearch:\n    index_prefix: acme\n", encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(main, ["kibana", "provision", "--url", url, "--space", "ops", "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    assert ("dashboard", "acme-dashboard-overview") in handler.store
    assert handler.requests[-1]["headers"].get("Authorization") == "ApiKey k3y"
    out = tmp_path / "objects.ndjson"
    res = runner.invoke(main, ["kibana", "export", "--out", str(out)])
    assert res.exit_code == 0 and out.read_text(encoding="utf-8") == NDJSON.read_text(encoding="utf-8")
    res = runner.invoke(main, ["kibana", "provision", "--url", "http://127.0.0.1:9", "--config", str(cfg)])
    assert res.exit_code == 1 and res.output.startswith("sadap: Kibana at http://127.0.0.1:9: unreachable")


@pytest.mark.skipif(not os.environ.get("SADAP_TEST_KIBANA_URL"), reason="set SADAP_TEST_KIBANA_URL for the live smoke test")
def test_live_kibana_smoke():
    import httpx

    url = os.environ["SADAP_TEST_KIBANA_URL"]
    key = os.environ.get("SADAP_TEST_KIBANA_API_KEY")
    verify = os.environ.get("SADAP_TEST_KIBANA_CA") or True
    result = provision(url, NDJSON.read_text(encoding="utf-8"), api_key=key,
                       ca_certs=verify if isinstance(verify, str) else None)
    assert result["imported"] == len(_objects())
    headers = {"Authorization": f"ApiKey {key}"} if key else {}
    resp = httpx.get(f"{url.rstrip('/')}/api/saved_objects/dashboard/sadap-dashboard-overview", headers=headers,
                     verify=verify if verify is True else __import__("ssl").create_default_context(cafile=verify))
    assert resp.status_code == 200 and resp.json()["attributes"]["title"].startswith("สดับ")
