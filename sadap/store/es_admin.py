"""Index administration for the Elasticsearch store: setup, monthly rollover, retention, status.

Rollover is done by Sadap itself (create next month's index, move the write alias in one
``_aliases`` call), so it works the same on any cluster, with or without ILM.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from sadap.core.errors import StoreError
from sadap.store.es_mappings import (
    MENTION_PROPERTIES, Json, Names, TemplateOptions, component_templates, index_templates, template_digest,
)

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

    from sadap.store.es_spool import Spool

_P = ParamSpec("_P")
_T = TypeVar("_T")

log = logging.getLogger("sadap.store.elasticsearch")


class IndexAdmin:
    """Mixed into ElasticsearchStore (uses its client, names, clock and _call)."""

    # What the mixin uses of ElasticsearchStore (set in its __init__).
    client: Elasticsearch
    names: Names
    spool: Spool | None
    shards: int
    replicas: int
    retention_months: int | None
    auto_setup: bool
    label: str
    clock: Callable[[], datetime]
    _ready: bool
    _write_month: str | None
    _lock: threading.RLock

    if TYPE_CHECKING:

        def _call(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T: ...

        def _forget_indices(self, indices: Sequence[str]) -> int: ...

    def capabilities(self) -> dict[str, bool]:
        """Which optional analyzers the cluster has (checked with ``_analyze``)."""
        found = {}
        probes: tuple[tuple[str, dict[str, Any]], ...] = (("thai", {"analyzer": "thai"}), ("icu", {"tokenizer": "icu_tokenizer"}))
        for name, body in probes:
            try:
                self.client.indices.analyze(text="ทดสอบภาษาไทย", **body)
                found[name] = True
            except Exception:  # unknown analyzer (400) or anything else: not available
                found[name] = False
        return found

    def setup(self) -> dict[str, Any]:
        """Install templates, create the state indices and this month's mentions index."""
        caps = self._call(self.capabilities)
        kw: TemplateOptions = {"shards": self.shards, "replicas": self.replicas, "thai": caps["thai"], "icu": caps["icu"]}
        for name, body in component_templates(self.names, **kw).items():
            self._call(self.client.cluster.put_component_template, name=name, **body)
        for name, body in index_templates(self.names, **kw).items():
            self._call(self.client.indices.put_index_template, name=name, **body)
        if self._call(self.client.indices.exists_alias, name=self.names.mentions):
            # Fields added since the existing monthly indices were made (additive, so allowed).
            for index, missing in self._missing_fields().items():
                self._call(self.client.indices.put_mapping, index=index,
                           properties={f: MENTION_PROPERTIES[f] for f in missing})
                log.warning("%s: added the fields %s to %s (made by an earlier version)",
                            self.label, ", ".join(missing), index)
        created = []
        for index in self.names.state_indices:
            if not self._call(self.client.indices.exists, index=index):
                self._create(index)
                created.append(index)
        self._write_month = None
        write, rolled = self._ensure_write_index(force=True)
        if rolled:
            created.append(write)
        deleted = self.apply_retention()
        self._ready = True
        return {"thai_analyzer": caps["thai"], "icu_analyzer": caps["icu"], "write_index": write,
                "created": created, "deleted": deleted, "templates": sorted(
                    list(component_templates(self.names, **kw)) + list(index_templates(self.names, **kw)))}

    def _create(self, index: str, body: Json | None = None) -> bool:
        """Create an index; False if it already existed (another process was first)."""
        try:
            self._call(self.client.indices.create, index=index, **(body or {}))
            return True
        except StoreError as err:
            if "resource_already_exists" in str(err):
                return False
            raise

    def _ensure_ready(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            template = f"{self.names.prefix}-mentions"
            ok = self._call(self.client.indices.exists_index_template, name=template) and all(
                self._call(self.client.indices.exists, index=i) for i in self.names.state_indices
            ) and self._call(self.client.indices.exists_alias, name=self.names.mentions_write)
            if not ok:
                if not self.auto_setup:
                    raise StoreError(f"{self.label}: indices for prefix {self.names.prefix!r} are missing; run `sadap es setup`")
                self.setup()
            else:
                # Made by an earlier version: its strict mapping would refuse every mention
                # carrying a field added since (and its templates would make next month's alike).
                missing = self._missing_fields(self.names.mentions_write)
                if missing:
                    if not self.auto_setup:
                        (index, fields), = list(missing.items())[:1]
                        raise StoreError(f"{self.label}: {index} has no fields {', '.join(fields)} (made by an "
                                         "earlier version); run `sadap es setup`")
                    self.setup()
            self._ready = True

    def _missing_fields(self, index: str | None = None) -> dict[str, list[str]]:
        """The mention fields each monthly index (of ``index``, by default the read alias) lacks."""
        found = self._call(self.client.indices.get_mapping, index=index or self.names.mentions).body
        out = {}
        for name, body in sorted(found.items()):
            have = (body.get("mappings") or {}).get("properties") or {}
            missing = [f for f in MENTION_PROPERTIES if f not in have]
            if missing:
                out[name] = missing
        return out

    def _write_indices(self) -> list[str]:
        from elasticsearch import NotFoundError

        try:
            found = self.client.indices.get_alias(name=self.names.mentions_write)
        except NotFoundError:
            return []
        return sorted(found.body)

    def _ensure_write_index(self, force: bool = False) -> tuple[str, bool]:
        """Point the write alias at this month's index (a monthly rollover). Returns (index, created)."""
        now = self.clock()
        month = self.names.monthly(now.year, now.month)
        if self._write_month == month and not force:
            return month, False
        with self._lock:
            current = self._call(self._write_indices)
            created = False
            if current != [month]:
                created = self._create(month, {"aliases": {self.names.mentions: {}}})
                actions = [{"add": {"index": month, "alias": self.names.mentions_write, "is_write_index": True}}]
                actions += [{"remove": {"index": old, "alias": self.names.mentions_write}} for old in current if old != month]
                self._call(self.client.indices.update_aliases, actions=actions)
                if current:
                    log.info("rolled %s over to %s", self.names.mentions_write, month)
                    self.apply_retention()
            self._write_month = month
            return month, created

    def mention_indices(self) -> list[str]:
        found = self._call(self.client.indices.get_alias, name=self.names.mentions, ignore_unavailable=True).body
        return sorted(i for i in found if i.startswith(self.names.mentions + "-"))

    def apply_retention(self) -> list[str]:
        """Delete monthly indices older than ``retention_months`` (the current month and the
        N before it are kept). Returns the deleted index names."""
        if not self.retention_months:
            return []
        now = self.clock()
        keep_from = now.year * 12 + now.month - 1 - self.retention_months
        expired = []
        for index in self.mention_indices():
            suffix = index[len(self.names.mentions) + 1:]
            try:
                year, month = (int(x) for x in suffix.split("."))
            except ValueError:
                continue
            if year * 12 + month - 1 < keep_from:
                expired.append(index)
        if not expired:
            return []
        # Responses, assignments and ids in incidents, timelines and alerts go with the mentions (PDPA).
        referenced = self._forget_indices(expired)
        for index in expired:
            self._call(self.client.indices.delete, index=index)
        log.info("retention: deleted %s (%d mentions that incidents, alerts or responses named)",
                 ", ".join(expired), referenced)
        return expired

    def status(self) -> dict[str, Any]:
        info = self._call(self.client.info).body
        health = self._call(self.client.cluster.health).body
        caps = self.capabilities()
        kw: TemplateOptions = {"shards": self.shards, "replicas": self.replicas, "thai": caps["thai"], "icu": caps["icu"]}
        expected = {n: template_digest(b) for n, b in component_templates(self.names, **kw).items()}
        installed = {}
        for name in expected:
            try:
                got = self.client.cluster.get_component_template(name=name).body["component_templates"][0]
                installed[name] = (got["component_template"].get("_meta") or {}).get("digest")
            except Exception:
                installed[name] = None
        indices = []
        for index in self.mention_indices() if self.client.indices.exists_alias(name=self.names.mentions) else []:
            indices.append({"index": index, "docs": self._call(self.client.count, index=index).body["count"]})
        state = {}
        for index in self.names.state_indices:
            exists = self._call(self.client.indices.exists, index=index)
            state[index] = self._call(self.client.count, index=index).body["count"] if exists else None
        return {
            "cluster": info.get("cluster_name"),
            "version": info.get("version", {}).get("number"),
            "distribution": info.get("version", {}).get("distribution", "elasticsearch"),
            "health": health.get("status"),
            "thai_analyzer": caps["thai"],
            "icu_analyzer": caps["icu"],
            "templates_current": all(installed[n] == d for n, d in expected.items()),
            "write_index": (cast("list[str | None]", self._write_indices()) or [None])[0],
            "mention_indices": indices,
            "mentions": sum(i["docs"] for i in indices),
            "state_indices": state,
            "spool_pending": self.spool.pending() if self.spool else 0,
            "spool_refused": self.spool.refused() if self.spool else 0,
        }
