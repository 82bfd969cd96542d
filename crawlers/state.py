"""A small JSON state per source, so re-crawls fetch only what is new.

Where it lives: the ``SADAP_STATE_DIR`` setting (``sadap crawl`` and ``sadap run`` set it to
``<data_dir>/crawl-state``), or ``-a state_dir=...`` when a spider runs alone. One file per
source: ``<state_dir>/<kind>-<source>.json``. Without either, a spider crawls everything
each time (duplicates are still dropped by the store). The file is written when the spider
closes, atomically; an unreadable one is logged and the crawl starts afresh.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


class SourceState:
    """A JSON object kept between crawls of one source (``data``), saved with :meth:`save`."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.data: dict[str, Any] = {}
        if path is not None and path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                logger.warning("%s: crawl state unreadable (%s); crawling everything again", path, err)
            else:
                if isinstance(loaded, dict):
                    self.data = loaded
                else:
                    logger.warning("%s: crawl state is not a JSON object; crawling everything again", path)

    @classmethod
    def for_source(cls, state_dir: str | os.PathLike[str] | None, kind: str, source: str) -> SourceState:
        if not state_dir:
            return cls(None)
        safe = re.sub(r"[^A-Za-z0-9_\-]", "_", source)
        return cls(Path(state_dir) / f"{kind}-{safe}.json")

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)
