"""Cutting Thai for notification texts (sadap.core.alert.cut/snippet): a cut never parts a letter
from the vowel and tone marks written on it, which would leave a stray mark or change the word."""

from __future__ import annotations

import unicodedata

from sadap.core.alert import cut, snippet


def test_a_syllable_is_cut_whole_or_not_at_all():
    assert cut("ที่ไหน", 2) == "" and cut("ที่ไหน", 3) == "ที่"
    assert cut("น้ำประปา", 2) == "" and cut("น้ำประปา", 3) == "น้ำ"  # sara am belongs to the syllable
    assert cut("abc", 10) == "abc" and cut("abc", 2) == "ab"
    assert cut("ดี👍🏽มาก", 3) == "ดี"  # an emoji keeps its skin tone
    assert cut("ระบบล่มไม่ได้", 8) == "ระบบล่ม" and cut("แอปเสีย", 4) == "แอป"  # ไ, เ go with the letter after
    assert cut("เเเ", 2) == ""


def test_snippet_ends_on_a_whole_syllable():
    # A real outage post: the 120-character cut used to fall inside น้ำ (น…), dropping its marks.
    text = "ก" * 118 + "น้ำประปาไม่ไหลทั้งหมู่บ้าน"
    got = snippet(text)
    assert got == "ก" * 118 + "…" and len(got) <= 120
    post = "แจ้งเหตุ " + "ไฟฟ้าดับทั้งซอย " * 10
    line = snippet(post)
    assert len(line) <= 120 and line.endswith("…")
    body = line[:-1]
    assert post.startswith(body) and unicodedata.category(post[len(body)])[0] != "M"
