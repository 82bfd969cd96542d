"""What the Thai standards in ../shared/domain/ ask of Sadap's figures and words, checked on a
real SQLite store of Thai complaints (docs/pr-crm.md):

* 000 (ติดต่อสื่อสารภายนอกองค์กร, 03204.01): follow complaints around the clock and answer every
  group equally — the share answered within the SLA counts only the complaints that are due;
* 003 (SE-AM, customer management FAQ 8): the voice of the customer in the standard's four areas,
  named with the standard's words;
* 000 (03204.03): CSR activities continuous and regular, balanced across three pillars — a month
  of the quarter with no CSR activity is named.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from enrich.normalize import normalize
from enrich.tokenize import tokenize
from sadap.app.cli import main
from sadap.app.config import Config, load_config
from sadap.app.responses import equal_response
from sadap.core.mention import Complaint, Mention, Sentiment, mention_id
from sadap.core.timeutil import UTC
from sadap.store import open_store

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _config(folder: Path) -> Config:
    (folder / "sadap.yaml").write_text("data_dir: data\nwatch:\n  - name: ธนาคารแสงทอง\n    aliases: [แสงทอง]\n",
                                       encoding="utf-8")
    return load_config(folder / "sadap.yaml")


def _complaint(key: str, kind: str, text: str, at: datetime) -> Mention:
    return Mention(
        id=mention_id(f"{kind}-saengthong", key), source_kind=kind, source_name=f"{kind}-saengthong", native_id=key,
        author_id=f"a_{key}", published_at=at, collected_at=at, text=text, tokens=tokenize(normalize(text), ["แสงทอง"]),
        entities=["ธนาคารแสงทอง"], sentiment=Sentiment(label="neg", score=0.9),
        complaint=Complaint(is_complaint=True, type="digital_outage"),
    )


# -- 000: the 24-hour clock --------------------------------------------------------------------
def test_a_complaint_still_within_its_24_hours_is_not_counted_as_missed(tmp_path: Path):
    """Before, the share answered in time divided by every complaint: one received two hours ago
    and not answered yet counted as late, so a team that had answered everything due showed 50%."""
    config = _config(tmp_path)
    answered = _complaint("l1", "line", "แอปแสงทองโอนเงินไม่ได้ตั้งแต่เมื่อวาน ขึ้นว่าทำรายการไม่สำเร็จ", NOW - timedelta(hours=30))
    fresh = _complaint("l2", "line", "แอปแสงทองเข้าไม่ได้ค่ะ ขึ้น error ตลอด", NOW - timedelta(hours=2))
    late = _complaint("x1", "x", "แอปแสงทองล่มอีกแล้ว ร้องเรียนไปก็เงียบ", NOW - timedelta(hours=40))
    with open_store(config) as store:
        store.upsert([answered, fresh, late])
        store.log_response(answered.id, answered.published_at + timedelta(hours=1), "somsri", "line", "ขออภัยค่ะ")
        report = equal_response(store, config, "channel", at=NOW)
    groups = {g.group: g for g in report.groups}
    # LINE: one answered in an hour, one not yet due: all that is due was answered in time
    assert groups["line"].not_yet_due == 1 and groups["line"].within_sla_share == 1.0
    # X: unanswered for 40 hours: due, and missed
    assert groups["x"].not_yet_due == 0 and groups["x"].within_sla_share == 0.0
    assert report.overall.as_dict()["not_yet_due"] == 1
    assert report.overall.within_sla_share == 0.5  # one of the two due
    # nothing due yet: no share to show, rather than 0%
    only_fresh = equal_response_at(config, NOW - timedelta(hours=3))
    assert only_fresh.overall.count == 1 and only_fresh.overall.within_sla_share is None


def equal_response_at(config: Config, since: datetime):
    with open_store(config) as store:
        return equal_response(store, config, "channel", since=since, at=NOW)


# -- 003: the voice of the customer's four areas ---------------------------------------------------
#: SE-AM customer management, FAQ 8: the areas the voice of the customer is compared in.
VOC_AREAS = {"product_service": "ผลิตภัณฑ์และบริการ", "customer_support": "การสนับสนุนลูกค้า",
             "transaction": "การทำธุรกรรม", "relationship": "การจัดการความสัมพันธ์"}


def test_voice_of_the_customer_areas_carry_the_standards_names_everywhere_they_are_read():
    """Before, the workspace, reports and quarterly summary said สินค้าและบริการ, การดูแลลูกค้า,
    ธุรกรรม and ความสัมพันธ์และภาพลักษณ์; the complaint-surge playbook a third set
    (การบริการลูกค้า, การบริหารความสัมพันธ์); Kibana showed the English keys."""
    import json

    import yaml

    from sadap.app.kibana import saved_objects
    from sadap.app.names import category_names, complaint_type_names

    names = category_names()
    assert {k: names[k][0] for k in VOC_AREAS} == VOC_AREAS
    # the playbook's sorting step names the areas as the labels do
    book = yaml.safe_load((Path(__file__).resolve().parents[1] / "playbooks" / "library" / "90-complaint-surge.yaml")
                          .read_text(encoding="utf-8"))
    sorting = " ".join(book["steps"][0]["checklist"])
    assert all(th in sorting for th in VOC_AREAS.values()), sorting
    # Kibana's mentions data view shows the Thai names of categories and complaint types
    view = next(o for o in saved_objects() if o["id"] == "sadap-mentions")
    formats = json.loads(view["attributes"]["fieldFormatMap"])
    shown = {e["key"]: e["value"] for e in formats["category"]["params"]["lookupEntries"]}
    assert {k: shown[k] for k in VOC_AREAS} == VOC_AREAS
    types = {e["key"]: e["value"] for e in formats["complaint_type"]["params"]["lookupEntries"]}
    assert types["digital_outage"] == complaint_type_names()["digital_outage"][0] == "ระบบดิจิทัลขัดข้อง"


# -- 000 (03204.03): CSR continuous and regular -------------------------------------------------------
def _csr(key: str, text: str, at: datetime, pillars: list[str]) -> Mention:
    return Mention(
        id=mention_id("rss-news", key), source_kind="rss", source_name="rss-news", native_id=key, author_id=f"a_{key}",
        published_at=at, collected_at=at, text=text, tokens=tokenize(normalize(text), ["แสงทอง"]),
        entities=["ธนาคารแสงทอง"], sentiment=Sentiment(label="pos", score=0.8), csr=pillars,
    )


def test_the_quarterly_report_names_the_months_without_any_csr_activity(tmp_path: Path):
    """Before, the report flagged a pillar missing from the whole quarter only: a quarter whose
    CSR all happened in one month read as balanced, though the standard asks for CSR that is
    continuous and regular. A month still running is not judged."""
    from sadap.app.quarterly import quarterly_report

    config = _config(tmp_path)
    bangkok = timedelta(hours=7)
    with open_store(config) as store:
        store.upsert([
            # October: the bank is in the news, but no CSR activity
            _csr("o1", "ธนาคารแสงทองเปิดสาขาใหม่ที่ขอนแก่น", datetime(2026, 10, 12, 3, tzinfo=UTC), []),
            # November: all three pillars
            _csr("n1", "ธนาคารแสงทองมอบทุนการศึกษาแก่นักเรียนยากไร้ 100 ทุน", datetime(2026, 11, 5, 3, tzinfo=UTC), ["society"]),
            _csr("n2", "ธนาคารแสงทองจัดโครงการส่งเสริมอาชีพวิสาหกิจชุมชนน่าน", datetime(2026, 11, 12, 3, tzinfo=UTC), ["economy"]),
            _csr("n3", "พนักงานจิตอาสาธนาคารแสงทองปลูกป่าชายเลนที่สมุทรสาคร", datetime(2026, 11, 20, 3, tzinfo=UTC), ["environment"]),
            # December: none
            _csr("d1", "ธนาคารแสงทองปรับดอกเบี้ยเงินฝากประจำ", datetime(2026, 12, 3, 3, tzinfo=UTC), []),
        ])
        running = quarterly_report(store, config, "2026Q4", now=datetime(2026, 12, 15, tzinfo=UTC))
        whole = quarterly_report(store, config, "2026Q4", now=datetime(2027, 1, 1, tzinfo=UTC) - bangkok + timedelta(days=1))
    assert running["now"]["csr_quiet_months"] == ["ต.ค. 69"]  # December has not ended
    assert whole["now"]["csr_quiet_months"] == ["ต.ค. 69", "ธ.ค. 69"]
    assert "มีการกล่าวถึงครบทั้งสามด้าน" in whole["summaries"]["csr"]
    assert "เดือนที่ไม่มีการกล่าวถึงกิจกรรม CSR เลย: ต.ค. 69, ธ.ค. 69." in whole["summaries"]["csr"]


# -- 004: the quarterly follow-up's three KPIs ------------------------------------------------------
def test_the_quarterly_sections_name_the_three_kpis_of_standard_004():
    """Standard 004 (section 11) follows satisfaction (ความพึงพอใจ), engagement (ความผูกพัน) and
    image (ภาพลักษณ์) each quarter; the engagement section was headed การมีส่วนร่วม only, so the
    committee's KPI had no section by its name."""
    from sadap.app.quarterly import SECTIONS

    titles = {key: th for key, th, _ in SECTIONS}
    assert "ความพึงพอใจ" in titles["satisfaction"]
    assert "ความผูกพัน" in titles["engagement"]
    assert "ภาพลักษณ์" in titles["image"]


# -- 003: the stakeholder profile, current and in a digital database ----------------------------------
def test_a_stakeholder_csv_export_keeps_when_each_relationship_level_was_set(tmp_path: Path):
    """Standard 003 asks for a stakeholder profile kept current; whether a level is current is
    when it was set. The CSV export had who and why but not when, so a registry moved to a new
    install through CSV had every level stamped with the import's time."""
    from sadap.app import stakeholders as registry
    from sadap.core.stakeholder import Stakeholder

    set_at = datetime(2025, 3, 14, 2, 30, tzinfo=UTC)
    community = Stakeholder(
        id="huai-phueng", name="ชุมชนบ้านห้วยผึ้ง", status="community", group="community",
        relationship={"level": "strained", "set_by": "somsri", "reason": "งบดูแลป่าต้นน้ำยังไม่โอน", "set_at": set_at},
    )
    path = tmp_path / "stakeholders.csv"
    path.write_text(registry.export_csv([community]), encoding="utf-8")
    header, row = path.read_text(encoding="utf-8").splitlines()
    assert "relationship_at" in header.split(",") and set_at.isoformat() in row
    found, problems = registry.read_file(path, "anan", at=datetime(2026, 12, 7, tzinfo=UTC))
    assert not problems and found[0].relationship is not None and found[0].relationship.set_at == set_at
    # a time without an offset, as a spreadsheet may leave it, is Bangkok time
    path.write_text("id,name,status,group,relationship,relationship_by,relationship_at\n"
                    "huai-phueng,ชุมชนบ้านห้วยผึ้ง,community,community,good,somsri,2025-03-14 09:30\n", encoding="utf-8")
    found, problems = registry.read_file(path, "anan")
    assert not problems and found[0].relationship is not None and found[0].relationship.set_at == set_at
    # a cell that is no time is one line naming the column
    path.write_text("id,name,status,group,relationship,relationship_by,relationship_at\n"
                    "huai-phueng,ชุมชนบ้านห้วยผึ้ง,community,community,good,somsri,เมื่อวาน\n", encoding="utf-8")
    found, problems = registry.read_file(path, "anan")
    assert not found and len(problems) == 1 and problems[0].startswith(f"{path}:2: relationship_at: ")
