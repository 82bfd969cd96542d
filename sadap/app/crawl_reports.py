"""The last crawl of each source, kept for the workspace's Sources page: when it started and
finished, items seen, new ones stored, errors and the first error's message.

One small JSON file per source in ``<data_dir>/crawl-reports/`` (written atomically, mode 0600),
so crawls of several sources running side by side (``sadap run`` starts each in its own
process) never overwrite each other. Written by every ``sadap crawl`` (and so by ``sadap run``
and the demo); a crawl process that dies before it can write is recorded by ``sadap run``.
Error messages are the log lines Sadap already writes, which never hold a secret.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from sadap.core.files import open_private, private_dir

log = logging.getLogger(__name__)

FOLDER = "crawl-reports"
MAX_MESSAGE = 300


def _path(data_path: Path, source: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_\-]", "_", source)[:100]
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()[:8]  # two names with one safe form stay apart
    return data_path / FOLDER / f"{safe}-{digest}.json"


def save_report(
    data_path: Path, source: str, *, started: datetime, finished: datetime, items: int = 0, new: int = 0,
    errors: int = 0, first_error: str | None = None,
) -> dict[str, Any]:
    """Record ``source``'s crawl (replacing its previous one); returns what was written."""
    report = {
        "source": source, "started_at": started.isoformat(), "finished_at": finished.isoformat(),
        "items": int(items), "new": int(new), "errors": int(errors),
        "first_error": " ".join(first_error.split())[:MAX_MESSAGE] if first_error else None,
    }
    path = _path(data_path, source)
    private_dir(path.parent)
    tmp = path.with_suffix(".tmp")
    with open_private(tmp) as f:
        json.dump(report, f, ensure_ascii=False)
    os.replace(tmp, path)
    return report


def load_reports(data_path: Path) -> dict[str, dict[str, Any]]:
    """The last crawl report of each source that has one, by source name."""
    folder = data_path / FOLDER
    found: dict[str, dict[str, Any]] = {}
    if not folder.is_dir():
        return found
    for path in folder.glob("*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["started_at"] = datetime.fromisoformat(data["started_at"])
            data["finished_at"] = datetime.fromisoformat(data["finished_at"])
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.warning("%s: unreadable crawl report (%s); ignored", path, err)
            continue
        if isinstance(data.get("source"), str):
            found[data["source"]] = data
    return found
