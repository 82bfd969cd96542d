"""``sadap es`` and ``sadap kibana``: set up and inspect the Elasticsearch store, provision Kibana."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sadap.app.cli.common import _dump, _load, config_option, handled
from sadap.app.kibana import export, ndjson, provision
from sadap.core.errors import ConfigError, SadapError

if TYPE_CHECKING:
    from sadap.store.elasticsearch import ElasticsearchStore


def _es_store(config_path: str | None) -> ElasticsearchStore:
    config = _load(config_path)
    if config.store.backend != "elasticsearch":
        where = config.path or "the built-in defaults"
        raise ConfigError(f"{where}: store.backend is {config.store.backend!r}; set it to `elasticsearch` to use `sadap es`")
    from sadap.store.elasticsearch import ElasticsearchStore

    return ElasticsearchStore.from_config(config)


@click.group()
def es() -> None:
    """Elasticsearch store: set up templates and indices, check status, replay the spool."""


@es.command("setup")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--rebuild-seen-terms", is_flag=True,
              help="Empty new_term's seen-terms index and fill it again from the stored mentions (stop ingest meanwhile).")
@handled
def es_setup(config_path: str | None, as_json: bool, rebuild_seen_terms: bool) -> None:
    """Install index templates, create the state indices and this month's mentions index
    behind its aliases (safe to run again; it also applies `retention_months`). The seen-terms
    index is (re)built from the stored mentions when it has an older layout, is not marked
    complete, or when asked."""
    with _es_store(config_path) as store:
        report = store.setup(rebuild_seen_terms=rebuild_seen_terms)
    if as_json:
        _dump(report)
        return
    click.echo(f"ok: write index {report['write_index']} · templates {len(report['templates'])}")
    click.echo(f"thai analyzer: {'yes' if report['thai_analyzer'] else 'no'} · ICU: {'yes' if report['icu_analyzer'] else 'no'}")
    for name in report["created"]:
        click.echo(f"  created {name}")
    for name in report["deleted"]:
        click.echo(f"  deleted (retention) {name}")
    if "seen_terms_built_from" in report:
        click.echo(f"  seen terms built from {report['seen_terms_built_from']} mentions")


@es.command("status")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@handled
def es_status(config_path: str | None, as_json: bool) -> None:
    """Cluster health, indices and document counts, template drift, spooled mentions."""
    from sadap.store.elasticsearch import StoreUnavailable

    with _es_store(config_path) as store:
        try:
            st = store.status()
        except StoreUnavailable as err:
            # Unreachable: say so in one line, and show what waits in the spool.
            pending = store.spool.pending() if store.spool else 0
            folder = str(store.spool.folder) if store.spool else None
            if as_json:
                _dump({"reachable": False, "error": str(err), "spool_pending": pending, "spool_dir": folder})
                raise SystemExit(1)
            raise SadapError(
                f"{err}; spooled: {pending} mentions waiting in {folder or '-'} (stored when it is back, or by `sadap es replay`)"
            ) from None
    st["reachable"] = True
    if as_json:
        _dump(st)
        return
    click.echo(f"cluster {st['cluster']} ({st['distribution']} {st['version']}): {st['health']}")
    refused = f" · refused on replay: {st['spool_refused']} (refused-*.jsonl in the spool)" if st.get("spool_refused") else ""
    click.echo(f"write index: {st['write_index'] or '-'} · mentions: {st['mentions']} · spooled: {st['spool_pending']}{refused}")
    click.echo(f"templates current: {'yes' if st['templates_current'] else 'no (run `sadap es setup`)'}")
    for row in st["mention_indices"]:
        click.echo(f"  {row['index']}: {row['docs']}")
    if st.get("seen_terms_pending") or not st.get("seen_terms_ready", True):
        click.echo(f"seen terms: {'ready' if st['seen_terms_ready'] else 'not ready (run `sadap es setup`)'}"
                   f" · cells waiting: {st['seen_terms_pending']}")
    for name, n in st["state_indices"].items():
        click.echo(f"  {name}: {'missing' if n is None else n}")


@es.command("replay")
@config_option
@handled
def es_replay(config_path: str | None) -> None:
    """Store the mentions spooled while the cluster was unreachable (also done on every write)."""
    with _es_store(config_path) as store:
        n = store.replay_spool()
    click.echo(f"replayed {n} mentions")


@es.command("templates")
@click.argument("folder", type=click.Path(file_okay=False), default="infra/elasticsearch")
@config_option
@handled
def es_templates(folder: str, config_path: str | None) -> None:
    """Write the index and component templates as JSON files into FOLDER (for review or other tools)."""
    from sadap.store.es_mappings import export

    config = _load(config_path)
    for path in export(Path(folder), config.store.elasticsearch.index_prefix):
        click.echo(f"wrote {path}")


# -- kibana ------------------------------------------------------------------------------
@click.group()
def kibana() -> None:
    """Kibana: import Sadap's data views and Thai dashboards, or regenerate their NDJSON."""


@kibana.command("provision")
@config_option
@click.option("--url", default=lambda: os.environ.get("SADAP_KIBANA_URL", "http://localhost:5601"),
              show_default="$SADAP_KIBANA_URL or http://localhost:5601", help="Kibana base URL.")
@click.option("--space", default=None, help="Kibana space id (default: the default space).")
@click.option("--api-key-env", default="SADAP_KIBANA_API_KEY", show_default=True,
              help="Environment variable holding a Kibana/Elasticsearch API key (encoded form).")
@click.option("--user", default=None, help="Basic-auth user (when no API key is set).")
@click.option("--password-env", default="SADAP_KIBANA_PASSWORD", show_default=True,
              help="Environment variable holding the basic-auth password.")
@click.option("--ca-certs", type=click.Path(dir_okay=False, exists=True), default=None, help="CA bundle for Kibana's TLS.")
@click.option("--insecure", is_flag=True, help="Do not verify Kibana's TLS certificate (labs only).")
@click.option("--file", "ndjson_file", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Import this NDJSON instead of the objects generated for the configured index prefix.")
@handled
def kibana_provision(
    config_path: str | None,
    url: str | None,
    space: str | None,
    api_key_env: str,
    user: str | None,
    password_env: str,
    ca_certs: str | None,
    insecure: bool,
    ndjson_file: str | None,
) -> None:
    """Import the data views and dashboards through Kibana's saved objects API
    (overwrite=true: running it again updates them in place)."""

    if ndjson_file:
        data = Path(ndjson_file).read_text(encoding="utf-8")
    else:
        data = ndjson(_load(config_path).store.elasticsearch.index_prefix)
    api_key = os.environ.get(api_key_env) if api_key_env else None
    basic = None
    if not api_key and user:
        password = os.environ.get(password_env)
        if not password:
            raise SadapError(f"--user {user}: set the password in ${password_env}")
        basic = (user, password)
    if not url:
        raise SadapError("give --url (or set $SADAP_KIBANA_URL): where Kibana answers")
    result = provision(url, data, space=space, api_key=api_key, basic_auth=basic, verify=not insecure, ca_certs=ca_certs)
    click.echo(f"ok: imported {result['imported']} saved objects into {result['url'].rsplit('/api/', 1)[0]}")


@kibana.command("export")
@click.option("--out", type=click.Path(dir_okay=False), default="infra/kibana/sadap.ndjson", show_default=True, help="Output file.")
@click.option("--prefix", default="sadap", show_default=True, help="Index prefix the data views point at.")
@handled
def kibana_export(out: str, prefix: str) -> None:
    """Regenerate the saved objects NDJSON from their source (sadap/app/kibana.py)."""

    path = export(Path(out), prefix)
    click.echo(f"wrote {path}")
