"""The last crawl of each source, kept for the workspace's Sources page: when it started and
finished, items seen, new ones stored, errors and the first error's message.

Kept in the store (SQLite table ``crawl_reports``; Elasticsearch index ``<prefix>-crawls``), one
record per source replaced by its next crawl, so a workspace on another machine than the crawls
sees them. Written by every ``sadap crawl`` (and so by ``sadap run`` and the demo); a crawl
process that dies before it can write is recorded by ``sadap run``. Error messages are the log
lines Sadap already writes, which never hold a secret.

Earlier versions kept one JSON file per source in ``<data_dir>/crawl-reports/``: the first
:func:`load_reports` that finds that folder copies its reports into the store (where the store
has none as recent) and renames it ``crawl-reports.imported``.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from sadap.store import Store

log = logging.getLogger(__name__)

FOLDER = "crawl-reports"
MAX_MESSAGE = 300


def save_report(
    store: Store, source: str, *, started: datetime, finished: datetime, items: int = 0, new: int = 0,
    errors: int = 0, first_error: str | None = None,
) -> dict[str, Any]:
    """Record ``source``'s crawl (replacing its previous one); returns what was written."""
    report = {
        "source": source, "started_at": started.isoformat(), "finished_at": finished.isoformat(),
        "items": int(items), "new": int(new), "errors": int(errors),
        "first_error": " ".join(first_error.split())[:MAX_MESSAGE] if first_error else None,
    }
    store.save_crawl_report(report)
    return report


def _parsed(data: Any) -> dict[str, Any] | None:
    if not isinstance(data, dict) or not isinstance(data.get("source"), str):
        return None
    try:
        return {**data, "started_at": datetime.fromisoformat(data["started_at"]),
                "finished_at": datetime.fromisoformat(data["finished_at"])}
    except (KeyError, TypeError, ValueError):
        return None


def load_reports(store: Store, data_path: Path | None = None) -> dict[str, dict[str, Any]]:
    """The last crawl report of each source that has one, by source name (``started_at`` and
    ``finished_at`` as datetimes). With ``data_path``, reports left as files by earlier versions
    are moved into the store first (once)."""
    if data_path is not None:
        import_files(store, data_path)
    found: dict[str, dict[str, Any]] = {}
    for data in store.crawl_reports():
        report = _parsed(data)
        if report is None:
            log.warning("crawl report %r in the store is unreadable; ignored", str(data)[:80])
            continue
        found[report["source"]] = report
    return found


def import_files(store: Store, data_path: Path) -> int:
    """Copy ``<data_path>/crawl-reports/*.json`` into the store where it has nothing as recent,
    then rename the folder ``crawl-reports.imported``; returns how many were copied."""
    folder = data_path / FOLDER
    if not folder.is_dir():
        return 0
    have = {r["source"]: r for r in (_parsed(d) for d in store.crawl_reports()) if r is not None}
    copied = 0
    for path in sorted(folder.glob("*.json")):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            log.warning("%s: unreadable crawl report (%s); ignored", path, err)
            continue
        report = _parsed(raw)
        if report is None:
            log.warning("%s: not a crawl report; ignored", path)
            continue
        newer = have.get(report["source"])
        if newer is None or newer["finished_at"] < report["finished_at"]:
            store.save_crawl_report(raw)
            copied += 1
    try:
        folder.rename(data_path / f"{FOLDER}.imported")
    except OSError as err:  # read again next time: only reports newer than the store's are copied
        log.warning("%s: crawl reports copied into the store, but the folder could not be renamed: %s", folder, err)
        return copied
    log.info("%d crawl report(s) moved from %s into the store", copied, folder)
    return copied
