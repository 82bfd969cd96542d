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


# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> str:
    """``value`` as a CSV cell a spreadsheet shows as text: one that would start a formula gets
    a leading ``'`` (what Excel and LibreOffice read as "text"); :func:`from_spreadsheet_cell`
    takes it off again."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in _FORMULA_STARTS else text


def from_spreadsheet_cell(text: str) -> str:
    """A cell :func:`spreadsheet_cell` wrote, as it was."""
    return text[1:] if text[:1] == "'" and text[1:2] in _FORMULA_STARTS else text


def _cell(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return spreadsheet_cell(json.dumps(value, ensure_ascii=False))
    return spreadsheet_cell(value)
