"""The store contract: every backend must pass these (SQLite and Elasticsearch)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from enrich.normalize import normalize
from enrich.tokenize import tokenize
from sadap.core.incident import Incident, IncidentEvent
from sadap.core.mention import Complaint, Mention, Sentiment, mention_id
from sadap.store.query import parse_query
from sadap.store import MentionFilter
from sadap.core.timeutil import UTC

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 Bangkok

TEXTS = [
    ("แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้เลยค่ะ", "neg", ["แสงทอง"], ["แอปล่ม"]),
    ("เข้าแอปไม่ได้ตั้งแต่เช้า ธนาคารแสงทองช่วยด้วย", "neg", ["แสงทอง"], []),
    ("พนักงานสาขาขอนแก่นบริการดีมาก ประทับใจค่ะ", "pos", ["แสงทอง"], []),
    ("ดอกเบี้ยเงินฝากประจำปีนี้เท่าไหร่คะ", "q", [], []),
    ("ตลาดหุ้นวันนี้ปิดบวกเล็กน้อย", "neu", [], ["หุ้น"]),
]


def make(i: int, text: str, label: str, entities, tags, minutes: int, source: str = "forum-a") -> Mention:
    norm = normalize(text)
    return Mention(
        id=mention_id(source, f"n{i}"),
        source_kind="forum",
        source_name=source,
        native_id=f"n{i}",
        author_id=f"a_{i % 3}",
        published_at=T0 + timedelta(minutes=minutes),
        collected_at=T0 + timedelta(minutes=minutes + 5),
        text=text,
        tokens=tokenize(norm, ["แสงทอง"]),
        sentiment=Sentiment(label=label, score=0.9),
        entities=list(entities),
        hashtags=list(tags),
        complaint=Complaint(is_complaint=label == "neg", type="digital_outage" if label == "neg" else None),
        text_hash=f"h{i}",
        simhash=(1 << 63) + i,  # exercises unsigned 64-bit storage
    )


@pytest.fixture(params=["sqlite", pytest.param("elasticsearch", marks=pytest.mark.es)])
def store(request, tmp_path):
    if request.param == "sqlite":
        from sadap.store.sqlite import SQLiteStore

        s = SQLiteStore(tmp_path / "contract.db")
        yield s
        s.close()
        return
    # Elasticsearch: a real cluster when SADAP_TEST_ES_URL is set, else an osmem-server clone;
    # either way a fresh index prefix per test.
    from tests.es_support import drop_test_store, make_test_store, es_test_url

    url = es_test_url()
    s = make_test_store(url or request.getfixturevalue("osmem_clone").url, real=bool(url), spool_dir=tmp_path / "spool")
    yield s
    drop_test_store(s) if url else s.close()


@pytest.fixture
def filled(store):
    store.upsert([make(i, *row, minutes=i * 30) for i, row in enumerate(TEXTS)])
    return store


def q(text: str):
    return parse_query(text, ("แสงทอง",))


def test_upsert_is_idempotent(store):
    ms = [make(i, *row, minutes=i) for i, row in enumerate(TEXTS)]
    first = store.upsert(ms)
    assert len(first.inserted) == 5 and not first.updated
    again = store.upsert(ms)
    assert not again.inserted and len(again.updated) == 5
    assert store.count(MentionFilter()) == 5
    assert store.existing_ids([ms[0].id, "nope"]) == {ms[0].id}


def test_round_trip_keeps_every_field(filled):
    m = make(0, *TEXTS[0], minutes=0)
    got = filled.get(m.id)
    assert got == m
    assert got.published_at.tzinfo is not None
    assert filled.get("missing") is None


def test_thai_full_text_search(filled):
    assert filled.count(MentionFilter(query=q("ล่ม"))) == 1
    assert filled.count(MentionFilter(query=q("แอป"))) == 2
    assert filled.count(MentionFilter(query=q("แสงทองล่ม"))) == 1  # unspaced Thai = phrase of its words
    assert filled.count(MentionFilter(query=q("ล่มแสงทอง"))) == 0
    assert filled.count(MentionFilter(query=q("ล่ม OR ประทับใจ"))) == 2
    assert filled.count(MentionFilter(query=q("แอป -ล่ม"))) == 1
    assert filled.count(MentionFilter(query=q('"โอน เงิน"'))) == 1
    assert filled.count(MentionFilter(query=q("ไม่มีคำนี้แน่นอน"))) == 0


# The demo bank's custom words: a short name, and aliases and products that contain it,
# which the tokenizer keeps whole (ธนาคารแสงทองล่ม → ธนาคารแสงทอง | ล่ม).
BRAND_WORDS = ("แสงทอง", "ธนาคารแสงทอง", "แอปแสงทอง", "แสงทองพลัส", "แอปแสงทองพลัส", "Saengthong")
BRAND_POSTS = [  # (text, title)
    ("ธนาคารแสงทองล่มอีกแล้ว โอนเงินไม่ได้เลย", None),  # 0: the alias, one token
    ("แอปแสงทองพลัสเข้าไม่ได้ตั้งแต่เช้า", None),  # 1: the product app, one token
    ("แสงทองบริการดีมาก ประทับใจ", None),  # 2: the short name
    ("ปิดปรับปรุงระบบคืนนี้ ขออภัยในความไม่สะดวก", "ธนาคาร แสงทอง แจ้งลูกค้า"),  # 3: written apart, in the title
    ("ชมแสงทองยามเช้าที่ดอยสวยมาก", None),  # 4: ชมแสงทอง is one word of PyThaiNLP's own dictionary
    ("วันนี้ #SaengThongDown อีกแล้ว โอนไม่ได้", None),  # 5: a camelCase hashtag
    ("ระบบล่มทั้งคืน #AppDown2024", None),  # 6
    ("#DownAgain แอปใช้ไม่ได้", None),  # 7: the text ends after the tag
    ("#saengthongdown แย่มาก", None),  # 8: split around the known Latin spelling
]


def brand_mention(i: int, text: str, title: str | None) -> Mention:
    from enrich.hashtags import hashtag_search_words

    body, head = normalize(text), normalize(title or "")
    extras: dict = {}
    if title:
        extras["title_tokens"] = tokenize(head, BRAND_WORDS)
    if tags := hashtag_search_words(f"{head}\n{body}" if title else body, BRAND_WORDS):
        extras["hashtag_tokens"] = tags
    return Mention(
        id=mention_id("social", f"b{i}"), source_kind="social", source_name="social", native_id=f"b{i}",
        author_id=f"a_{i}", published_at=T0 + timedelta(minutes=i), collected_at=T0 + timedelta(minutes=i + 1),
        title=title, text=text, tokens=tokenize(body, BRAND_WORDS),
        sentiment=Sentiment(label="neg" if i in (0, 1, 5, 6, 7, 8) else "pos", score=0.9), extras=extras,
    )


def test_brand_compounds_and_hashtag_words_are_searchable(store):
    posts = [brand_mention(i, *row) for i, row in enumerate(BRAND_POSTS)]
    assert posts[0].tokens[0] == "ธนาคารแสงทอง" and posts[5].extras["hashtag_tokens"] == [["saeng", "thong", "down"]]
    store.upsert(posts)

    def found(text: str) -> set[int]:
        flt = MentionFilter(query=parse_query(text, BRAND_WORDS))
        got = {int(m.native_id[1:]) for m in store.search(flt, limit=50)}
        assert store.count(flt) == len(got) and store.exists(flt) == bool(got)
        return got

    # the short name finds the compounds that contain it, in the text or the title
    assert found("แสงทอง") == {0, 1, 2, 3}  # not ชมแสงทอง (4), a dictionary word of its own
    assert found("แสงทอง OR ธนาคารแสงทอง") == {0, 1, 2, 3}  # each post counted once
    assert store.count_by(MentionFilter(query=parse_query("แสงทอง", BRAND_WORDS)), "sentiment") == {"neg": 2, "pos": 2}
    # the full compound still finds itself, and the same words written apart
    assert found("ธนาคารแสงทอง") == {0, 3}
    assert found("แสงทองพลัส") == {1}
    assert found("ธนาคาร") == {0, 3}
    # phrases keep their word order across a compound's edge
    assert found("แสงทองล่ม") == {0}
    assert found('"แสงทองพลัส เข้าไม่ได้"') == {1}  # in แอปแสงทองพลัส | เข้า | ไม่ | ได้
    assert found('"แสงทอง เข้าไม่ได้"') == set()  # there แสงทอง is followed by พลัส
    assert found('"ล่ม แสงทอง"') == set()
    assert found('"โอนเงิน ไม่ได้"') == {0}
    # AND, OR, NOT
    assert found("แสงทอง ประทับใจ") == {2}
    assert found("แสงทอง -ล่ม") == {1, 2, 3}
    assert found("ล่ม -แสงทอง") == {6}
    assert found("ล่ม OR แสงทองพลัส") == {0, 1, 6}
    # hashtag words: alone, as phrases, and the whole tag as written
    assert found("down") == {5, 6, 7, 8}
    assert found('"thong down"') == {5}
    assert found("SaengThongDown") == {5, 8}
    assert found("#SaengThongDown") == {5, 8}
    assert found("saengthong down") == {8}
    assert found("2024") == {6}
    assert found("down -saeng") == {6, 7, 8}
    # a phrase does not run from the text into a hashtag's words
    assert found('"ใช้ไม่ได้"') == {7} and found('"down again"') == {7}
    assert found('"ใช้ไม่ได้ down"') == set()
    # an update replaces what is searchable
    posts[5].extras.pop("hashtag_tokens")
    store.upsert([posts[5]])
    assert found("down") == {6, 7, 8}


def test_search_newest_first_with_filters(filled):
    found = filled.search(MentionFilter(sentiment=("neg",)), limit=10)
    assert [m.text for m in found] == [TEXTS[1][0], TEXTS[0][0]]
    assert len(filled.search(MentionFilter(), limit=2)) == 2


def test_page_by_id_walks_a_filter_in_stable_pages(filled):
    every = sorted(m.id for m in filled.search(MentionFilter(), limit=10))
    seen, after = [], None
    while page := filled.page_by_id(MentionFilter(), after=after, limit=2):
        assert len(page) <= 2
        seen.extend(m.id for m in page)
        after = page[-1].id
        # rewriting a page's mentions while paging neither skips nor repeats any
        filled.upsert([m.model_copy(update={"category": "service"}) for m in page])
    assert seen == every
    assert filled.count(MentionFilter(categories=("service",))) == 5
    late = MentionFilter(since=T0 + timedelta(minutes=60), sentiment=("neu", "q"))
    assert sorted(m.text for m in filled.page_by_id(late, limit=10)) == sorted([TEXTS[3][0], TEXTS[4][0]])
    assert filled.page_by_id(MentionFilter(), after=every[-1]) == []
    assert [m.id for m in filled.page_by_id(MentionFilter(), after=every[2], limit=10)] == every[3:]


def test_search_page_reads_on_by_key_in_search_order(store):
    from sadap.store import page_key

    # ties: three at one time (one with microseconds), so the id orders them
    ms = [make(i, *TEXTS[i % len(TEXTS)], minutes=[0, 10, 10, 10, 20, 30, 30][i]) for i in range(7)]
    ms[3] = ms[3].model_copy(update={"published_at": ms[3].published_at + timedelta(microseconds=250)})
    store.upsert(ms)
    every = [m.id for m in store.search(MentionFilter(), limit=50)]
    assert len(every) == 7
    seen, after, pages = [], None, []
    while page := store.search_page(MentionFilter(), limit=2, after=after):
        pages.append([m.id for m in page])
        seen.extend(pages[-1])
        after = page_key(page[-1])
        if len(pages) == 1:  # a newer mention arrives meanwhile: no row repeats or is skipped
            store.upsert([make(99, *TEXTS[0], minutes=90)])
    assert seen == every
    # and back: the page ahead of each page's first mention is the page before it
    for earlier, later in zip(pages, pages[1:]):
        first = next(m for m in store.search(MentionFilter(), limit=50) if m.id == later[0])
        assert [m.id for m in store.search_page(MentionFilter(), limit=2, before=page_key(first))] == earlier
    newest = store.search(MentionFilter(), limit=1)[0]
    assert store.search_page(MentionFilter(), limit=5, before=page_key(newest)) == []
    # with a filter, and a key of a mention the filter leaves out
    neg = MentionFilter(sentiment=("neg",))
    walk = [m.id for m in store.search(neg, limit=50)]
    assert [m.id for m in store.search_page(neg, limit=50, after=page_key(ms[2]))] == \
        [i for i in every if i in walk and every.index(i) > every.index(ms[2].id)]
    assert store.search_page(MentionFilter(), limit=3) == store.search(MentionFilter(), limit=3)


def test_time_windows_and_as_of(filled):
    # published at T0, +30, +60, +90, +120 minutes; collected 5 minutes later
    assert filled.count(MentionFilter(since=T0 + timedelta(minutes=30), until=T0 + timedelta(minutes=90))) == 2
    assert filled.count(MentionFilter(since=T0 + timedelta(minutes=35), time_field="collected_at")) == 4
    assert filled.count(MentionFilter(collected_until=T0 + timedelta(minutes=40))) == 2


def test_count_by_single_and_multi_valued_fields(filled):
    assert filled.count_by(MentionFilter(), "sentiment") == {"neg": 2, "neu": 1, "pos": 1, "q": 1}
    assert filled.count_by(MentionFilter(), "entity") == {"แสงทอง": 3}
    assert filled.count_by(MentionFilter(sentiment=("neg",)), "entity") == {"แสงทอง": 2}
    assert filled.count_by(MentionFilter(), "hashtag") == {"หุ้น": 1, "แอปล่ม": 1}
    assert filled.count_by(MentionFilter(), "complaint_type") == {"digital_outage": 2}
    assert filled.count(MentionFilter(entities=("แสงทอง",), query=q("แอป"))) == 2
    assert filled.count(MentionFilter(complaint=True)) == 2
    assert filled.count_distinct(MentionFilter(), "author_id") == 3


def test_histogram_buckets_align_to_bangkok_days(store):
    # 23:30 and 00:30 Bangkok time fall on two Bangkok days.
    a = make(1, *TEXTS[0], minutes=0)
    b = make(2, *TEXTS[1], minutes=0)
    a.published_at = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
    b.published_at = datetime(2026, 11, 20, 17, 30, tzinfo=UTC)
    store.upsert([a, b])
    buckets = store.histogram(MentionFilter(), timedelta(days=1))
    assert buckets == [(datetime(2026, 11, 19, 17, 0, tzinfo=UTC), 1), (datetime(2026, 11, 20, 17, 0, tzinfo=UTC), 1)]
    hourly = store.histogram(MentionFilter(), timedelta(hours=1))
    assert [n for _, n in hourly] == [1, 1]


def test_duplicates_and_fingerprints(filled):
    assert filled.find_by_text_hash("h3") == make(3, *TEXTS[3], minutes=90).id
    assert filled.find_by_text_hash("nope") is None
    fps = filled.fingerprints_since(T0)
    assert len(fps) == 5 and fps[0].simhash == (1 << 63)
    copy = make(9, *TEXTS[0], minutes=200)
    copy.duplicate_of = make(0, *TEXTS[0], minutes=0).id
    filled.upsert([copy])
    assert filled.count(MentionFilter(include_duplicates=False)) == 5
    assert filled.count(MentionFilter()) == 6
    later = make(10, *TEXTS[3], minutes=300)  # the same text hash as n3, collected later
    later.text_hash = "h3"
    filled.upsert([later])
    # Many hashes at once (the ingest writer's one query a batch): the earliest of each, as one by one.
    wanted = ["h3", "nope", "h0", "h3", "h9"]
    assert filled.find_by_text_hashes(wanted) == {h: filled.find_by_text_hash(h) for h in wanted if h != "nope"}
    assert filled.find_by_text_hashes(["h3"]) == {"h3": make(3, *TEXTS[3], minutes=90).id}
    assert filled.find_by_text_hashes([]) == {}


# Real Thai posts scored by the real spam scorer (enrich/spam.py); the last was stored
# before it was scored (spam_score None), as by an older Sadap.
SPAMMY = [
    ("แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้เลยค่ะ", "neg"),
    ("แสงทองโปรโมชั่นราคาพิเศษ สนใจสั่งซื้อทักแชทเลย ส่งฟรี", "neu"),
    ("รายได้เสริม งานออนไลน์ ทำงานที่บ้าน สมัครเลย [URL] แสงทอง", "neu"),
    ("แสงทอง แอปล่ม ล่ม ล่ม ล่ม ล่ม ล่ม ล่ม ล่ม", "neg"),
    ("เข้าแอปไม่ได้ตั้งแต่เช้า ธนาคารแสงทองช่วยด้วย", "neg"),
]


def test_max_spam_score_hides_spam_and_keeps_unscored(store):
    from enrich.spam import spam_score

    ms = [make(20 + i, text, label, ["แสงทอง"], [], minutes=i * 10) for i, (text, label) in enumerate(SPAMMY)]
    for m in ms[:-1]:
        m.spam_score = spam_score(normalize(m.text))
    ham, promo, job, repeated, unscored = ms
    assert ham.spam_score == 0.0 and promo.spam_score > 0.6 and job.spam_score > 0.6 and 0.3 < repeated.spam_score < 0.5
    store.upsert(ms)

    def texts(flt):
        return [m.text for m in store.search(flt, limit=10)]

    assert store.count(MentionFilter()) == 5
    kept = MentionFilter(max_spam_score=0.5)
    assert texts(kept) == [unscored.text, repeated.text, ham.text]  # newest first
    assert set(store.ids(kept, limit=10)) == {ham.id, repeated.id, unscored.id}
    assert store.count(kept) == 3
    assert store.count(MentionFilter(max_spam_score=0.0)) == 2  # a score of 0, and no score
    assert store.count(MentionFilter(max_spam_score=1.0)) == 5
    assert store.count(MentionFilter(max_spam_score=promo.spam_score)) == 4  # "above" excludes, equal stays
    # with the other filters, and in every aggregation
    assert store.count(MentionFilter(max_spam_score=0.5, sentiment=("neu",))) == 0
    assert store.count(MentionFilter(max_spam_score=0.5, entities=("แสงทอง",), since=T0 + timedelta(minutes=5))) == 2
    assert store.count(MentionFilter(max_spam_score=0.5, query=q("ล่ม"))) == 2
    assert store.exists(MentionFilter(query=q("ส่งฟรี")))
    assert not store.exists(MentionFilter(max_spam_score=0.5, query=q("ส่งฟรี")))
    assert store.count_by(MentionFilter(), "sentiment") == {"neg": 3, "neu": 2}
    assert store.count_by(kept, "sentiment") == {"neg": 3}
    assert store.count_by(kept, "entity") == {"แสงทอง": 3}
    assert store.count_distinct(kept, "author_id") == len({ham.author_id, repeated.author_id, unscored.author_id})
    assert sum(n for _, n in store.histogram(kept, timedelta(hours=1))) == 3
    # a re-scored mention moves across the line
    promo.spam_score = 0.2
    store.upsert([promo])
    assert store.count(kept) == 4


def test_alert_state_and_incidents(store):
    assert store.last_fired("r1", "แสงทอง") is None
    store.set_last_fired("r1", "แสงทอง", T0)
    store.set_last_fired("r1", "แสงทอง", T0 + timedelta(hours=1))
    assert store.last_fired("r1", "แสงทอง") == T0 + timedelta(hours=1)
    store.record_alert('{"rule": "r1"}', "r1", "แสงทอง", T0, None)
    assert store.alerts_since(T0 - timedelta(minutes=1)) == [{"rule": "r1"}]

    inc = Incident(playbook="service-outage", rule="r1", key="แสงทอง", severity="P2", title="ระบบล่ม", opened_at=T0, updated_at=T0)
    store.save_incident(inc)
    assert store.find_incident("service-outage", "แสงทอง").id == inc.id
    assert store.find_incident("service-outage", None) is None
    store.add_event(inc.id, IncidentEvent(at=T0, kind="opened", text="เปิด"))
    inc.state = "resolved"
    store.save_incident(inc)
    assert store.find_incident("service-outage", "แสงทอง") is None
    assert [i.id for i in store.list_incidents(("resolved",))] == [inc.id]
    assert [e.kind for e in store.events(inc.id)] == ["opened"]


# -- the notification outbox -------------------------------------------------------------
def _delivery(n: int, incident_id: str | None, at: datetime):
    from sadap.store import Delivery

    return Delivery(id=f"d-{n}", notifier="hook", created_at=at + timedelta(microseconds=n), text_th="แจ้งเตือน",
                    text_en="alert", payload={"rule": "r", "n": n}, incident_id=incident_id, next_at=at)


def test_outbox_is_written_with_the_alert_and_claimed_once(store):
    incident = Incident(playbook="p", rule="r", key="แสงทอง", severity="P2", title="t", opened_at=T0, updated_at=T0)
    store.save_incident(incident)
    deliveries = [_delivery(1, incident.id, T0), _delivery(2, incident.id, T0)]
    events = [(incident.id, IncidentEvent(at=T0, kind="queued", text="hook", data={"delivery": d.id})) for d in deliveries]
    store.record_fired('{"rule": "r", "count": 3}', "r", "แสงทอง", T0, incident.id, deliveries, events)
    assert store.last_fired("r", "แสงทอง") == T0
    assert len(store.alerts_since(T0)) == 1
    assert [e.kind for e in store.events(incident.id)] == ["queued", "queued"]
    assert [d.id for d in store.deliveries("pending")] == ["d-1", "d-2"]
    # Re-queueing an id already there changes nothing (idempotent).
    store.enqueue([_delivery(1, incident.id, T0)])
    assert len(store.deliveries()) == 2

    lease = timedelta(minutes=2)
    assert store.claim_due(T0 - timedelta(seconds=1), lease) == []  # not due yet
    claimed = store.claim_due(T0, lease)
    assert [d.id for d in claimed] == ["d-1", "d-2"] and all(d.status == "sending" for d in claimed)
    assert store.claim_due(T0 + timedelta(minutes=1), lease) == []  # another worker: leased, not taken again
    first = claimed[0]
    first.status, first.attempts, first.sent_at, first.next_at = "sent", 1, T0, None
    store.save_delivery(first)
    # The worker holding d-2 died: once its lease runs out, d-2 is due again, d-1 (sent) never.
    again = store.claim_due(T0 + lease + timedelta(seconds=1), lease)
    assert [d.id for d in again] == ["d-2"]
    assert [d.id for d in store.deliveries("sent")] == ["d-1"]
    assert [d.id for d in store.deliveries(incident_id=incident.id)] == ["d-1", "d-2"]
    assert store.deliveries("sent")[0].payload == {"rule": "r", "n": 1}


def test_count_voices_counts_people_not_copies(store):
    base = make(0, TEXTS[0][0], "neg", ["แสงทอง"], [], 0)
    same_author = make(3, TEXTS[0][0], "neg", ["แสงทอง"], [], 1)  # a_0 again (3 % 3)
    same_author.duplicate_of = base.id
    other_author = make(4, TEXTS[0][0], "neg", ["แสงทอง"], [], 2)  # a_1: another voice
    other_author.duplicate_of = base.id
    news = [make(10 + i, "ธนาคารแสงทองเปิดตัวโครงการปลูกป่าชายเลน", "pos", ["แสงทอง"], [], 3 + i, source=f"news-{i}")
            for i in range(3)]
    for n in news:
        n.source_kind = "rss"
        n.duplicate_of = news[0].id if n is not news[0] else None
    store.upsert([base, same_author, other_author, *news])
    flt = MentionFilter(entities=("แสงทอง",))
    assert store.count(flt) == 6
    assert store.count_voices(flt) == 3  # base and its author's copy, another author, one press release
