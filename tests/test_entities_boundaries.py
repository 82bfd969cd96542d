"""Word boundaries of long (5+ character) Thai watched names, on real Thai sentences (most cut
from the Wisesight and Thai government news corpora): a loose match inside a longer word is
dropped, names in compounds, unspaced text and loose spellings are kept."""

from __future__ import annotations

import pytest

from enrich.entities import Entity, EntityMatcher
from enrich.normalize import normalize

WATCHED = [
    Entity("ธนาคารแสงทอง", ("แสงทอง", "Saengthong")),
    Entity("แสงทองพลัส", ("ST Plus",)),
    Entity("สิงห์", ("Singha",)),
    Entity("ธนาคารกสิกรไทย", ("กสิกรไทย", "กสิกร")),
    Entity("ธนาคารไทยพาณิชย์", ("ไทยพาณิชย์",)),
    Entity("ธนาคารกรุงศรี", ("กรุงศรี",)),
    Entity("ออมสิน"),
    Entity("สมศักดิ์ เทพสุทิน", ("สมศักดิ์",)),
    Entity("อนุทิน ชาญวีรกูล", ("อนุทิน",)),
    Entity("ธนาธร"),
    Entity("เพื่อไทย"),
    Entity("มาม่า"),
    Entity("ไทยรัฐ"),
    Entity("แกร็บ", ("Grab",)),
    Entity("ช้อปปี้", ("Shopee",)),
    Entity("ทองคำ"),
    Entity("ฮอนด้า"),
    Entity("โตโยต้า"),
    Entity("ดีแทค"),
    Entity("บางกอกแอร์เวย์ส"),
    Entity("ทรู", ("True",)),
]


@pytest.fixture(scope="module")
def matcher() -> EntityMatcher:
    return EntityMatcher(WATCHED)


def _find(matcher: EntityMatcher, text: str) -> list[str]:
    return matcher.find(normalize(text))


@pytest.mark.parametrize("text", [
    "เปิดสาขาใหม่ที่สิงห์บุรีบ้าง รอจนรอไม่ไหว",  # the province, not the beer
    "ศูนย์ฉีดวัคซีน จ.ชัยนาท จ.สิงห์บุรี และ จ.ลพบุรี",
    "แข่งขันในเวทีโลกได้อย่างสมศักดิ์ศรี",  # สม|ศักดิ์ศรี, not the minister
    "กิจกรรมห่มดินตามหลักกสิกรรมธรรมชาติ",  # กสิกรรม: farming
    "สวดมนต์ สมาธิ สนทนาธรรม อาหาร ออกกำลังกาย",  # สน|ทนาธร|รม, loosely
    "ในสมัยกรุงศรีอยุธยา ที่ได้รับความนิยม",  # the old kingdom
    "ซื้อแหวนทองคำขาวมาให้แฟน",  # platinum
    "ไปชมแสงทองยามเช้าที่ดอย",  # ชมแสงทอง is one dictionary word
    "ซื้อกระปุกออมสินให้ลูกหยอดเหรียญ",  # a piggy bank
])
def test_a_long_name_inside_a_longer_word_is_dropped(matcher, text):
    assert _find(matcher, text) == [], text


@pytest.mark.parametrize("text", [
    "นักท่องเที่ยวต่างชาติเดินทางเข้ามามากขึ้น",  # มา|มาก, not มาม่า
    "ยังไม่หวั่นแม้วันมามาก",
    "อีกสิ่งหนึ่งที่อยากได้",  # สิ่ง|หนึ่ง, not สิงห์
    "ไปช้อปปิ้งที่ห้างมา",  # shopping, not Shopee
    "สร้างความเข้มแข็งให้แก่ระบบเศรษฐกิจ",  # แก่|ระบบ, not แกร็บ
])
def test_a_loose_spelling_needs_clear_word_edges(matcher, text):
    assert _find(matcher, text) == [], text


@pytest.mark.parametrize("text", [
    "กดสิวมา มาส์กหน้าได้มั้ยคะ",  # มาม่า is one word: a space cannot split it
    "ที่เกี่ยวข้องมา มาช่วยกันคิด",
    "ความร่วมมือของประเทศไทย รัฐบาลจึงได้มีนโยบาย",  # ไทย|รัฐบาล
    "ความหมายที่ได้แก่ ระบบน้ำดื่มน้ำใช้",
])
def test_a_space_inside_a_match_must_fall_between_the_names_words(matcher, text):
    assert _find(matcher, text) == [], text


@pytest.mark.parametrize("text, entity", [
    # no spaces, the name touching other words
    ("แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้ตั้งแต่เช้า", "ธนาคารแสงทอง"),
    ("เคยกินแต่สิงห์ไลท์ฮะ", "สิงห์"),
    ("เบียร์สิงห์เย็นๆ", "สิงห์"),
    ("ใช้สิทดีแทคซะหน่อย", "ดีแทค"),
    ("นายอนุทินชาญวีรกูล รองนายกรัฐมนตรี", "อนุทิน ชาญวีรกูล"),
    ("ตามนโยบายของนายอนุทิน กล่าวว่า", "อนุทิน ชาญวีรกูล"),
    ("กระแสคิดถึงสมศักดิ์ เจียมธีรสกุล", "สมศักดิ์ เทพสุทิน"),
    # compounds: an organisation word, a watched compound, ฯ
    ("ผู้อำนวยการธนาคารออมสิน เปิดเผยว่า", "ออมสิน"),
    ("ไม่ใช่กลัวพรรคเพื่อไทยถอนตัว", "เพื่อไทย"),
    ("ธนาคารแสงทองโอนเงินไม่ได้", "ธนาคารแสงทอง"),
    ("ธนาคารกรุงศรีฯ สาขาสีลม", "ธนาคารกรุงศรี"),
    # a tie goes to the exact name: ทองคำ|เป็น (newmm alone: ทอง|คำเป็น), ธนาคารกรุงศรี|อยุธยา
    ("ผู้บริหารกล่าวว่า ทองคำเป็นทางเลือกการลงทุน", "ทองคำ"),
    ("ธนาคารกรุงศรีอยุธยา จำกัด (มหาชน)", "ธนาคารกรุงศรี"),
    # words the dictionary does not know never veto
    ("ฮอนด้าบรีโอ้มีไหมคะ", "ฮอนด้า"),
    ("มีปัญหานำเข้ารถโตโยต้าพรีอุส", "โตโยต้า"),
    # loose spellings
    ("แอปแสงท้องล่มอีกแล้ว", "ธนาคารแสงทอง"),
    ("แสงธองโอนไม่ได้", "ธนาคารแสงทอง"),
    ("ธนาคารไทยพานิชย์ เตรียมยกเลิก", "ธนาคารไทยพาณิชย์"),
    ("ติดต่อแกร๊บคอลเซนเตอร์เลยค่ะ", "แกร็บ"),
    # spaces between the name's own words
    ("ธ.แสง ทอง ใช้ไม่ได้", "ธนาคารแสงทอง"),
    ("สายการบินบางกอก แอร์เวย์ส จำนวน 14 เที่ยว", "บางกอกแอร์เวย์ส"),
])
def test_true_mentions_are_kept(matcher, text, entity):
    assert entity in _find(matcher, text), text


def test_a_watched_compound_holds_its_parts(matcher):
    # แสงทองพลัส is watched too: the tokenizer keeps it whole, แสงทอง|พลัส still counts
    assert set(_find(matcher, "แอปแสงทองพลัสล่ม")) == {"ธนาคารแสงทอง", "แสงทองพลัส"}
    assert set(_find(matcher, "แอปแสงทอง พลัสล่ม")) == {"ธนาคารแสงทอง", "แสงทองพลัส"}
    # without it, แสงทองพลัส is just แสงทอง followed by another word
    assert _find(EntityMatcher([Entity("แสงทอง")]), "แอปแสงทองพลัสล่ม") == ["แสงทอง"]


def test_short_names_are_unchanged(matcher):
    assert _find(matcher, "เน็ตทรูช้ามาก") == ["ทรู"]
    assert _find(matcher, "บทรูปแบบใหม่") == []
    assert _find(matcher, "ทรูปแบบ") == []


def test_checking_many_occurrences_is_bounded():
    text = normalize("สิงห์บุรี " * 200 + "เบียร์สิงห์")
    matcher = EntityMatcher([Entity("สิงห์")])
    assert matcher.find(text) == []  # MAX_WORD_CHECKS occurrences, then give up
    assert matcher.find(normalize("เบียร์สิงห์ " + "สิงห์บุรี " * 200)) == ["สิงห์"]
