"""The yearly CRM effectiveness report (standard 004 §11: ประเมินประสิทธิผลรายปี) and equal response by
target group in the CRM reports (standard 000 03204.01-4), on a real SQLite store of Thai mentions
enriched by the real pipeline, two stakeholders registered (tests/report_support.py)."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from report_support import build_report_store
from sadap.app.cli import main
from sadap.app.config import Config
from sadap.app.periods import parse_quarter, parse_year
from sadap.app.quarterly import YEAR_SECTIONS, key_figures, quarterly_report, yearly_report
from sadap.app.responses import equal_response, read_responses, response_report
from sadap.core.errors import InputError
from sadap.core.timeutil import BANGKOK
from sadap.store import open_store

NOW = datetime(2027, 1, 5, 9, 0, tzinfo=BANGKOK)  # after 2026: the whole year is in
RUNNING = datetime(2026, 11, 15, 12, 0, tzinfo=BANGKOK)  # six weeks into fiscal year 2570


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("report-yearly")


@pytest.fixture(scope="module")
def config(folder: Path) -> Config:
    return build_report_store(folder, year=True)


@pytest.fixture(scope="module")
def fiscal(config: Config) -> Config:
    return config.model_copy(update={"report": config.report.model_copy(update={"fiscal_year_start": 10})})


@pytest.fixture(scope="module")
def y2026(config: Config) -> dict:
    with open_store(config) as store:
        return yearly_report(store, config, "2569", now=NOW)


# -- years ------------------------------------------------------------------------------------------
def test_years_are_calendar_or_fiscal_and_buddhist_years_are_read():
    y = parse_year("2569")
    assert y == parse_year("2026") and y.label == "2026" and y.label_th == "ปี 2569"
    assert (y.since, y.until) == (datetime(2026, 1, 1, tzinfo=BANGKOK), datetime(2027, 1, 1, tzinfo=BANGKOK))
    assert y.previous() == parse_year("2025") and y.dates_th == "1 ม.ค. – 31 ธ.ค. 2569"
    fy = parse_year("2570", 10)  # ปีงบประมาณ 2570: October 2569 - September 2570
    assert fy == parse_year("FY2027", 10) == parse_year("fy 2570", 10)
    assert (fy.since, fy.until) == (datetime(2026, 10, 1, tzinfo=BANGKOK), datetime(2027, 10, 1, tzinfo=BANGKOK))
    assert fy.label == "FY2027" and fy.label_th == "ปีงบประมาณ 2570" and fy.unit_th == "ปีงบประมาณ"
    assert fy.dates_th == "1 ต.ค. 2569 – 30 ก.ย. 2570"  # two Buddhist years: both written
    assert [m for m, _, _ in fy.months()][::11] == ["ต.ค. 69", "ก.ย. 70"] and len(fy.months()) == 12
    assert fy.quarters()[0] == parse_quarter("2570Q1", 10) and fy.quarters()[3].until == fy.until
    assert fy.previous().label_th == "ปีงบประมาณ 2569"
    with pytest.raises(InputError, match="a quarter is `sadap report quarterly"):
        parse_year("2026Q4")
    with pytest.raises(InputError, match="e.g. 2026"):
        parse_year("FY2027")  # calendar years: no fiscal year to name
    with pytest.raises(InputError, match="between 1971"):
        parse_year("1960")


# -- the yearly report ------------------------------------------------------------------------------
def test_the_year_against_the_year_before_with_its_quarters_side_by_side(config: Config, y2026: dict):
    now, before = y2026["now"], y2026["before"]
    assert (y2026["kind"], y2026["year"], y2026["period_th"], y2026["previous_th"]) == ("year", "2026", "ปี 2569", "ปี 2568")
    assert y2026["partial"] is None and y2026["dates_th"] == "1 ม.ค. – 31 ธ.ค. 2569"
    assert len(now["months"]) == len(before["months"]) == 12
    assert sum(m["mentions"] for m in now["months"]) == now["mentions"]
    assert sum(m["complaints"] for m in now["months"]) == now["complaints"]
    assert before["mentions"] == 28  # 2025: a complaint and a word of praise a month, CSR each quarter
    # each quarter's key figures are that quarter's own (the quarterly report's) figures
    quarters = y2026["quarters"]
    assert [q["short_th"] for q in quarters] == ["ไตรมาส 1", "ไตรมาส 2", "ไตรมาส 3", "ไตรมาส 4"]
    with open_store(config) as store:
        q4 = quarterly_report(store, config, "2026Q4", now=NOW)
    assert quarters[3]["figures"]["mentions"] == q4["now"]["mentions"] == 42
    assert quarters[3]["figures"]["complaints"] == q4["now"]["complaints"]
    assert sum(q["figures"]["mentions"] for q in quarters) == now["mentions"] == y2026["year_figures"]["mentions"]
    assert y2026["previous_figures"]["mentions"] == 28


def test_a_years_report_reads_the_playbooks_and_the_incidents_once(config: Config, y2026: dict,
                                                                   monkeypatch: pytest.MonkeyPatch):
    """Each of a year's six periods (the year, the year before, the four quarters) loaded the
    playbooks again (a tenth of a second each) and read every incident."""
    import sadap.app.quarterly as quarterly

    loads: list[int] = []
    load = quarterly.configured_playbooks
    monkeypatch.setattr(quarterly, "configured_playbooks", lambda *a, **k: loads.append(1) or load(*a, **k))
    with open_store(config) as store:
        reads: list[int] = []
        read = store.list_incidents
        monkeypatch.setattr(store, "list_incidents", lambda *a, **k: reads.append(1) or read(*a, **k))
        again = yearly_report(store, config, "2569", now=NOW)
    assert (len(loads), len(reads)) == (1, 1)
    assert again == y2026 and sum(q["figures"]["incidents"] for q in again["quarters"]) == again["now"]["incidents"]["opened"] > 0


def test_a_years_report_reads_its_equal_response_once_for_the_year_and_its_quarters(
        config: Config, fiscal: Config, y2026: dict, monkeypatch: pytest.MonkeyPatch):
    """Each quarter read the complaints' and questions' response rows and every case's close time
    again (0.5-0.7 s a quarter on 200,000 mentions): the year's are read once and split by
    publication time, with the same figures as reading each quarter; the close times, the same
    for every period, once per report."""
    with open_store(config) as store:
        rows: list[int] = []
        read = store.response_rows
        monkeypatch.setattr(store, "response_rows", lambda *a, **k: rows.append(1) or read(*a, **k))
        cases: list[int] = []
        list_cases = store.list_cases
        monkeypatch.setattr(store, "list_cases", lambda *a, **k: cases.append(1) or list_cases(*a, **k))
        again = yearly_report(store, config, "2569", now=NOW)
        # complaints and questions (two reads) by channel and by group, for the year and the year before
        assert len(rows) == 2 * 2 * 2
        assert len(cases) == 1  # the cases' close times: once for the whole report, not per period
        assert again == y2026
        for q in parse_year("2569").quarters():
            alone = quarterly_report(store, config, q.label, now=NOW)
            [figures] = [x["figures"] for x in again["quarters"] if x["period"] == q.label]
            assert figures == key_figures(alone["now"])  # the quarterly report's, read alone
            for by in ("channel", "group", "stakeholder"):
                year = read_responses(store, config, by, parse_year("2569").since, parse_year("2569").until, NOW)
                assert response_report(year, config, q.since, q.until).as_dict() == equal_response(
                    store, config, by, q.since, q.until, NOW).as_dict()
        assert sum(x["figures"]["asked"] for x in again["quarters"]) == again["year_figures"]["asked"] > 0
    with open_store(fiscal) as store:  # a year still running: its quarter so far, and those not begun
        fy = yearly_report(store, fiscal, "FY2027", now=RUNNING)
        q1 = quarterly_report(store, fiscal, "FY2027Q1", now=RUNNING)
    assert fy["quarters"][0]["figures"] == key_figures(q1["now"])


def test_the_thai_summaries_speak_of_the_year(y2026: dict):
    s = y2026["summaries"]
    assert set(s) == {key for key, _, _ in YEAR_SECTIONS}
    assert "จากปีก่อน (28 ครั้ง)" in s["engagement"]
    assert not any("ไตรมาสก่อน" in text or "ไตรมาสนี้" in text for text in s.values()), s
    assert s["trend"].startswith("การกล่าวถึงรายไตรมาส: ไตรมาส 1 22, ไตรมาส 2 22, ไตรมาส 3 34, ไตรมาส 4 42.")
    assert "เดือนที่มีการกล่าวถึงมากที่สุด: ต.ค. 69 (14 ครั้ง)" in s["trend"]


def test_a_fiscal_year_still_running_is_marked_and_its_later_quarters_are_not_yet(fiscal: Config):
    from sadap.app.report_render import render_html

    with open_store(fiscal) as store:
        fy = yearly_report(store, fiscal, "FY2027", now=RUNNING)
    assert (fy["year"], fy["year_th"], fy["previous_th"]) == ("FY2027", "ปีงบประมาณ 2570", "ปีงบประมาณ 2569")
    assert fy["partial"] is not None and (fy["partial"]["days"], fy["partial"]["of_days"]) == (46, 365)
    assert [q["state"] for q in fy["quarters"]] == ["running", "future", "future", "future"]
    assert [q["figures"] is None for q in fy["quarters"]] == [False, True, True, True]
    assert [m["state"] for m in fy["now"]["months"][:3]] == [None, "running", "future"]
    assert "จากปีงบประมาณก่อน" in fy["summaries"]["engagement"]
    assert "ไตรมาส 2, ไตรมาส 3, ไตรมาส 4 ยังไม่เริ่ม." in fy["summaries"]["trend"]
    html = render_html(fy)
    assert "ปีงบประมาณนี้ยังไม่สิ้นสุด</span>: ตัวเลขถึง 15 พ.ย. 2569 12:00 น. (46 จาก 365 วัน)" in html
    assert "ส่วนปีงบประมาณก่อนนับครบทั้งปีงบประมาณ" in html
    assert "รายงานประเมินประสิทธิผลลูกค้าสัมพันธ์ประจำปีงบประมาณ 2570" in html and "1 ต.ค. 2569 – 30 ก.ย. 2570" in html
    trend = html.split('<section id="trend"', 1)[1].split("</section>", 1)[0]
    assert trend.count('<td class="none">ยังไม่ถึง</td>') >= 3 * 13  # three quarters, every row


def test_a_year_not_begun_is_one_clear_line(config: Config):
    with open_store(config) as store, pytest.raises(InputError, match="--year 2028: ปี 2571 has not begun yet"):
        yearly_report(store, config, "2028", now=NOW)


# -- equal response by target group ---------------------------------------------------------------
def test_equal_response_compares_stakeholder_groups_and_flags_the_slower(y2026: dict):
    from sadap.app.report_render import render_html

    groups = {g["group"]: g for g in y2026["now"]["responses_by_group"]["groups"]}
    assert groups["community"]["count"] == groups["customers"]["count"] == 12
    assert groups["community"]["flagged_slower"] and not groups["customers"]["flagged_slower"]
    assert "กลุ่มผู้มีส่วนได้ส่วนเสียที่ได้รับการตอบช้ากว่ากลุ่มอื่นอย่างชัดเจน: ชุมชน (มัธยฐาน 30.0 ชม.)." \
        in y2026["summaries"]["equal_response"]
    section = render_html(y2026).split('<section id="equal_response"', 1)[1].split("</section>", 1)[0]
    table = section.split("ตามกลุ่มผู้มีส่วนได้ส่วนเสีย (กลุ่มเป้าหมาย)", 1)[1]
    assert '<td>ชุมชน <span class="flag">ตอบช้ากว่ากลุ่มอื่น</span>' in table and "<td>ลูกค้า</td>" in table
    assert "<td>ไม่ได้ระบุกลุ่ม</td>" in table  # the complaints tied to no stakeholder, named as such


def test_the_quarterly_report_has_the_group_comparison_too(config: Config):
    from sadap.app.report_charts import figures
    from sadap.app.report_render import render_html

    with open_store(config) as store:
        q = quarterly_report(store, config, "2026Q4", now=NOW)
    assert {g["group"] for g in q["now"]["responses_by_group"]["groups"]} == {"-", "community", "customers"}
    assert "ชุมชน (มัธยฐาน 30.0 ชม.)" in q["summaries"]["equal_response"]
    assert "ตอบช้ากว่ากลุ่มอื่น" in render_html(q)
    axes = figures(q)["equal_response"].axes
    assert [ax.get_title() for ax in axes] == ["มัธยฐานเวลาตอบครั้งแรกและเวลาถึงการแก้ไขเสร็จตามช่องทาง",
                                               "มัธยฐานเวลาตอบครั้งแรกและเวลาถึงการแก้ไขเสร็จตามกลุ่มผู้มีส่วนได้ส่วนเสีย"]


def test_no_registry_or_no_tagged_complaint_is_said_plainly(config: Config, tmp_path: Path):
    from sadap.app.report_render import render_html

    with open_store(config) as store:  # 2025: a registry, but no complaint names a registered stakeholder
        y2025 = yearly_report(store, config, "2025", now=NOW)
    assert {g["group"] for g in y2025["now"]["responses_by_group"]["groups"]} == {"-"}
    assert "ไม่มีข้อร้องเรียนหรือคำถามในปีนี้ที่เชื่อมกับกลุ่มผู้มีส่วนได้ส่วนเสียในทะเบียน" in y2025["summaries"]["equal_response"]
    assert 'id="no-group"' in render_html(y2025)
    plain = build_report_store(tmp_path)  # no registry at all
    with open_store(plain) as store:
        q = quarterly_report(store, plain, "2026Q4", now=NOW)
    assert q["now"]["responses_by_group"] is None
    assert "ทะเบียนผู้มีส่วนได้ส่วนเสียยังว่าง" in q["summaries"]["equal_response"]
    html = render_html(q)
    assert 'id="no-registry"' in html and "ตอบช้ากว่ากลุ่มอื่น" not in html


def test_months_with_no_mention_at_all_are_not_called_months_without_csr(tmp_path: Path):
    """A store begun in July: its first half-year had nothing collected, yet the report named every
    one of those months as a month with no CSR activity."""
    plain = build_report_store(tmp_path)
    with open_store(plain) as store:
        y = yearly_report(store, plain, "2026", now=NOW)
    assert y["now"]["empty_months"] == ["ม.ค. 69", "ก.พ. 69", "มี.ค. 69", "เม.ย. 69", "พ.ค. 69", "มิ.ย. 69"]
    assert not set(y["now"]["empty_months"]) & set(y["now"]["csr_quiet_months"])
    assert "เดือนที่ไม่มีข้อความใดเลยในที่เก็บข้อมูล จึงไม่ได้ประเมินความต่อเนื่อง: ม.ค. 69 – มิ.ย. 69." in y["summaries"]["csr"]


def test_a_bracket_on_a_chart_label_stays_with_what_it_opens():
    from sadap.app.report_axes import wrap_label

    lines = wrap_label("ไลน์ทางการ (ช่องทางร้องเรียน)", 14).split("\n")
    assert lines[0] == "ไลน์ทางการ" and lines[1].startswith("(") and not any(line.endswith("(") for line in lines)


# -- the command and the PDF ------------------------------------------------------------------------
def test_yearly_cli_json_and_a_bad_year(config: Config, folder: Path, tmp_path: Path):
    cfg = str(folder / "sadap.yaml")
    out = tmp_path / "y.json"
    res = CliRunner().invoke(main, ["report", "yearly", "--year", "2025", "--format", "json", "--out", str(out), "--config", cfg])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["year"] == "2025" and len(data["quarters"]) == 4 and data["now"]["mentions"] == 28
    res = CliRunner().invoke(main, ["report", "yearly", "--year", "2026Q4", "--config", cfg])
    assert res.exit_code == 1 and "--year '2026Q4'" in res.output and "report quarterly" in res.output


@pytest.mark.slow
def test_yearly_pdf_reads_back_in_thai_and_opens_with_the_trend(y2026: dict):
    import pypdf

    from sadap.app.report_render import render_pdf

    reader = pypdf.PdfReader(io.BytesIO(render_pdf(y2026)))
    pages = [page.extract_text() for page in reader.pages]
    text = "\n".join(pages)
    for _, title_th, title_en in YEAR_SECTIONS:
        assert title_th in text and title_en in text
    for phrase in ("รายงานประเมินประสิทธิผลลูกค้าสัมพันธ์ประจำปี 2569", "ตัวเลขหลักรายไตรมาส", "เดือนเดียวกันปีก่อน",
                   "ม.ค. 69", "ธ.ค. 69", "ตามกลุ่มผู้มีส่วนได้ส่วนเสีย", "ตอบช้ากว่ากลุ่มอื่น", "ข้อร้องเรียนและคำถาม"):
        assert phrase in text, phrase
    # the trend section is longer than what is left of the first page: it breaks between its
    # parts instead of leaving page 1 with the heading alone
    assert "1. แนวโน้มรายไตรมาสและรายเดือน" in pages[0] and "ตัวเลขหลักรายไตรมาส" in pages[0]
    images = [img for page in reader.pages for img in page.images]
    assert len({img.data for img in images}) >= len(YEAR_SECTIONS)
