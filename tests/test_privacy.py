"""PDPA masking of personal data in stored text (enrich/privacy.py and the Enricher)."""

from __future__ import annotations

import pytest

from enrich.pipeline import Enricher
from enrich.privacy import (
    mask_emails,
    mask_handles,
    mask_national_ids,
    mask_personal_data,
    mask_phones,
    mask_urls,
    valid_national_id,
)
from sadap.core.mention import RawMention, to_mention


def _id_with_check(first12: str) -> str:
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return first12 + str((11 - total % 11) % 10)


VALID_ID = _id_with_check("110370012345")
WRONG_ID = VALID_ID[:12] + str((int(VALID_ID[12]) + 1) % 10)
DASHED_ID = f"{VALID_ID[0]}-{VALID_ID[1:5]}-{VALID_ID[5:10]}-{VALID_ID[10:12]}-{VALID_ID[12]}"


def test_national_id_checksum():
    assert valid_national_id(VALID_ID)
    assert valid_national_id(DASHED_ID)
    assert not valid_national_id(WRONG_ID)
    assert not valid_national_id("12345")


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"รบกวนตรวจสอบให้หน่อยค่ะ เลขบัตรประชาชน {VALID_ID} ค่ะ", "รบกวนตรวจสอบให้หน่อยค่ะ เลขบัตรประชาชน [เลขบัตร] ค่ะ"),
        (f"บัตร ปชช. {DASHED_ID} ชื่อสมชาย", "บัตร ปชช. [เลขบัตร] ชื่อสมชาย"),
        (f"เลข {DASHED_ID.replace('-', ' ')} นะคะ", "เลข [เลขบัตร] นะคะ"),
    ],
)
def test_national_ids_masked(text, expected):
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        f"เลขคำสั่งซื้อ {WRONG_ID} ยังไม่ได้ของเลย",  # 13 digits, wrong check digit: an order number
        "เลขพัสดุ TH1234567890123 ยังไม่ขยับเลย",
        "ราคา 1,299 บาท ลดเหลือ 999.- ถึง 31/12/2567",
        "โปรนี้ 0% นาน 10 เดือน ผ่อนเดือนละ 1,250 บาท",
        "ประชุมวันที่ 12.03.2567 เวลา 14.30-16.00 น.",
        "เลขออเดอร์ 2403150812345678 ส่งช้ามาก",  # 16 digits holding a phone-like run
        "ORD0812345678 ยกเลิกแล้ว",
        "ยอดโอน 12345678.00 บาท",
        "สายด่วน 1111 กด 0",
        "ปี 2566-2567 กำไร 4,500 ล้านบาท",
        "ปิดปรับปรุงระบบ วันที่ 08.12.2567 10:30 น. ถึง 09-12-2567 06:00 น.",  # a date, then a time
    ],
)
def test_numbers_that_are_not_personal_data_are_kept(text):
    assert mask_personal_data(text) == text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ติดต่อกลับเบอร์ 081-234-5678 ได้เลยค่ะ", "ติดต่อกลับเบอร์ [โทร] ได้เลยค่ะ"),
        ("โทร0812345678ด่วน", "โทร[โทร]ด่วน"),
        ("เบอร์ 089 123 4567 นะครับ", "เบอร์ [โทร] นะครับ"),
        ("มือถือ 06-1234-5678", "มือถือ [โทร]"),
        ("081.234.5678", "[โทร]"),
        ("ร้านอยู่ลาดพร้าว โทร 02-123-4567 ต่อ 12", "ร้านอยู่ลาดพร้าว โทร [โทร] ต่อ 12"),
        ("สาขาเชียงใหม่ 053-123-456", "สาขาเชียงใหม่ [โทร]"),
        ("call me +66 81 234 5678", "call me [โทร]"),
        ("+66812345678", "[โทร]"),
        ("+66 (0) 2 123 4567", "[โทร]"),
        ("0066-81-234-5678", "[โทร]"),
        ("โทร ๐๘๑-๒๓๔-๕๖๗๘ ค่ะ", "โทร [โทร] ค่ะ"),
        ("เบอร์ 081-234-5678 5 ชิ้นนะ", "เบอร์ [โทร] 5 ชิ้นนะ"),
        ("สำนักงานใหญ่ โทร 0 2202 4444", "สำนักงานใหญ่ โทร [โทร]"),  # as offices print a landline
        ("โทร 0-2202-4444 ค่ะ", "โทร [โทร] ค่ะ"),
        ("เบอร์ 081\u00a0234\u00a05678", "เบอร์ [โทร]"),  # no-break spaces from scraped HTML
        ("เบอร์ 081–234–5678", "เบอร์ [โทร]"),  # en dashes
        ("+๖๖๘๑๒๓๔๕๖๗๘", "[โทร]"),  # the country code in Thai digits
        ("0812345678: โทรได้ทั้งวัน", "[โทร]: โทรได้ทั้งวัน"),
    ],
)
def test_phones_masked(text, expected):
    assert mask_phones(text) == expected


def test_urls_emails_and_handles():
    text = (
        "แจ้งไปที่ somchai.j+bank@gmail.com แล้ว ไม่มีใครตอบ @SangThong_Bank ช่วยดูด้วย "
        "รายละเอียด https://pantip.com/topic/42424242?utm_source=x. หรือ www.sangthong.co.th/help "
        "(ดู bit.ly/3xYzAbc)"
    )
    assert mask_personal_data(text) == (
        "แจ้งไปที่ [อีเมล] แล้ว ไม่มีใครตอบ [@] ช่วยดูด้วย "
        "รายละเอียด [URL]. หรือ [URL] (ดู [URL])"
    )


def test_each_step_alone():
    assert mask_urls("ดูที่ https://x.co/a?b=1") == "ดูที่ [URL]"
    assert mask_emails("mail: a.b@ex.co.th") == "mail: [อีเมล]"
    assert mask_handles("ขอบคุณ @nong_may.99 นะ") == "ขอบคุณ [@] นะ"
    assert mask_national_ids(VALID_ID) == "[เลขบัตร]"


def test_an_email_or_link_written_straight_after_thai_is_masked():
    """Thai runs words together without spaces: an address or a bare link right after a Thai
    letter is still one (a Thai letter is a word character to ``\\w``, which used to hide it)."""
    assert mask_personal_data("ส่งมาที่อีเมลsomchai.j@mail.co.thนะคะ") == "ส่งมาที่อีเมล[อีเมล]นะคะ"
    assert mask_personal_data("ติดต่อsomchai แอท gmail ดอท com ได้เลย") == "ติดต่อ[อีเมล] ได้เลย"
    assert mask_personal_data("ดูรายละเอียดที่sangthong.co.th/help/42ค่ะ") == "ดูรายละเอียดที่[URL]ค่ะ"
    assert mask_personal_data("ราคา 20@ชิ้น ส่งฟรี") == "ราคา 20@ชิ้น ส่งฟรี"  # still no address

def test_what_is_not_a_handle_or_email():
    for text in ["เจอกันที่ @สยาม", "ราคา 20@ชิ้น", "user@localhost ไม่ใช่อีเมลจริง", "A@B"]:
        assert mask_personal_data(text) == text


def test_html_and_urls_with_digits():
    html = '<a href="https://shop.example.com/p/0812345678">ดูสินค้า</a> โทร 081-234-5678'
    assert mask_personal_data(html) == '<a href="[URL]">ดูสินค้า</a> โทร [โทร]'


def test_empty_and_huge_inputs():
    assert mask_personal_data("") == ""
    big = ("ร้านนี้ดีมาก โทร 081-234-5678 " * 4000)[:100_000]
    masked = mask_personal_data(big)
    assert "081-234-5678" not in masked and "[โทร]" in masked


def _mention(text: str, title: str | None = None, url: str | None = None):
    raw = RawMention(source_kind="forum", source_name="pantip", text=text, title=title, url=url,
                     extras={"thread_title": "ติดต่อ 081-234-5678 ไม่ได้เลย"})
    return to_mention(raw, pseudonym_key=b"test")


def test_enricher_masks_stored_text_title_before_analysis():
    url = "https://pantip.com/topic/42424242"
    m = _mention(
        f"แอปล่มอีกแล้ว โทรหา call center 02-123-4567 ไม่มีใครรับ ติดต่อกลับ 081-234-5678 หรือ somchai@gmail.com "
        f"เลขบัตร {DASHED_ID} #แอปล่ม",
        title="ติดต่อ @somchai_j ด่วน",
        url=url,
    )
    out = Enricher().enrich([m])[0]
    assert "081-234-5678" not in out.text and "02-123-4567" not in out.text
    assert "somchai@gmail.com" not in out.text and DASHED_ID not in out.text
    assert "[โทร]" in out.text and "[อีเมล]" in out.text and "[เลขบัตร]" in out.text
    assert out.title == "ติดต่อ [@] ด่วน"
    assert out.extras["thread_title"] == "ติดต่อ [โทร] ไม่ได้เลย"
    assert out.url == url  # the mention's own address is kept
    assert "แอปล่ม" in out.hashtags
    joined = " ".join(out.tokens + out.keywords + out.extras.get("title_tokens", []))
    for leaked in ("081", "5678", "somchai", "gmail"):
        assert leaked not in joined


def test_masking_can_be_turned_off():
    m = _mention("โทร 081-234-5678")
    assert Enricher(mask_personal_data=False).enrich([m])[0].text == "โทร 081-234-5678"


@pytest.mark.parametrize(
    "text",
    [
        "โทร 081-234-5678 หรือ +66 2 123 4567 ด่วน",
        f"เลขบัตร {DASHED_ID} อีเมล somchai@gmail.com ดูที่ https://pantip.com/topic/1?x=2 (www.example.co.th/a)",
        "ติดต่อ @somchai_j กับ @ploy.s ที่ line.me/ti/p/abc #แอปล่ม ราคา 1,299 บาท วันที่ 12/03/2567",
        "[URL] [อีเมล] [เลขบัตร] [โทร] [@] [โทร][@][URL]",
    ],
)
def test_masking_again_changes_nothing(text):
    """Stored text is already masked; `sadap reenrich` masks it again, which must be a no-op."""
    once = mask_personal_data(text)
    assert mask_personal_data(once) == once
    m = Enricher().enrich([_mention(text, title=text)])[0]
    again = Enricher().enrich([m])[0]
    assert (again.text, again.title, again.extras["thread_title"]) == (m.text, m.title, m.extras["thread_title"])
    assert again.tokens == m.tokens and again.text_hash == m.text_hash and again.spam_score == m.spam_score
