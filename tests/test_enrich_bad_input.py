"""The real enricher on bad input: no exception, a sensible label, a storable mention, and a
bounded time per message (the sentiment engine is whatever the default is; only its label
set is relied on)."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from enrich.entities import Entity
from enrich.pipeline import Enricher
from enrich.sentiment import warm
from sadap.core.mention import Mention

NOW = datetime(2026, 3, 25, 9, 0, tzinfo=timezone.utc)
LABELS = {"pos", "neu", "neg", "q"}
EXPECTATIONS = {"delighted", "satisfied", "disappointed", "none"}
# A guard against super-linear work (regex backtracking, quadratic joins), which takes minutes
# on these inputs; not a speed goal (those are in benchmarks/). A 100 kB message takes about
# 0.3 s alone and up to 3 s on a loaded CI machine, hence the headroom.
MAX_SECONDS = 10.0

_BIG = ("แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้ตั้งแต่เช้า The app is down again, please fix it. " * 1300)[:100_000]
_THAI_RUN = ("แสงทองโอนเงินไม่ได้ตั้งแต่เช้าแย่มาก" * 1500)[:50_000]

# name → text; the "nothing to read" ones must come out neutral, expecting nothing.
EMPTY_LIKE = {
    "empty": "",
    "whitespace and zero-width": " \u200b\u200c\u200d\ufeff \n\t\u00a0\u3000 ",
    "emoji without feeling": "🏦📱🏧🚗",
    "only a URL": "https://pantip.com/topic/42424242?utm_source=line",
    "only masks": "@somchai_j 081-234-5678 somchai@gmail.com",
    "only markup": "<script>alert('ดีมาก')</script><br/><div></div>",
    "dangling marks and controls": "\u0e48\u0e49\u0e4c \x00\x07\x1b",
}
OTHER = {
    "emoji with feeling": "😡😡😡",
    "100 kB Thai and Latin": _BIG,
    "mixed scripts": "แอป ST ล่ม 银行应用 アプリ 앱 Приложение ແອັບ تطبيق 😀 #แสงทองล่ม",
    "lone surrogates": "\ud800แอปล่ม\udfffอีกแล้ว\udbff",
    "HTML fragment": "<script>alert(1)</script><p>ดี</p>",
    "50,000-character Thai word": _THAI_RUN,
    "50,000-character Latin word": "saengthongappdown" * 2941,
    "one character repeated": "ก" * 100_000,
    "punctuation repeated": "!?" * 25_000,
    "emoji repeated": "😂" * 30_000,
    "thousands of hashtags": " ".join(f"#แท็ก{i}" for i in range(5000)),
    "thousands of short Thai names": "ทรู " * 20_000,
    "a short Thai name inside other words, over and over": "บทรูปแบบใหม่" * 8_000,
}


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    e = Enricher([Entity("ธนาคารแสงทอง", ("แสงทอง", "Saengthong")), Entity("ทรู", ("True",))])
    e.enrich([_mention("warm-up: load the models once แสงทอง ทรู", "warm")])
    warm(e.sentiment_model)  # the ensemble's gate may have spared the transformer above
    return e


def _mention(text: str, name: str, title: str | None = None) -> Mention:
    return Mention(id=name, source_kind="social", source_name="test", published_at=NOW, collected_at=NOW,
                   text=text, title=title)


def _enrich(enricher: Enricher, text: str, name: str, title: str | None = None) -> Mention:
    started = time.perf_counter()
    (out,) = enricher.enrich([_mention(text, name, title)])
    elapsed = time.perf_counter() - started
    assert elapsed < MAX_SECONDS, f"{name}: {elapsed:.2f} s"
    assert out.sentiment is not None and out.sentiment.label in LABELS
    assert out.expectation in EXPECTATIONS
    assert out.spam_score is not None and 0.0 <= out.spam_score <= 1.0
    assert isinstance(out.language, str) and out.language
    Mention.model_validate_json(out.model_dump_json())  # storable: valid UTF-8, valid fields
    return out


@pytest.mark.parametrize("name", sorted(EMPTY_LIKE))
def test_nothing_to_read_is_neutral(enricher, name):
    out = _enrich(enricher, EMPTY_LIKE[name], name)
    assert out.sentiment.label == "neu" and out.expectation == "none"
    assert out.complaint.is_complaint is False and out.category == "other"
    assert out.entities == [] and out.language == "und"


@pytest.mark.parametrize("name", sorted(OTHER))
def test_bad_input_is_handled(enricher, name):
    _enrich(enricher, OTHER[name], name)


def test_what_bad_input_becomes(enricher):
    html = _enrich(enricher, OTHER["HTML fragment"], "html")
    assert html.tokens == ["ดี"] and html.language == "th"

    lone = _enrich(enricher, OTHER["lone surrogates"], "surrogates", title="หัวข้อ\udc00")
    assert "\ud800" not in lone.text and lone.title == "หัวข้อ" and "ล่ม" in lone.tokens

    big = _enrich(enricher, _BIG, "big")
    assert big.text == _BIG  # the whole text is stored; only the first 20,000 characters are analysed
    assert big.entities == ["ธนาคารแสงทอง"] and big.language in {"th", "mixed"}

    url = _enrich(enricher, EMPTY_LIKE["only a URL"], "url")
    assert url.text == "[URL]" and url.spam_score >= 0.7

    run = _enrich(enricher, OTHER["one character repeated"], "run")
    assert run.tokens == ["ก"]

    mixed = _enrich(enricher, OTHER["mixed scripts"], "mixed")
    assert mixed.entities == ["ธนาคารแสงทอง"] and mixed.hashtags == ["แสงทองล่ม"]

    tags = _enrich(enricher, OTHER["thousands of hashtags"], "tags")
    assert len(tags.hashtags) > 2000 and tags.spam_score >= 0.5  # those in the analysed 20,000 characters


def test_a_batch_of_bad_input_in_one_call(enricher):
    texts = {**EMPTY_LIKE, **OTHER}
    started = time.perf_counter()
    out = enricher.enrich([_mention(text, name) for name, text in texts.items()])
    assert time.perf_counter() - started < MAX_SECONDS * len(texts)
    assert [m.id for m in out] == list(texts)
    for m in out:
        assert m.sentiment.label in LABELS
        Mention.model_validate_json(m.model_dump_json())
