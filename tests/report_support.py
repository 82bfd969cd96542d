"""A realistic Thai store for the report tests: two quarters (2026Q3 and 2026Q4) of mentions of a
bank (ธนาคารแสงทอง) and a competitor, enriched by the real pipeline, with complaints and questions
answered at different speeds on different channels, an incident, and CSR activities (all three
pillars in Q3; no environment in Q4). ``build_report_store(folder, year=True)`` fills the whole of
2026 and 2025 (for the yearly report) and registers two stakeholders, a community and the bank's
SME customers, whose complaints are answered at different speeds."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from enrich.pipeline import Enricher
from sadap.app.config import Config, load_config
from sadap.core.incident import Incident, IncidentEvent
from sadap.app.stakeholders import tagger
from sadap.core.mention import Engagement, RawMention, to_mention
from sadap.core.stakeholder import Stakeholder
from sadap.core.timeutil import BANGKOK
from sadap.store import open_store

CONFIG = """\
data_dir: data
watch:
  - name: ธนาคารแสงทอง
    aliases: [แสงทอง, แอปแสงทองพลัส]
  - name: ธนาคารรุ่งเรือง
    aliases: [รุ่งเรือง]
report:
  organisation: ธนาคารแสงทอง
"""

# (text, channel kind, answered after hours or None)
COMPLAINTS = [
    ("แอปแสงทองพลัสล่มอีกแล้ว โอนเงินไม่ได้ตั้งแต่เช้า แย่มาก", "line", 1.0),
    ("ธนาคารแสงทองหักเงินซ้ำสองรอบ ยังไม่ได้รับเงินคืนเลย ผิดหวังมาก", "line", 2.0),
    ("พนักงานสาขาแสงทองพูดจาไม่ดี รอนานเกือบชั่วโมง ไม่พอใจบริการเลย", "forum", 30.0),
    ("แอปแสงทองเข้าไม่ได้ ขึ้น error ตลอด ใช้งานไม่ได้เลยค่ะ", "forum", 28.0),
    ("ค่าธรรมเนียมบัตรแสงทองแพงเกิน ไม่คุ้มเลย ร้องเรียนไปก็ไม่มีใครตอบ", "x", None),
    ("บัตรเดบิตแสงทองโดนหักเงินไม่ทราบสาเหตุ แจ้งปัญหาแล้วยังเงียบ", "x", 3.0),
]
QUESTIONS = [
    ("เปิดบัญชีธนาคารแสงทองออนไลน์ต้องใช้เอกสารอะไรบ้างคะ?", "line", 0.5),
    ("ธนาคารแสงทองสาขาเซ็นทรัลเปิดวันอาทิตย์ไหมครับ?", "forum", 20.0),
]
PRAISE = [
    ("ประทับใจพนักงานธนาคารแสงทองมาก บริการดีเยี่ยม ช่วยแก้ปัญหาให้เร็วสุดๆ", "forum"),
    ("แอปแสงทองพลัสใช้ง่าย สะดวกดี ชอบมาก", "x"),
    ("ธนาคารรุ่งเรืองดอกเบี้ยเงินฝากดีนะ ใช้ดีค่ะ", "x"),
    ("ธนาคารรุ่งเรืองเปิดสาขาใหม่ที่เชียงใหม่", "rss"),
]
CSR = {
    "society": "ธนาคารแสงทองมอบทุนการศึกษาแก่นักเรียนยากไร้ 100 ทุน ในโครงการแสงทองปันน้ำใจ",
    "economy": "ธนาคารแสงทองจัดโครงการส่งเสริมอาชีพวิสาหกิจชุมชน สร้างรายได้ให้เกษตรกรในจังหวัดน่าน",
    "environment": "ธนาคารแสงทองชวนพนักงานจิตอาสาปลูกป่าชายเลนที่สมุทรสาคร ลดโลกร้อน",
}


# (text, channel kind, answered after hours): the yearly store's stakeholders, one complaint each a month
COMMUNITY = ("ชาวชุมชนคลองเตยเดือดร้อน ธนาคารแสงทองปิดตู้เอทีเอ็มในชุมชนโดยไม่แจ้งล่วงหน้า แย่มาก", "forum", 30.0)
SME = ("ร้านค้า SME ที่ใช้เครื่องรูดบัตรแสงทองโดนหักค่าธรรมเนียมเกิน รบกวนตรวจสอบด่วน", "line", 1.0)
STAKEHOLDERS = [
    Stakeholder(id="community-khlong-toei", name="ชุมชนคลองเตย", status="community", group="community"),
    Stakeholder(id="sme-customers", name="ลูกค้าร้านค้า SME", aliases=["ร้านค้า SME"], status="private_company",
                group="customers"),
]


def _at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=BANGKOK)


def build_report_store(folder: Path, year: bool = False) -> Config:
    """Write ``sadap.yaml`` into ``folder``, fill its store, and return the loaded config."""
    (folder / "sadap.yaml").write_text(CONFIG, encoding="utf-8")
    config = load_config(str(folder / "sadap.yaml"))
    enricher = Enricher.from_config(config)
    if year:
        with open_store(config) as store:
            for s in STAKEHOLDERS:
                store.save_stakeholder(s)
            enricher.stakeholders = tagger(config, store)
    raws: list[tuple[RawMention, float | None]] = []
    n = 0

    def add(text: str, kind: str, when: datetime, answered: float | None = None) -> None:
        nonlocal n
        n += 1
        raw = RawMention(source_kind=kind, source_name=f"{kind}-main", native_id=f"r{n}", text=text,
                         author=f"ผู้ใช้{n % 17}", url=f"https://example.org/{kind}/{n}", published_at=when,
                         engagement=Engagement(likes=n % 7, shares=n % 3, comments=n % 5))
        raws.append((raw, answered))

    # Q3 (Jul–Sep 2026): fewer complaints, all answered within two hours; all three CSR pillars.
    for month in (7, 8, 9):
        for i, (text, kind, hours) in enumerate(COMPLAINTS[:4]):
            add(text, kind, _at(2026, month, 3 + i), min(hours, 2.0) if hours is not None else 2.0)
        for i, (text, kind) in enumerate(PRAISE):
            add(text, kind, _at(2026, month, 10 + i))
        add(CSR[("society", "economy", "environment")[month - 7]], "rss", _at(2026, month, 20))
    add(CSR["society"], "facebook_page", _at(2026, 8, 21))
    # Q4 (Oct–Dec 2026): more complaints, the forum answered slowly, some unanswered; no environment CSR.
    for month in (10, 11, 12):
        for i, (text, kind, hours) in enumerate(COMPLAINTS + QUESTIONS):
            add(text, kind, _at(2026, month, 2 + i, 9 + i), hours)
        for i, (text, kind) in enumerate(PRAISE[:3]):
            add(text, kind, _at(2026, month, 15 + i))
        add(CSR["society" if month != 11 else "economy"], "rss", _at(2026, month, 25))
    if year:
        # 2025, quieter: a complaint answered within the hour and a word of praise a month, CSR each quarter
        for month in range(1, 13):
            add(COMPLAINTS[0][0], "line", _at(2025, month, 5), 1.0)
            add(PRAISE[0][0], "forum", _at(2025, month, 12))
            if month % 3 == 0:
                add(CSR["society"], "rss", _at(2025, month, 20))
        # January-June 2026: complaints and praise each month, CSR in March and May only
        for month in range(1, 7):
            for i, (text, kind, hours) in enumerate(COMPLAINTS[:3]):
                add(text, kind, _at(2026, month, 4 + i), hours)
            for i, (text, kind) in enumerate(PRAISE[:2]):
                add(text, kind, _at(2026, month, 12 + i))
            if month in (3, 5):
                add(CSR["economy" if month == 3 else "environment"], "rss", _at(2026, month, 22))
        # every month of 2026: the community's complaint answered after 30 hours, the SME customers' within one
        for month in range(1, 13):
            for i, (text, kind, hours) in enumerate((COMMUNITY, SME)):
                add(text, kind, _at(2026, month, 26 + i), hours)
    mentions = enricher.enrich([to_mention(r, pseudonym_key=b"report-test", collected_at=r.published_at) for r, _ in raws])
    with open_store(config) as store:
        store.upsert(mentions)
        for m, (_, hours) in zip(mentions, raws):
            if hours is not None and (m.complaint.is_complaint or (m.sentiment and m.sentiment.label == "q")):
                store.log_response(m.id, m.published_at + timedelta(hours=hours), "somsri", m.source_kind,
                                   "ขออภัยในความไม่สะดวกค่ะ ทีมงานกำลังตรวจสอบให้")
        opened = _at(2026, 11, 2, 9)
        inc = Incident(playbook="service-outage", rule="complaint-surge", severity="high",
                       title="แอปแสงทองพลัสล่ม", opened_at=opened, updated_at=opened + timedelta(hours=5),
                       state="resolved")
        store.save_incident(inc)
        store.add_event(inc.id, IncidentEvent(at=opened, kind="opened"))
        store.add_event(inc.id, IncidentEvent(at=opened + timedelta(minutes=10), kind="acknowledged", actor="somsri"))
        store.add_event(inc.id, IncidentEvent(at=opened + timedelta(hours=5), kind="resolved", actor="somsri"))
    return config
