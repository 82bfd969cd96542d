"""Reading mentions from JSON lines or CSV files (``sadap ingest``)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from sadap.core.errors import InputError
from sadap.core.mention import RawMention
from sadap.core.thaidate import from_epoch, parse_thai_datetime
from sadap.core.timeutil import parse_iso

FIELDS = ("text", "published_at", "id", "source", "url", "author", "title")


@dataclass
class Rejected:
    line: int
    error: str


def _bad_bytes(text: str) -> int | None:
    for i, ch in enumerate(text):
        if "\udc80" <= ch <= "\udcff":
            return i
    return None


def read_time(value: object) -> datetime:
    """A ``published_at`` value: ISO 8601 (naive means Bangkok), a Thai date as Thai sites
    write it (``1 ธ.ค. 2569 10:30``, ``01/12/2569 10:30``: day first), or epoch seconds."""
    if isinstance(value, bool):
        raise InputError(f"`published_at`: {value!r} is not a time")
    if isinstance(value, (int, float)):
        try:
            return from_epoch(value)
        except InputError as err:
            raise InputError(f"`published_at`: {err}") from None
    text = str(value)
    try:
        return parse_iso(text)
    except InputError:
        pass
    try:
        found = parse_thai_datetime(text)
    except InputError as err:
        raise InputError(f"`published_at`: {err}") from None
    if found is None:
        raise InputError(
            f"`published_at`: cannot read time {text!r}: use ISO 8601 (2026-12-01T10:30:00+07:00), "
            "a Thai date (1 ธ.ค. 2569 10:30 or 01/12/2569 10:30, day first) or epoch seconds"
        )
    return found


def row_to_raw(row: dict, default_source: str) -> RawMention:
    if not isinstance(row, dict):
        raise InputError(f"expected an object with a `text` field, got {type(row).__name__}")
    text = row.get("text")
    if text is None or (isinstance(text, str) and not text.strip()):
        raise InputError("missing `text` (required, non-empty)")
    if not isinstance(text, str):
        raise InputError(f"`text` must be a string, got {type(text).__name__}")
    published = row.get("published_at")
    published_at = read_time(published) if published not in (None, "") else None
    extras = {k: v for k, v in row.items() if k not in FIELDS and v not in (None, "")}
    try:
        return RawMention(
            source_kind="file",
            source_name=str(row.get("source") or default_source),
            text=text,
            native_id=str(row["id"]) if row.get("id") not in (None, "") else None,
            url=row.get("url") or None,
            author=str(row["author"]) if row.get("author") not in (None, "") else None,
            title=row.get("title") or None,
            published_at=published_at,
            extras=extras,
        )
    except ValidationError as err:
        first = err.errors()[0]
        raise InputError(f"`{'.'.join(map(str, first['loc']))}`: {first['msg']}") from None


def read_file(path: str | Path) -> Iterator[tuple[int, RawMention | Rejected]]:
    """Yield (line number, mention or rejection). CSV line numbers count the header as line 1."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    text = data.decode("utf-8", errors="surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    source = path.stem
    if path.suffix.lower() == ".csv":
        yield from _read_csv(text, source, path)
    else:
        yield from _read_jsonl(text, source)


def _read_jsonl(text: str, source: str) -> Iterator[tuple[int, RawMention | Rejected]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        bad = _bad_bytes(line)
        if bad is not None:
            yield number, Rejected(number, f"not UTF-8 text (column {bad + 1}); save the file as UTF-8")
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            yield number, Rejected(number, f"not valid JSON: {err.msg} (column {err.colno})")
            continue
        try:
            yield number, row_to_raw(row, source)
        except InputError as err:
            yield number, Rejected(number, str(err))


def _read_csv(text: str, source: str, path: Path) -> Iterator[tuple[int, RawMention | Rejected]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    if "text" not in header:
        raise InputError(f"{path}:1: CSV header has no `text` column (columns: {', '.join(header) or 'none'})")
    for row in reader:
        number = reader.line_num
        if None in row:
            yield number, Rejected(number, f"more values than header columns ({len(header)})")
            continue
        values = " ".join(v for v in row.values() if v)
        bad = _bad_bytes(values)
        if bad is not None:
            yield number, Rejected(number, "not UTF-8 text; save the file as UTF-8")
            continue
        try:
            yield number, row_to_raw(row, source)
        except InputError as err:
            yield number, Rejected(number, str(err))
