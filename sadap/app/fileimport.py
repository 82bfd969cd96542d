"""Reading mentions from JSON lines or CSV files (``sadap ingest``)."""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sadap.app.csvrows import BadRow, allow_cells_of, physical_lines
from sadap.app.csvrows import rows as csv_rows
from sadap.app.sources import RECEIVED_CHANNELS
from sadap.core.errors import InputError
from sadap.core.mention import RawMention, kept_url
from sadap.core.thaidate import from_epoch, parse_thai_datetime
from sadap.core.timeutil import UTC, now_utc, parse_iso

FIELDS = ("text", "published_at", "id", "source", "url", "author", "title", "received_via")
# Published times accepted: from the Unix epoch to a day after now (clock skew, time zones).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
# How .xlsx/.ods (zip) and .xls (OLE2) files begin: a workbook given where its CSV export was meant.
_WORKBOOKS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


@dataclass
class Rejected:
    line: int
    error: str


@dataclass
class ReadStats:
    """What reading a file changed that the mentions themselves do not show."""

    surrogates_dropped: int = 0  # lone UTF-16 surrogates (e.g. JSON "\\ud800") removed
    lines_with_surrogates: list[int] = field(default_factory=list)
    lines_with_dropped_urls: list[int] = field(default_factory=list)  # a `url` not kept (javascript:, unparseable)
    encoding: str = "utf-8"


def _drop_surrogates(row: dict[str, Any]) -> int:
    """Remove lone surrogates from the row's string values in place; how many were removed."""
    dropped = 0
    for key, value in list(row.items()):
        if isinstance(value, str) and _SURROGATE.search(value):
            cleaned, n = _SURROGATE.subn("", value)
            row[key] = cleaned
            dropped += n
    return dropped


def check_published(value: datetime, now: datetime | None = None) -> datetime:
    """A published time in the accepted range, else InputError naming it."""
    now = now or now_utc()
    if value < EARLIEST:
        raise InputError(f"`published_at` {value.date().isoformat()} is before 1970-01-01 (allowed: 1970 to now)")
    if value > now + FUTURE_SLACK:
        # A Buddhist-era year written in an ISO date (2569-12-01) is 543 years ahead.
        era = (f"; {value.year} looks like a Buddhist-era year: ISO dates take the Common Era year "
               f"({value.year - 543})" if 0 <= value.year - 543 - now.year <= 1 else "")
        raise InputError(
            f"`published_at` {value.isoformat()} is in the future (more than a day after now, "
            f"{now.replace(microsecond=0).isoformat()}); check the time zone or the clock{era}"
        )
    return value


def _bad_bytes(text: str) -> int | None:
    """Where the first byte that was not UTF-8 is (decoded with ``surrogateescape``), if any."""
    found = _ESCAPED_BYTE.search(text)
    return found.start() if found else None


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
    except InputError as err:
        if not str(err).startswith("cannot read time"):  # ISO, but impossible (out of range)
            raise InputError(f"`published_at`: {err}") from None
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


def row_to_raw(row: dict[str, Any], default_source: str, now: datetime | None = None) -> RawMention:
    if not isinstance(row, dict):
        raise InputError(f"expected an object with a `text` field, got {type(row).__name__}")
    text = row.get("text")
    if text is None or (isinstance(text, str) and not text.strip()):
        raise InputError("missing `text` (required, non-empty)")
    if not isinstance(text, str):
        raise InputError(f"`text` must be a string, got {type(text).__name__}")
    published = row.get("published_at")
    published_at = None
    if published not in (None, ""):
        published_at = read_time(published)
        check_published(published_at, now)
    # Not `channel`: exports from other tools carry a `channel` of their own, kept as an extra field.
    # "Phone", "walk-in", "Web form": call-centre sheets write them as people do.
    channel = re.sub(r"[\s-]+", "_", str(row.get("received_via") or "").strip().lower()) or "file"
    if channel != "file" and channel not in RECEIVED_CHANNELS:
        raise InputError(f"`received_via`: {channel!r} is not a channel (allowed: {', '.join(RECEIVED_CHANNELS)}, "
                         "or empty for a plain import)")
    for name in ("id", "author", "source"):
        value = row.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int, float))):
            shown = "true/false" if isinstance(value, bool) else "a list" if isinstance(value, list) else "an object"
            raise InputError(f"`{name}`: {shown} is not allowed here (give a string or number)")
    extras = {k: v for k, v in row.items() if k not in FIELDS and v not in (None, "")}
    try:
        return RawMention(
            source_kind=channel,
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


def _decode(data: bytes, path: Path, stats: ReadStats) -> str:
    """UTF-8 (with or without a BOM) or UTF-16 with a BOM; other encodings are refused."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not data.startswith(codecs.BOM_UTF32_LE):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise InputError(f"{path}: UTF-16 file (by its BOM) with a bad byte at {err.start}; save it as UTF-8") from None
        stats.encoding = "utf-16"
        return text.lstrip("\ufeff")
    if data.startswith(_WORKBOOKS):
        raise InputError(f"{path}: a spreadsheet workbook (Excel, LibreOffice) or zip file, not text: save it as "
                         "CSV UTF-8 (.csv, a `text` column) or JSON lines (.jsonl)")
    if data.startswith(codecs.BOM_UTF32_LE) or data.startswith(codecs.BOM_UTF32_BE):
        raise InputError(f"{path}: UTF-32 text is not supported; save the file as UTF-8")
    head = data[:4096]
    if head and head.count(b"\x00") * 4 > len(head):
        raise InputError(f"{path}: looks like UTF-16 without a byte order mark; save the file as UTF-8 (or UTF-16 with a BOM)")
    text = data.decode("utf-8", errors="surrogateescape")
    return text[1:] if text.startswith("\ufeff") else text


def read_file(
    path: str | Path, stats: ReadStats | None = None, *, source: str | None = None
) -> Iterator[tuple[int, RawMention | Rejected]]:
    """Yield (line number, mention or rejection). CSV line numbers count the header as line 1.

    ``stats`` (if given) collects what reading changed: lone surrogates dropped, the encoding.
    ``source``: the source name of rows without one (default: the file name without its suffix)."""
    path = Path(path)
    stats = stats if stats is not None else ReadStats()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    text = _decode(data, path, stats)
    source = source or path.stem
    now = now_utc()
    if path.suffix.lower() == ".csv":
        yield from _read_csv(text, source, path, stats, now)
    else:
        yield from _read_jsonl(text, source, stats, now)


def _convert(number: int, row: object, source: str, stats: ReadStats, now: datetime) -> RawMention | Rejected:
    if isinstance(row, dict):
        dropped = _drop_surrogates(row)
        if dropped:
            stats.surrogates_dropped += dropped
            stats.lines_with_surrogates.append(number)
    try:
        raw = row_to_raw(row, source, now)  # type: ignore[arg-type]
    except InputError as err:
        return Rejected(number, str(err))
    if raw.url and not kept_url(raw.url):  # stored without its link: said in the summary
        stats.lines_with_dropped_urls.append(number)
    return raw


def _read_jsonl(text: str, source: str, stats: ReadStats, now: datetime) -> Iterator[tuple[int, RawMention | Rejected]]:
    for number, line in enumerate(physical_lines(text), start=1):
        line = line.rstrip("\r\n")
        body = line.strip()  # also drops a stray separator (U+2028, \x0c …) around the record
        if not body:
            continue
        bad = _bad_bytes(line)
        if bad is not None:
            yield number, Rejected(number, f"not UTF-8 text (column {bad + 1}); save the file as UTF-8")
            continue
        try:
            row = json.loads(body)
        except json.JSONDecodeError as err:
            lead = len(line) - len(line.lstrip())
            yield number, Rejected(number, f"not valid JSON: {err.msg} (column {err.colno + lead})")
            continue
        except RecursionError:
            yield number, Rejected(number, "not valid JSON: nested too deeply")
            continue
        yield number, _convert(number, row, source, stats, now)


def _read_csv(
    text: str, source: str, path: Path, stats: ReadStats, now: datetime
) -> Iterator[tuple[int, RawMention | Rejected]]:
    """Rows, each numbered by the line it starts on. An unterminated quote (which would make
    every following line one value) rejects the row it starts and the lines after it are
    read again as rows. So does a quote closed only lines later when the lines it took in
    look like rows of their own (``_looks_like_row``): a value that ran on over whole rows."""
    allow_cells_of(text)  # a long post is a long cell: read it, as JSON lines read it
    lines = physical_lines(text)  # a quoted value may hold U+2028 & co.: only line ends split rows
    header_reader = csv.reader(lines[:1])
    header = next(header_reader, [])
    if "text" not in header:
        raise InputError(f"{path}:1: CSV header has no `text` column (columns: {', '.join(header) or 'none'})")
    named = [name for name in header if name.strip()]  # blank names (trailing commas) are not compared
    twice = next((name for i, name in enumerate(named) if name in named[:i]), None)
    if twice is not None:
        where = [str(i) for i, name in enumerate(header, start=1) if name == twice]
        raise InputError(
            f"{path}:1: CSV header names column `{twice}` {len(where)} times (columns {', '.join(where)}); "
            "column names must be unique: rename or remove the extra one"
        )
    for number, values in csv_rows(lines, _looks_like_row(header, source, now)):
        if isinstance(values, BadRow):
            yield number, Rejected(number, str(values))
            continue
        if not values or not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            yield number, Rejected(number, f"more values than header columns ({len(header)})")
            continue
        row = dict(zip(header, values + [""] * (len(header) - len(values))))
        bad = _bad_bytes(" ".join(v for v in values if v))
        if bad is not None:
            yield number, Rejected(number, "not UTF-8 text; save the file as UTF-8")
            continue
        yield number, _convert(number, row, source, stats, now)


_ID_LIKE = re.compile(r"[A-Za-z0-9_.:/#-]{1,200}")


def _looks_like_row(header: list[str], source: str, now: datetime) -> Callable[[list[str]], bool]:
    """Whether a line that a quoted value ran on over looks like a whole row: as many values as the
    header, a valid mention, at least one of the file's structured columns filled, each in the shape
    it takes (``id`` an ASCII token, ``published_at`` a time, ``url`` http/https). A long post's own
    line breaks rarely make such lines; a file without any of those columns cannot tell, so no line
    looks like a row there."""
    checks = [c for c in ("id", "published_at", "url") if c in header]

    def looks(values: list[str]) -> bool:
        if not checks or len(header) < 2 or len(values) != len(header):
            return False
        row = {k: v.strip() for k, v in zip(header, values)}
        if not any(row[c] for c in checks):
            return False
        if row.get("id") and not _ID_LIKE.fullmatch(row["id"]):
            return False
        if row.get("url") and not row["url"].lower().startswith(("http://", "https://")):
            return False
        try:
            row_to_raw(row, source, now)
        except InputError:
            return False
        return True

    return looks
