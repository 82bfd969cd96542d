"""News coverage (``NEWS_SOURCE_KINDS``: rss, article, news, google_news, sitemap) keeps its
enrichment flags — a news article reporting customers' complaints is a complaint for the voice of
the customer — but it is no customer waiting for the organisation's answer (press relations
answers it): it opens no complaint case and joins none automatically (a person may still link one
by hand), the equal-response report does not count it, and ``complaint_sla`` does not alert it
on its own clock. The open cases that case forming gave news before are cleared by the next sync.
On a real SQLite file and on osmem-server (Elasticsearch), and in the demo."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from click.testing import CliRunner

from alerts.rules.running import predicate
from sadap.app import complaints as cases
from sadap.app.cli import main
from sadap.app.config import Config, load_config
from sadap.app.responses import equal_response
from sadap.core.complaint_case import PRESS_COVERAGE, CaseEvent, ComplaintCase
from sadap.core.incident import Incident
from sadap.core.mention import NEWS_SOURCE_KINDS, Mention
from sadap.store import MentionFilter, open_store
from sadap.store.base import RuleRow
from tests.factories import mention
from tests.test_alerts import NOW
from tests.test_alerts_sla_cases import engine_for, respond
from tests.test_store_contract import store  # noqa: F401  (the backend fixture: SQLite, Elasticsearch)

H = timedelta(hours=1)


def post(n: int, text: str, hours_ago: float, kind: str = "forum", *, complaint: bool = True, label: str = "neg",
         author: str | None = None, thread: str | None = None, stakeholders: tuple[str, ...] = ()) -> Mention:
    """A stored-ready mention of ``kind`` (a news kind gets its outlet as source)."""
    source = f"{kind}-outlet" if kind in NEWS_SOURCE_KINDS else "forum-test"
    m = mention(n, text, label, NOW - hours_ago * H, source=source, author=author)
    m = m.model_copy(update={"source_kind": kind, "stakeholders": list(stakeholders),
                             "extras": {"thread_id": thread} if thread else {}})
    m.complaint.is_complaint = complaint
    return m


# -- case forming ------------------------------------------------------------------------------
def test_news_opens_no_case_and_joins_none_but_can_be_linked_by_hand(store):  # noqa: F811
    customer = post(1, "โอนเงินผ่านแอปแสงทองไม่ได้ตั้งแต่เช้า เงินหายไปไหน", 10, author="a_1", thread="77")
    news = [
        post(2, "ลูกค้าร้องเรียนแอปธนาคารแสงทองล่มทั้งวัน", 9, "rss", author="a_1"),  # the same pseudonym
        post(3, "ผู้ใช้บริการหลายรายร้องเรียนระบบโอนเงินแสงทองขัดข้อง", 8, "article", thread="77"),  # the same thread id
        post(4, "ลูกค้าแสงทองโวยถูกตัดเงินซ้ำ", 7, "news"),  # in the customer's incident
        post(5, "ผู้ใช้แอปแสงทองร้องเรียนโอนเงินไม่เข้า", 6, "google_news"),
        post(6, "ลูกค้าธนาคารแสงทองร้องเรียนค่าธรรมเนียม", 5, "sitemap"),
    ]
    store.upsert([customer, *news])
    store.save_incident(Incident(id="INC-1", playbook="complaint-surge", rule="r", severity="high", title="แอปล่ม",
                                 opened_at=NOW - 10 * H, updated_at=NOW - 10 * H, mention_ids=[customer.id, news[2].id]))
    cases.assign(store, [customer, *news], NOW - 4 * H, fresh=True)
    cases.sync(store, NOW)  # the catch-up finds no news to put in a case either
    (case,) = store.list_cases()
    assert case.mention_ids == [customer.id] and case.channel == "forum"
    assert store.held_mentions(m.id for m in news) == set()
    assert all(store.get(m.id).complaint.is_complaint for m in news)  # the flags stay (voice of the customer)
    # a person linking one by hand: it stays in the case, through the next sync
    cases.link(store, case.id, news[0].id, "somsri", NOW - 3 * H)
    cases.sync(store, NOW)
    (case,) = store.list_cases()
    assert case.state == "open" and case.mention_ids == [customer.id, news[0].id]


# -- the equal-response report -----------------------------------------------------------------
def test_equal_response_counts_no_news(store):  # noqa: F811
    counted = [
        post(1, "พนักงานสาขาบางนาพูดจาไม่สุภาพ รอคิวนานเกือบชั่วโมง", 50, stakeholders=("sme",)),
        post(2, "เปิดบัญชีร้านค้าผ่านแอปได้ไหมคะ", 40, "line", complaint=False, label="q", stakeholders=("sme",)),
    ]
    press = [
        post(3, "ลูกค้าร้องเรียนแอปธนาคารแสงทองล่มทั้งวัน", 30, "rss", stakeholders=("sme",)),
        post(4, "ผู้ใช้แอปแสงทองร้องเรียนโอนเงินไม่เข้า", 30, "article"),
        post(5, "ธนาคารแสงทองจะคืนเงินลูกค้าที่ถูกตัดซ้ำเมื่อไหร่", 20, "news", complaint=False, label="q"),
    ]
    store.upsert([*counted, *press])
    respond(store, counted[0], 48)
    config = Config.model_validate({})
    by_channel = equal_response(store, config, "channel", at=NOW)
    assert {g.group for g in by_channel.groups} == {"forum", "line"} and by_channel.overall.count == 2
    assert by_channel.overall.unanswered == 1  # the question; not the three news items
    by_stakeholder = equal_response(store, config, "stakeholder", at=NOW)  # a multi-valued field
    assert [(g.group, g.count) for g in by_stakeholder.groups] == [("sme", 2)] and by_stakeholder.overall.count == 2
    # the store leaves the kinds out in its query (before any limit), alone or with other filters
    leave_out = MentionFilter(exclude_source_kinds=NEWS_SOURCE_KINDS)
    assert store.count(leave_out) == 2 and sorted(store.ids(leave_out, 2)) == sorted(m.id for m in counted)
    assert store.ids(MentionFilter(exclude_source_kinds=("rss", "forum"), complaint=True), 10) == [press[1].id]
    assert store.count(MentionFilter(source_kinds=("rss", "forum"), exclude_source_kinds=("rss",))) == 1
    assert {r[0] for r in store.response_rows(leave_out, "source_kind")} == {m.id for m in counted}
    assert {r.id for r in store.mention_rows(leave_out, "stakeholder")} == {m.id for m in counted}


def test_a_rule_row_of_a_kind_left_out_does_not_match():
    test = predicate(MentionFilter(exclude_source_kinds=("rss",)))
    assert test is not None
    row = RuleRow(id="m1", published=0.0, collected=0.0, duplicate_of=None, source_kind="rss", source_name="wire",
                  author=None)
    assert not test(row, None) and test(replace(row, source_kind="forum"), None)


# -- complaint_sla -----------------------------------------------------------------------------
def test_complaint_sla_does_not_alert_news_on_its_own_clock_but_does_by_a_case_it_was_linked_into(store):  # noqa: F811
    first = post(1, "ตู้เอทีเอ็มแสงทองหน้าตลาดกลืนบัตร ช่วยด้วยค่ะ", 60, author="a_ป้าแดง")
    store.upsert([first])
    cases.assign(store, [first], NOW - 59 * H, fresh=True)
    respond(store, first, 59)
    article = post(2, "ชาวบ้านร้องเรียนตู้เอทีเอ็มแสงทองกลืนบัตรหลายราย", 30, "article")
    wire = post(3, "ลูกค้าแสงทองร้องเรียนตู้เอทีเอ็มกลืนบัตร", 28, "rss")
    store.upsert([article, wire])
    cases.assign(store, [article, wire], NOW - 27 * H, fresh=True)
    engine = engine_for(store)
    assert engine.check(NOW) == []  # 30 and 28 hours unanswered, in no case: press relations' to answer
    (case,) = store.list_cases()
    cases.link(store, case.id, article.id, "somsri", NOW - 29 * H)  # a person: this customer's story
    [alert] = engine.check(NOW)
    assert alert.mention_ids == [article.id]  # the case's clock: waiting since the article, unanswered


# -- stores made before: news that case forming put in open cases ------------------------------
def _legacy(case_id: str, ms: list[Mention], *, linked: tuple[str, ...] = (), reopened: bool = False,
            state: str = "open") -> ComplaintCase:
    head = ms[0]
    at = head.published_at
    events = [CaseEvent(at=at, kind="opened", text="รับเรื่องร้องเรียน", data={"mention_id": head.id})]
    events += [CaseEvent(at=m.published_at, kind="linked" if m.id in linked else "mention", data={"mention_id": m.id},
                         actor="somsri" if m.id in linked else "sadap") for m in ms[1:]]
    if reopened:
        events += [CaseEvent(at=at + H, kind="closed", data={"reason": PRESS_COVERAGE}),
                   CaseEvent(at=at + 2 * H, kind="reopened", actor="somsri", text="ข่าวนี้ต้องตามต่อ")]
    return ComplaintCase(
        id=case_id, received_at=min(m.published_at for m in ms), updated_at=max(m.published_at for m in ms),
        channel=head.source_kind, source_name=head.source_name, type="digital_outage", author_id=head.author_id,
        mention_ids=[m.id for m in ms], stakeholders=list(dict.fromkeys(s for m in ms for s in m.stakeholders)),
        events=events, state=state, close_reason="resolved" if state == "closed" else None,
        closed_at=at + H if state == "closed" else None)


def test_the_first_sync_clears_news_from_the_open_cases_made_before(store):  # noqa: F811
    wire = post(1, "นายวรวิทย์ ธนากร กรรมการผู้จัดการใหญ่ ธนาคารแสงทอง ออกแถลงการณ์ขออภัยลูกค้า", 20, "rss")
    daily = post(2, "ธนาคารแสงทองเปิดเผยว่าได้เริ่มคืนเงินให้ลูกค้าที่ถูกตัดเงินซ้ำแล้ว", 19, "article")
    head = post(3, "ปัญหาการใช้งานแอปแสงทอง พลัส ยังไม่คลี่คลาย ลูกค้ารายงานว่าเงินหาย", 18, "rss",
                stakeholders=("netnati",))
    joined = [post(4, "โอนค่าเช่าห้องผ่านแอปแสงทองไม่สำเร็จ แต่เงินถูกตัด", 17, author="a_4", stakeholders=("sme",)),
              post(5, "แอปแสงทองเข้าไม่ได้ตั้งแต่เมื่อกี้", 16, author="a_5", thread="4321")]
    late = post(6, "ข่าวติดตาม: ลูกค้าแสงทองยังไม่ได้เงินคืน", 15, "news")
    mine = post(7, "บัตรแสงทองถูกระงับโดยไม่แจ้ง", 14, author="a_7")
    linked = post(8, "ผู้สื่อข่าวรายงาน: ลูกค้ารายนี้ถูกระงับบัตรโดยไม่แจ้ง", 13, "google_news")
    again = post(9, "แอปแสงทอง พลัส กลับมาใช้งานได้ตามปกติแล้ว", 12, "article")
    old = post(10, "ลูกค้าแสงทองร้องเรียนค่าธรรมเนียม", 11, "sitemap")
    store.upsert([wire, daily, head, *joined, late, mine, linked, again, old])
    for case in (_legacy("CASE-PRESS", [wire, daily]),
                 _legacy("CASE-MIXED", [head, *joined, late]),
                 _legacy("CASE-HAND", [mine, linked], linked=(linked.id,)),
                 _legacy("CASE-REOPENED", [again], reopened=True),
                 _legacy("CASE-DONE", [old], state="closed")):
        store.save_case(case)
    every = cases.SyncEvery(timedelta(0))  # the workspace queue's sync
    assert every(store, NOW) is True
    press = store.get_case("CASE-PRESS")
    assert (press.state, press.close_reason, press.closed_at, press.closed_by) == ("closed", PRESS_COVERAGE, NOW, "sadap")
    assert press.mention_ids == [wire.id, daily.id] and press.events[-1].kind == "closed"
    mixed = store.get_case("CASE-MIXED")
    assert mixed.state == "open" and mixed.mention_ids == [m.id for m in joined]
    assert [e.data["mention_id"] for e in mixed.events if e.kind == "unlinked"] == [head.id, late.id]
    # its clock, channel and stakeholders read again from the customers' complaints left
    assert (mixed.received_at, mixed.updated_at) == (joined[0].published_at, joined[1].published_at)
    assert (mixed.channel, mixed.source_name, mixed.author_id) == ("forum", "forum-test", "a_4")
    assert mixed.stakeholders == ["sme"]
    assert store.held_mentions([head.id, late.id]) == set()
    # a person's link, a person's reopening, a closed case: as they were
    assert store.get_case("CASE-HAND").mention_ids == [mine.id, linked.id]
    assert store.get_case("CASE-HAND").state == "open" and store.get_case("CASE-REOPENED").state == "open"
    assert store.get_case("CASE-DONE").close_reason == "resolved"
    assert cases.clear_press(store, NOW + H) == set()  # done once
    shown = [r["case"].id for r in cases.queue_page(store, NOW).rows if r["case"].state == "open"]
    assert sorted(shown) == ["CASE-HAND", "CASE-MIXED", "CASE-REOPENED"]
    # a workspace process clears once, on its first sync; later ones read no case for it
    later = post(11, "ข่าว: ลูกค้าแสงทองร้องเรียนแอปล่ม", 10, "rss")
    store.upsert([later])
    store.save_case(_legacy("CASE-LATER", [later]))
    assert every(store, NOW + H) is True and store.get_case("CASE-LATER").state == "open"
    assert cases.clear_press(store, NOW + H) == {"CASE-LATER"}


def test_complaints_list_clears_news_from_open_cases(tmp_path):
    (tmp_path / "sadap.yaml").write_text("data_dir: data\nwatch:\n  - name: ธนาคารแสงทอง\n", encoding="utf-8")
    cfg = str(tmp_path / "sadap.yaml")
    wire = post(1, "นายวรวิทย์ ธนากร กรรมการผู้จัดการใหญ่ ธนาคารแสงทอง ออกแถลงการณ์ขออภัยลูกค้า", 20, "rss")
    with open_store(load_config(cfg)) as s:
        s.upsert([wire])
        s.save_case(_legacy("CASE-PRESS", [wire]))
    listed = CliRunner().invoke(main, ["complaints", "list", "--config", cfg])
    assert listed.exit_code == 0, listed.output
    assert "CASE-PRESS  ปิดแล้ว" in listed.output
    shown = CliRunner().invoke(main, ["complaints", "show", "CASE-PRESS", "--config", cfg])
    assert "ปิดเรื่อง: ข่าวจากสื่อ ตอบผ่านงานสื่อสัมพันธ์ โดย sadap" in shown.output, shown.output
    # not a customer's complaint: not counted as a closed case without a cause (docs/pr-crm.md)
    counted = CliRunner().invoke(main, ["complaints", "causes", "--since", "30d", "--config", cfg, "--json"])
    assert counted.exit_code == 0, counted.output
    assert (json.loads(counted.output)["closed"], json.loads(counted.output)["causes"]) == (0, [])
    shown = CliRunner().invoke(main, ["complaints", "causes", "--since", "30d", "--config", cfg])
    assert "ยังไม่ได้บันทึก" not in shown.output and "ไม่มีเรื่องที่ปิดในช่วงนี้" in shown.output, shown.output


# -- the demo ----------------------------------------------------------------------------------
def test_no_case_of_the_demo_holds_news_and_its_report_counts_none(demo_store_dir):
    cfg = str(demo_store_dir / "sadap.yaml")
    with open_store(load_config(cfg)) as s:
        news = set(s.ids(MentionFilter(source_kinds=NEWS_SOURCE_KINDS), 10_000))
        complained = s.count(MentionFilter(source_kinds=NEWS_SOURCE_KINDS, complaint=True))
        open_cases = s.list_cases(("open",))
        assert complained >= 5  # the press coverage of the outage: still complaints for the voice of the customer
        assert open_cases and not [c.id for c in open_cases if set(c.mention_ids) <= news]
        assert not [c.id for c in s.list_cases() if news.intersection(c.mention_ids)]  # nothing linked by hand
    by_channel = json.loads(CliRunner().invoke(main, ["report", "responses", "--config", cfg, "--by", "channel",
                                                      "--json"]).output)
    assert not {g["group"] for g in by_channel["groups"]} & set(NEWS_SOURCE_KINDS)
