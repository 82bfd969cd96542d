"""A crisis counted as voices, not copies: a built stream of the shape an operator met —
a quiet week, an app outage (70 posts from 70 accounts in two hours, 47 negative, many in
nearly the same words), a press release syndicated by a dozen news sites, ordinary praise
repeated over nine days but crawled in one batch, and a real copy-paste campaign — through
the default rules (sadap/app/templates/rules.yaml), evaluated every 15 minutes. Every
situation alerts once, with one incident per entity and situation; nothing else alerts.

Near-duplicates are marked with the ingest's own method (text hash, then SimHash)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from importlib import resources

import pytest
import yaml

from enrich.dedup import SimHashIndex, simhash, text_hash
from enrich.normalize import normalize
from sadap.app.alerting import build_engine
from sadap.app.config import Config
from sadap.core.mention import Mention
from sadap.store.sqlite import SQLiteStore
from tests.factories import ENTITY, mention
from tests.test_alerts import NOW

QUIET = [
    "เปิดสาขาใหม่ที่ขอนแก่น บริการดี", "ดอกเบี้ยเงินฝากเดือนนี้เท่าไหร่", "สมัครบัตรเครดิตแสงทองง่ายดีค่ะ",
    "แอปใช้งานสะดวกดี", "พนักงานสุภาพมาก", "อยากเปิดบัญชีออมทรัพย์ ต้องใช้เอกสารอะไรบ้าง",
]
# Many people, nearly the same words (short: people complain in a few words).
OUTAGE_NEG = [
    "แอปล่ม โอนเงินไม่ได้", "แอปล่ม โอนเงินไม่ได้เลย", "แอปล่มอีกแล้ว โอนเงินไม่ได้", "เข้าแอปไม่ได้ โอนเงินไม่ได้",
    "แอปแสงทองล่มอีกแล้ว", "ระบบล่ม จ่ายบิลไม่ได้", "แอปล่ม!!", "ล่มทั้งเช้า ทำธุรกรรมไม่ได้",
]
OUTAGE_OTHER = ["แอปใช้ได้หรือยังคะ", "ใครโอนเงินได้บ้าง", "รอแอปกลับมาก่อน", "ตอนนี้แอปเป็นอะไรคะ"]
PRESS = "ธนาคารแสงทองจัดกิจกรรมปลูกป่าชายเลนร่วมกับชุมชนบางขุนเทียน ส่งเสริมความยั่งยืนด้านสิ่งแวดล้อม"
PRAISE = "ขอบคุณพนักงานธนาคารแสงทองสาขาขอนแก่นที่ช่วยเหลือเรื่องบัญชีเป็นอย่างดีค่ะ ประทับใจมาก"
CAMPAIGN = [
    "ธนาคารแสงทองกำลังจะล้มละลาย รีบถอนเงินออกให้หมดก่อนสิ้นเดือนนี้ แชร์ต่อด่วนที่สุด",
    "วงในบอกว่าแสงทองจะปิดสาขาทั่วประเทศสัปดาห์หน้า ใครมีเงินฝากไว้รีบถอนออกมาก่อนเลย",
]


def _voice(n: int, text: str, label: str, published, *, collected=None, author=None, source="x-social",
           kind="forum") -> Mention:
    m = mention(n, text, label, published, collected=collected, author=author, source=source)
    m.source_kind = kind
    body = normalize(text)
    m.text_hash, m.simhash = text_hash(body), simhash(body)
    return m


def _mark_duplicates(mentions: list[Mention]) -> None:
    """As ingest does: the first of a text (by collection order) is the original."""
    index, hashes = SimHashIndex(6), {}
    for m in sorted(mentions, key=lambda m: (m.collected_at, m.id)):
        original = hashes.get(m.text_hash) or (index.find(m.simhash) if m.simhash is not None else None)
        if original is not None:
            m.duplicate_of = original
        else:
            hashes[m.text_hash] = m.id
            if m.simhash is not None:
                index.add(m.simhash, m.id)


def build_stream() -> tuple[list[Mention], dict[str, object]]:
    ms: list[Mention] = []
    t0 = NOW - timedelta(days=8)
    for day in range(8):  # a quiet week: three different people a day
        for j in range(3):
            ms.append(_voice(1000 + day * 10 + j, QUIET[(day + j) % len(QUIET)], "pos" if j else "neu",
                             t0 + timedelta(days=day, hours=2 + j * 5)))
    # Praise repeated by six customers over nine days, crawled in one batch yesterday.
    backfill = NOW - timedelta(days=1)
    for j in range(6):
        ms.append(_voice(2000 + j, PRAISE, "pos", NOW - timedelta(days=9) + timedelta(days=j * 1.5),
                         collected=backfill, author=f"fan{j}"))
    # A press release carried by twelve news sites within two hours, three days ago.
    release = NOW - timedelta(days=3)
    for j in range(12):
        ms.append(_voice(3000 + j, PRESS, "neu", release + timedelta(minutes=10 * j), source=f"news-{j}",
                         kind="rss", author=None))
    # The outage: 70 posts from 70 accounts in the two hours before NOW, 47 negative.
    start = NOW - timedelta(hours=2)
    for j in range(70):
        neg = j % 3 != 2
        text = OUTAGE_NEG[j % len(OUTAGE_NEG)] if neg else OUTAGE_OTHER[j % len(OUTAGE_OTHER)]
        ms.append(_voice(4000 + j, text, "neg" if neg else "q", start + timedelta(minutes=j * 120 / 70),
                         author=f"user{j}"))
    # The campaign, a day later: two texts, each pasted by seven accounts within an hour
    # (and the same account pasting one twice).
    campaign = NOW + timedelta(days=1)
    for c, text in enumerate(CAMPAIGN):
        for j in range(7):
            ms.append(_voice(5000 + c * 100 + j, text, "neg", campaign + timedelta(minutes=c * 20 + j * 3),
                             author=f"bot{c}{j}"))
        ms.append(_voice(5000 + c * 100 + 50, text, "neg", campaign + timedelta(minutes=c * 20 + 30),
                         author=f"bot{c}0"))
    _mark_duplicates(ms)
    negatives = sum(1 for m in ms if m.published_at >= start and m.published_at <= NOW and m.sentiment.label == "neg")
    return ms, {"outage_negative": negatives, "campaign_at": campaign, "release_at": release}


def default_rules() -> list[dict]:
    text = resources.files("sadap.app.templates").joinpath("rules.yaml").read_text(encoding="utf-8")
    # source-silent watches crawlers, not situations: a built stream that stops has silent sources.
    return [r for r in yaml.safe_load(text)["rules"] if r["id"] != "source-silent"]


@pytest.fixture
def replay(tmp_path):
    ms, facts = build_stream()
    store = SQLiteStore(tmp_path / "stream.db")
    config = Config.model_validate({"watch": [{"name": ENTITY, "aliases": ["แสงทอง"]}], "rules": default_rules(),
                                    "notifiers": []})
    engine = build_engine(config, store, notifiers=[])
    fired = []
    store.upsert(ms)  # evaluation is "as of": each time sees only what was collected by then
    at = NOW - timedelta(days=9, hours=1)
    end = NOW + timedelta(days=1, hours=8)
    while at <= end:
        near = (NOW - timedelta(hours=3) <= at <= NOW + timedelta(hours=6)) or (
            facts["campaign_at"] - timedelta(hours=1) <= at <= facts["campaign_at"] + timedelta(hours=7)
        ) or (facts["release_at"] <= at <= facts["release_at"] + timedelta(hours=7))
        fired += engine.check(at)
        at += timedelta(minutes=15) if near else timedelta(hours=2)
    yield store, fired, facts
    store.close()


def test_the_stream_has_the_shape_of_the_report():
    ms, facts = build_stream()
    outage = [m for m in ms if NOW - timedelta(hours=2) <= m.published_at <= NOW]
    assert len(outage) == 70 and len({m.author_id for m in outage}) == 70
    assert facts["outage_negative"] == 47
    originals = [m for m in outage if m.sentiment.label == "neg" and m.duplicate_of is None]
    assert len(originals) < 20  # what near-duplicate exclusion alone would have counted
    press = [m for m in ms if m.source_kind == "rss"]
    assert len({m.duplicate_of or m.id for m in press}) == 1


def test_every_situation_alerts_once_and_nothing_else(replay):
    store, fired, facts = replay
    by_rule = Counter(a.rule for a in fired)
    assert by_rule == {"outage-keywords": 1, "brand-negative-surge": 1, "copy-paste-campaign": 1}, by_rule
    surge = next(a for a in fired if a.rule == "brand-negative-surge")
    assert surge.key == ENTITY and surge.count >= 20  # 47 people, not 18 originals
    campaign = next(a for a in fired if a.rule == "copy-paste-campaign")
    assert campaign.key == ENTITY and campaign.count >= 4 and len(campaign.detail["clusters"]) == 1
    # The second text, pasted twenty minutes later, joins the same incident instead of opening one.
    timeline = store.events(campaign.incident)
    # still_active: once per change in its clusters (or after an escalation), not on each of the ~30
    # evaluations while the campaign stays in the window
    stretches = [len(e.data["clusters"]) for e in timeline if e.kind == "still_active"]
    assert 2 in stretches and len(stretches) <= 4, stretches
    assert max(e.data["count"] for e in timeline if e.kind == "still_active") == 14  # accounts; a repeat paste once
    incidents = Counter((i.playbook, i.key) for i in store.list_incidents())
    assert incidents == {("service-outage", ENTITY): 1, ("complaint-surge", ENTITY): 1,
                         ("rumour-fake-news", ENTITY): 1}
