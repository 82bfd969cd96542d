"""Times: stored in UTC, shown in Asia/Bangkok, durations like ``15m`` or ``24h``."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from sadap.core.errors import InputError, RefusedValue

UTC = timezone.utc
BANGKOK = ZoneInfo("Asia/Bangkok")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_BARE_NUMBER = re.compile(r"^\s*[-+]?\d+(?:\.\d*)?\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_DURATION_S = 36500 * 86400  # 100 years: far past any window, far below timedelta's limit
DURATION_HELP = "a number and a unit: s, m, h, d or w (for example 15m, 24h, 7d)"


def parse_duration(text: str | timedelta) -> timedelta:
    """``"15m"`` → 15 minutes. Raises InputError naming the allowed form. A number without a
    unit (``60``, ``"60"``) is refused, not read as seconds: ``cooldown: 60`` meant to be an
    hour must not re-alert every minute."""
    if isinstance(text, timedelta):
        return text
    if isinstance(text, (int, float)) and not isinstance(text, bool) or _BARE_NUMBER.match(str(text)):
        raise InputError(f"duration {text!r} has no unit: use {DURATION_HELP}")
    match = _DURATION.match(str(text))
    if not match:
        raise InputError(f"cannot read duration {text!r}: use {DURATION_HELP}")
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds > MAX_DURATION_S:
        raise InputError(f"duration {text!r} is too long (at most {MAX_DURATION_S // 86400}d, about 100 years)")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit in ("w", "d", "h", "m"):
        size = _UNIT_SECONDS[unit]
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def now_utc() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime, naive_zone: tzinfo = BANGKOK) -> datetime:
    """Attach ``naive_zone`` (Asia/Bangkok by default) to naive times, then convert to UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=naive_zone)
    return value.astimezone(UTC)


def parse_iso(text: str, naive_zone: tzinfo = BANGKOK) -> datetime:
    """ISO 8601 with or without offset (naive means Asia/Bangkok) → aware UTC."""
    raw = str(text).strip()
    if raw.endswith("Z") or raw.endswith("z"):
        raw = raw[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InputError(
            f"cannot read time {text!r}: use ISO 8601, e.g. 2026-11-21T09:30:00+07:00"
        ) from None
    try:
        return as_utc(value, naive_zone)
    except (OverflowError, ValueError):  # 9999-12-31T23:59:59-05:00 is past year 9999 in UTC
        raise InputError(f"time {text!r} is out of range (in UTC it falls outside the years 1 to 9999)") from None


def common_era(value: datetime, text: str, where: str) -> datetime:
    """``value`` (read from ``text``), unless its year is a Buddhist-era year (2569 for 2026, as Thai
    staff write it): read as the Common Era it lies five centuries ahead, and a filter, report or
    check on it would be empty. Refused in one line naming ``where`` and the Common Era date."""
    written = re.match(r"\s*(\d{4})", text)
    year, now_year = (int(written.group(1)) if written else value.year), now_utc().year
    if year > now_year + 100 and 1970 <= year - 543 <= now_year + 100:
        common = str(year - 543)
        raise RefusedValue(f"{where} {text!r}: {year} looks like a Buddhist-era year; dates here take the "
                           f"Common Era year ({common}: {text.strip().replace(str(year), common, 1)})")
    return value


def to_bangkok(value: datetime) -> datetime:
    return as_utc(value).astimezone(BANGKOK)


def show(value: datetime | None) -> str:
    """Human display in Asia/Bangkok."""
    if value is None:
        return "-"
    return to_bangkok(value).strftime("%Y-%m-%d %H:%M")
