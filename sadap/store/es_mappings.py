"""Elasticsearch index design, declared once: names, mappings and templates.

``sadap es setup`` installs these; ``python -m sadap.store.es_mappings infra/elasticsearch``
exports them (with the default prefix) and a test checks the export is current.

Mentions live in monthly indices (``sadap-mentions-2026.11``) behind two aliases: the
read alias ``sadap-mentions`` over all of them and the write alias
``sadap-mentions-write`` on the current month. Alert state, alerts, incidents and
incident events each have one small index.
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
from pathlib import Path
from typing import Any, TypedDict

# Thai text arrives tokenised by PyThaiNLP; the analyzer only splits on whitespace and ASCII
# punctuation and folds ASCII case, as SQLite's FTS5 `ascii` tokenizer does.
# A JSON object (a template, mapping or settings body).
Json = dict[str, Any]


class TemplateOptions(TypedDict):
    """The cluster-dependent options of :func:`component_templates` and :func:`index_templates`."""

    shards: int
    replicas: int
    thai: bool
    icu: bool


_ASCII_PUNCT = r"[!-/:-@\[-`{-~]"

MENTION_SETTINGS: Json = {
    "analysis": {
        "char_filter": {"sadap_ascii_punct": {"type": "pattern_replace", "pattern": _ASCII_PUNCT, "replacement": " "}},
        "analyzer": {
            "sadap_tokens": {
                "type": "custom",
                "tokenizer": "whitespace",
                "char_filter": ["sadap_ascii_punct"],
                "filter": ["lowercase"],
            }
        },
    },
}

KEYWORD = {"type": "keyword"}
DATE = {"type": "date"}
STORED_ONLY = {"type": "keyword", "index": False, "doc_values": False}
#: Searched (term queries) but never sorted or aggregated on.
SEARCHED_KEYWORD = {"type": "keyword", "doc_values": False}

MENTION_PROPERTIES: Json = {
    "id": KEYWORD,
    "source_kind": KEYWORD,
    "source_name": KEYWORD,
    "native_id": KEYWORD,
    "url": {"type": "keyword", "ignore_above": 2048},
    "author_id": KEYWORD,
    "author_name": KEYWORD,
    "published_at": DATE,
    "collected_at": DATE,
    "title": {"type": "text"},
    "text": {"type": "text"},
    # Title and text tokens joined by spaces, then each hashtag's words as a further value
    # (sadap.store.base.search_segments): what Sadap's own searches match phrases on. The
    # default position_increment_gap (100) keeps a phrase from running across two values.
    "tokens": {"type": "text", "analyzer": "sadap_tokens"},
    "language": KEYWORD,
    "sentiment": KEYWORD,
    "sentiment_score": {"type": "float"},
    "expectation": KEYWORD,
    "category": KEYWORD,
    "is_complaint": {"type": "boolean"},
    "complaint_type": KEYWORD,
    # News and long posts (enrich/news.py): the news topic, and "name:tone" per watched name named.
    "news_topic": KEYWORD,
    "entity_tones": KEYWORD,
    "entities": KEYWORD,
    "hashtags": KEYWORD,
    # Content words from enrichment (no stop words, digits or single letters): top terms, new-term alerts.
    "keywords": KEYWORD,
    "csr": KEYWORD,
    # Registered stakeholders the mention is by or about (tagged at ingest; docs/pr-crm.md).
    "stakeholders": KEYWORD,
    "likes": {"type": "long"},
    "shares": {"type": "long"},
    "comments": {"type": "long"},
    "views": {"type": "long"},
    "text_hash": KEYWORD,
    # 64-bit SimHash as an unsigned decimal string (an Elasticsearch long is signed).
    "simhash": STORED_ONLY,
    "duplicate_of": KEYWORD,
    # Spam/bot score from enrichment, 0 to 1.
    "spam_score": {"type": "float"},
    # Near-duplicate group: duplicate_of, else the mention's own id.
    "cluster": KEYWORD,
    # Someone logged a response to it (kept in step with the responses index).
    "responded": {"type": "boolean"},
    # The whole mention as JSON, so reads give back exactly what was stored.
    "doc": STORED_ONLY,
}

# Fields Kibana may aggregate on (keyword, date, numeric, boolean): checked by the Kibana tests.
AGGREGATABLE_TYPES = {"keyword", "date", "long", "integer", "float", "double", "boolean"}

# Optional Thai analysis for Kibana's free-text search, added only when the cluster has it.
THAI_SETTINGS: Json = {
    "analysis": {"analyzer": {"sadap_icu": {"type": "custom", "tokenizer": "icu_tokenizer", "filter": ["lowercase"]}}}
}
THAI_FIELD = {"type": "text", "analyzer": "thai"}  # Elasticsearch's built-in Thai analyzer
ICU_FIELD = {"type": "text", "analyzer": "sadap_icu"}  # needs the analysis-icu plugin

STATE_PROPERTIES: Json = {
    "rule_state": {"rule_id": KEYWORD, "key": KEYWORD, "last_fired_at": DATE, "doc": STORED_ONLY},
    "alerts": {
        "rule_id": KEYWORD,
        "rule_type": KEYWORD,
        "key": KEYWORD,
        "severity": KEYWORD,
        "playbook": KEYWORD,
        "incident_id": KEYWORD,
        "count": {"type": "long"},
        "fired_at": DATE,
        "seq": {"type": "long"},
        "doc": STORED_ONLY,
    },
    "incidents": {
        "id": KEYWORD,
        "playbook": KEYWORD,
        "rule": KEYWORD,
        "key": KEYWORD,
        "severity": KEYWORD,
        "state": KEYWORD,
        "title": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 512}}},
        "opened_at": DATE,
        "updated_at": DATE,
        "alert_count": {"type": "long"},
        "doc": STORED_ONLY,
    },
    "responses": {
        "mention_id": KEYWORD,
        "at": DATE,
        "actor": KEYWORD,
        "channel": KEYWORD,
        "text": {"type": "text"},
        "seq": {"type": "long"},
    },
    "snoozes": {"rule_id": KEYWORD, "key": KEYWORD, "until": DATE, "actor": KEYWORD, "reason": {"type": "text"},
                "doc": STORED_ONLY},
    "assignments": {"mention_id": KEYWORD, "assignee": KEYWORD, "actor": KEYWORD, "at": DATE},
    "stakeholders": {"id": KEYWORD, "name": KEYWORD, "group": KEYWORD, "status": KEYWORD, "doc": STORED_ONLY},
    # The last crawl of each source (the Sources page), one document per source.
    "crawls": {"source": KEYWORD, "finished_at": DATE, "doc": STORED_ONLY},
    # author_id, thread, incident_id: copies of the doc's, what joins a new complaint to an open
    # case (Store.open_cases_joining); mention_ids: which case holds a mention (Store.cases_holding);
    # stakeholders: a stakeholder's open cases (Store.open_cases_of); closed_at: when a closed case
    # was closed (core.complaint_case.closed_time), the queue's window (Store.queue_cases);
    # cause: the cause of the problem, counted by Store.case_cause_counts (CASES_LAYOUT below).
    "complaint_cases": {"id": KEYWORD, "state": KEYWORD, "received_at": DATE, "author_id": KEYWORD, "thread": KEYWORD,
                        "incident_id": KEYWORD, "mention_ids": KEYWORD, "stakeholders": KEYWORD, "closed_at": DATE,
                        "cause": KEYWORD, "doc": STORED_ONLY},
    # new_term's seen-terms table (Store.term_sightings), kept with every mention write: one
    # document per term (hashtag, keyword, entity; nothing personal), published hour, source and
    # copy or not, with the mentions and the latest publication and collection time among them.
    # Written about 7 times per mention, so only what is searched is indexed (field, term, hour;
    # no doc values: nothing sorts or aggregates on them); the rest is read from _source.
    "seen_terms": {"field": SEARCHED_KEYWORD, "term": SEARCHED_KEYWORD, "hour": {"type": "long", "doc_values": False},
                   "source_name": STORED_ONLY, "copy": {"type": "integer", "index": False, "doc_values": False},
                   "n": {"type": "long", "index": False, "doc_values": False},
                   "last_published": {"type": "double", "index": False, "doc_values": False},
                   "last_collected": {"type": "double", "index": False, "doc_values": False},
                   "stale": {"type": "integer", "index": False, "doc_values": False}},
    # Hand-corrected labels, one entry per correction (the mention itself carries the result).
    "corrections": {"mention_id": KEYWORD, "actor": KEYWORD, "at": DATE, "seq": {"type": "long"}, "doc": STORED_ONLY},
    "users": {"username": KEYWORD, "role": KEYWORD, "disabled": {"type": "boolean"}, "doc": STORED_ONLY},
    "api_tokens": {"token_hash": KEYWORD, "username": KEYWORD, "created_at": DATE, "doc": STORED_ONLY},
    "incident_events": {
        "incident_id": KEYWORD,
        "kind": KEYWORD,
        "actor": KEYWORD,
        "at": DATE,
        "seq": {"type": "long"},
        "doc": STORED_ONLY,
    },
    # What was shared with each partner (an audit; ids only).
    "shares": {"partner": KEYWORD, "channel": KEYWORD, "actor": KEYWORD, "at": DATE, "seq": {"type": "long"},
               "doc": STORED_ONLY},
    # Notifications waiting to be sent (or kept after): written with the alert.
    "outbox": {
        "id": KEYWORD,
        "notifier": KEYWORD,
        "incident_id": KEYWORD,
        "status": KEYWORD,
        "next_at": DATE,
        "created_at": DATE,
        "doc": STORED_ONLY,
    },
}


#: The seen-terms index's layout, in its mapping's ``_meta`` (an index without it is layout 1:
#: every field indexed and sortable). Mappings of existing fields cannot change, so `sadap es
#: setup` rebuilds an index of an older layout (until then ``term_sightings`` answers None).
SEEN_TERMS_LAYOUT = 2
#: The complaint-cases index's layout, in its mapping's ``_meta`` (an index without it is layout 1:
#: no join keys; layout 2 had no ``mention_ids``, layout 3 no ``stakeholders``, layout 4 no
#: ``closed_at``, layout 5 no ``cause``). Adding fields is
#: allowed on an existing index, so the store itself brings an older one up to date the first
#: time it writes or looks up cases (the fields added, every case indexed again with them, then
#: the mark).
CASES_LAYOUT = 6
#: The join keys of a case (layout 2), what :meth:`Store.open_cases_joining` looks up.
CASE_KEYS = ("author_id", "thread", "incident_id")
#: Every field a case's source copies from its document (layouts 2 to 4, and 6: ``cause``).
CASE_FIELDS = (*CASE_KEYS, "mention_ids", "stakeholders", "cause")
#: Every field a case's source has beside its document (layout 5: ``closed_at``, its closing
#: time, from ``closed_at`` or, where the document has none, its timeline's closing).
CASE_SOURCE_FIELDS = (*CASE_FIELDS, "closed_at")
STATE_MAPPING_META: dict[str, Json] = {"seen_terms": {"seen_terms_layout": SEEN_TERMS_LAYOUT},
                                       "complaint_cases": {"cases_layout": CASES_LAYOUT}}


class Names:
    """Every index, alias and template name for one prefix."""

    def __init__(self, prefix: str = "sadap"):
        self.prefix = prefix
        self.mentions = f"{prefix}-mentions"  # read alias over every monthly index
        self.mentions_write = f"{prefix}-mentions-write"
        self.rule_state = f"{prefix}-rule-state"
        self.alerts = f"{prefix}-alerts"
        self.incidents = f"{prefix}-incidents"
        self.incident_events = f"{prefix}-incident-events"
        self.responses = f"{prefix}-responses"
        self.snoozes = f"{prefix}-snoozes"
        self.assignments = f"{prefix}-assignments"
        self.corrections = f"{prefix}-corrections"
        self.users = f"{prefix}-users"
        self.api_tokens = f"{prefix}-api-tokens"
        self.outbox = f"{prefix}-outbox"
        self.stakeholders = f"{prefix}-stakeholders"
        self.complaint_cases = f"{prefix}-complaint-cases"
        self.shares = f"{prefix}-shares"
        self.crawls = f"{prefix}-crawls"
        self.seen_terms = f"{prefix}-seen-terms"

    def monthly(self, year: int, month: int) -> str:
        return f"{self.mentions}-{year:04d}.{month:02d}"

    @property
    def monthly_pattern(self) -> str:
        return f"{self.mentions}-*"

    def state_index(self, kind: str) -> str:
        return {"rule_state": self.rule_state, "alerts": self.alerts, "incidents": self.incidents,
                "incident_events": self.incident_events, "responses": self.responses, "snoozes": self.snoozes,
                "assignments": self.assignments, "corrections": self.corrections, "users": self.users,
                "api_tokens": self.api_tokens, "outbox": self.outbox, "stakeholders": self.stakeholders,
                "complaint_cases": self.complaint_cases, "shares": self.shares, "crawls": self.crawls,
                "seen_terms": self.seen_terms}[kind]

    @property
    def state_indices(self) -> list[str]:
        return [self.state_index(k) for k in STATE_PROPERTIES]


def _stamped(body: Json) -> Json:
    """Add a digest of the body to its ``_meta``, so `sadap es status` can tell a stale template."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]
    body.setdefault("_meta", {})["digest"] = digest
    return body


def template_digest(body: Json) -> str | None:
    return (body.get("_meta") or {}).get("digest")


def component_templates(
    names: Names, *, shards: int = 1, replicas: int = 1, thai: bool = False, icu: bool = False
) -> dict[str, Json]:
    p = names.prefix
    out = {
        f"{p}-mentions-settings": {
            "template": {"settings": {
                "number_of_shards": shards, "number_of_replicas": replicas,
                # Stored JSON is most of a mention's size; Thai UTF-8 compresses well.
                "codec": "best_compression",
                **copy.deepcopy(MENTION_SETTINGS),
            }},
        },
        f"{p}-mentions-mappings": {
            "template": {"mappings": {"dynamic": "strict", "properties": copy.deepcopy(MENTION_PROPERTIES)}},
        },
    }
    if thai or icu:
        fields = {}
        template: Json = {}
        if thai:
            fields["thai"] = copy.deepcopy(THAI_FIELD)
        if icu:
            fields["icu"] = copy.deepcopy(ICU_FIELD)
            template["settings"] = copy.deepcopy(THAI_SETTINGS)
        template["mappings"] = {"properties": {"text": {"type": "text", "fields": fields}}}
        out[f"{p}-mentions-thai"] = {"template": template}
    meta = {
        f"{p}-mentions-settings": "Sadap mentions: shards, replicas and the token analyzer",
        f"{p}-mentions-mappings": "Sadap mentions: fields",
        f"{p}-mentions-thai": "Sadap mentions: optional thai/ICU analysis of `text` (only where the cluster has them)",
    }
    return {n: _stamped({**b, "_meta": {"managed_by": "sadap", "description": meta[n]}}) for n, b in out.items()}


def index_templates(
    names: Names, *, shards: int = 1, replicas: int = 1, thai: bool = False, icu: bool = False
) -> dict[str, Json]:
    p = names.prefix
    composed = [f"{p}-mentions-settings", f"{p}-mentions-mappings"] + ([f"{p}-mentions-thai"] if thai or icu else [])
    out = {
        f"{p}-mentions": {
            "index_patterns": [names.monthly_pattern],
            "composed_of": composed,
            "priority": 200,
            "template": {"aliases": {names.mentions: {}}},
            "_meta": {"managed_by": "sadap", "description": "Monthly Sadap mentions indices"},
        }
    }
    for kind, props in STATE_PROPERTIES.items():
        out[names.state_index(kind)] = {
            "index_patterns": [names.state_index(kind)],
            "priority": 200,
            "template": {
                "settings": {"number_of_shards": 1, "number_of_replicas": replicas},
                "mappings": {"dynamic": "strict", "properties": copy.deepcopy(props),
                             **({"_meta": dict(STATE_MAPPING_META[kind])} if kind in STATE_MAPPING_META else {})},
            },
            "_meta": {"managed_by": "sadap", "description": f"Sadap {kind.replace('_', ' ')}"},
        }
    return {n: _stamped(b) for n, b in out.items()}


def export(folder: Path, prefix: str = "sadap") -> list[Path]:
    """Write the templates as JSON files (what `sadap es setup` installs, default prefix)."""
    names = Names(prefix)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    files = {f"component_template.{n}.json": b for n, b in component_templates(names, thai=True, icu=True).items()}
    files.update({f"index_template.{n}.json": b for n, b in index_templates(names).items()})
    for name, body in sorted(files.items()):
        path = folder / name
        path.write_text(rendered(body), encoding="utf-8")
        written.append(path)
    return written


def rendered(body: Json) -> str:
    return json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def expected_files(prefix: str = "sadap") -> dict[str, str]:
    names = Names(prefix)
    files = {f"component_template.{n}.json": rendered(b) for n, b in component_templates(names, thai=True, icu=True).items()}
    files.update({f"index_template.{n}.json": rendered(b) for n, b in index_templates(names).items()})
    return files


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "infra/elasticsearch")
    for p in export(target):
        print(p)
