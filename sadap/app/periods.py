"""The periods the CRM reports cover (standard 004: follow up each quarter, evaluate each year): a
quarter or a whole year in Asia/Bangkok, calendar or fiscal (the Thai government's ปีงบประมาณ,
October–September, named by the year it ends), with their months and their Thai names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sadap.core.errors import InputError
from sadap.core.timeutil import BANGKOK, UTC

_QUARTER = re.compile(r"^\s*(FY|fy|Fy)?\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")
_YEAR = re.compile(r"^\s*(FY|fy|Fy)?\s*(\d{4})\s*$")
THAI_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")


@dataclass(frozen=True)
class Period:
    """A quarter, or with ``quarter`` None a whole year, in Asia/Bangkok: ``[since, until)`` in
    UTC, with its months. ``first_month``: the month the organisation's year begins (1: calendar
    years; 10: the Thai government's fiscal year, ปีงบประมาณ, named by the year it ends: quarter 1
    of 2027 is October–December 2026, the year 2027 October 2026–September 2027)."""

    year: int
    quarter: int | None = None
    first_month: int = 1

    @property
    def fiscal(self) -> bool:
        return self.first_month != 1

    @property
    def is_year(self) -> bool:
        return self.quarter is None

    @property
    def label(self) -> str:
        fy = "FY" if self.fiscal else ""
        return f"{fy}{self.year}" if self.quarter is None else f"{fy}{self.year}Q{self.quarter}"

    @property
    def unit_th(self) -> str:
        """What the period is called in a sentence: ``ไตรมาส``, ``ปี`` or ``ปีงบประมาณ``
        (``เพิ่มขึ้นจากปีงบประมาณก่อน``, ``ในไตรมาสนี้``)."""
        if self.quarter is not None:
            return "ไตรมาส"
        return "ปีงบประมาณ" if self.fiscal else "ปี"

    @property
    def label_th(self) -> str:
        be = self.year + 543
        if self.quarter is None:
            return f"{self.unit_th} {be}"
        if self.fiscal:
            return f"ไตรมาส {self.quarter} ปีงบประมาณ {be}"
        return f"ไตรมาส {self.quarter}/{be}"

    @property
    def month_count(self) -> int:
        return 3 if self.quarter is not None else 12

    def _start(self, month_offset: int) -> datetime:
        month0 = (self.first_month - 1) + ((self.quarter or 1) - 1) * 3 + month_offset
        year = self.year - (1 if self.fiscal else 0) + month0 // 12
        return datetime(year, month0 % 12 + 1, 1, tzinfo=BANGKOK).astimezone(UTC)

    @property
    def since(self) -> datetime:
        return self._start(0)

    @property
    def until(self) -> datetime:
        return self._start(self.month_count)

    def months(self) -> list[tuple[str, datetime, datetime]]:
        """``(Thai month label, since, until)`` for each of the period's months."""
        out = []
        for i in range(self.month_count):
            start, end = self._start(i), self._start(i + 1)
            local = start.astimezone(BANGKOK)
            out.append((f"{THAI_MONTHS[local.month - 1]} {local.year + 543 - 2500}", start, end))
        return out

    def quarters(self) -> list[Period]:
        """A year's four quarters (a quarter: itself)."""
        if self.quarter is not None:
            return [self]
        return [Period(self.year, q, self.first_month) for q in (1, 2, 3, 4)]

    @property
    def dates_th(self) -> str:
        """The first and last day as Thai staff write them: ``1 ต.ค. – 31 ธ.ค. 2569``, with the
        first day's year too when it is another (``1 ต.ค. 2569 – 30 ก.ย. 2570``)."""
        first, last = self.since.astimezone(BANGKOK), (self.until.astimezone(BANGKOK) - timedelta(days=1))
        start = thai_date(first) if first.year != last.year else f"{first.day} {THAI_MONTHS[first.month - 1]}"
        return f"{start} – {thai_date(last)}"

    def previous(self) -> Period:
        if self.quarter is None:
            return Period(self.year - 1, None, self.first_month)
        if self.quarter == 1:
            return Period(self.year - 1, 4, self.first_month)
        return Period(self.year, self.quarter - 1, self.first_month)


def thai_date(at: datetime, time: bool = False) -> str:
    """``7 ธ.ค. 2569`` (``7 ธ.ค. 2569 21:54 น.`` with ``time``), in Asia/Bangkok."""
    local = at.astimezone(BANGKOK)
    out = f"{local.day} {THAI_MONTHS[local.month - 1]} {local.year + 543}"
    return f"{out} {local:%H:%M} น." if time else out


def _year(text: str, option: str, value: str) -> int:
    year = int(value)
    if year >= 2400:  # Buddhist era
        year -= 543
    if not 1971 <= year <= 9998:
        raise InputError(f"{option} {text!r}: the year must be between 1971 and 9998 (or 2514 and 10541 BE)")
    return year


def parse_quarter(text: str, first_month: int = 1) -> Period:
    """``2026Q4`` (also ``2026-Q4``, ``2569Q4`` in the Buddhist era) → the quarter. With a fiscal
    year (``first_month`` past 1) the year is the fiscal year's (``2570Q1``, ``FY2570Q1``: Oct–Dec 2569)."""
    match = _QUARTER.match(text or "")
    fiscal = first_month != 1
    example = "2570Q1 (ปีงบประมาณ 2570, ไตรมาส 1) or FY2027Q1" if fiscal else "2026Q4 (or 2569Q4)"
    if not match or (match.group(1) and not fiscal):
        raise InputError(f"--quarter {text!r}: write the year and quarter, e.g. {example}")
    return Period(_year(text, "--quarter", match.group(2)), int(match.group(3)), first_month)


def parse_year(text: str, first_month: int = 1) -> Period:
    """``2026`` (or ``2569`` in the Buddhist era) → the year. With a fiscal year (``first_month``
    past 1) it is the fiscal year named by the year it ends (``2570``, ``FY2027``: Oct 2569–Sep 2570)."""
    match = _YEAR.match(text or "")
    fiscal = first_month != 1
    example = "2570 (ปีงบประมาณ 2570) or FY2027" if fiscal else "2026 (or 2569)"
    if not match or (match.group(1) and not fiscal):
        hint = " (a quarter is `sadap report quarterly --quarter`)" if _QUARTER.match(text or "") else ""
        raise InputError(f"--year {text!r}: write the year, e.g. {example}{hint}")
    return Period(_year(text, "--year", match.group(2)), None, first_month)
