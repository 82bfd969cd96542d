"""``sadap ingest``: a file of mentions into the store, in committed batches, so that an
interrupted import re-run stores each mention exactly once."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from enrich.parallel import default_workers
from sadap.app.config import Config
from sadap.app.fileimport import ReadStats, Rejected, read_file
from sadap.app.ingest import BatchResult, IngestPipeline
from sadap.core.mention import RawMention

PROGRESS_EVERY = 2000


def file_source_name(config: Config, path: str | Path) -> str | None:
    """The name of the ``file`` source configured for ``path``, if one is: its rows without a
    ``source`` are that source's, whether `sadap run` or `sadap ingest` imports the file."""
    target = Path(path).resolve()
    for source in config.sources:
        if source.kind == "file" and (config.base_dir / source.url).resolve() == target:
            return source.name
    return None


def import_file(
    config: Config,
    path: str | Path,
    *,
    batch_size: int = 500,
    progress: bool = False,
    pipeline: IngestPipeline | None = None,
    history: bool = False,
    workers: int | None = None,
) -> dict[str, Any]:
    """Import ``path``. ``history=True``: past data, each mention collected when it was
    published and no alert fired (``sadap playbooks test`` then replays it). ``workers``:
    enrichment processes (default one per core; 1 enriches in this process)."""
    source = file_source_name(config, path)
    own = pipeline is None
    pipeline = pipeline or IngestPipeline(config, history=history, workers=workers or default_workers())
    total = BatchResult()
    rejected: list[dict[str, Any]] = []
    stats = ReadStats()
    started = time.monotonic()
    records = 0

    def batches() -> Iterator[list[RawMention]]:
        nonlocal records
        batch: list[RawMention] = []
        for _number, item in read_file(path, stats, source=source):
            records += 1
            if isinstance(item, Rejected):
                rejected.append({"line": item.line, "error": item.error})
            else:
                batch.append(item)
            if len(batch) >= batch_size:
                yield batch
                batch = []
            if progress and records % PROGRESS_EVERY == 0:
                rate = records / max(time.monotonic() - started, 1e-9)
                erased = f", {total.erased} erased on request" if total.erased else ""
                print(f"… {records} lines, {total.stored} stored{erased} ({rate:.0f}/s)", file=sys.stderr, flush=True)
        if batch:
            yield batch

    try:
        for result in pipeline.process_all(batches()):
            total.add(result)
    finally:
        if own:
            pipeline.close()
    report = {
        "read": records,
        "stored": total.stored,
        "duplicates": total.duplicates,
        "near_duplicates": total.near_duplicates,
        "spooled": total.spooled,
        "refused": total.refused,
        "erased": total.erased,
        "rejected": rejected,
        "surrogates_dropped": stats.surrogates_dropped,
        "urls_dropped": len(stats.lines_with_dropped_urls),
        "url_dropped_lines": stats.lines_with_dropped_urls[:100],
        "encoding": stats.encoding,
        "alerts": len(total.alerts),
    }
    if history:
        report["history"] = True
    return report
