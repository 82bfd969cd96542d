"""Kibana saved objects for Sadap, declared here and exported to ``infra/kibana/sadap.ndjson``.

Data views for mentions, alerts and incidents, and three dashboards with Thai titles:
the PR team's overview, complaints, and alerts & incidents. Objects use the Kibana 8.0
saved-object format (aggregation-based visualisations, a saved search for the mention
table); Kibana 8.x and 9.x migrate them on import.

    sadap kibana export            # regenerate infra/kibana/sadap.ndjson
    sadap kibana provision         # import into Kibana (idempotent: overwrite=true)
"""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any

import httpx

from sadap.app.names import category_names, complaint_type_names, news_topic_names
from sadap.app.sources import source_kinds
from sadap.core.errors import SadapError
from sadap.core.labels import EXPECTATION, INCIDENT_STATE, SENTIMENT
from sadap.store.es_mappings import Names

MIGRATION = "8.0.0"
INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"
DEFAULT_FILE = Path(__file__).resolve().parents[1] / "infra" / "kibana" / "sadap.ndjson"

RESPONDED = {"true": ("ตอบแล้ว", "answered"), "false": ("ยังไม่ได้ตอบ", "not answered")}
SEVERITY = {"P1": ("P1 วิกฤต", "P1 critical"), "P2": ("P2 สูง", "P2 high"), "P3": ("P3 ปานกลาง", "P3 medium"),
            "P4": ("P4 ต่ำ", "P4 low"), "P5": ("P5 แจ้งให้ทราบ", "P5 info")}

MENTION_LABELS = {
    "published_at": "เวลาที่เผยแพร่",
    "collected_at": "เวลาที่เก็บข้อมูล",
    "source_name": "แหล่งที่มา",
    "source_kind": "ประเภทแหล่งที่มา",
    "author_id": "ผู้เขียน (นามแฝง)",
    "title": "หัวข้อ",
    "text": "ข้อความ",
    "url": "ลิงก์",
    "language": "ภาษา",
    "sentiment": "ความรู้สึก",
    "sentiment_score": "ความมั่นใจของความรู้สึก",
    "expectation": "ระดับความคาดหวัง",
    "category": "หมวดเสียงของลูกค้า",
    "is_complaint": "เป็นข้อร้องเรียน",
    "complaint_type": "ประเภทข้อร้องเรียน",
    "news_topic": "หมวดข่าว",
    "entity_tones": "น้ำเสียงต่อชื่อที่ติดตาม (ชื่อ:น้ำเสียง)",
    "entities": "แบรนด์และสิ่งที่ติดตาม",
    "hashtags": "แฮชแท็ก",
    "keywords": "คำสำคัญ",
    "duplicate_of": "ซ้ำกับ",
    "spam_score": "คะแนนสแปม",
    "cluster": "กลุ่มข้อความซ้ำ",
    "responded": "ตอบแล้ว",
}
ALERT_LABELS = {"fired_at": "เวลาที่แจ้งเตือน", "rule_id": "กฎ", "rule_type": "ชนิดกฎ", "severity": "ความรุนแรง",
                "key": "เรื่อง", "playbook": "แผนรับมือ", "incident_id": "เหตุการณ์", "count": "จำนวนข้อความ"}
INCIDENT_LABELS = {"opened_at": "เวลาที่เปิด", "updated_at": "ปรับปรุงล่าสุด", "state": "สถานะ", "playbook": "แผนรับมือ",
                   "severity": "ความรุนแรง", "key": "เรื่อง", "rule": "กฎ", "title": "ชื่อเหตุการณ์", "alert_count": "จำนวนการแจ้งเตือน"}


def _lookup(table: dict[str, Any]) -> dict[str, Any]:
    return {"id": "static_lookup", "params": {"lookupEntries": [{"key": k, "value": v[0]} for k, v in table.items()],
                                              "unknownKeyValue": None}}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _object(obj_id: str, obj_type: str, attributes: dict[str, Any], references: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": obj_id, "type": obj_type, "attributes": attributes, "references": references,
            "coreMigrationVersion": MIGRATION, "migrationVersion": {obj_type: MIGRATION}}


def _data_view(obj_id: str, title: str, name: str, time_field: str, labels: dict[str, Any], formats: dict[str, Any], hidden: list[str]) -> dict[str, Any]:
    return _object(obj_id, "index-pattern", {
        "title": title,
        "name": name,
        "timeFieldName": time_field,
        "fieldAttrs": _dumps({f: {"customLabel": label} for f, label in labels.items()}),
        "fieldFormatMap": _dumps(formats),
        "sourceFilters": _dumps([{"value": f} for f in hidden]),
        "runtimeFieldMap": "{}",
        "allowNoIndex": True,
    }, [])


# -- aggregations (Kibana's aggregation-based editor) ------------------------------
def _count(label: str = "จำนวนข้อความ") -> dict[str, Any]:
    return {"id": "1", "enabled": True, "type": "count", "schema": "metric", "params": {"customLabel": label}}


def _dates(field: str, label: str, agg_id: str = "2") -> dict[str, Any]:
    return {"id": agg_id, "enabled": True, "type": "date_histogram", "schema": "segment",
            "params": {"field": field, "interval": "auto", "min_doc_count": 1, "extended_bounds": {},
                       "useNormalizedEsInterval": True, "customLabel": label}}


def _terms(field: str, label: str, schema: str, size: int = 10, agg_id: str = "3") -> dict[str, Any]:
    return {"id": agg_id, "enabled": True, "type": "terms", "schema": schema,
            "params": {"field": field, "size": size, "order": "desc", "orderBy": "1", "otherBucket": False,
                       "missingBucket": False, "customLabel": label}}


_PARAMS = {
    "histogram": {"type": "histogram", "addTooltip": True, "addLegend": True, "legendPosition": "right",
                  "seriesParams": [{"show": True, "type": "histogram", "mode": "stacked", "data": {"id": "1", "label": "จำนวน"},
                                    "valueAxis": "ValueAxis-1"}]},
    "line": {"type": "line", "addTooltip": True, "addLegend": True, "legendPosition": "right"},
    "pie": {"type": "pie", "addTooltip": True, "addLegend": True, "legendPosition": "right", "isDonut": True,
            "labels": {"show": True, "values": True, "last_level": True, "truncate": 100}},
    "table": {"perPage": 10, "showPartialRows": False, "showMetricsAtAllLevels": False, "showTotal": False},
    "tagcloud": {"scale": "linear", "orientation": "single", "minFontSize": 14, "maxFontSize": 48, "showLabel": False},
    "metric": {"addTooltip": True, "addLegend": False, "type": "metric"},
}


def _vis(obj_id: str, title: str, data_view: str, vis_type: str, aggs: list[dict[str, Any]], query: str = "") -> dict[str, Any]:
    state = {"title": title, "type": vis_type, "aggs": aggs, "params": _PARAMS[vis_type]}
    source = {"query": {"query": query, "language": "kuery"}, "filter": [], "indexRefName": INDEX_REF}
    return _object(obj_id, "visualization", {
        "title": title,
        "description": "",
        "visState": _dumps(state),
        "uiStateJSON": "{}",
        "version": 1,
        "kibanaSavedObjectMeta": {"searchSourceJSON": _dumps(source)},
    }, [{"name": INDEX_REF, "type": "index-pattern", "id": data_view}])


def _search(obj_id: str, title: str, data_view: str, columns: list[str], sort_field: str, query: str = "") -> dict[str, Any]:
    source = {"query": {"query": query, "language": "kuery"}, "filter": [], "indexRefName": INDEX_REF}
    return _object(obj_id, "search", {
        "title": title,
        "description": "",
        "columns": columns,
        "sort": [[sort_field, "desc"]],
        "kibanaSavedObjectMeta": {"searchSourceJSON": _dumps(source)},
    }, [{"name": INDEX_REF, "type": "index-pattern", "id": data_view}])


def _dashboard(obj_id: str, title: str, description: str, panels: list[tuple[dict[str, Any], int, int, int, int]]) -> dict[str, Any]:
    """``panels``: (saved object, x, y, w, h) on Kibana's 48-column grid."""
    items, refs = [], []
    for n, (obj, x, y, w, h) in enumerate(panels, start=1):
        pid = f"p{n}"
        items.append({"version": MIGRATION, "type": obj["type"], "panelIndex": pid, "panelRefName": f"panel_{pid}",
                      "gridData": {"x": x, "y": y, "w": w, "h": h, "i": pid}, "embeddableConfig": {}})
        refs.append({"name": f"{pid}:panel_{pid}", "type": obj["type"], "id": obj["id"]})
    return _object(obj_id, "dashboard", {
        "title": title,
        "description": description,
        "panelsJSON": _dumps(items),
        "optionsJSON": _dumps({"useMargins": True, "syncColors": False, "hidePanelTitles": False}),
        "timeRestore": True,
        "timeFrom": "now-7d",
        "timeTo": "now",
        "refreshInterval": {"pause": False, "value": 60000},
        "version": 1,
        "kibanaSavedObjectMeta": {"searchSourceJSON": _dumps({"query": {"query": "", "language": "kuery"}, "filter": []})},
    }, refs)


def saved_objects(prefix: str = "sadap") -> list[dict[str, Any]]:
    """Every saved object, dependencies first."""
    names = Names(prefix)
    dv_m, dv_a, dv_i = f"{prefix}-mentions", f"{prefix}-alerts", f"{prefix}-incidents"
    views = [
        _data_view(dv_m, names.mentions, "สดับ · ข้อความที่กล่าวถึง (mentions)", "published_at", MENTION_LABELS,
                   {"sentiment": _lookup(SENTIMENT), "expectation": _lookup(EXPECTATION), "source_kind": _lookup(source_kinds()),
                    "responded": _lookup(RESPONDED), "news_topic": _lookup(news_topic_names()),
                    "category": _lookup(category_names()), "complaint_type": _lookup(complaint_type_names())},
                   ["doc", "tokens", "simhash"]),
        _data_view(dv_a, names.alerts, "สดับ · การแจ้งเตือน (alerts)", "fired_at", ALERT_LABELS,
                   {"severity": _lookup(SEVERITY)}, ["doc", "seq"]),
        _data_view(dv_i, names.incidents, "สดับ · เหตุการณ์ (incidents)", "opened_at", INCIDENT_LABELS,
                   {"state": _lookup(INCIDENT_STATE), "severity": _lookup(SEVERITY)}, ["doc"]),
    ]
    v = f"{prefix}-vis-"
    volume = _vis(v + "volume-sentiment", "ปริมาณข้อความตามช่วงเวลา แยกตามความรู้สึก", dv_m, "histogram",
                  [_count(), _dates("published_at", "เวลาที่เผยแพร่"), _terms("sentiment", "ความรู้สึก", "group", 4)])
    total = _vis(v + "total", "จำนวนข้อความทั้งหมด", dv_m, "metric", [_count()])
    sentiment = _vis(v + "sentiment", "สัดส่วนความรู้สึก", dv_m, "pie", [_count(), _terms("sentiment", "ความรู้สึก", "segment", 4)])
    expectation = _vis(v + "expectation", "ระดับความคาดหวังของลูกค้า (ประทับใจ / พอใจ / ผิดหวัง)", dv_m, "pie",
                       [_count(), _terms("expectation", "ระดับความคาดหวัง", "segment", 4)], "expectation : *")
    voc = _vis(v + "voc", "หมวดเสียงของลูกค้า", dv_m, "histogram",
               [_count(), _terms("category", "หมวดเสียงของลูกค้า", "segment", 15, agg_id="2")], "category : *")
    sources = _vis(v + "sources", "แหล่งที่มาที่กล่าวถึงมากที่สุด", dv_m, "table",
                   [_count(), _terms("source_name", "แหล่งที่มา", "bucket", 15, agg_id="2")])
    authors = _vis(v + "authors", "ผู้เขียนที่กล่าวถึงมากที่สุด (นามแฝง)", dv_m, "table",
                   [_count(), _terms("author_id", "ผู้เขียน (นามแฝง)", "bucket", 15, agg_id="2")])
    terms = _vis(v + "terms", "คำที่พบบ่อย", dv_m, "tagcloud", [_count(), _terms("keywords", "คำสำคัญ", "segment", 40, agg_id="2")])
    tags = _vis(v + "hashtags", "แฮชแท็กยอดนิยม", dv_m, "tagcloud", [_count(), _terms("hashtags", "แฮชแท็ก", "segment", 30, agg_id="2")])
    share = _vis(v + "share-of-voice", "ส่วนแบ่งการถูกกล่าวถึงของแบรนด์ที่ติดตาม (share of voice)", dv_m, "pie",
                 [_count(), _terms("entities", "แบรนด์และสิ่งที่ติดตาม", "segment", 10)])
    table = _search(f"{prefix}-search-mentions", "ข้อความล่าสุด", dv_m,
                    ["source_name", "sentiment", "expectation", "category", "text"], "published_at")

    c_types = _vis(v + "complaint-types", "ข้อร้องเรียนแยกตามประเภท", dv_m, "pie",
                   [_count("จำนวนข้อร้องเรียน"), _terms("complaint_type", "ประเภทข้อร้องเรียน", "segment", 12)], "is_complaint : true")
    c_time = _vis(v + "complaints-time", "ข้อร้องเรียนตามช่วงเวลา", dv_m, "histogram",
                  [_count("จำนวนข้อร้องเรียน"), _dates("published_at", "เวลาที่เผยแพร่"),
                   _terms("complaint_type", "ประเภทข้อร้องเรียน", "group", 8)], "is_complaint : true")
    c_open = _vis(v + "complaints-handled", "ข้อร้องเรียนที่ยังไม่ได้ตอบ เทียบกับที่ตอบแล้ว", dv_m, "pie",
                  [_count("จำนวนข้อร้องเรียน"), _terms("responded", "ตอบแล้ว", "segment", 2)], "is_complaint : true")
    c_sla = _vis(v + "sla-breaches", "ข้อร้องเรียนที่เกินกำหนดเวลาตอบกลับ (SLA)", dv_a, "histogram",
                 [_count("จำนวนครั้ง"), _dates("fired_at", "เวลาที่แจ้งเตือน"), _terms("key", "เรื่อง", "group", 8)],
                 "rule_type : complaint_sla")
    c_table = _search(f"{prefix}-search-complaints", "ข้อร้องเรียนล่าสุด", dv_m,
                      ["source_name", "complaint_type", "sentiment", "text"], "published_at", "is_complaint : true")

    a_time = _vis(v + "alerts-time", "การแจ้งเตือนตามช่วงเวลา แยกตามความรุนแรง", dv_a, "histogram",
                  [_count("จำนวนการแจ้งเตือน"), _dates("fired_at", "เวลาที่แจ้งเตือน"), _terms("severity", "ความรุนแรง", "group", 5)])
    a_rules = _vis(v + "alerts-rules", "กฎที่แจ้งเตือนบ่อยที่สุด", dv_a, "table",
                   [_count("จำนวนการแจ้งเตือน"), _terms("rule_id", "กฎ", "bucket", 20, agg_id="2")])
    i_time = _vis(v + "incidents-time", "เหตุการณ์ที่เปิดตามช่วงเวลา แยกตามแผนรับมือ", dv_i, "histogram",
                  [_count("จำนวนเหตุการณ์"), _dates("opened_at", "เวลาที่เปิด"), _terms("playbook", "แผนรับมือ", "group", 8)])
    i_state = _vis(v + "incidents-by-state", "เหตุการณ์แยกตามสถานะและความรุนแรง", dv_i, "table",
                   [_count("จำนวนเหตุการณ์"), _terms("state", "สถานะ", "bucket", 3, agg_id="2"),
                    _terms("severity", "ความรุนแรง", "bucket", 5, agg_id="3")])

    overview = _dashboard(f"{prefix}-dashboard-overview", "สดับ · ภาพรวมสำหรับทีมประชาสัมพันธ์",
                          "ปริมาณ ความรู้สึก ความคาดหวัง เสียงของลูกค้า แหล่งที่มา ผู้เขียน คำและแฮชแท็ก ส่วนแบ่งการถูกกล่าวถึง", [
                              (total, 0, 0, 12, 8), (volume, 12, 0, 36, 14), (sentiment, 0, 8, 12, 12),
                              (expectation, 0, 20, 16, 14), (voc, 16, 20, 32, 14),
                              (share, 0, 34, 16, 14), (sources, 16, 34, 16, 14), (authors, 32, 34, 16, 14),
                              (terms, 0, 48, 24, 14), (tags, 24, 48, 24, 14), (table, 0, 62, 48, 18)])
    complaints = _dashboard(f"{prefix}-dashboard-complaints", "สดับ · ข้อร้องเรียน",
                            "ข้อร้องเรียนแยกตามประเภท เหตุการณ์ที่เปิดอยู่เทียบกับที่ดำเนินการแล้ว และการเกินกำหนดเวลา (SLA)", [
                                (c_types, 0, 0, 16, 14), (c_time, 16, 0, 32, 14), (c_open, 0, 14, 16, 14),
                                (c_sla, 16, 14, 32, 14), (c_table, 0, 28, 48, 18)])
    alerts = _dashboard(f"{prefix}-dashboard-alerts", "สดับ · การแจ้งเตือนและเหตุการณ์",
                        "การแจ้งเตือนและเหตุการณ์ตามช่วงเวลา", [
                            (a_time, 0, 0, 32, 14), (a_rules, 32, 0, 16, 14), (i_time, 0, 14, 32, 14), (i_state, 32, 14, 16, 14)])
    objects = views + [volume, total, sentiment, expectation, voc, sources, authors, terms, tags, share, table,
                       c_types, c_time, c_open, c_sla, c_table, a_time, a_rules, i_time, i_state]
    return objects + [overview, complaints, alerts]


def ndjson(prefix: str = "sadap") -> str:
    return "".join(json.dumps(o, ensure_ascii=False, sort_keys=True) + "\n" for o in saved_objects(prefix))


def export(path: Path = DEFAULT_FILE, prefix: str = "sadap") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ndjson(prefix), encoding="utf-8")
    return path


# -- provisioning -------------------------------------------------------------------------
class KibanaError(SadapError):
    """Kibana refused or could not be reached."""


def import_url(url: str, space: str | None = None) -> str:
    base = url.rstrip("/")
    if space and space != "default":
        base += f"/s/{space}"
    return base + "/api/saved_objects/_import"


def provision(
    url: str,
    data: str | bytes,
    *,
    space: str | None = None,
    api_key: str | None = None,
    basic_auth: tuple[str, str] | None = None,
    verify: bool = True,
    ca_certs: str | None = None,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Import saved objects (overwriting Sadap's own ids, so running it again is harmless)."""

    headers = {"kbn-xsrf": "sadap"}
    if api_key:
        headers["Authorization"] = f"ApiKey {api_key}"
    if ca_certs:
        verify_arg: Any = ssl.create_default_context(cafile=ca_certs)
    else:
        verify_arg = verify
    body = data.encode("utf-8") if isinstance(data, str) else data
    target = import_url(url, space)
    try:
        resp = httpx.post(target, params={"overwrite": "true"}, headers=headers, auth=basic_auth,
                          files={"file": ("sadap.ndjson", body, "application/ndjson")}, verify=verify_arg, timeout=timeout)
    except httpx.HTTPError as err:
        raise KibanaError(f"Kibana at {url}: unreachable ({err})") from None
    try:
        result = resp.json()
    except ValueError:
        result = {}
    if resp.status_code in (401, 403):
        raise KibanaError(f"Kibana at {url}: {resp.status_code} not allowed (check the API key or user)")
    if resp.status_code >= 400:
        raise KibanaError(f"Kibana at {url}: {resp.status_code} {result.get('message') or resp.text[:200]}")
    if not result.get("success", False):
        problems = [f"{e.get('type')}/{e.get('id')}: {(e.get('error') or {}).get('type', 'error')}" for e in result.get("errors", [])]
        raise KibanaError(f"Kibana at {url}: import failed: " + ("; ".join(problems[:10]) or "no detail"))
    return {"url": target, "imported": result.get("successCount", 0)}
