"""Expectation level, voice-of-customer category and complaint type (enrich/voc.py)."""

from __future__ import annotations

import pytest

from enrich.pipeline import Enricher
from enrich.tokenize import tokenize
from enrich.voc import Lexicons, load_default
from sadap.app.config import load_config_file
from sadap.core.errors import ConfigError
from sadap.core.mention import RawMention, to_mention


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    # These cases check the expectation/category/complaint rules end to end, and the rules read
    # the sentiment label: pin the deterministic fast engine so a case tests the rules, not a
    # model's borderline call. The default engine's quality is measured by `sadap eval`
    # (tests/test_sentiment_engines.py); its known misses are in the model card.
    return Enricher(sentiment_model="linear-v1")


def run(enricher: Enricher, *texts: str):
    raws = [RawMention(source_kind="file", source_name="t", native_id=str(i), text=t) for i, t in enumerate(texts)]
    return enricher.enrich([to_mention(r, pseudonym_key=b"k") for r in raws])


@pytest.mark.parametrize(
    "text, expectation",
    [
        ("ประทับใจพนักงานสาขาสยามมากค่ะ บริการดีสุดยอด ❤️", "delighted"),
        ("ร้านนี้อร่อยดีค่ะ ราคาไม่แพง", "satisfied"),
        ("ผิดหวังมาก สั่งของไปสองอาทิตย์ยังไม่ได้รับเลย", "disappointed"),
        ("ไม่ประทับใจเลยกับบริการครั้งนี้", "disappointed"),
        ("ทำไมแอปเข้าไม่ได้คะ", "disappointed"),  # the model hears a complaint, not a question
        ("สาขาไหนเปิดวันอาทิตย์บ้างคะ", "none"),
        ("ธนาคารแสงทองประกาศปรับอัตราดอกเบี้ยเงินฝาก มีผล 1 ม.ค.", "none"),
    ],
)
def test_expectation(enricher, text, expectation):
    (m,) = run(enricher, text)
    assert m.expectation == expectation, (m.sentiment, m.expectation)


def test_question_is_none():
    lex = Lexicons.build()
    assert lex.analyze(["ทำไม", "แอป", "ผิดหวัง", "จัง"], "ทำไมแอปผิดหวังจัง", "q").expectation == "none"


def test_negated_disappointment_is_not_counted():
    lex = Lexicons.build()
    # A negated disappointment word is mild praise ...
    r = lex.analyze(["ใช้", "มา", "หลาย", "ปี", "ไม่เคย", "เบื่อ"], "ใช้มาหลายปีไม่เคยเบื่อ", "pos")
    assert r.hits["disappointed"] == [] and r.hits["satisfied"] == ["เบื่อ"] and r.expectation == "satisfied"
    # ... and "never disappointed" is strong loyalty, listed as a phrase of its own.
    r = lex.analyze(["ใช้", "มา", "หลาย", "ปี", "ไม่เคย", "ผิดหวัง"], "ใช้มาหลายปีไม่เคยผิดหวัง", "pos")
    assert r.hits["disappointed"] == [] and r.expectation == "delighted"


def test_words_match_on_word_boundaries_only():
    lex = Lexicons.build()
    # "แย่" (bad) must not be found inside "แย่ง" (to grab); "ช้า" not inside "ช้าง".
    r = lex.analyze(["แย่ง", "กัน", "ซื้อ", "ช้าง"], "แย่งกันซื้อช้าง", "neu")
    assert r.hits["disappointed"] == [] and not r.is_complaint and r.expectation == "none"


@pytest.mark.parametrize(
    "text, category",
    [
        ("แอปใหม่ใช้งานง่าย ฟีเจอร์ครบ", "product_service"),
        ("พนักงานคอลเซ็นเตอร์ตอบช้ามาก รอสายนาน", "customer_support"),
        ("โอนเงินแล้วแต่ยอดเงินยังไม่เข้าบัญชี", "transaction"),
        ("เป็นลูกค้าประจำมาสิบปี สะสมแต้มตลอด", "relationship"),
        ("วันนี้ฝนตกหนักมาก", "other"),
    ],
)
def test_category(enricher, text, category):
    (m,) = run(enricher, text)
    assert m.category == category


@pytest.mark.parametrize(
    "text, kind",
    [
        ("ซื้อมาใช้ได้สองวันพัง ชำรุดทั้งที่ยังใหม่ ของไม่ตรงปก", "product_quality"),
        ("พนักงานพูดจาไม่สุภาพมาก ไม่มีใครตอบแชทเลย", "service_staff"),
        ("โดนหักเงินซ้ำสองรอบ ค่าบริการแพงเกินจริง", "price_billing"),
        ("สั่งของไปสองอาทิตย์ยังไม่ได้รับ พัสดุหาย ขนส่งห่วยมาก", "delivery_logistics"),
        ("แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้ตั้งแต่เช้า", "digital_outage"),
        ("ห้องน้ำสาขานี้สกปรกมาก เหม็นด้วย", "facility_environment"),
        ("กินแล้วท้องเสีย อาหารเป็นพิษทั้งบ้าน", "safety_health"),
        ("โดนมิจฉาชีพแอบอ้างเป็นธนาคาร หลอกให้โอนเงิน เงินหายหมดบัญชี", "fraud_scam"),
    ],
)
def test_complaint_types(enricher, text, kind):
    (m,) = run(enricher, text)
    assert m.complaint.is_complaint, (m.sentiment, m.complaint)
    assert m.complaint.type == kind


@pytest.mark.parametrize(
    "text",
    [
        "ประทับใจพนักงานสาขาสยามมากค่ะ บริการดีสุดยอด",  # praise
        "วันนี้รถติดมาก เบื่อสุดๆ",  # negative, but about nobody's offer
        "ธนาคารแสงทองประกาศปรับอัตราดอกเบี้ยเงินฝาก มีผล 1 ม.ค.",  # news
    ],
)
def test_not_complaints(enricher, text):
    (m,) = run(enricher, text)
    assert not m.complaint.is_complaint and m.complaint.type is None


def analyze(text: str, sentiment: str):
    """The lexicon rules on real tokens, with the sentiment given (independent of the model)."""
    from enrich.normalize import normalize
    from enrich.tokenize import tokenize

    full = normalize(text)
    return Lexicons.build().analyze(tokenize(full), full, sentiment)


# Real-Thai messages of the kind Thai customers write, per category (sentiment given, so the
# cases test the lexicons and rules, not the sentiment model).
@pytest.mark.parametrize(
    "text, sentiment, category",
    [
        ("ลิปสติกแท่งนี้สีสวย เนื้อครีมทาง่าย ติดทนทั้งวัน", "pos", "product_service"),
        ("รถรุ่นนี้ช่วงล่างนุ่ม เครื่องยนต์เงียบ ประหยัดน้ำมัน", "pos", "product_service"),
        ("ชาบูร้านนี้น้ำซุปอร่อย เมนูเยอะ", "pos", "product_service"),
        ("เน็ตบ้านหลุดทุกคืน สัญญาณอ่อนมาก", "neg", "product_service"),
        ("แอดมินตอบแชทเร็วมาก ประสานงานให้เรียบร้อยค่ะ", "pos", "customer_support"),
        ("โทรหาคอลเซ็นเตอร์สามรอบ รอสายนานมาก", "neg", "customer_support"),
        ("รุ่นนี้ราคาเท่าไหร่คะ ดาวน์เท่าไหร่ ผ่อนเดือนละกี่บาท", "q", "transaction"),
        ("โปรซื้อ1แถม1 ใช้สิทธิได้ถึงวันไหนคะ", "q", "transaction"),
        ("ค่าส่งแพงกว่าค่าอาหารอีก", "neg", "transaction"),
        ("ขอบคุณแบรนด์ที่ร่วมสนับสนุนกิจกรรมช่วยเหลือสังคม", "pos", "relationship"),
        ("เป็นสมาชิกมาห้าปี สะสมแต้มตลอด", "neu", "relationship"),
        ("ไปเที่ยวทะเลกับเพื่อนมา สนุกมาก", "pos", "other"),
        ("ไม่หย่อยเลย", "neg", "product_service"),  # no category word: from its complaint type
    ],
)
def test_category_rules_on_real_thai(text, sentiment, category):
    r = analyze(text, sentiment)
    assert r.category == category, r.hits


# One or more real-Thai complaints per complaint type.
@pytest.mark.parametrize(
    "text, kind",
    [
        ("ชาบูวันนี้น้ำซุปจืด หมูไม่สด ผิดหวังมาก", "product_quality"),
        ("ผ้าอนามัยรุ่นใหม่ซึมเปื้อน รั่วซึมทุกคืน แย่มาก", "product_quality"),
        ("หมูบางลงเรื่อยๆ ของน้อยลง ไม่คุ้มเลย", "product_quality"),
        ("ผ้าอนามัยยาวกว่ากาว ผิดหวังมาก", "product_quality"),  # no type word: from its category
        ("พนักงานสาขานี้พูดจาไม่สุภาพ เหวี่ยงใส่ลูกค้า", "service_staff"),
        ("แจ้งแอดมินไปสามวันแล้วไม่มีคำตอบ ไม่ติดต่อกลับเลย", "service_staff"),
        ("ค่าส่งแพงกว่าค่าอาหารอีก โก่งราคาชัดๆ", "price_billing"),
        ("บิลเดือนนี้เรียกเก็บเกิน โดนหักเงินซ้ำ", "price_billing"),
        ("ลิปสติกสวยนะ แต่ส่งช้ามาก รอของสองอาทิตย์", "delivery_logistics"),
        # a late delivery is delivery_logistics even when the product is also faulted (ties: the
        # more specific type first)
        ("สั่งครีมไป ส่งช้ามาก ได้ของมาก็หมดอายุ", "delivery_logistics"),
        ("เน็ตบ้านหลุดทุกคืน สัญญาณอ่อนมาก โหลดไม่ขึ้นเลย", "digital_outage"),
        ("ห้องน้ำในห้างสกปรก แอร์ไม่เย็น", "facility_environment"),
        ("ใช้ครีมตัวนี้แล้วแพ้ ผื่นขึ้นเต็มหน้า แสบหน้ามาก", "safety_health"),
        ("เห็นข่าวเจอพยาธิในหมู ไม่กล้ากินอีกแล้ว", "safety_health"),
        ("โดนเพจปลอมหลอกขายของ โอนเงินไปแล้วติดต่อไม่ได้", "fraud_scam"),
    ],
)
def test_complaint_type_rules_on_real_thai(text, kind):
    r = analyze(text, "neg")
    assert r.is_complaint and r.complaint_type == kind, r.hits


def test_negated_complaint_words_are_ignored():
    assert analyze("แอปค้างบ่อยมาก", "neu").is_complaint
    r = analyze("แอปไม่ค้างเลย", "neu")  # ไม่ค้าง: no signal, no complaint
    assert r.hits["signals"] == [] and r.hits["complaint_types"] == ["digital_outage:แอป"] and not r.is_complaint
    # ไม่ได้ ends the clause before the word, it does not negate it
    assert "facility_environment:สกปรก" in analyze("กินไม่ได้ สกปรก", "neg").hits["complaint_types"]


def test_not_complaint_phrases_hide_complaint_words():
    r = analyze("กันแดดตัวนี้เหมาะกับผิวแพ้ง่าย", "neg")  # ผิวแพ้ง่าย: sensitive skin, not an allergy
    assert r.hits["complaint_types"] == [] and not r.is_complaint and r.complaint_type is None
    assert analyze("ทาแล้วแพ้ ผื่นขึ้น", "neg").complaint_type == "safety_health"


@pytest.mark.parametrize(
    "text, sentiment, expectation",
    [
        ("สนใจวีออสค่ะ", "pos", "none"),  # positive sentiment without praise: no evaluated experience
        ("ไปด่วนนน 555", "pos", "none"),
        ("ภายในรถสวย นั่งสบาย", "pos", "satisfied"),
        ("ส้มตำถาดนี้อร่อยน้ำตาเล็ด", "pos", "delighted"),
        ("ไม่ค่อยอร่อยเลย", "neu", "disappointed"),  # negated praise
    ],
)
def test_expectation_rules_on_real_thai(text, sentiment, expectation):
    assert analyze(text, sentiment).expectation == expectation


@pytest.mark.parametrize(
    "text, complaint",
    [
        # Negative messages that name a product but say nothing wrong with it (from the Wisesight
        # train split, labelled in tests/data/enrich_tune/complaint-evidence.jsonl): no complaint.
        ("จับบุหรี่ไฟฟ้ายัดตูดแม้ง", False),
        ("ไม่น่ากินเบียร์ช้างเลยจริงๆ", False),
        ("ดีเลย กูจะได้เลิกดื่มเครื่องดิ่มตระกูล สิงห์", False),
        # The same kind of message saying what is wrong: a complaint.
        ("ตัวดีเซลคือไปออกฟอจูนเนอเหอะ crv ทุกตัวความเหี้ยคือแดกน้ำมัน", True),
        ("ติดต่อยากจังครับ", True),
        ("ผมจะเปลี่ยนเครือข่ายละนะครับ จ่ายรายเดือนทุกเดือน เนตไม่ได้เรื่องเลยครับ", True),
    ],
)
def test_a_negative_mention_complains_only_when_it_says_what_is_wrong(text, complaint):
    r = analyze(text, "neg")
    assert r.is_complaint is complaint, r.hits
    # Naming a product without saying what is wrong or evaluating it evaluates nothing: none; one bare
    # praise word ("ดีเลย") is too little to overrule the negative reading (rule 8).
    praised = r.category != "other" and bool(r.hits["satisfied"])
    assert r.expectation == ("disappointed" if complaint or praised else "none")


def test_complaint_signal_makes_a_neutral_mention_a_complaint():
    lex = Lexicons.build()
    r = lex.analyze(["แอป", "เข้า", "ไม่", "ได้", "ค่ะ"], "แอปเข้าไม่ได้ค่ะ", "neu")
    assert r.is_complaint and r.complaint_type == "digital_outage" and r.expectation == "disappointed"
    assert "เข้าไม่ได้" in r.hits["signals"]


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😍😍😍", "👍", "https://example.com/a/b?c=1", "<div><p class='x'>&nbsp;</p></div>", "0812345678", "!!!???"],
)
def test_bad_input_is_none_other_not_complaint(enricher, text):
    (m,) = run(enricher, text)
    assert m.expectation == "none" and m.category == "other"
    assert m.complaint.is_complaint is False and m.complaint.type is None


def test_huge_input_does_not_crash(enricher):
    from enrich.news import NewsSettings

    text = "แอปล่มอีกแล้ว พนักงานไม่ตอบ " * 8000  # > 200 kB
    (m,) = run(enricher, text)  # a long text: read as news (enrich/news.py), and no crash
    assert m.news_topic is not None and m.expectation == "none"
    as_post = Enricher(sentiment_model=enricher.sentiment_model, news=NewsSettings(long_text_chars=0))
    (m,) = run(as_post, text)
    assert m.complaint.is_complaint and m.expectation == "disappointed"


def test_shipped_lexicon_shape():
    lex = load_default()
    assert set(lex["categories"]) == {"product_service", "customer_support", "transaction", "relationship"}
    assert set(lex["complaint_types"]) == {
        "product_quality", "service_staff", "price_billing", "delivery_logistics",
        "digital_outage", "facility_environment", "safety_health", "fraud_scam",
    }
    assert lex["expectation"]["delighted"] and lex["expectation"]["satisfied"] and lex["expectation"]["disappointed"]
    assert set(lex["category_complaint_types"]) <= set(lex["categories"])
    assert set(lex["category_complaint_types"].values()) <= set(lex["complaint_types"])
    assert set(lex["complaint_type_categories"]) <= set(lex["complaint_types"])
    assert set(lex["complaint_type_categories"].values()) <= set(lex["categories"])
    for section in ("categories", "complaint_types"):  # no word listed twice under one name
        for name, words in lex[section].items():
            assert len(words) == len(set(words)), (section, name)


def _config(tmp_path, body: str):
    path = tmp_path / "sadap.yaml"
    path.write_text(body, encoding="utf-8")
    return load_config_file(path)


def test_lexicons_extend_add_and_remove_from_sadap_yaml(tmp_path):
    config = _config(
        tmp_path,
        "enrich:\n"
        "  categories:\n"
        "    product_service: [บัตรกดเงินสด]\n"
        "    sustainability: [โซลาร์เซลล์, พลังงานสะอาด]\n"
        "    relationship: []\n"
        "  complaint_types:\n"
        "    queue_wait: [ต่อคิว, คิวยาว]\n"
        "  expectation_words:\n"
        "    delighted: [ปลื้ม]\n",
    )
    enricher = Enricher.from_config(config)
    lex = enricher.lexicons
    assert "relationship" not in lex.category_names
    assert lex.category_names[-1] == "sustainability" and "queue_wait" in lex.type_names
    a, b, c, d = run(
        enricher,
        "สนับสนุนโครงการโซลาร์เซลล์ พลังงานสะอาด",
        "บัตรกดเงินสดใบใหม่ใช้สะดวกดี",
        "ต่อคิวนานมาก คิวยาวเป็นชั่วโมง สาขานี้แย่ที่สุด",
        "เป็นลูกค้าประจำมาสิบปี สะสมแต้มตลอด",
    )
    assert a.category == "sustainability"
    assert b.category == "product_service"
    assert c.complaint.is_complaint and c.complaint.type == "queue_wait"
    assert d.category == "other"  # relationship removed
    assert lex.analyze(["ปลื้ม", "บริการ"], "ปลื้มบริการ", "pos").expectation == "delighted"


def test_mild_praise_and_not_complaints_from_sadap_yaml(tmp_path):
    text_praise, text_market = "ปังปุริเย่มากค่ะ", "ตลาดหุ้นล่มหนักวันนี้ แย่จริงๆ"
    shipped = Enricher.from_config(_config(tmp_path, "data_dir: x\n")).lexicons
    market = shipped.analyze(tokenize(text_market), text_market, "neg")
    assert market.is_complaint and market.complaint_type == "digital_outage"  # "ล่ม" read as an outage
    config = _config(
        tmp_path,
        "enrich:\n"
        "  expectation_words:\n"
        "    satisfied: [ปังปุริเย่]\n"
        "  not_complaints: [ตลาดหุ้นล่ม]\n",
    )
    lex = Enricher.from_config(config).lexicons
    praise = lex.analyze(tokenize(text_praise), text_praise, "pos")
    # "มาก" right after mild praise makes it strong (enrich.voc, rule 4): delighted.
    assert praise.expectation == "delighted" and praise.hits["delighted"] == ["ปังปุริเย่"]
    plain = "ปังปุริเย่ค่ะ"
    praise = lex.analyze(tokenize(plain), plain, "pos")
    assert praise.expectation == "satisfied" and praise.hits["satisfied"] == ["ปังปุริเย่"]
    market = lex.analyze(tokenize(text_market), text_market, "neg")
    assert not market.is_complaint and market.expectation == "disappointed"


def test_replace_default_lexicons(tmp_path):
    body = "enrich:\n  replace_default_lexicons: true\n  categories:\n    billing: [บิล]\n"
    lex = Enricher.from_config(_config(tmp_path, body)).lexicons
    assert lex.category_names == ["billing"] and lex.type_names == []
    r = lex.analyze(["บิล", "ผิด"], "บิลผิด", "neg")
    assert r.category == "billing" and not r.is_complaint  # nothing in the lists says what is wrong
    lex = Enricher.from_config(_config(tmp_path, body + "  complaint_signals: [ผิด]\n")).lexicons
    r = lex.analyze(["บิล", "ผิด"], "บิลผิด", "neg")
    assert r.category == "billing" and r.is_complaint and r.complaint_type == "other"


@pytest.mark.parametrize(
    "body, fragment",
    [
        ("enrich:\n  categories:\n    Bad Name: [x]\n", "category name 'Bad Name'"),
        ("enrich:\n  complaint_types:\n    other: [x]\n", "'other' is reserved"),
        ("enrich:\n  categories:\n    billing: ['  ']\n", "empty word"),
        ("enrich:\n  expectation_words:\n    thrilled: [x]\n", "expectation_words"),
    ],
)
def test_bad_lexicon_settings(tmp_path, body, fragment):
    with pytest.raises(ConfigError) as err:
        _config(tmp_path, body)
    assert fragment in str(err.value)
    assert str(err.value).startswith(str(tmp_path / "sadap.yaml") + ":")


@pytest.mark.parametrize(
    "text, complaint",
    [
        ("The app keeps crashing, worst bank ever", True),  # crash finds crashing
        ("the app doesn't work since this morning", True),
        ("I can't login to the bank app", True),
        ("แอป crash ตลอดเลย", True),
        ("news about the bus", False),
    ],
)
def test_english_complaint_words_match_their_inflected_forms(text, complaint):
    r = analyze(text, "neu")
    assert r.is_complaint is complaint, r.hits


def test_english_stem_boundary_is_only_for_english_words_of_three_letters_or_more():
    from enrich.voc import _english_stem_length

    assert _english_stem_length("crashing") == 5 and _english_stem_length("crashed") == 5
    assert _english_stem_length("refunds") == 6
    assert _english_stem_length("bugs") == 3 and _english_stem_length("bus") == 0 and _english_stem_length("is") == 0
    assert _english_stem_length("ล่ม") == 0 and _english_stem_length("app2") == 0
