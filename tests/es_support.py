"""Test support only (production code uses the stock client): a transport node for
OpenSearch-compatible test servers such as osmem-server.

The stock 9.x client sends ``application/vnd.elasticsearch+json; compatible-with=9``, which
osmem-server answers with 406; this node sends plain ``application/json`` instead.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler

from elastic_transport import Urllib3HttpNode

_COMPAT = "application/vnd.elasticsearch+"


class PlainJsonNode(Urllib3HttpNode):
    def perform_request(self, method, target, body=None, headers=None, **kwargs):
        if headers:
            headers = headers.copy()
            for name in ("accept", "content-type"):
                value = headers.get(name)
                if value and _COMPAT in value:
                    headers[name] = value.replace(_COMPAT, "application/").split(";")[0].strip()
        return super().perform_request(method, target, body=body, headers=headers, **kwargs)


def es_test_url() -> str | None:
    """A real cluster to run the contract tests against (``SADAP_TEST_ES_URL``), if any."""
    import os

    return os.environ.get("SADAP_TEST_ES_URL") or None


def make_test_store(url: str, *, prefix: str | None = None, spool_dir=None, real: bool = False, **kwargs):
    """An ElasticsearchStore with a fresh index prefix. ``real``: the stock client against a
    real cluster (``SADAP_TEST_ES_API_KEY``, ``SADAP_TEST_ES_CA`` optional)."""
    import os
    import uuid

    from elasticsearch import Elasticsearch

    from sadap.store.elasticsearch import ElasticsearchStore

    prefix = prefix or f"sadap-test-{uuid.uuid4().hex[:10]}"
    if real:
        options = {"api_key": os.environ["SADAP_TEST_ES_API_KEY"]} if os.environ.get("SADAP_TEST_ES_API_KEY") else {}
        if os.environ.get("SADAP_TEST_ES_CA"):
            options["ca_certs"] = os.environ["SADAP_TEST_ES_CA"]
        client = Elasticsearch(url, request_timeout=30, **options)
    else:
        client = Elasticsearch(url, node_class=PlainJsonNode, request_timeout=30, max_retries=0)
    kwargs.setdefault("replicas", 0)
    return ElasticsearchStore(client, prefix=prefix, spool_dir=spool_dir, label=f"test cluster {url}", **kwargs)


def drop_test_store(store) -> None:
    """Delete everything a test store created (for real clusters; osmem clones just vanish)."""
    p = store.names.prefix
    c = store.client.options(ignore_status=404)
    try:
        # By name: clusters refuse wildcard deletes (action.destructive_requires_name).
        names = sorted(c.indices.get(index=f"{p}-*", expand_wildcards="all").body)
        for i in range(0, len(names), 50):
            c.indices.delete(index=",".join(names[i:i + 50]))
        for name in store.names.state_indices + [f"{p}-mentions"]:
            c.indices.delete_index_template(name=name)
        for suffix in ("settings", "mappings", "thai"):
            c.cluster.delete_component_template(name=f"{p}-mentions-{suffix}")
    finally:
        store.close()


class ForwardingProxy(BaseHTTPRequestHandler):
    """Test support: an HTTP proxy in front of a test cluster (``target``). Subclasses decide in
    ``_forward`` what reaches the cluster and what comes back (``_body``, ``_pass``, ``_reply``)."""

    target = ""

    def _body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def _pass(self, body: bytes | None) -> tuple[int, bytes]:
        """The request, sent on to the cluster: its status and body."""
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept", "authorization")}
        req = urllib.request.Request(type(self).target + self.path, data=body, method=self.command, headers=headers)
        try:
            with urllib.request.urlopen(req) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def _reply(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _forward(self) -> None:
        self._reply(*self._pass(self._body()))

    def do_GET(self) -> None:  # noqa: N802
        self._forward()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def log_message(self, *args: object) -> None:
        pass
