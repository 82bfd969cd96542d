"""CSV rows that survive a bad one: an unterminated quote costs its own row, not every row after it,
and a long cell is read whatever its length (``sadap ingest``'s CSV, :mod:`sadap.app.fileimport`,
and the stakeholder registry's import; each says what a whole row looks like)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator


def allow_cells_of(text: str) -> None:
    """Let the csv module read a cell as long as ``text``: its default limit (131,072 characters)
    would refuse a long post or note that JSON takes. The limit is the process's; only raised."""
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))


def physical_lines(text: str) -> list[str]:
    r"""The file's lines, each with its ending: a line ends at ``\n``, ``\r\n`` or ``\r`` only (as
    ``open(newline="")`` reads), never at the other characters :meth:`str.splitlines` breaks at
    (U+2028, U+2029, U+0085, ``\x0b``, ``\x0c``, ``\x1c``–``\x1e``), which sit inside pasted text
    and which ``json.dumps(ensure_ascii=False)`` writes raw. So line N is the Nth line an editor shows."""
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
                    last = number + span - 1
                    shown = ", ".join(map(str, inside[:5])) + (", …" if len(inside) > 5 else "")
                    yield number, BadRow(
                        f"quote (\") opened in this row closes only on line {last}: the value ran on over "
                        f"line(s) {shown}, which look like rows of their own; this row is skipped and lines "
                        f"{number + 1}–{last} are read as rows — close the quote on this line")
                    start = number
                    break
                yield number, values
            else:
                return
        except csv.Error as err:
            number = start + consumed + 1
            if "unexpected end of data" in str(err):
                swallowed = len(lines) - start - consumed
                yield number, BadRow(f"unterminated quote (\") in this row: it would run to the end of the file "
                                     f"({swallowed} lines); close the quote — the lines after it are read as rows")
            else:
                yield number, BadRow(f"bad CSV quoting: {err}")
            start = number
