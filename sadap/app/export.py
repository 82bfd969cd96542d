"""``sadap mentions export``: stored mentions as JSON lines or CSV, all the fields
``sadap search --json`` shows."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

from sadap.core.mention import Mention
from sadap.store import MentionFilter, open_store

# What `search --json` leaves out: search tokens and the SimHash are internal.
HIDDEN = frozenset({"tokens", "simhash"})
COLUMNS = tuple(name for name in Mention.model_fields if name not in HIDDEN)
PAGE = 500


def mention_row(mention: Mention) -> dict[str, Any]:
    """One mention as ``search --json`` shows it."""
    return mention.model_dump(mode="json", exclude=set(HIDDEN))


def iter_mentions(store: Any, flt: MentionFilter) -> Iterator[Mention]:
    after: str | None = None
    while True:
        page = store.page_by_id(flt, after=after, limit=PAGE)
        if not page:
            return
        yield from page
        after = page[-1].id


def export_mentions(config: Any, flt: MentionFilter, out: TextIO, fmt: str = "jsonl") -> int:
    """Write the mentions ``flt`` selects to ``out``; the number written."""
    if fmt not in ("jsonl", "csv"):
        raise ValueError(f"unknown export format {fmt!r} (use jsonl or csv)")
    count = 0
    with open_store(config) as store:
        writer = csv.DictWriter(out, fieldnames=COLUMNS) if fmt == "csv" else None
        if writer is not None:
            writer.writeheader()
        for mention in iter_mentions(store, flt):
            row = mention_row(mention)
            if writer is None:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                writer.writerow({key: _cell(row.get(key)) for key in COLUMNS})
            count += 1
    return count


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value
