"""``complaint_sla`` (``scope: mentions``) and complaint cases: a complaint that belongs to a case
is overdue by the case's clock — the one the complaint queue reads (docs/pr-crm.md, "Complaint
cases") — not by the responses logged to that mention alone; a complaint in no case keeps its own
clock. Through the real engine, on a real SQLite file and on osmem-server (Elasticsearch)."""

from __future__ import annotations

import io
from datetime import timedelta
from random import Random

import pytest

from alerts.notifiers.console import ConsoleNotifier, ConsoleOptions
from alerts.rules.base import EvalContext
from sadap.app import complaints as cases
from sadap.app.alerting import build_engine
from sadap.app.config import Config
from sadap.core.complaint_case import ComplaintCase
from sadap.core.mention import Mention
from sadap.store import CaseKey, MentionFilter, Store
from sadap.store.sqlite import SQLiteStore
from tests.factories import mention
from tests.test_alerts import NOW
from tests.test_store_contract import store  # noqa: F401  (the backend fixture: SQLite, Elasticsearch)

SLA = {"id": "sla", "type": "complaint_sla", "title": {"th": "ข้อร้องเรียนเกิน 24 ชม.", "en": "Complaint past SLA"},
       "sla": "24h"}
H = timedelta(hours=1)


def engine_for(s: Store, out: io.StringIO | None = None, **options: object):  # type: ignore[no-untyped-def]
    config = Config.model_validate({"rules": [{**SLA, **options}], "notifiers": []})
    notifiers = [ConsoleNotifier(ConsoleOptions(id="con", type="console"), stream=out)] if out is not None else []
    return build_engine(config, s, notifiers=notifiers)


def complaint(n: int, text: str, hours_ago: float, author: str = "a_ป้าแดงของชำ") -> Mention:
    m = mention(n, text, "neg", NOW - hours_ago * H, author=author)
    m.complaint.is_complaint = True
    return m


def into_cases(s: Store, *ms: Mention) -> None:
    """Stored and put into cases as ingest does (the same author's complaints join one case)."""
    s.upsert(list(ms))
    cases.assign(s, list(ms), max(m.collected_at for m in ms), fresh=True)


def respond(s: Store, m: Mention, hours_ago: float) -> None:
    s.log_response(m.id, NOW - hours_ago * H, "somsri", "pantip", "ขออภัยค่ะ ทางธนาคารกำลังตรวจสอบให้นะคะ")


def test_a_follow_up_answered_on_another_mention_of_its_case_is_not_overdue(store):  # noqa: F811
    first = complaint(1, "ตู้เอทีเอ็มแสงทองหน้าตลาดกลืนบัตร ช่วยด้วยค่ะ", 60)
    into_cases(store, first)
    respond(store, first, 59)
    follow = complaint(2, "ผ่านมาวันนึงแล้วยังไม่ได้บัตรคืนเลย ติดต่อใครได้บ้างคะ", 40)
    into_cases(store, follow)
    respond(store, first, 30)  # the answer to the follow-up, logged to the first post
    (case,) = store.list_cases()
    assert cases.case_clock(store, case, NOW)["answered"] == NOW - 30 * H  # the queue: answered
    assert engine_for(store).check(NOW) == []


def test_a_complaint_posted_before_the_answer_to_its_case_is_not_overdue(store):  # noqa: F811
    first = complaint(1, "แอปแสงทองโอนเงินไม่ได้ตั้งแต่เช้า", 50)
    second = complaint(2, "ยังโอนไม่ได้อยู่ดี ค่าเทอมลูกต้องจ่ายวันนี้", 48)
    into_cases(store, first, second)
    respond(store, first, 47)  # answered on the first post only
    (case,) = store.list_cases()
    assert cases.case_clock(store, case, NOW)["in_time"]
    assert engine_for(store).check(NOW) == []


def test_a_closed_case_is_not_overdue(store):  # noqa: F811
    one = complaint(1, "โดนตัดเงินซ้ำสองรอบ โอนค่าเช่าห้องครั้งเดียว", 30)
    two = complaint(2, "แสงทองเก็บค่าธรรมเนียมแพงเกินไป", 30, author="a_ลุงหมาน")
    three = complaint(3, "บัตรถูกระงับโดยไม่แจ้ง ไม่มีใครตอบ", 30, author="a_แม่ค้าออนไลน์")
    into_cases(store, one, two, three)
    by_first = {c.mention_ids[0]: c.id for c in store.list_cases()}
    cases.close(store, by_first[one.id], "duplicate", "somsri", at=NOW - 2 * H)
    cases.close(store, by_first[two.id], "not_a_complaint", "somsri", at=NOW - 2 * H)
    [alert] = engine_for(store).check(NOW)
    assert alert.mention_ids == [three.id] and alert.count == 1


def test_an_unanswered_follow_up_is_overdue_from_its_posting(store):  # noqa: F811
    first = complaint(1, "ตู้เอทีเอ็มแสงทองหน้าตลาดกลืนบัตร ช่วยด้วยค่ะ", 60)
    into_cases(store, first)
    respond(store, first, 59)
    follow = complaint(2, "ผ่านมาวันนึงแล้วยังไม่ได้บัตรคืนเลย ติดต่อใครได้บ้างคะ", 20)
    into_cases(store, follow)
    engine = engine_for(store)
    assert engine.check(NOW) == []  # waiting 20 hours of 24
    [alert] = engine.check(NOW + 5 * H)
    assert alert.mention_ids == [follow.id]  # the first post was answered: not listed


def test_a_case_waiting_since_its_first_complaint_lists_its_later_ones(store):  # noqa: F811
    """The customer has waited since the first complaint: the case is overdue from it, and what
    they wrote since in the same wait is listed with it (the queue counts one overdue case)."""
    first = complaint(1, "แอปแสงทองโอนเงินไม่ได้ตั้งแต่เช้า", 30)
    later = complaint(2, "ยังโอนไม่ได้อยู่ดี ค่าเทอมลูกต้องจ่ายวันนี้", 3)
    into_cases(store, first, later)
    [alert] = engine_for(store).check(NOW)
    assert alert.mention_ids == [later.id, first.id] and alert.count == 2  # newest first, as before
    assert alert.window_end == NOW - 24 * H


def test_one_alert_per_wait(store):  # noqa: F811
    """Writing again while the case is overdue is listed, not alerted again; a follow-up after our
    answer is a new wait, a new alert once overdue, even inside the cool-down."""
    out = io.StringIO()
    first = complaint(1, "ตู้เอทีเอ็มแสงทองหน้าตลาดกลืนบัตร ช่วยด้วยค่ะ", 25)
    into_cases(store, first)
    engine = engine_for(store, out, cooldown="48h")
    [alert] = engine.check(NOW)
    assert alert.mention_ids == [first.id]
    again = complaint(2, "ทักมาอีกรอบนะคะ บัตรยังไม่ได้คืน", -1)
    into_cases(store, again)
    assert engine.check(NOW + 2 * H) == []  # the same wait: in the cool-down
    respond(store, again, -3)
    follow = complaint(3, "ได้บัตรใหม่แล้วแต่ใช้ไม่ได้ค่ะ", -4)
    into_cases(store, follow)
    fired = {h: a for h in range(4, 30) for a in engine.check(NOW + h * H)}
    assert list(fired) == [29]  # overdue 24 hours after the follow-up, 25 after the first alert
    assert fired[29].mention_ids == [follow.id] and fired[29].detail["new"] == 1
    assert out.getvalue().count("ข้อร้องเรียนเกิน 24 ชม.") == 2


def test_complaints_in_no_case_and_in_cases_together(store):  # noqa: F811
    alone = complaint(1, "โดนตัดเงินซ้ำ ติดต่อไม่ได้เลย", 26, author="a_ชายกลางซอย")
    store.upsert([alone])  # in no case: its own clock
    first = complaint(2, "แอปแสงทองโอนเงินไม่ได้ตั้งแต่เช้า", 50)
    second = complaint(3, "ยังโอนไม่ได้อยู่ดี", 48)
    into_cases(store, first, second)
    respond(store, first, 47)
    [alert] = engine_for(store, group_by="entity").check(NOW)
    assert alert.mention_ids == [alone.id] and alert.count == 1


def test_a_backtest_judges_cases_by_their_clock(tmp_path):
    """`sadap playbooks test` replays the rule through a read-only view of the store: it reads the
    cases too (it failed to evaluate the rule, and so found nothing, when it could not)."""
    from sadap.app.alerting import run_backtest
    from sadap.app.config import load_config_file
    from sadap.store.sqlite import SQLiteStore

    (tmp_path / "sadap.yaml").write_text(
        "data_dir: .\nnotifiers: [{id: console, type: console}]\n"
        "rules:\n  - {id: sla, type: complaint_sla, title: ข้อร้องเรียนเกิน 24 ชม., sla: 24h, cooldown: 3d}\n",
        encoding="utf-8")
    config = load_config_file(tmp_path / "sadap.yaml")
    s = SQLiteStore(config.store_path)
    try:
        waiting = complaint(1, "ตู้เอทีเอ็มแสงทองหน้าตลาดกลืนบัตร ช่วยด้วยค่ะ", 30, author="a_ลุงหมาน")
        first = complaint(2, "แอปแสงทองโอนเงินไม่ได้ตั้งแต่เช้า", 50)
        second = complaint(3, "ยังโอนไม่ได้อยู่ดี ค่าเทอมลูกต้องจ่ายวันนี้", 48)
        into_cases(s, waiting, first, second)
        respond(s, first, 47)  # answers the second complaint too
        report = run_backtest(config, s, "sla", NOW - 3 * timedelta(days=1), NOW, timedelta(hours=1))
        assert [a["at"] for a in report["alerts"]] == [(NOW - 5 * H).isoformat()]
        assert report["alerts"][0]["mentions"] == [waiting.id]
    finally:
        s.close()


# -- the queue and the rule read one clock ---------------------------------------------------------
def test_a_follow_up_linked_by_hand_is_a_wait_for_the_queue_and_the_rule_alike(store):  # noqa: F811
    """A post that enrichment did not call a complaint, linked into an open case by a person after
    our answer, is the customer waiting again: the queue shows the case overdue from its posting,
    and the rule alerts on it (it used to stay silent: it read only complaint-flagged mentions)."""
    first = complaint(1, "ตู้เอทีเอ็มแสงทองหน้าตลาดกลืนบัตร ช่วยด้วยค่ะ", 60)
    into_cases(store, first)
    respond(store, first, 59)
    again = mention(2, "ไปสาขาตามที่บอกแล้วนะคะ ยังไม่มีใครโทรกลับเลย", "neu", NOW - 30 * H, author="a_ป้าแดงของชำ")
    assert not again.complaint.is_complaint
    store.upsert([again])
    (case,) = store.list_cases()
    cases.link(store, case.id, again.id, "somsri", NOW - 29 * H)
    engine = engine_for(store)
    early = cases.queue_page(store, NOW - 7 * H, sla=24 * H)  # 23 hours after the follow-up
    assert early.overdue == 0 and engine.check(NOW - 7 * H) == []
    page = cases.queue_page(store, NOW, sla=24 * H)
    assert page.overdue == 1 and page.rows[0]["clock"]["follow_up"] == again.id
    [alert] = engine.check(NOW)
    assert alert.mention_ids == [again.id]  # the first complaint was answered: not listed


def test_the_rule_lists_the_cases_the_queue_shows_overdue(tmp_path):
    """On one SQLite file of assorted cases (answered or not, follow-ups, posts linked by hand,
    closed ones), the cases whose mentions the rule lists are those the queue counts overdue."""
    rng = Random(7)
    s = SQLiteStore(tmp_path / "agree.db")
    try:
        n = 0
        for person in range(40):
            author = f"a_ลูกค้า{person:02d}"
            hours = sorted((rng.uniform(0, 200) for _ in range(rng.randint(1, 4))), reverse=True)
            for k, ago in enumerate(hours):
                n += 1
                m = complaint(n, f"เรื่องที่ {n}: แอปแสงทองโอนเงินไม่ได้ ติดต่อไม่ได้", ago, author=author)
                if k and rng.random() < 0.3:  # a follow-up enrichment did not call a complaint, linked by hand
                    m.complaint.is_complaint = False
                    s.upsert([m])
                    (case,) = [c for c in s.list_cases(("open",)) if c.author_id == author]
                    cases.link(s, case.id, m.id, "somsri", NOW - ago * H)
                else:
                    into_cases(s, m)
                if rng.random() < 0.4:
                    respond(s, m, ago - rng.uniform(1, 40))
        for case in s.list_cases(("open",)):
            if rng.random() < 0.1:
                cases.close(s, case.id, "resolved", "somsri", at=NOW - H)
        page = cases.queue_page(s, NOW, days=30, sla=24 * H, per_page=1000)
        overdue = {r["case"].id for r in page.rows if r["clock"]["overdue"]}
        assert page.overdue == len(overdue) >= 5
        [alert] = engine_for(s).check(NOW)
        assert {c.id for c in s.cases_holding(alert.mention_ids)} == overdue
    finally:
        s.close()


# -- a wait found overdue however long ago it began ------------------------------------------------
def test_a_wait_overdue_for_longer_than_lookback_still_alerts(store):  # noqa: F811
    """sla 2d, lookback 1d: a case that waited 80 hours — closed by mistake and reopened, so no
    alert listed it — is overdue in the queue, and the rule alerts on it (it looked at waits that
    began within lookback of their deadline only, so it never did); once, not again after a
    restart inside the cool-down, though the alert is older than the rule's window."""
    old = complaint(1, "โดนตัดเงินซ้ำสองรอบ โอนค่าเช่าห้องครั้งเดียว ติดต่อไม่ได้เลย", 80)
    into_cases(store, old)
    (case,) = store.list_cases()
    cases.close(store, case.id, "not_a_complaint", "somsri", at=NOW - 70 * H)
    cases.reopen(store, case.id, "somsri", "ปิดผิดเรื่อง")
    assert cases.queue_page(store, NOW, sla=48 * H).overdue == 1
    options = {"sla": "2d", "lookback": "1d", "cooldown": "7d"}
    [alert] = engine_for(store, **options).check(NOW)
    assert alert.mention_ids == [old.id]
    assert alert.window_start <= old.published_at  # the listed wait dates from there
    assert engine_for(store, **options).check(NOW + 4 * 24 * H) == []  # a restart: the same wait, cooling


def test_a_complaint_in_no_case_keeps_its_lookback(store):  # noqa: F811
    """Outside cases nothing changes: a complaint in no case overdue for longer than lookback
    (history imported late) is not listed."""
    store.upsert([complaint(1, "โดนตัดเงินซ้ำสองรอบ ติดต่อไม่ได้เลย", 80)])
    assert engine_for(store, sla="2d", lookback="1d").check(NOW) == []
    [alert] = engine_for(store, sla="2d", lookback="2d").check(NOW)
    assert alert.count == 1


# -- Elasticsearch reads the open cases as SQLite does, for less --------------------------------
def _assorted(s: Store, seed: int = 11) -> None:
    """Cases of every kind the clock reads, the same on any store for a seed: one to four
    complaints a person, follow-ups linked by hand that are no complaint, responses before and
    after follow-ups, a tenth of the cases closed, and a few complaints in no case. Times to the
    second (what both backends keep)."""
    rng = Random(seed)
    n = 0
    for person in range(30):
        author = f"a_ลูกค้าเทียบ{person:02d}"
        agos = sorted((rng.randrange(3600, 200 * 3600) for _ in range(rng.randint(1, 4))), reverse=True)
        for k, ago in enumerate(agos):
            n += 1
            m = mention(n, f"เรื่องที่ {n}: แอปแสงทองโอนเงินไม่ได้ ติดต่อไม่ได้", "neg", NOW - timedelta(seconds=ago),
                        author=author)
            m.complaint.is_complaint = True
            if k and rng.random() < 0.3:
                m.complaint.is_complaint = False
                s.upsert([m])
                (case,) = [c for c in s.list_cases(("open",)) if c.author_id == author]
                cases.link(s, case.id, m.id, "somsri", NOW - timedelta(seconds=ago))
            else:
                into_cases(s, m)
            if rng.random() < 0.4:
                s.log_response(m.id, NOW - timedelta(seconds=ago - rng.randrange(600, 40 * 3600)), "somsri", "pantip",
                               "ขออภัยค่ะ ทางธนาคารกำลังตรวจสอบให้นะคะ")
    for case in sorted(s.list_cases(("open",)), key=lambda c: c.mention_ids[0]):
        if rng.random() < 0.1:
            cases.close(s, case.id, "resolved", "somsri", at=NOW - H)
    for k in range(6):  # stored another way: in no case, on their own clock
        n += 1
        m = mention(n, f"เรื่องที่ {n}: บัตรถูกระงับโดยไม่แจ้ง", "neg", NOW - timedelta(seconds=(k + 1) * 9 * 3600),
                    author=f"a_ไม่มีเรื่อง{k}")
        m.complaint.is_complaint = True
        s.upsert([m])


def _by_mentions(keys: list[CaseKey]) -> dict[tuple[str, ...], tuple[object, ...]]:
    """The keys by what the case holds (case ids are drawn at random: not the same in two stores)."""
    return {k.mention_ids: (k.state, k.received_at, k.posted, k.responses) for k in keys}


@pytest.mark.es
def test_elasticsearch_reads_the_open_cases_as_sqlite_does_without_whole_cases(request, tmp_path, monkeypatch):
    """The open cases' keys (what the rule and the queue's clock read) on Elasticsearch are what
    the base class derives from the whole cases, and SQLite's on the same data, and so are the
    rule's alerts; read without a whole case (the document as plain JSON for its exact received
    time only), in one search for the cases, one for the responses and one for the complaints'
    times for up to ID_CHUNK ids each. held_mentions (the rule's complaints in no case) asks
    ID_CHUNK ids at a time, with the same answer."""
    from sadap.store import elasticsearch as es_module
    from tests.es_support import drop_test_store, es_test_url, make_test_store

    url = es_test_url() or request.getfixturevalue("osmem_clone").url
    es = make_test_store(url, real=bool(es_test_url()), spool_dir=tmp_path / "spool")
    lite = SQLiteStore(tmp_path / "same.db")
    try:
        _assorted(lite)
        _assorted(es)
        keys = es.open_case_keys()
        assert len(keys) >= 20 and any(k.posted for k in keys) and any(k.responses for k in keys)
        assert keys == Store.open_case_keys(es)  # the base class's derivation from the whole cases
        assert _by_mentions(keys) == _by_mentions(lite.open_case_keys())
        rule = Config.model_validate({"rules": [SLA], "notifiers": []}).alert_rules[0]
        found = [[(m.key, m.count, sorted(m.mention_ids), m.window_start, m.window_end, sorted(m.renew_on or ())) for m in rule.evaluate(EvalContext(s, NOW))]
                 for s in (lite, es)]
        assert found[0] == found[1] and found[0][0][1] >= 5

        searched: list[str] = []
        search = es._search

        def counted(index: str, **body: object) -> dict[str, object]:
            searched.append(index)
            return search(index, **body)

        def whole_cases(*_: object) -> list[ComplaintCase]:
            raise AssertionError("open_case_keys read whole cases")

        monkeypatch.setattr(es, "_search", counted)
        monkeypatch.setattr(es, "list_cases", whole_cases)
        assert es.open_case_keys() == keys
        assert searched == [es.names.complaint_cases, es.names.responses, es.names.mentions]
        monkeypatch.setattr(es_module, "ID_CHUNK", 7)  # many ids: a search per chunk, the same answers
        searched.clear()
        assert es.open_case_keys() == keys
        held = {m for k in keys for m in k.mention_ids}
        several = {m for k in keys if len(k.mention_ids) > 1 for m in k.mention_ids}
        # all the responses in one search where the index holds no more of them than ids asked about
        total = int(es.client.count(index=es.names.responses).body["count"])
        assert searched.count(es.names.responses) == (1 if total <= len(held) else -(-len(held) // 7))
        assert searched.count(es.names.mentions) == -(-len(several) // 7)
        every = [m.id for m in es.search(MentionFilter(), 1000)]
        held = {m for c in lite.list_cases() for m in c.mention_ids}
        assert len(every) == len(held) + 6 and es.held_mentions(every) == lite.held_mentions(every) == held
        assert [(m.key, m.count, sorted(m.mention_ids), m.window_start, m.window_end, sorted(m.renew_on or ()))
                for m in rule.evaluate(EvalContext(es, NOW))] == found[0]
    finally:
        lite.close()
        drop_test_store(es) if es_test_url() else es.close()


def test_the_rule_asks_the_store_only_what_the_open_cases_do_not_tell(tmp_path):
    """Which of the window's unanswered complaints a case holds is asked only of those no open
    case holds (the open cases' keys, read anyway, tell the rest), and the overdue waits' rows are
    read only for the mentions the window's rows do not include; the alerts are those of the
    whole question (every complaint of the window asked, every wait's row read)."""
    s = SQLiteStore(tmp_path / "asked.db")
    try:
        _assorted(s)
        held_asked: list[str] = []
        rows_asked: list[str] = []

        class Asking:
            def __getattr__(self, name: str) -> object:
                return getattr(s, name)

            def held_mentions(self, ids: list[str]) -> set[str]:
                held_asked.extend(ids)
                return s.held_mentions(ids)

            def mention_rows(self, flt: MentionFilter, group_by: str | None = None) -> list[object]:
                rows_asked.extend(flt.ids)
                return s.mention_rows(flt, group_by)  # type: ignore[return-value]

        rule = Config.model_validate({"rules": [SLA], "notifiers": []}).alert_rules[0]
        found = rule.evaluate(EvalContext(Asking(), NOW))  # type: ignore[arg-type]
        in_open = {m for k in s.open_case_keys() for m in k.mention_ids}
        window = {m.id for m in s.search(MentionFilter(complaint=True, responded=False, since=NOW - timedelta(days=8),
                                                       until=NOW - timedelta(days=1), include_duplicates=False), 1000)}
        assert window & in_open and held_asked and not set(held_asked) & in_open
        listed = {i for m in found for i in m.mention_ids}
        assert listed & window and listed - window and not set(rows_asked) & window
        waits = rule._overdue_waits(EvalContext(s, NOW), timedelta(hours=24))[0]  # type: ignore[attr-defined]
        assert listed == (window - s.held_mentions(window)) | set(waits)
    finally:
        s.close()
