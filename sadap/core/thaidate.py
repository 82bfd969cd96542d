"""Read the dates Thai sites print: Thai month names, Buddhist-era years, Thai digits.

``parse_thai_datetime("วันเสาร์ที่ ๒๑ พ.ย. ๖๙ เวลา 9.30 น.")`` → 2026-11-21 02:30 UTC.
Also reads ISO 8601, RFC 822 (feeds), English month names and day-first numeric dates
(``21/11/2569``). Times without a zone are Asia/Bangkok; results are aware UTC.

A date range (``7 – 13 มี.ค. 2568``, ``28 ก.พ. – 3 มี.ค. 2568``) gives its start. A text
that is only a number of 9 or 10 digits (``1732170600``) is epoch seconds.

Numeric dates are ambiguous: ``01/12/2569`` is 1 December in Thailand (day first, what
:func:`parse_thai_datetime` reads) but 12 January where the month comes first. Sources
known to write month first (Pantip's ``data_utime``, ``MM/DD/YYYY HH:MM:SS`` in Bangkok
time) are read with :func:`parse_month_first` instead; nothing guesses from the numbers.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from sadap.core.errors import InputError
from sadap.core.timeutil import BANGKOK, UTC

__all__ = ["parse_thai_datetime", "parse_month_first", "from_epoch", "THAI_MONTHS"]

# Buddhist era = common era + 543. Four-digit years from here up are read as BE.
_BE_OFFSET = 543
_BE_FROM = 2400

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")

# (full name, abbreviation) for months 1..12.
THAI_MONTHS: tuple[tuple[str, str], ...] = (
    ("มกราคม", "ม.ค."),
    ("กุมภาพันธ์", "ก.พ."),
    ("มีนาคม", "มี.ค."),
    ("เมษายน", "เม.ย."),
    ("พฤษภาคม", "พ.ค."),
    ("มิถุนายน", "มิ.ย."),
    ("กรกฎาคม", "ก.ค."),
    ("สิงหาคม", "ส.ค."),
    ("กันยายน", "ก.ย."),
    ("ตุลาคม", "ต.ค."),
    ("พฤศจิกายน", "พ.ย."),
    ("ธันวาคม", "ธ.ค."),
)
# Spellings seen in the wild: ฏ for ฎ in กรกฎาคม, กุมภาพันธ์ without its silent mark.
_THAI_MONTH_VARIANTS = {"กรกฏาคม": 7, "กุมภาพันธ": 2}

_EN_MONTHS = {
    name: i
    for i in range(1, 13)
    for name in (calendar.month_name[i].lower(), calendar.month_abbr[i].lower())
}
_EN_MONTHS["sept"] = 9

_NAMED_ZONES = {
    "z": 0, "ut": 0, "utc": 0, "gmt": 0, "ict": 7,
    "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
}


def _abbr_pattern(abbr: str) -> str:
    # "พ.ย." also appears as "พ.ย", "พย" and "พ. ย."
    letters = [part for part in abbr.split(".") if part]
    return r"\.?\s?".join(re.escape(p) for p in letters) + r"\.?"


def _month_table() -> tuple[str, dict[str, int], dict[str, int]]:
    full = {name: i for i, (name, _) in enumerate(THAI_MONTHS, start=1)} | _THAI_MONTH_VARIANTS
    abbr = {a.replace(".", ""): i for i, (_, a) in enumerate(THAI_MONTHS, start=1)}
    # Longest first, so a full name wins over an abbreviation inside it.
    alternatives = sorted(full, key=len, reverse=True)
    pattern = "|".join(re.escape(n) for n in alternatives)
    abbr_alts = sorted((a for _, a in THAI_MONTHS), key=len, reverse=True)
    pattern += "|" + "|".join(_abbr_pattern(a) for a in abbr_alts)
    return pattern, full, abbr


_THAI_MONTH_RE, _THAI_FULL, _THAI_ABBR = _month_table()
_EN_MONTH_RE = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)

_ZONE = r"(?P<tz>[Zz]|[+-]\d{2}:?\d{2}|(?:GMT|UTC)\s?[+-]\d{1,2}(?::?\d{2})?|\b(?:UTC|GMT|UT|ICT|[ECMP][SD]T)\b)"
# A time: "09:30", "09:30:15", "9.30 น.", "เวลา 9.30", optional zone.
_TIME = (
    r"(?:(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<frac>\d{1,6}))?)?"
    r"|(?:เวลา\s*)(?P<hour2>\d{1,2})\.(?P<minute2>\d{2})(?:\.(?P<second2>\d{2}))?"
    r"|(?P<hour3>\d{1,2})\.(?P<minute3>\d{2})(?:\.(?P<second3>\d{2}))?(?=\s*(?:น\.|น\b|นาฬิกา)))"
    r"(?:\s*(?:น\.|นาฬิกา|น(?![ก-ฮ])|(?P<ampm>[ap])\.?m\b\.?))?"
    r"(?:\s*" + _ZONE + r")?"
)
_TIME_RE = re.compile(r"(?<![\d.:])" + _TIME, re.IGNORECASE)

# A year must not run on into a time ("21 พ.ย. 09:30" has no year).
_YEAR = r"(?P<year>\d{4}|\d{2})(?![\d:]|\.\d)"
_ERA = r"(?:(?P<era>พ\.?\s?ศ\.?|ค\.?\s?ศ\.?|B\.?E\.?|A\.?D\.?|C\.?E\.?)\s*)?"

# Years a numeric date can plausibly have, common or Buddhist era: keeps ids and phone
# numbers ("0812-34-5678") from reading as impossible dates.
_PLAUSIBLE_YEAR = r"(?:19|20|24|25|26)\d{2}"

_ISO_RE = re.compile(
    r"(?<![\d/.-])(?P<year>" + _PLAUSIBLE_YEAR + r")(?P<sep>[-/])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})"
    r"(?:[T\s]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<frac>\d{1,9}))?)?"
    r"(?:\s*(?P<ampm>[apAP])\.?[mM]\b\.?)?"  # "09:30 PM"
    r"(?:\s*" + _ZONE + r")?)?(?!\d)"  # "+07:00", "Z", "UTC", "GMT+9", "ICT"
)
_DAY_MONTH_YEAR_RE = re.compile(
    r"(?<!\d)(?P<day>\d{1,2})\s*(?:-\s*)?(?P<month>" + _THAI_MONTH_RE + "|" + _EN_MONTH_RE + r")"
    r"\s*(?:-\s*|,\s*)?" + _ERA + _YEAR,
    re.IGNORECASE,
)
_MONTH_DAY_YEAR_RE = re.compile(
    r"\b(?P<month>" + _EN_MONTH_RE + r")\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+" + _YEAR,
    re.IGNORECASE,
)
_NUMERIC_RE = re.compile(
    r"(?<![\d/.-])(?P<day>\d{1,2})([/.-])(?P<month>\d{1,2})\2" + _ERA + r"(?P<year>" + _PLAUSIBLE_YEAR + r")(?!\d)"
)

# "7 – 13 มี.ค. 2568", "7-13 มีนาคม 2568", "28 ก.พ. – 3 มี.ค. 2568", "7 ถึง 13 มี.ค. 68": the start.
_RANGE_RE = re.compile(
    r"(?<![\d:.])(?P<start>\d{1,2})\s*(?:(?P<start_month>" + _THAI_MONTH_RE + "|" + _EN_MONTH_RE + r")\s*)?"
    r"(?:[-–—~]|ถึง|to)\s*(?P<day>\d{1,2})\s*(?P<month>" + _THAI_MONTH_RE + "|" + _EN_MONTH_RE + r")"
    r"\s*(?:,\s*)?" + _ERA + _YEAR,
    re.IGNORECASE,
)
_EPOCH_RE = re.compile(r"\d{9,10}(?:\.\d+)?")
# Month first: "11/21/2026 09:30:15" (Pantip's data_utime), Bangkok time unless a zone follows.
_MONTH_FIRST_RE = re.compile(
    r"(?<![\d/])(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})"
    r"(?:[T\s]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*" + _ZONE + r"?)?(?!\d)"
)


@dataclass
class _Parts:
    year: int
    month: int
    day: int
    end: int  # where the date ended in the text, to look for a time after it
    start: int


def _normalise(text: str) -> str:
    text = text.translate(_THAI_DIGITS).replace("\u200b", "").replace("\xa0", " ")
    return re.sub(r"\s+", " ", text).strip()


def _month_number(name: str) -> tuple[int, bool]:
    """Month number, and whether the name is Thai."""
    key = name.strip().lower()
    if key in _THAI_FULL:
        return _THAI_FULL[key], True
    compact = re.sub(r"[.\s]", "", key)
    if compact in _THAI_ABBR:
        return _THAI_ABBR[compact], True
    return _EN_MONTHS[compact.rstrip(".")], False


def _year(text: str, era: str | None, thai_month: bool) -> int:
    year = int(text)
    era_key = re.sub(r"[.\s]", "", era or "").upper()
    if len(text) == 2:
        # Thai writers shorten Buddhist-era years ("พ.ย. 69"); English dates use 20xx.
        if thai_month or era_key in ("พศ", "BE"):
            return 2500 + year - _BE_OFFSET
        return 2000 + year
    if era_key in ("พศ", "BE") or (not era_key and year >= _BE_FROM):
        return year - _BE_OFFSET
    return year


def _zone(text: str | None) -> tzinfo | None:
    if not text:
        return None
    key = text.replace(" ", "").lower()
    if key in _NAMED_ZONES:
        return timezone(timedelta(hours=_NAMED_ZONES[key]))
    match = re.fullmatch(r"(?:gmt|utc)?([+-])(\d{1,2}):?(\d{2})?", key)
    if not match:
        return None
    sign = -1 if match.group(1) == "-" else 1
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes > 59:
        raise InputError(f"impossible time zone {text!r}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _check_date(source: str, year: int, month: int, day: int) -> None:
    if not 1 <= month <= 12:
        raise InputError(f"impossible date in {source!r}: month {month} does not exist (use 1–12)")
    if year < 1 or year > 9999:
        raise InputError(f"impossible date in {source!r}: year {year} is out of range")
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise InputError(
            f"impossible date in {source!r}: {calendar.month_name[month]} {year} has {days} days, not {day}"
        )


def _check_time(source: str, hour: int, minute: int, second: int) -> None:
    if not 0 <= hour <= 23:
        raise InputError(f"impossible time in {source!r}: hour {hour} is out of range (0–23)")
    if not 0 <= minute <= 59:
        raise InputError(f"impossible time in {source!r}: minute {minute} is out of range (0–59)")
    if not 0 <= second <= 60:
        raise InputError(f"impossible time in {source!r}: second {second} is out of range (0–59)")


def _find_date(text: str) -> _Parts | None:
    """The first date with a month name in ``text``, else the first day/month/year."""
    best: _Parts | None = None
    span = _RANGE_RE.search(text)
    if span:
        month, thai = _month_number(span.group("month"))
        year = _year(span.group("year"), span.group("era"), thai)
        start_month = _month_number(span.group("start_month"))[0] if span.group("start_month") else month
        if start_month > month:  # "28 ธ.ค. – 3 ม.ค. 2569" starts the year before
            year -= 1
        best = _Parts(year, start_month, int(span.group("start")), span.end(), span.start())
    for regex in (_DAY_MONTH_YEAR_RE, _MONTH_DAY_YEAR_RE):
        match = regex.search(text)
        # A range's end is inside the range's span: the range (its start) wins.
        if match and (best is None or match.start() < best.start) and not (span and match.start() < span.end()):
            month, thai = _month_number(match.group("month"))
            era = match.groupdict().get("era")
            year = _year(match.group("year"), era, thai)
            best = _Parts(year, month, int(match.group("day")), match.end(), match.start())
    if best:
        return best
    numeric = _NUMERIC_RE.search(text)
    if numeric:
        year = _year(numeric.group("year"), numeric.group("era"), False)
        return _Parts(year, int(numeric.group("month")), int(numeric.group("day")), numeric.end(), numeric.start())
    return None


def _iso_datetime(source: str, match: re.Match[str]) -> datetime:
    year = int(match.group("year"))
    if year >= _BE_FROM:
        year -= _BE_OFFSET
    month, day = int(match.group("month")), int(match.group("day"))
    _check_date(source, year, month, day)
    hour, minute, second = (int(match.group(g) or 0) for g in ("hour", "minute", "second"))
    if match.group("ampm"):
        if not 1 <= hour <= 12:
            raise InputError(f"impossible time in {source!r}: hour {hour} with {match.group('ampm').upper()}M (use 1–12)")
        hour = hour % 12 + (12 if match.group("ampm").lower() == "p" else 0)
    _check_time(source, hour, minute, second)
    micro = int((match.group("frac") or "0")[:6].ljust(6, "0"))
    zone = _zone(match.group("tz")) or BANGKOK
    value = datetime(year, month, day, hour, minute, min(second, 59), micro, tzinfo=zone)
    return value.astimezone(UTC)


# How far from the date its time may be printed ("21 พ.ย. 69 | อัปเดต เวลา 09:30 น.").
_TIME_WINDOW = 40


def _find_time(text: str, date: _Parts) -> re.Match[str] | None:
    # Prefer a time right after the date ("21 พ.ย. 69 เวลา 09:30 น."), else one just
    # before it ("09:30 น. 21 พ.ย. 69"); a time further away belongs to something else.
    after = _TIME_RE.search(text, date.end, date.end + _TIME_WINDOW)
    if after:
        return after
    before = list(_TIME_RE.finditer(text, max(0, date.start - _TIME_WINDOW), date.start))
    return before[-1] if before else None


def parse_thai_datetime(text: str) -> datetime | None:
    """The first date (and time) in ``text`` as aware UTC, or None if it holds no date.

    Naive times are Asia/Bangkok. Raises :class:`~sadap.core.errors.InputError` for a date
    or time that cannot exist (31 กุมภาพันธ์, month 13, hour 25).
    """
    if not text:
        return None
    clean = _normalise(str(text))
    if _EPOCH_RE.fullmatch(clean):
        return from_epoch(float(clean))
    iso = _ISO_RE.search(clean)
    if iso:
        return _iso_datetime(clean, iso)
    found = _find_date(clean)
    if found is None:
        return None
    _check_date(clean, found.year, found.month, found.day)
    hour = minute = second = micro = 0
    zone: tzinfo | None = None
    time = _find_time(clean, found)
    if time:
        groups = time.groupdict()
        for suffix in ("", "2", "3"):
            if groups.get("hour" + suffix) is not None:
                hour = int(groups["hour" + suffix])
                minute = int(groups["minute" + suffix])
                second = int(groups.get("second" + suffix) or 0)
                break
        micro = int((groups.get("frac") or "0").ljust(6, "0"))
        if groups.get("ampm"):
            if not 1 <= hour <= 12:
                raise InputError(f"impossible time in {clean!r}: hour {hour} with AM/PM (use 1–12)")
            hour = hour % 12 + (12 if groups["ampm"].lower() == "p" else 0)
        _check_time(clean, hour, minute, second)
        zone = _zone(groups.get("tz"))
    value = datetime(found.year, found.month, found.day, hour, minute, min(second, 59), micro, tzinfo=zone or BANGKOK)
    return value.astimezone(UTC)


def from_epoch(seconds: int | float | str) -> datetime:
    """Epoch seconds (Pantip's ``created_time``, most JSON APIs) as aware UTC."""
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        raise InputError(f"not epoch seconds: {seconds!r} (expected a number such as 1732170600)") from None
    if not 0 <= value < 253402300800:  # up to 9999-12-31
        raise InputError(f"epoch seconds out of range: {seconds!r}")
    return datetime.fromtimestamp(value, UTC)


def parse_month_first(text: str, zone: tzinfo = BANGKOK) -> datetime | None:
    """A month-first ``MM/DD/YYYY[ HH:MM[:SS]]`` date as aware UTC, or None if there is none.

    For sources known to write the month first, such as Pantip's comment ``data_utime``
    (``11/21/2026 09:30:15``, Bangkok time). Do not use it on dates of unknown origin:
    Thai pages write the day first (:func:`parse_thai_datetime`). A zone-less time is in
    ``zone``; a Buddhist-era year (2400 and up) is converted. Raises
    :class:`~sadap.core.errors.InputError` for a date that cannot exist (month 13).
    """
    if not text:
        return None
    clean = _normalise(str(text))
    match = _MONTH_FIRST_RE.search(clean)
    if not match:
        return None
    year = int(match.group("year"))
    if year >= _BE_FROM:
        year -= _BE_OFFSET
    month, day = int(match.group("month")), int(match.group("day"))
    _check_date(clean, year, month, day)
    hour, minute, second = (int(match.group(g) or 0) for g in ("hour", "minute", "second"))
    _check_time(clean, hour, minute, second)
    value = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=_zone(match.group("tz")) or zone)
    return value.astimezone(UTC)
