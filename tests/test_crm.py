"""Stakeholder profiles and complaint cases (docs/pr-crm.md): the registry and cases in both
store backends, tagging at ingest, import/export with bad rows, playbook stakeholders resolved
to the registry with the "informed" tick, case grouping, linking, closing and the 24-hour clock."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from enrich.stakeholders import StakeholderTagger
from sadap.app import complaints as cases
from sadap.app import stakeholders as registry
from sadap.app.cli import main
from sadap.app.config import configured_playbooks, load_config_file
from sadap.app.importer import import_file
from sadap.core.complaint_case import ComplaintCase
from sadap.core.errors import InputError
from sadap.core.incident import Incident
from sadap.core.mention import Complaint
from sadap.core.stakeholder import Stakeholder, StakeholderEntry, stakeholder_of
from sadap.store import MentionFilter, open_store
from tests.test_store_contract import T0, TEXTS, make, store  # noqa: F401  (the backend fixture)

BOT = Stakeholder(
    id="bot", name="ธนาคารแห่งประเทศไทย", name_en="Bank of Thailand", status="government", group="regulators",
    role="กำกับดูแลสถาบันการเงิน", key_issues=["ความต่อเนื่องของบริการดิจิทัล"],
    contacts=[{"name": "ฝ่ายกำกับความเสี่ยงด้านเทคโนโลยี", "channel": "email", "address": "it@example.org"}],
    relationship={"level": "good", "set_by": "somsri", "reason": "ประชุมรายไตรมาส", "set_at": T0},
    aliases=["แบงก์ชาติ", "ธปท."], inform_as=["regulator"],
)
SELLERS = Stakeholder(
    id="sme-sellers", name="ร้านค้าออนไลน์", status="private_company", group="customers",
    accounts=[{"source": "social", "handle": "เจ๊หมวยขายส่ง"}], watched=["แสงทอง พลัส"], inform_as=["customer"],
)


# -- both backends ----------------------------------------------------------------------------
def test_registry_and_cases_round_trip(store):  # noqa: F811
    assert store.list_stakeholders() == [] and store.get_stakeholder("bot") is None
    store.save_stakeholder(SELLERS)
    store.save_stakeholder(BOT)
    assert [s.id for s in store.list_stakeholders()] == ["bot", "sme-sellers"]
    assert store.get_stakeholder("bot") == BOT
    store.save_stakeholder(BOT.model_copy(update={"aliases": ["แบงก์ชาติ"]}))
    assert store.get_stakeholder("bot").aliases == ["แบงก์ชาติ"] and len(store.list_stakeholders()) == 2
    assert store.delete_stakeholder("sme-sellers") and not store.delete_stakeholder("sme-sellers")
    assert [s.id for s in store.list_stakeholders()] == ["bot"]

    a = ComplaintCase(received_at=T0, updated_at=T0, channel="forum", source_name="forum-a", type="digital_outage",
                      author_id="a_1", mention_ids=["m1", "m2"])
    b = ComplaintCase(received_at=T0 + timedelta(hours=1), updated_at=T0, channel="line", source_name="line-oa",
                      state="closed", close_reason="resolved")
    store.save_case(a)
    store.save_case(b)
    assert store.get_case(a.id) == a and store.get_case("CASE-NONE") is None
    assert [c.id for c in store.list_cases()] == [b.id, a.id]  # latest received first
    assert [c.id for c in store.list_cases(("open",))] == [a.id]
    store.save_case(a.model_copy(update={"state": "closed"}))
    assert store.list_cases(("open",)) == []


def test_mentions_filter_and_count_by_stakeholder(store):  # noqa: F811
    ms = [make(i, *row, minutes=i * 30) for i, row in enumerate(TEXTS)]
    ms[0].stakeholders = ["bot", "sme-sellers"]
    ms[1].stakeholders = ["sme-sellers"]
    store.upsert(ms)
    assert set(store.ids(MentionFilter(stakeholders=("sme-sellers",)), 10)) == {ms[0].id, ms[1].id}
    assert store.count(MentionFilter(stakeholders=("bot",))) == 1
    assert store.count_by(MentionFilter(), "stakeholder") == {"sme-sellers": 2, "bot": 1}
    assert stakeholder_of(store.get(ms[0].id)) == ["bot", "sme-sellers"]
    assert stakeholder_of(json.loads(store.get(ms[1].id).model_dump_json())) == ["sme-sellers"]
    assert set(store.ids(MentionFilter(author_ids=("a_1",)), 10)) == {ms[1].id, ms[4].id}
    # retagging rewrites the field (and the terms it is found by)
    ms[0].stakeholders = []
    store.upsert([ms[0]])
    assert store.count(MentionFilter(stakeholders=("bot",))) == 0


# -- tagging --------------------------------------------------------------------------------------
def test_tagger_matches_names_aliases_watched_names_and_accounts():
    tagger = StakeholderTagger([
        StakeholderEntry(id="bot", names=["ธนาคารแห่งประเทศไทย", "Bank of Thailand", "แบงก์ชาติ"]),
        StakeholderEntry(id="sme-sellers", names=["ร้านค้าออนไลน์"], watched=["แสงทอง พลัส"], author_ids=["a_seller"]),
        StakeholderEntry(id="nan", names=["บ้านห้วยผึ้ง"]),
    ])
    m = make(0, *TEXTS[0], minutes=0)

    def tags(text: str, **update) -> list[str]:
        return tagger.tag(m.model_copy(update={"text": text, "entities": [], "author_id": "a_x", **update}))

    assert tags("จะร้องเรียนไปที่แบงก์ชาติดีไหมครับ โดนตัดเงินซ้ำ") == ["bot"]
    assert tags("The Bank of Thailand asked for a report") == ["bot"]
    assert tags("ชาวบ้านห้วยผึ้งร่วมปลูกป่ากับธนาคาร") == ["nan"]
    assert tags("แอปล่มอีกแล้ว", entities=["แสงทอง พลัส"]) == ["sme-sellers"]  # a linked watched name
    assert tags("ส่งสลิปไม่ได้ ลูกค้าคิดว่าเราโกง", author_id="a_seller") == ["sme-sellers"]  # their own account
    assert tags("ตลาดหุ้นวันนี้ปิดบวกเล็กน้อย") == []
    assert tags("แบงก์ชาติ", title="ร้านค้าออนไลน์ เดือดร้อน") == ["bot", "sme-sellers"]


@pytest.fixture
def config(tmp_path):
    (tmp_path / "sadap.yaml").write_text(
        "data_dir: data\nwatch:\n  - name: ธนาคารแสงทอง\n    aliases: [แสงทอง]\n  - name: แสงทอง พลัส\n"
        "    aliases: [แอปแสงทอง]\nrules: []\nnotifiers: []\n", encoding="utf-8")
    return load_config_file(tmp_path / "sadap.yaml")


def _jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


COMPLAINTS = [
    {"id": "c1", "author": "เจ๊หมวยขายส่ง", "published_at": "2026-11-20T09:00:00",
     "text": "แอปแสงทองล่ม ลูกค้าโอนเงินมาไม่ได้ ร้านเสียหายทั้งวัน แย่มาก", "thread_id": "t202"},
    {"id": "c2", "author": "เจ๊หมวยขายส่ง", "published_at": "2026-11-20T11:30:00",
     "text": "ยังโอนไม่ได้เลย โทร call center ก็ไม่ติด ผิดหวังมากค่ะ"},
    {"id": "c3", "author": "ชายกลางซอย", "published_at": "2026-11-20T09:40:00",
     "text": "โดนตัดเงินซ้ำสองรอบ โอนค่าเช่าห้องครั้งเดียว เงินหายไป แย่มาก", "thread_id": "t999"},
    {"id": "p1", "author": "ลุงหมานนทบุรี", "published_at": "2026-11-20T10:00:00",
     "text": "ได้ข่าวว่าแบงก์ชาติสั่งให้ธนาคารรายงานเหตุการณ์แล้ว"},
]


def test_ingest_tags_mentions_and_groups_complaints_into_cases(config, tmp_path):
    with open_store(config) as store:
        store.save_stakeholder(BOT)
        store.save_stakeholder(SELLERS)
    report = import_file(config, _jsonl(tmp_path / "social.jsonl", COMPLAINTS))
    assert report["stored"] == 4
    with open_store(config) as store:
        by_native = {m.native_id: m for m in store.search(MentionFilter(), 10)}
        assert by_native["c1"].stakeholders == ["sme-sellers"]  # posted by one of their accounts
        assert by_native["p1"].stakeholders == ["bot"]  # about them (an alias)
        assert "เจ๊หมวย" not in by_native["c1"].model_dump_json()  # the account name is not stored
        assert by_native["c1"].complaint.is_complaint and by_native["c2"].complaint.is_complaint
        found = store.list_cases()
        seller = next(c for c in found if by_native["c1"].id in c.mention_ids)
        # the same complainant's two complaints are one case, received at the first
        assert set(seller.mention_ids) == {by_native["c1"].id, by_native["c2"].id}
        assert seller.received_at == by_native["c1"].published_at and seller.stakeholders == ["sme-sellers"]
        other = next(c for c in found if by_native["c3"].id in c.mention_ids)
        assert other.id != seller.id and other.mention_ids == [by_native["c3"].id]
        # the sequence of events: both complaints, then a response, then a note; the clock stops
        now = by_native["c1"].published_at + timedelta(hours=30)
        assert cases.case_clock(store, seller, now)["overdue"]
        store.log_response(by_native["c2"].id, by_native["c2"].published_at + timedelta(hours=2), "somsri", "forum",
                           "ขออภัยค่ะ ทีมงานกำลังตรวจสอบรายการให้")
        cases.note(store, seller.id, "somsri", "โทรกลับลูกค้าแล้ว ยืนยันคืนเงินภายใน 24 ชม.")
        seller = store.get_case(seller.id)
        events = cases.timeline(store, seller)
        assert [e["kind"] for e in events] == ["complaint", "complaint", "response", "note"]
        clock = cases.case_clock(store, seller, now)
        assert clock["in_time"] and not clock["overdue"]
        # link by hand: c3 moves over, its old case is closed as a duplicate
        cases.link(store, seller.id, by_native["c3"].id, "somsri")
        assert by_native["c3"].id in store.get_case(seller.id).mention_ids
        old = store.get_case(other.id)
        assert old.state == "closed" and old.close_reason == "duplicate" and old.mention_ids == []
        with pytest.raises(InputError, match="reason: 'fixed' is not a close reason \\(allowed: resolved, "):
            cases.close(store, seller.id, "fixed", "somsri")
        closed = cases.close(store, seller.id, "compensated", "somsri", "คืนเงินครบแล้ว")
        assert closed.state == "closed" and closed.closed_by == "somsri"
        assert [e.kind for e in store.get_case(seller.id).events][-1] == "closed"
        # a second import of the same file opens no case twice
    import_file(config, _jsonl(tmp_path / "social.jsonl", COMPLAINTS))
    with open_store(config) as store:
        assert cases.sync(store) == 0
        assert sum(len(c.mention_ids) for c in store.list_cases()) == 3


def test_retag_after_the_registry_changes(config, tmp_path):
    import_file(config, _jsonl(tmp_path / "social.jsonl", COMPLAINTS))
    with open_store(config) as store:
        assert store.count(MentionFilter(stakeholders=("bot",))) == 0
        store.save_stakeholder(BOT)
        assert registry.retag(config, store) == {"read": 4, "changed": 1}
        assert store.count(MentionFilter(stakeholders=("bot",))) == 1
        assert registry.retag(config, store)["changed"] == 0


# -- import and export -------------------------------------------------------------------------
YAML_FILE = """\
stakeholders:
  - id: bot
    name: ธนาคารแห่งประเทศไทย
    status: government
    group: regulators
    contacts:
      - {name: ฝ่ายกำกับ, channel: email, address: it@example.org}
    relationship: {level: good, set_by: somsri, reason: ประชุมรายไตรมาส}
  - id: nan-community
    name: ชุมชนบ้านห้วยผึ้ง
    status: village
    group: community
  - id: media
    name: สำนักข่าวเนตรนที
    status: media
    group: media
    contacts:
      - {name: โต๊ะข่าว, channel: fax}
"""


def test_yaml_import_reports_each_bad_row_and_keeps_the_good(tmp_path):
    path = tmp_path / "stakeholders.yaml"
    path.write_text(YAML_FILE, encoding="utf-8")
    found, problems = registry.read_file(path, "somsri")
    assert [s.id for s in found] == ["bot"]
    assert problems[0].startswith(f"{path}:11: stakeholders[1].status: Input should be 'government', ")
    assert "(got 'village')" in problems[0]
    assert problems[1].startswith(f"{path}:18: stakeholders[2].contacts[0].channel: Input should be 'email', ")
    assert len(problems) == 2
    assert found[0].relationship.set_at is not None and found[0].updated_by == "somsri"


def test_csv_import_export_round_trip_and_bad_rows(tmp_path):
    good = [BOT.model_copy(update={"updated_by": "x"}), SELLERS]
    text = registry.export_csv(good)
    path = tmp_path / "s.csv"
    path.write_text(text + "bad-1,ชุมชนริมคลอง,community,somewhere\n", encoding="utf-8")
    found, problems = registry.read_file(path, "anan")
    assert [s.id for s in found] == ["bot", "sme-sellers"]
    assert found[0].contacts == BOT.contacts and found[0].aliases == BOT.aliases
    assert found[0].relationship.level == "good" and found[0].relationship.set_by == "somsri"
    assert found[1].accounts == SELLERS.accounts and found[1].watched == ["แสงทอง พลัส"]
    assert problems == [
        f"{path}:4: status: Input should be 'government', 'state_enterprise', 'private_company', 'community', "
        "'media', 'ngo', 'academic', 'individual' or 'other' (got 'somewhere')",
        f"{path}:4: group: Input should be 'customers', 'community', 'regulators', 'media', 'partners', 'employees', "
        "'shareholders', 'suppliers', 'government', 'society' or 'other' (got '')",
    ]
    yaml_path = tmp_path / "s.yaml"
    yaml_path.write_text(registry.export_yaml(found), encoding="utf-8")
    again, none = registry.read_file(yaml_path, "anan")
    assert none == [] and [s.model_dump(exclude={"updated_at"}) for s in again] == [
        s.model_dump(exclude={"updated_at"}) for s in found]


RIMKHLONG = Stakeholder(  # values holding the CSV's own separators: ; | and :
    id="rimkhlong", name="ชุมชนริมคลองแสนแสบ", status="community", group="community",
    key_issues=["น้ำท่วม; ขยะในคลอง", "ค่าชดเชย"], expectations=["ตอบภายใน 24 ชม.: ทางไลน์"],
    contacts=[{"name": "ผู้ใหญ่สมหมาย", "channel": "phone", "address": "081-234-5678; 02-111-2222",
               "title": "ผู้ใหญ่บ้าน หมู่ 3"},
              {"name": "กลุ่มเยาวชน|อาสา", "channel": "line", "address": "@rimkhlong\\youth"}],
    accounts=[{"handle": "https://www.facebook.com/rimkhlong"}, {"source": "pantip", "handle": "ลุง:แดง ริมคลอง"}],
    relationship={"level": "neutral", "set_by": "somsri", "reason": "ประชุมครั้งแรก; ยังไม่มีข้อตกลง"},
)


def test_csv_round_trip_keeps_values_holding_separators(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(registry.export_csv([RIMKHLONG]), encoding="utf-8")
    [again], problems = registry.read_file(path, "anan")
    assert problems == []
    for field in ("key_issues", "expectations", "contacts", "accounts"):
        assert getattr(again, field) == getattr(RIMKHLONG, field), field
    assert again.relationship.reason == RIMKHLONG.relationship.reason
    # a file written by hand, without escapes, reads as before
    path.write_text("id,name,status,group,key_issues,contacts,accounts\n"
                    "bot,ธนาคารแห่งประเทศไทย,government,regulators,ความเสี่ยง; ไอที,ฝ่ายกำกับ|email|it@example.org,"
                    "x:@bot_th; สายตรงแบงก์ชาติ\n", encoding="utf-8")
    [bot], problems = registry.read_file(path, "anan")
    assert problems == [] and bot.key_issues == ["ความเสี่ยง", "ไอที"] and bot.contacts[0].address == "it@example.org"
    assert [(a.source, a.handle) for a in bot.accounts] == [("x", "@bot_th"), (None, "สายตรงแบงก์ชาติ")]


def test_cli_options_are_one_item_each(config):
    runner = CliRunner()
    r = runner.invoke(main, ["stakeholders", "add", "rimkhlong", "--name", "ชุมชนริมคลองแสนแสบ", "--status", "community",
                             "--group", "community", "--issue", "น้ำท่วม; ขยะในคลอง",
                             "--contact", "ผู้ใหญ่สมหมาย|phone|081-234-5678; 02-111-2222|ผู้ใหญ่บ้าน หมู่ 3",
                             "--account", "pantip:ลุง:แดง ริมคลอง", "--config", str(config.path)])
    assert r.exit_code == 0, r.output
    with open_store(config) as store:
        s = store.get_stakeholder("rimkhlong")
    assert s.key_issues == ["น้ำท่วม; ขยะในคลอง"] and s.contacts == RIMKHLONG.contacts[:1]
    assert [(a.source, a.handle) for a in s.accounts] == [("pantip", "ลุง:แดง ริมคลอง")]


def test_cli_add_edit_list_import(config, tmp_path):
    runner = CliRunner()
    cfg = ["--config", str(config.path)]
    r = runner.invoke(main, ["stakeholders", "add", "bot", "--name", "ธนาคารแห่งประเทศไทย", "--status", "government",
                             "--group", "regulators", "--alias", "แบงก์ชาติ", "--contact", "ฝ่ายกำกับ|email|it@example.org",
                             "--level", "good", "--reason", "ประชุมรายไตรมาส", "--by", "somsri", *cfg])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["stakeholders", "add", "bot", "--name", "x", "--status", "media", "--group", "media", *cfg])
    assert r.exit_code == 1 and "exists already" in r.output
    r = runner.invoke(main, ["stakeholders", "edit", "bot", "--level", "strained", "--reason", "รายงานเหตุล่าช้า",
                             "--by", "anan", *cfg])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["stakeholders", "list", "--json", *cfg])
    [s] = json.loads(r.output)
    assert s["relationship"]["level"] == "strained" and s["relationship"]["set_by"] == "anan"
    assert s["aliases"] == ["แบงก์ชาติ"] and s["contacts"][0]["channel"] == "email"
    path = tmp_path / "more.yaml"
    path.write_text(YAML_FILE.replace("id: bot", "id: bot2"), encoding="utf-8")
    r = runner.invoke(main, ["stakeholders", "import", str(path), *cfg])
    assert r.exit_code == 1 and "imported 1 stakeholder(s), 2 problem(s)" in r.output
    assert f"sadap: {path}:11: stakeholders[1].status:" in r.output
    r = runner.invoke(main, ["stakeholders", "export", "--format", "csv", *cfg])
    assert r.exit_code == 0 and r.output.splitlines()[0].startswith("id,name,name_en,status,group")
    assert {line.split(",")[0] for line in r.output.splitlines()[1:]} == {"bot", "bot2"}


# -- playbooks: who to inform, and the informed tick --------------------------------------------------
def test_playbook_stakeholders_resolve_to_the_registry_and_the_tick_is_recorded(config):
    playbooks = {p.id: p for p in configured_playbooks(config, check_references=False)}
    outage = playbooks["service-outage"]
    with open_store(config) as store:
        store.save_stakeholder(BOT)
        staff = Stakeholder(id="staff", name="พนักงานสาขาและคอลเซ็นเตอร์", status="private_company", group="employees",
                            contacts=[{"name": "หัวหน้าศูนย์บริการลูกค้า", "channel": "internal"}], inform_as=["staff"])
        store.save_stakeholder(staff)
        inc = Incident(playbook="service-outage", rule="outage", severity="P2", title="แอปล่ม", opened_at=T0, updated_at=T0)
        store.save_incident(inc)
        rows = registry.who_to_inform(inc, outage, store.list_stakeholders(), store.events(inc.id))
        by_role = {r["role"]: r for r in rows}
        assert [t["stakeholder"].id for t in by_role["regulator"]["targets"]] == ["bot"]
        assert by_role["regulator"]["targets"][0]["channel"] == "email"
        assert [t["stakeholder"].id for t in by_role["staff"]["targets"]] == ["staff"]
        assert by_role["staff"]["due"] == T0 + timedelta(minutes=30)
        assert by_role["executive"]["targets"][0]["stakeholder"] is None  # nobody in the registry: the entry itself
        entry = by_role["regulator"]["index"]
        with pytest.raises(InputError, match="stakeholder: 'staff' is not one entry"):
            registry.mark_informed(store, inc.id, outage, entry, "staff", "somsri")
        registry.mark_informed(store, inc.id, outage, entry, "bot", "somsri", "ส่งอีเมลรายงานเบื้องต้นแล้ว")
        rows = registry.who_to_inform(inc, outage, store.list_stakeholders(), store.events(inc.id))
        tick = rows[entry]["targets"][0]["informed"]
        assert tick is not None and tick.actor == "somsri" and tick.kind == "informed"
        assert "ธนาคารแห่งประเทศไทย" in tick.text and "email" in tick.text
        page = registry.profile(store, store.get_stakeholder("bot"))
        assert page["informed"][0]["event"].actor == "somsri" and page["last_contact"] == tick.at


def test_erasing_a_complainant_removes_them_from_cases(store):  # noqa: F811
    ms = [make(i, *row, minutes=i * 30) for i, row in enumerate(TEXTS)]
    store.upsert(ms)
    complaints = [m for m in ms if m.complaint.is_complaint]
    [case] = cases.assign(store, complaints[:1], T0)
    cases.link(store, case.id, complaints[1].id, "somsri")
    store.erase([complaints[0].id])
    left = store.get_case(case.id)
    assert complaints[1].author_id != complaints[0].author_id
    # the erased complainant's pseudonym goes too: none of the mentions left is theirs
    assert left.mention_ids == [complaints[1].id] and left.author_id is None
    assert all(e.data.get("mention_id") != complaints[0].id for e in left.events)
    store.erase([complaints[1].id])
    gone = store.get_case(case.id)
    assert gone.mention_ids == [] and gone.author_id is None
