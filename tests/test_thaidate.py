"""Thai dates as Thai sites print them: Buddhist era, Thai months and digits, Bangkok time."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sadap.core.errors import InputError
from sadap.core.thaidate import THAI_MONTHS, parse_thai_datetime

UTC = timezone.utc


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Full month names, Buddhist-era years, Bangkok (UTC+7) wall-clock times.
        ("21 พฤศจิกายน 2569", utc(2026, 11, 20, 17, 0)),
        ("21 พฤศจิกายน 2569 09:30", utc(2026, 11, 21, 2, 30)),
        ("วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 09:30 น.", utc(2026, 11, 21, 2, 30)),
        ("วันที่ 21 พฤศจิกายน พ.ศ. 2569 เวลา 9.30 น.", utc(2026, 11, 21, 2, 30)),
        ("3 เมษายน พ.ศ.2569 เวลา 14.05 นาฬิกา", utc(2026, 4, 3, 7, 5)),
        ("ประกาศ ณ วันที่ 1 มกราคม 2570", utc(2026, 12, 31, 17, 0)),
        ("29 กุมภาพันธ์ 2567", utc(2024, 2, 28, 17, 0)),  # 2024 is a leap year
        ("31 ธันวาคม 2569 23:59", utc(2026, 12, 31, 16, 59)),
        # Spellings seen on real sites.
        ("5 กรกฏาคม 2569", utc(2026, 7, 4, 17, 0)),
        ("14 กุมภาพันธ 2569", utc(2026, 2, 13, 17, 0)),
        # Abbreviations, with and without dots, and two-digit Buddhist-era years.
        ("21 พ.ย. 69", utc(2026, 11, 20, 17, 0)),
        ("21 พ.ย. 2569 09:30 น.", utc(2026, 11, 21, 2, 30)),
        ("21 พ.ย.69 09:30", utc(2026, 11, 21, 2, 30)),
        ("วันที่ 21 พย 69 09:30", utc(2026, 11, 21, 2, 30)),
        ("21 พ.ย 69", utc(2026, 11, 20, 17, 0)),
        ("1 ม.ค. 70 00:05 น.", utc(2026, 12, 31, 17, 5)),
        ("1 มค 2569", utc(2025, 12, 31, 17, 0)),
        ("12 มี.ค. 69", utc(2026, 3, 11, 17, 0)),
        ("12 มีค 69", utc(2026, 3, 11, 17, 0)),
        ("13 เม.ย. 69", utc(2026, 4, 12, 17, 0)),
        ("5 พ.ค. 69", utc(2026, 5, 4, 17, 0)),
        ("30 มิ.ย. 69", utc(2026, 6, 29, 17, 0)),
        ("28 ก.ค. 69", utc(2026, 7, 27, 17, 0)),
        ("12 ส.ค. 69", utc(2026, 8, 11, 17, 0)),
        ("1 ก.ย. 69", utc(2026, 8, 31, 17, 0)),
        ("23 ต.ค. 69", utc(2026, 10, 22, 17, 0)),
        ("5 ธ.ค. 69", utc(2026, 12, 4, 17, 0)),
        ("14 ก.พ. 69", utc(2026, 2, 13, 17, 0)),
        # Thai digits.
        ("วันเสาร์ที่ ๒๑ พ.ย. ๖๙ เวลา ๙.๓๐ น.", utc(2026, 11, 21, 2, 30)),
        ("๒๑ พฤศจิกายน ๒๕๖๙ เวลา ๐๙:๓๐ น.", utc(2026, 11, 21, 2, 30)),
        ("๓ ธ.ค. ๒๕๖๙ | ๒๑:๑๕ น.", utc(2026, 12, 3, 14, 15)),
        # Common-era years with Thai month names.
        ("21 พฤศจิกายน 2026", utc(2026, 11, 20, 17, 0)),
        ("21 พ.ย. 2026 10:00", utc(2026, 11, 21, 3, 0)),
        ("21 พฤศจิกายน ค.ศ. 2026", utc(2026, 11, 20, 17, 0)),
        # Time before the date, and seconds.
        ("09:30 น. 21 พ.ย. 69", utc(2026, 11, 21, 2, 30)),
        ("อัปเดต 21 พ.ย. 2569 - 18:45:12", utc(2026, 11, 21, 11, 45, 12)),
        # Explicit zones win over Bangkok.
        ("21 พ.ย. 69 เวลา 21:00 น. (GMT+7)", utc(2026, 11, 21, 14, 0)),
        ("21 พ.ย. 2569 02:30 UTC", utc(2026, 11, 21, 2, 30)),
        # ISO 8601 (naive means Bangkok), also with a Buddhist-era year.
        ("2026-11-21T09:30:00+07:00", utc(2026, 11, 21, 2, 30)),
        ("2026-11-21T02:30:00Z", utc(2026, 11, 21, 2, 30)),
        ("2026-11-21T09:30:00.250+07:00", datetime(2026, 11, 21, 2, 30, 0, 250000, tzinfo=UTC)),
        ("2026-11-21 09:30", utc(2026, 11, 21, 2, 30)),
        ("2026-11-21", utc(2026, 11, 20, 17, 0)),
        ("2569-11-21 09:30", utc(2026, 11, 21, 2, 30)),
        ("เผยแพร่: 2026/11/21 09:30", utc(2026, 11, 21, 2, 30)),
        # RFC 822, as in RSS pubDate.
        ("Sat, 21 Nov 2026 09:30:00 +0700", utc(2026, 11, 21, 2, 30)),
        ("Sat, 21 Nov 2026 02:30:00 GMT", utc(2026, 11, 21, 2, 30)),
        ("Sat, 21 Nov 2026 09:30:00 ICT", utc(2026, 11, 21, 2, 30)),
        ("Fri, 20 Nov 2026 21:30:00 -0500", utc(2026, 11, 21, 2, 30)),
        ("21 Nov 26 09:30", utc(2026, 11, 21, 2, 30)),
        # English month names.
        ("November 21, 2026 9:30 PM", utc(2026, 11, 21, 14, 30)),
        ("21 November 2026 12:05 am", utc(2026, 11, 20, 17, 5)),
        # Day-first numeric dates, Buddhist or common era.
        ("21/11/2569 09:30", utc(2026, 11, 21, 2, 30)),
        ("21/11/2026", utc(2026, 11, 20, 17, 0)),
        ("๒๑/๑๑/๒๕๖๙", utc(2026, 11, 20, 17, 0)),
        ("21.11.2569", utc(2026, 11, 20, 17, 0)),
        # Noise around the date.
        ("โพสต์เมื่อ\xa0 21\u200b พ.ย. 69   เวลา 09:30 น. · อ่าน 1,234 ครั้ง", utc(2026, 11, 21, 2, 30)),
    ],
)
def test_parses(text: str, expected: datetime) -> None:
    result = parse_thai_datetime(text)
    assert result == expected
    assert result.tzinfo is not None and result.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "ข่าวล่าสุด",
        "ราคาทองคำวันนี้ขึ้น 100 บาท",
        "ค่าเงินบาท 34.10 บาทต่อดอลลาร์",
        "อ่าน 12,345 ครั้ง",
        "ติดต่อ 02-123-4567",
        "โทร 0812-34-5678",
        "รหัสสินค้า 1234-56-78",
        "21 พ.ย. 09:30",  # no year: not guessed
        "เวลา 09:30 น.",
        "Breaking news",
    ],
)
def test_no_date(text: str) -> None:
    assert parse_thai_datetime(text) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31 กุมภาพันธ์ 2569", "February 2026 has 28 days, not 31"),
        ("29 ก.พ. 69", "February 2026 has 28 days, not 29"),
        ("31 เมษายน 2569", "April 2026 has 30 days, not 31"),
        ("2026-13-01", "month 13 does not exist"),
        ("21/13/2569", "month 13 does not exist"),
        ("0 ม.ค. 2569", "has 31 days, not 0"),
        ("21 พ.ย. 2569 25:00", "hour 25 is out of range"),
        ("2026-11-21T25:00:00", "hour 25 is out of range"),
        ("21 พ.ย. 69 เวลา 10.75 น.", "minute 75 is out of range"),
        ("21 Nov 2026 13:00 PM", "hour 13 with AM/PM"),
    ],
)
def test_impossible_dates_raise(text: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_thai_datetime(text)
    assert message in str(err.value)
    assert text.split()[0] in str(err.value)  # the message quotes what was read
    assert "\n" not in str(err.value)


def test_every_month_full_and_abbreviated() -> None:
    for number, (full, abbr) in enumerate(THAI_MONTHS, start=1):
        expected = datetime(2026, number, 10, 3, 0, tzinfo=UTC)
        assert parse_thai_datetime(f"10 {full} 2569 10:00") == expected
        assert parse_thai_datetime(f"10 {abbr} 69 10:00") == expected
        assert parse_thai_datetime(f"10 {abbr.replace('.', '')} 69 10:00") == expected


def test_first_date_wins() -> None:
    text = "วันที่ 20 พ.ย. 69 18:45 น. (แก้ไขล่าสุด 21 พ.ย. 69 08:00 น.)"
    assert parse_thai_datetime(text) == utc(2026, 11, 20, 11, 45)


def test_time_far_from_the_date_is_not_its_time() -> None:
    text = "21 พ.ย. 69 ผู้ใช้งานรายงานว่าระบบขัดข้องตั้งแต่ช่วงเช้าและกลับมาใช้ได้ในเวลา 09:40 น."
    assert parse_thai_datetime(text) == utc(2026, 11, 20, 17, 0)


# -- ranges, epoch seconds, month-first dates -------------------------------------------

from sadap.core.thaidate import from_epoch, parse_month_first  # noqa: E402


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7 – 13 มี.ค. 2568", utc(2025, 3, 6, 17, 0)),  # the start, not the 13th
        ("7-13 มีนาคม 2568 เวลา 09:00 น.", utc(2025, 3, 7, 2, 0)),
        ("งานจัดระหว่างวันที่ 7 ถึง 13 มี.ค. 68", utc(2025, 3, 6, 17, 0)),
        ("28 ก.พ. – 3 มี.ค. 2568", utc(2025, 2, 27, 17, 0)),  # across months: the year of the end
        ("28 ธ.ค. – 3 ม.ค. 2569", utc(2025, 12, 27, 17, 0)),  # across years: the year before
        ("28 ธ.ค. 2568 – 3 ม.ค. 2569", utc(2025, 12, 27, 17, 0)),
        ("10:30 - 21 พ.ย. 2569", utc(2026, 11, 21, 3, 30)),  # a time before a date is not a range
    ],
)
def test_a_date_range_gives_its_start(text: str, expected: datetime) -> None:
    assert parse_thai_datetime(text) == expected


def test_epoch_seconds() -> None:
    assert parse_thai_datetime("1732170600") == utc(2024, 11, 21, 6, 30)
    assert parse_thai_datetime(" 1732170600.5 ") == datetime(2024, 11, 21, 6, 30, 0, 500000, tzinfo=UTC)
    assert from_epoch(1732170600) == utc(2024, 11, 21, 6, 30)
    assert from_epoch("1732170600") == utc(2024, 11, 21, 6, 30)
    # Longer or shorter numbers are ids, prices or phone numbers, not times.
    assert parse_thai_datetime("12345") is None
    assert parse_thai_datetime("081234567890") is None
    with pytest.raises(InputError, match="not epoch seconds"):
        from_epoch("เมื่อวาน")
    with pytest.raises(InputError, match="out of range"):
        from_epoch(-5)


def test_month_first_dates_as_pantip_writes_them() -> None:
    # Pantip's data_utime: MM/DD/YYYY HH:MM:SS, Bangkok time.
    assert parse_month_first("11/21/2026 09:30:15") == datetime(2026, 11, 21, 2, 30, 15, tzinfo=UTC)
    assert parse_month_first("03/07/2025 23:05:00") == utc(2025, 3, 7, 16, 5)
    assert parse_month_first("12/01/2569") == utc(2026, 11, 30, 17, 0)  # Buddhist era converted
    assert parse_month_first("11/21/2026 09:30:15 +00:00") == datetime(2026, 11, 21, 9, 30, 15, tzinfo=UTC)
    assert parse_month_first("no date here") is None
    # The same text is a different day when read day first, as Thai pages write it.
    assert parse_month_first("01/12/2569 10:30") == utc(2026, 1, 12, 3, 30)
    assert parse_thai_datetime("01/12/2569 10:30") == utc(2026, 12, 1, 3, 30)
    with pytest.raises(InputError, match="month 21 does not exist"):
        parse_month_first("21/11/2026 09:30:15")  # day first by mistake
