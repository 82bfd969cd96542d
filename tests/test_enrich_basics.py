"""Thai text steps on real Thai text: normalisation, tokens, language, entities, hashtags, duplicates."""

from __future__ import annotations

from enrich.dedup import SimHashIndex, distance, simhash, text_hash
from enrich.entities import Entity, EntityMatcher
from enrich.language import detect_language
from enrich.normalize import laughter, normalize, remove_zero_width, repeated_chars, thai_digits
from enrich.pipeline import hashtags
from enrich.tokenize import tokenize


def test_normalisation_steps():
    assert remove_zero_width("แสง\u200bทอง") == "แสงทอง"
    assert thai_digits("๒๕๖๙") == "2569"
    assert laughter("ตลกมาก 5555555 ถถถถ") == "ตลกมาก 555 555"
    assert repeated_chars("ดีมากกกกก") == "ดีมาก"
    assert repeated_chars("ดีมากก") == "ดีมากก"  # doubled letters occur in real words
    assert normalize("  แย่มากกกก\u200b   จริงๆ ๕๕๕๕ ") == "แย่มาก จริงๆ 555"


def test_normalize_survives_bad_input():
    assert normalize("") == ""
    assert normalize("\ud800ข้อความ\x00") == "ข้อความ"
    assert normalize("😡😡😡") == "😡😡😡"


def test_tokenize_keeps_brand_names_whole():
    text = normalize("แอปแสงทองพลัสล่มอีกแล้ว โอนเงินไม่ได้")
    assert "แสงทองพลัส" not in tokenize(text)
    tokens = tokenize(text, ["แสงทองพลัส"])
    assert tokens[:3] == ["แอป", "แสงทองพลัส", "ล่ม"]
    assert " " not in tokens and "" not in tokens


def test_language():
    assert detect_language("ธนาคารแสงทองบริการดีมาก") == "th"
    assert detect_language("The app is down again") == "en"
    assert detect_language("แอป ST Plus ล่ม login ไม่ได้") == "mixed"
    assert detect_language("😀 555 !!!") == "und"
    assert detect_language("アプリが落ちた") == "ja"


def test_entities_match_every_spelling():
    matcher = EntityMatcher(
        [Entity("ธนาคารแสงทอง", ("แสงทอง", "Saengthong", "ST Bank")), Entity("แสงทอง พลัส", ("ST Plus",))]
    )
    assert matcher.find(normalize("ธ.แสงทองวันนี้คนเยอะ")) == ["ธนาคารแสงทอง"]
    assert matcher.find(normalize("saengthong app down")) == ["ธนาคารแสงทอง"]
    assert set(matcher.find(normalize("แอปแสงทองพลัสล่ม"))) == {"ธนาคารแสงทอง", "แสงทอง พลัส"}
    assert matcher.find(normalize("st plus ใช้ไม่ได้")) == ["แสงทอง พลัส"]
    assert matcher.find(normalize("first bank is better")) == []  # "ST" inside a word is not ST Bank


def test_hashtags():
    assert hashtags("แอปล่มอีกแล้ว #แสงทองล่ม #SaengthongDown #แสงทองล่ม") == ["แสงทองล่ม", "saengthongdown"]


def test_exact_and_near_duplicates():
    a = normalize("ธนาคารแสงทองขอแจ้งว่าระบบแอปพลิเคชันแสงทองพลัสขัดข้องชั่วคราว ทีมงานกำลังเร่งแก้ไข ขออภัยในความไม่สะดวก")
    b = normalize("ธนาคารแสงทองขอแจ้งว่าระบบแอปพลิเคชันแสงทองพลัสขัดข้องชั่วคราว ทีมงานกำลังเร่งแก้ไข ขออภัยในความไม่สะดวกค่ะ")
    c = normalize("วันนี้ไปเปิดบัญชีที่สาขาขอนแก่น พนักงานบริการดีมาก อธิบายละเอียด ประทับใจค่ะ")
    assert text_hash(a) == text_hash(normalize(a.replace(" ", "  ") + " !"))
    assert text_hash(a) != text_hash(b)
    assert distance(simhash(a), simhash(b)) <= 6
    assert distance(simhash(a), simhash(c)) > 12
    assert simhash("สั้นไป") is None
    index = SimHashIndex(6)
    index.add(simhash(a), "first")
    assert index.find(simhash(b)) == "first"
    assert index.find(simhash(c)) is None


def _simhash_by_definition(text: str, shingle: int = 4) -> int:
    import hashlib
    import re

    compact = re.sub(r"[\W_]+", "", text.lower())
    votes = [0] * 64
    for i in range(len(compact) - shingle + 1):
        h = int.from_bytes(hashlib.blake2b(compact[i : i + shingle].encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            votes[bit] += 1 if (h >> bit) & 1 else -1
    return sum(1 << bit for bit in range(64) if votes[bit] > 0)


def test_simhash_is_the_bitwise_majority_of_shingle_hashes():
    # Stored fingerprints must stay comparable across versions: the fast path must give the
    # same 64 bits as the definition, on Thai, English and mixed text.
    for text in (
        "ธนาคารแสงทองขอแจ้งว่าระบบแอปพลิเคชันแสงทองพลัสขัดข้องชั่วคราว ทีมงานกำลังเร่งแก้ไข",
        "The Saeng Thong app has been down since this morning, cannot transfer money at all",
        "แอป SaengThong Plus ล่มอีกแล้ว โอนเงินไม่ได้ตั้งแต่เช้า 555 ถถถ ใครเป็นบ้าง",
        "กขคง" * 12,  # few distinct shingles: ties are not majorities
    ):
        assert simhash(normalize(text)) == _simhash_by_definition(normalize(text))
