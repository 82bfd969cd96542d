"""English posts: read with VADER where they are plainly English (enrich/sentiment/english.py),
left to the Thai engine otherwise; scored on the hand-labelled English PR posts."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from enrich.evaluate import metrics
from enrich.pipeline import Enricher
from enrich.sentiment.english import english_sentiment, is_plain_english
from sadap.app.config import load_config_file
from sadap.core.errors import ConfigError
from sadap.core.mention import Mention

DATA = Path(__file__).resolve().parent / "data" / "english_posts"
AT = datetime(2026, 3, 25, 9, 0, tzinfo=timezone.utc)


def _enrich(texts: list[str], how: str = "vader") -> list[Mention]:
    return Enricher(english_sentiment=how).enrich(
        [Mention(id=f"m{i}", source_kind="social", source_name="x", published_at=AT, collected_at=AT, text=t)
         for i, t in enumerate(texts)])


def _rows(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_plainly_english_means_no_thai_letter_and_five_english_words():
    assert is_plain_english("The Saengthong app has been down all morning")
    assert not is_plain_english("New Nissan Leaf")  # a product name, as most of Wisesight's "English" is
    assert not is_plain_english("#SaengThongDown #AppDown @saengthong [URL] again")  # tags, handles, masks
    assert not is_plain_english("แอปแสงทองล่ม The app has been down all morning")  # Thai: the Thai engine reads it
    assert english_sentiment("MU-X THE ICONIC") is None


def test_english_posts_get_their_tone_a_complaint_and_an_expectation():
    down, praise, question, news, engine_down = [*_enrich([
        "The Saengthong app has been down all morning and I can't transfer money. Terrible service.",
        "Great service at the Saengthong branch in Bangna today, the staff were so helpful!",
        "Does anyone know if NakornNet fibre covers Hua Hin?",
        "Saengthong Bank announces new branch opening hours from 1 January.",
    ]), *_enrich(["The Saengthong app has been down all morning and I can't transfer money. Terrible service."], "engine")]
    # VADER alone reads the first as positive (0.37); the lexicons' complaint makes it negative.
    assert english_sentiment(down.text) == ("pos", pytest.approx(0.37, abs=0.01))
    assert down.sentiment.label == "neg" and down.complaint.is_complaint and down.expectation == "disappointed"
    assert down.complaint.type == "digital_outage"
    assert praise.sentiment.label == "pos" and praise.expectation in ("satisfied", "delighted")
    assert not praise.complaint.is_complaint
    assert question.sentiment.label == "q" and not question.complaint.is_complaint
    assert news.sentiment.label == "neu" and news.expectation == "none"
    # `engine`: the Thai engine's reading, neutral for English.
    assert engine_down.sentiment.label == "neu"


def test_the_held_out_english_posts_score_well_above_the_thai_engine():
    rows = _rows("english-posts-dev.jsonl")
    assert len(rows) >= 40
    gold = [r["sentiment"] for r in rows]
    vader = metrics(gold, [m.sentiment.label for m in _enrich([r["text"] for r in rows])])
    engine = metrics(gold, [m.sentiment.label for m in _enrich([r["text"] for r in rows], "engine")])
    assert engine["accuracy"] < 0.3  # nearly everything neutral
    assert vader["accuracy"] >= 0.75 and vader["macro_f1"] >= 0.75


def test_thai_posts_do_not_change(tmp_path):
    texts = ["แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้", "พนักงานสาขาบางนาบริการดีมาก ประทับใจ", "ok ค่ะ", "Carnival #ช้าง"]
    assert [(m.sentiment, m.expectation, m.complaint) for m in _enrich(texts)] == \
        [(m.sentiment, m.expectation, m.complaint) for m in _enrich(texts, "engine")]


def test_a_misspelt_setting_is_one_clear_line(tmp_path):
    path = tmp_path / "sadap.yaml"
    path.write_text("enrich:\n  english_sentiment: vadr\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config_file(path)
    message = str(err.value)
    assert "english_sentiment" in message and "vader" in message and "engine" in message


def test_a_masked_phone_number_or_email_keeps_an_english_post_english():
    """The personal-data masks are Sadap's Thai placeholders, not Thai the author wrote: an English
    complaint that gave a phone number or an e-mail address is still read by VADER."""
    plain, phone, email, card = _enrich([
        "Terrible service, nobody at your call centre answers my calls at all",
        "Terrible service, nobody at your call centre answers my calls at all. Call me on 0812345678",
        "Terrible service, nobody answers my emails at all, write to john@example.com",
        "Terrible service, you charged my card twice, my ID is 1101700203450",
    ])
    assert "[โทร]" in phone.text and "[อีเมล]" in email.text and "[เลขบัตร]" in card.text
    assert is_plain_english(phone.text) and is_plain_english(email.text) and is_plain_english(card.text)
    assert plain.sentiment.label == phone.sentiment.label == email.sentiment.label == card.sentiment.label == "neg"
    assert not is_plain_english("[โทร] [อีเมล] [เลขบัตร] [URL] call me")  # masks are no English words either
    assert not is_plain_english("Call me on [โทร] about it ขอบคุณครับ")  # Thai the author wrote: the engine's


def test_a_complaint_that_opens_like_a_question_is_no_question():
    """English complaints often drop the subject ("Have been waiting…", "Did not receive…") or open
    with "When I…": statements, read by their tone, not questions. Real questions stay questions."""
    statements = [
        "Have been waiting three hours at the front desk and nobody came.",
        "Did not receive my parcel after two weeks, the tracking says delivered.",
        "Will not use this airline again after they lost my bag.",
        "Can't believe they charged my card twice for one ticket.",
        "When I arrived at the hotel the room was not ready and nobody helped us.",
    ]
    for text in statements:
        found = english_sentiment(text)
        assert found is not None and found[0] != "q", (text, found)
    for text in ["Has anyone else been charged twice by Saengthong this month?", "Does MetroLine accept contactless cards",
                 "Is the Saengthong app down for anyone else", "When will SiamFly refund my cancelled ticket",
                 "How do I reset my Saengthong app PIN", "Can I pay my NakornNet bill at 7-Eleven"]:
        assert english_sentiment(text) == ("q", pytest.approx(1, abs=0.5)), text
    assert "q" not in [m.sentiment.label for m in _enrich(statements)]
