"""CSV rows that survive a bad one: an unterminated quote costs its own row, not every row after it,
and a long cell is read whatever its length (for the stakeholder registry's import; ``sadap
ingest`` reads mentions with its own checks in :mod:`sadap.app.fileimport`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator


def allow_cells_of(text: str) -> None:
    """Let the csv module read a cell as long as ``text``: its default limit (131,072 characters)
    would refuse a long post or note that JSON takes. The limit is the process's; only raised."""
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))


def physical_lines(text: str) -> list[str]:
    r"""The file's lines with their endings; a line ends at ``\n``, ``\r\n`` or ``\r`` only."""
    return io.StringIO(text, newline="").readlines()


class BadRow(str):
    """A row that could not be read: the reason, in one line."""


def rows(
    lines: list[str], looks_like_row: Callable[[list[str]], bool]
) -> Iterator[tuple[int, list[str] | BadRow]]:
    """(line number, values) for each row after the header (``lines[0]``), numbered by the line
    it starts on, or (line number, :class:`BadRow`) for a row that opened a quote and did not
    close it on its line while a later line it took in ``looks_like_row`` (or the quote never
    closed): the lines after its first are then read again as rows."""
    start = 1  # index into lines of the next line to read
    while start < len(lines):
        reader = csv.reader(lines[start:], strict=True)
        consumed = 0
        try:
            for values in reader:
                number = start + consumed + 1
                consumed = reader.line_num
                span = consumed - (number - start - 1)
                taken = lines[number:number - 1 + span]
                inside = [number + i for i, line in enumerate(taken, start=1) if looks_like_row(next(csv.reader([line]), []))]
                if inside:
                    shown = ", ".join(map(str, inside[:5])) + (", …" if len(inside) > 5 else "")
                    yield number, BadRow(f"quote (\") opened in this row closes only on line {number + span - 1}: the "
                                         f"value ran on over line(s) {shown}, which look like rows of their own; this "
                                         "row is skipped and the lines after it are read as rows — close the quote")
                    start = number
                    break
                yield number, values
            else:
                return
        except csv.Error as err:
            number = start + consumed + 1
            if "unexpected end of data" in str(err):
                yield number, BadRow("unterminated quote (\") in this row: it would run to the end of the file; close "
                                     "the quote — row skipped, the lines after it are read as rows")
            else:
                yield number, BadRow(f"bad CSV quoting: {err} — row skipped")
            start = number
