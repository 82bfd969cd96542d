"""Equal response, the quarterly CRM report (HTML and PDF) and CSR balance, on a real SQLite store
of Thai mentions enriched by the real pipeline (tests/report_support.py)."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from enrich.csr import CsrLexicon, evaluate_csr
from enrich.normalize import normalize
from enrich.tokenize import tokenize
from report_support import build_report_store
from sadap.app.cli import main
from sadap.app.config import Config, load_config
from sadap.app.quarterly import SECTIONS, parse_quarter, quarterly_report
from sadap.app.report_render import render_html
from sadap.app.responses import DIMENSIONS, equal_response, percentile
from sadap.core.complaint_case import PRESS_COVERAGE, CaseEvent, ComplaintCase
from sadap.core.errors import ConfigError, InputError
from sadap.core.timeutil import BANGKOK
from sadap.store import GROUP_FIELDS, MentionFilter, Store, open_store

ROOT = Path(__file__).resolve().parents[1]
CSR_DATA = ROOT / "tests" / "data" / "csr" / "csr-annotated.jsonl"
Q4 = (datetime(2026, 10, 1, tzinfo=BANGKOK), datetime(2027, 1, 1, tzinfo=BANGKOK))


@pytest.fixture(scope="module")
def report_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Config]:
    folder = tmp_path_factory.mktemp("report")
    return folder, build_report_store(folder)


@pytest.fixture(scope="module")
def report(report_store: tuple[Path, Config]) -> dict:
    _, config = report_store
    with open_store(config) as store:
        return quarterly_report(store, config, "2026Q4")


# -- quarters -------------------------------------------------------------------------------
def test_quarters_are_bangkok_calendar_quarters_and_buddhist_years_are_read():
    q = parse_quarter("2026Q4")
    assert (q.since, q.until) == (Q4[0], Q4[1])
    assert parse_quarter("2569q4") == q and parse_quarter("2026-Q4") == q
    assert parse_quarter("2026Q1").previous() == parse_quarter("2025Q4")
    assert [label for label, _, _ in q.months()] == ["ต.ค. 69", "พ.ย. 69", "ธ.ค. 69"]
    for bad in ("2026Q5", "Q4", "2026", "1960Q1"):
        with pytest.raises(InputError, match="quarter"):
            parse_quarter(bad)


def test_fiscal_quarters_follow_the_thai_government_year():
    q1 = parse_quarter("2570Q1", first_month=10)  # ปีงบประมาณ 2570, quarter 1: October-December 2569
    assert (q1.since, q1.until) == (Q4[0], Q4[1])
    assert parse_quarter("FY2027Q1", 10) == q1 and parse_quarter("fy2027-q1", 10) == q1
    assert q1.label == "FY2027Q1" and q1.label_th == "ไตรมาส 1 ปีงบประมาณ 2570"
    assert q1.previous() == parse_quarter("2569Q4", 10)  # July-September 2026, the end of the year before
    assert q1.previous().since == datetime(2026, 7, 1, tzinfo=BANGKOK)
    q2 = parse_quarter("2570Q2", 10)
    assert [label for label, _, _ in q2.months()] == ["ม.ค. 70", "ก.พ. 70", "มี.ค. 70"]
    assert q2.dates_th == "1 ม.ค. – 31 มี.ค. 2570"
    with pytest.raises(InputError, match="ปีงบประมาณ"):
        parse_quarter("2026", 10)
    with pytest.raises(InputError, match="e.g. 2026Q4"):
        parse_quarter("FY2027Q1")  # calendar quarters: no fiscal year to name


def test_the_quarterly_report_in_fiscal_quarters(report_store: tuple[Path, Config], report: dict):
    _, config = report_store
    fiscal = config.model_copy(update={"report": config.report.model_copy(update={"fiscal_year_start": 10})})
    with open_store(config) as store:
        data = quarterly_report(store, fiscal, "2570Q1", now=Q4[1])
    assert (data["quarter"], data["quarter_th"]) == ("FY2027Q1", "ไตรมาส 1 ปีงบประมาณ 2570")
    assert (data["previous"], data["previous_th"]) == ("FY2026Q4", "ไตรมาส 4 ปีงบประมาณ 2569")
    # the same months as calendar 2026Q4 against 2026Q3: the same figures
    assert data["now"]["mentions"] == report["now"]["mentions"] and data["before"]["mentions"] == report["before"]["mentions"]
    assert data["dates_th"] == "1 ต.ค. – 31 ธ.ค. 2569" and data["partial"] is None


# -- the store's aggregate for first responses ------------------------------------------------
def test_first_responses_sqlite_matches_the_generic_default(report_store: tuple[Path, Config]):
    _, config = report_store
    flt = MentionFilter(since=Q4[0], until=Q4[1], complaint=True, include_duplicates=False)
    with open_store(config) as store:
        for group_by in ("source_kind", "complaint_type", "entity", "csr"):
            fast = sorted(store.first_responses(flt, group_by), key=lambda r: (r[0], r[1] is None, r[1] or 0))
            generic = sorted(Store.first_responses(store, flt, group_by), key=lambda r: (r[0], r[1] is None, r[1] or 0))
            assert fast == generic, group_by
        rows = store.first_responses(flt, "source_kind")
        # forum complaints are answered after 28-30 hours, LINE's within two, some on X never
        assert {round(d / 3600) for g, d in rows if g == "line" and d is not None} == {1, 2}
        assert sum(1 for g, d in rows if g == "x" and d is None) == 3
        assert Store.engagement_totals(store, flt) == store.engagement_totals(flt)
        with pytest.raises(InputError, match="cannot group by"):
            store.first_responses(flt, "nope")


def test_every_dimension_is_a_store_group_field():
    assert all(d.group_field in GROUP_FIELDS for d in DIMENSIONS.values())


# -- equal response -------------------------------------------------------------------------------
def test_equal_response_flags_the_channel_served_markedly_slower(report_store: tuple[Path, Config]):
    _, config = report_store
    with open_store(config) as store:
        result = equal_response(store, config, "channel", *Q4)
    groups = {g.group: g for g in result.groups}
    assert set(groups) == {"line", "forum", "x"}
    assert groups["line"].count == 9 and groups["line"].unanswered == 0 and groups["line"].median_s == 3600
    assert groups["x"].unanswered == 3 and groups["x"].answered == 3
    assert groups["forum"].median_s is not None and groups["forum"].median_s > 24 * 3600
    # the forum answers after 28-30 h; X never answers half its complaints (they have waited weeks)
    assert [g.group for g in result.flagged] == ["forum", "x"]
    assert result.overall.count == sum(g.count for g in result.groups) == 24
    assert result.sla == timedelta(hours=24)
    # Q3: every complaint answered within 4 hours, no group flagged
    with open_store(config) as store:
        q3 = equal_response(store, config, "channel", datetime(2026, 7, 1, tzinfo=BANGKOK), Q4[0])
    assert not q3.flagged and q3.overall.unanswered == 0 and q3.overall.within_sla_share == 1.0


def test_the_slower_factor_is_configurable(report_store: tuple[Path, Config]):
    _, config = report_store
    lenient = config.model_copy(update={"report": config.report.model_copy(update={"slower_factor": 100.0})})
    with open_store(config) as store:
        assert not equal_response(store, lenient, "channel", *Q4).flagged
        with pytest.raises(InputError, match="allowed: channel"):
            equal_response(store, config, "nope")


def test_percentile_interpolates():
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([10.0], 0.9) == 10.0
    assert percentile([], 0.5) is None


def test_report_responses_cli(report_store: tuple[Path, Config]):
    folder, _ = report_store
    cfg = str(folder / "sadap.yaml")
    res = CliRunner().invoke(main, ["report", "responses", "--config", cfg, "--since", "2026-10-01",
                                    "--until", "2027-01-01", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["flagged"] == ["forum", "x"] and data["overall"]["count"] == 24
    res = CliRunner().invoke(main, ["report", "responses", "--config", cfg, "--by", "complaint_type", "--since", "2026-10-01"])
    assert res.exit_code == 0 and "ราคา/การเรียกเก็บเงิน" in res.output  # the Thai name, as the workspace shows it
    res = CliRunner().invoke(main, ["report", "responses", "--config", cfg, "--since", "yesterday"])
    assert res.exit_code == 1 and "--since 'yesterday'" in res.output


# -- the quarterly report ---------------------------------------------------------------------------
def test_quarterly_figures_compare_the_two_quarters(report: dict):
    now, before = report["now"], report["before"]
    assert report["organisation"] == "ธนาคารแสงทอง" and report["previous"] == "2026Q3"
    assert now["mentions"] == 36 and before["mentions"] == 28
    assert now["complaints"] > before["complaints"]
    assert set(now["expectation"]) >= {"delighted", "disappointed"}
    assert sum(m["mentions"] for m in now["months"]) == now["mentions"]
    assert now["interactions"]["likes"] > 0
    assert now["entities"]["ธนาคารแสงทอง"] > now["entities"].get("ธนาคารรุ่งเรือง", 0) > 0
    assert "แสงทอง" not in now["keywords"] and "ธนาคารแสงทอง" not in now["keywords"]
    assert now["incidents"]["opened"] == 1 and now["incidents"]["ack_within_sla"] == 1
    assert now["responses"]["flagged"] == ["forum", "x"]


def test_thai_summaries_only_state_the_figures(report: dict):
    s = report["summaries"]
    assert set(s) == {key for key, _, _ in SECTIONS}
    assert "มีการกล่าวถึง 36 ครั้ง เพิ่มขึ้น 28.6% จากไตรมาสก่อน (28 ครั้ง)" in s["engagement"]
    assert "เว็บบอร์ด" in s["equal_response"] and "ยังไม่ได้ตอบ" in s["equal_response"]
    assert "ไม่มีการกล่าวถึงด้านสิ่งแวดล้อมในไตรมาสนี้" in s["csr"]
    assert "ประทับใจ 6" in s["satisfaction"]


def test_csr_balance_over_time_and_the_missing_pillar(report: dict):
    now, before = report["now"], report["before"]
    assert before["csr"] == {"economy": 1, "society": 2, "environment": 1}
    assert now["csr"]["environment"] == 0 and now["csr"]["society"] == 2 and now["csr"]["economy"] == 1
    assert [m["csr"]["economy"] for m in now["months"]] == [0, 1, 0]


def test_quarterly_html_has_every_section_chart_and_thai(report: dict):
    from sadap.app.report_render import render_html

    html = render_html(report)
    for key, title_th, _ in SECTIONS:
        assert f'<section id="{key}">' in html and title_th in html
    assert html.count('src="data:image/png;base64,') == len(SECTIONS)
    assert "ช้ากว่าช่องทางอื่น" in html and "ไม่มีการกล่าวถึงในไตรมาสนี้" in html
    assert "http://" not in html and "https://" not in html  # self-contained: nothing fetched


def test_the_image_section_shows_the_top_hashtags(report: dict):
    """The figures held the quarter's top hashtags; the report never showed them."""
    import copy

    from sadap.app.quarterly import summaries
    from sadap.app.report_render import render_html

    assert report["now"]["hashtags"] == {}  # this store's posts carry none: the table says so
    assert "แฮชแท็ก" not in report["summaries"]["image"]
    tagged = copy.deepcopy(report)
    tagged["now"]["hashtags"] = {"แสงทองล่ม": 1250, "คืนเงินแสงทอง": 40}
    tagged["summaries"] = summaries(tagged)
    assert tagged["summaries"]["image"].endswith("แฮชแท็กที่ใช้มากที่สุด: #แสงทองล่ม 1,250, #คืนเงินแสงทอง 40.")
    image = render_html(tagged).split('<section id="image">', 1)[1].split("</section>", 1)[0]
    assert "<td>#แสงทองล่ม</td><td class=\"n\">1,250</td>" in image
    assert "แฮชแท็กที่ใช้มากที่สุด" in render_html(report) and "ไม่มีในไตรมาสนี้" in render_html(report)


@pytest.mark.slow
def test_quarterly_pdf_has_sections_charts_and_thai_text_that_reads_back(report_store: tuple[Path, Config], tmp_path: Path):
    import pypdf

    folder, _ = report_store
    out = tmp_path / "q4.pdf"
    res = CliRunner().invoke(main, ["report", "quarterly", "--quarter", "2026Q4", "--format", "pdf",
                                    "--out", str(out), "--config", str(folder / "sadap.yaml")])
    assert res.exit_code == 0, res.output
    reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for _, title_th, title_en in SECTIONS:
        assert title_th in text and title_en in text
    # SARA AM and tone marks read back as typed (คำถาม, not คาถาม; น้ำ-style clusters)
    for phrase in ("ข้อร้องเรียนและคำถาม", "เวลาที่กำหนด", "รายงานลูกค้าสัมพันธ์รายไตรมาส ไตรมาส 4/2569",
                   "ไม่มีการกล่าวถึงด้านสิ่งแวดล้อมในไตรมาสนี้", "ผู้เขียน (ไม่ซ้ำ)", "ประทับใจ"):
        assert phrase in text, phrase
    images = [img for page in reader.pages for img in page.images]
    assert len({img.data for img in images}) >= len(SECTIONS)


def test_quarterly_cli_html_and_json(report_store: tuple[Path, Config], tmp_path: Path):
    folder, _ = report_store
    for fmt in ("html", "json"):
        out = tmp_path / f"q.{fmt}"
        res = CliRunner().invoke(main, ["report", "quarterly", "--quarter", "2569Q4", "--format", fmt, "--out", str(out),
                                        "--config", str(folder / "sadap.yaml")])
        assert res.exit_code == 0, res.output
        assert out.stat().st_size > 1000
    assert json.loads((tmp_path / "q.json").read_text(encoding="utf-8"))["quarter"] == "2026Q4"
    res = CliRunner().invoke(main, ["report", "quarterly", "--quarter", "2026Q9", "--config", str(folder / "sadap.yaml")])
    assert res.exit_code == 1 and "2026Q4" in res.output


def test_an_organisation_that_is_not_watched_is_one_clear_line(tmp_path: Path):
    (tmp_path / "sadap.yaml").write_text("watch: [{name: ธนาคารแสงทอง}]\nreport: {organisation: ธนาคารอื่น}\n", encoding="utf-8")
    config = load_config(str(tmp_path / "sadap.yaml"))
    with open_store(config) as store, pytest.raises(ConfigError, match="report.organisation: 'ธนาคารอื่น' is not a watched name"):
        quarterly_report(store, config, "2026Q4")


# -- CSR pillars ----------------------------------------------------------------------------------
def _classify(lex: CsrLexicon, text: str) -> list[str]:
    norm = normalize(text)
    return lex.classify(tokenize(norm), norm)


def test_csr_pillars_need_an_activity_and_pillar_words():
    lex = CsrLexicon()
    assert _classify(lex, "ธนาคารแสงทองชวนพนักงานจิตอาสาปลูกป่าชายเลนที่สมุทรสาคร") == ["environment"]
    assert _classify(lex, "บริษัทมอบทุนการศึกษาแก่นักเรียนยากไร้ และส่งเสริมอาชีพให้ผู้ปกครอง") == ["economy", "society"]
    assert _classify(lex, "ป่าแถวบ้านสวยมาก") == []  # a pillar word without an activity
    assert _classify(lex, "") == []


def test_organisations_extend_the_csr_lexicon_in_config(tmp_path: Path):
    (tmp_path / "sadap.yaml").write_text("enrich: {csr: {environment: [แผงโซลาร์เซลล์]}}\n", encoding="utf-8")
    config = load_config(str(tmp_path / "sadap.yaml"))
    lex = CsrLexicon(config.enrich.csr)
    assert _classify(lex, "โครงการติดตั้งแผงโซลาร์เซลล์ให้โรงเรียน") == ["society", "environment"]
    (tmp_path / "sadap.yaml").write_text("enrich: {csr: {governance: [ธรรมาภิบาล]}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown list 'governance'"):
        load_config(str(tmp_path / "sadap.yaml"))


def test_csr_annotated_set_is_real_thai_and_large_enough():
    rows = [json.loads(line) for line in CSR_DATA.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 150
    assert {r["source"] for r in rows} == {"thaigov", "wisesight"}
    for pillar in ("economy", "society", "environment"):
        assert sum(pillar in r["csr"] for r in rows) >= 20
    assert sum(not r["csr"] for r in rows) >= 50


def test_eval_csr_cli_scores_every_pillar():
    res = CliRunner().invoke(main, ["eval", "csr", "--data", str(CSR_DATA), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["n"] >= 150
    for pillar, scores in data["per_pillar"].items():
        # the shipped lexicon's measured level (docs/pr-crm.md); a change that loses much fails here
        assert scores["f1"] >= 0.65, (pillar, scores)
    assert data["macro_f1"] >= 0.72


def test_eval_csr_rejects_a_bad_label(tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ปลูกป่า", "csr": ["governance"]}\n', encoding="utf-8")
    res = CliRunner().invoke(main, ["eval", "csr", "--data", str(bad)])
    assert res.exit_code == 1 and "bad.jsonl:1: 'csr' must be a list of pillars" in res.output


def test_evaluate_csr_counts_per_pillar():
    rows = [{"csr": ["economy"]}, {"csr": []}, {"csr": ["society", "environment"]}]
    got = evaluate_csr(rows, [["economy"], ["society"], ["environment"]])
    assert got["per_pillar"]["economy"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1, "predicted": 1}
    assert got["per_pillar"]["society"]["precision"] == 0.0 and got["per_pillar"]["society"]["support"] == 1
    assert got["csr_or_not_accuracy"] == pytest.approx(0.667, abs=1e-3)


def test_the_store_counts_csr_per_day_like_other_terms(report_store: tuple[Path, Config]):
    _, config = report_store
    with open_store(config) as store:
        fast = store.count_by(MentionFilter(since=Q4[0], until=Q4[1]), "csr")
        # a filter the daily table cannot answer takes the mentions table: same counts
        slow = store.count_by(MentionFilter(since=Q4[0] + timedelta(seconds=1), until=Q4[1]), "csr")
        assert fast == slow == {"society": 2, "economy": 1}


# -- the workspace: the equal-response page and CSR on the overview ---------------------------------
def test_equal_response_page_and_overview_csr(report_store: tuple[Path, Config]):
    import starlette.testclient

    from sadap.app.web import create_app
    from sadap.app.web.auth import add_user
    from web_support import PASSWORD, sign_in

    _, config = report_store
    with open_store(config) as store:
        add_user(store, "viewer", "viewer", PASSWORD)
        client = starlette.testclient.TestClient(create_app(config, store), base_url="http://127.0.0.1")
        assert client.get("/responses", follow_redirects=False).status_code in (302, 303)  # sign-in first
        assert sign_in(client, "viewer").status_code == 303
        page = client.get("/responses?since=2026-10-01&until=2026-12-31")
        assert page.status_code == 200
        table = page.text.split('id="responses"', 1)[1]
        assert "เว็บบอร์ด" in table and "ช้ากว่ากลุ่มอื่นอย่างชัดเจน" in table
        assert table.count("⚠ ช้ากว่ากลุ่มอื่นอย่างชัดเจน") == 2  # the forum, and X (half never answered)
        # no complaint cases in this store: the forum's questions and complaints are resolved when
        # first answered, so it is flagged for resolution too (and X, whose unanswered ones are unresolved)
        assert table.count("⚠ แก้ไขเสร็จช้ากว่ากลุ่มอื่นอย่างชัดเจน") == 2
        by_type = client.get("/responses?since=2026-10-01&until=2026-12-31&by=complaint_type")
        assert by_type.status_code == 200, by_type.text[-3000:]
        assert "ราคา/การเรียกเก็บเงิน" in by_type.text, by_type.text[-3000:]
        assert client.get("/responses?by=nope").status_code == 400
        overview = client.get("/?since=2026-10-01&until=2026-12-31")
        assert overview.status_code == 200
        assert 'id="csr-missing"' in overview.text and "สิ่งแวดล้อม" in overview.text.split('id="csr-missing"', 1)[1][:400]
        q3 = client.get("/?since=2026-07-01&until=2026-09-30")
        assert 'id="csr-missing"' not in q3.text and "ความสมดุลของกิจกรรม CSR" in q3.text


def test_median_without_equals_the_median_of_the_difference():
    import random

    from sadap.app.responses import median_without

    rng = random.Random(3)
    for _ in range(200):
        everyone = [float(rng.randint(0, 20)) for _ in range(rng.randint(1, 30))]
        own = rng.sample(everyone, rng.randint(0, len(everyone)))
        rest = list(everyone)
        for x in own:
            rest.remove(x)
        assert median_without(sorted(everyone), sorted(own)) == percentile(sorted(rest), 0.5)


def test_chart_labels_are_drawn_as_written(report: dict):
    import copy

    from sadap.app.report_charts import charts

    odd = copy.deepcopy(report)
    odd["now"]["entities"] = {"แบรนด์ $\\frac{": 5, **odd["now"]["entities"]}  # not TeX: no parse error
    drawn = charts(odd)
    assert set(drawn) == {key for key, _, _ in SECTIONS} and all(v.startswith("data:image/png;base64,") for v in drawn.values())


def test_the_report_counts_the_causes_of_the_cases_closed_in_each_quarter(tmp_path: Path):
    # Standard 002: the cause of the problem is analysed; the report shows which causes the closed cases had.
    from sadap.app import complaints as cases

    config = build_report_store(tmp_path)
    with open_store(config) as store:
        found = store.search(MentionFilter(complaint=True), limit=100)
        cases.assign(store, found, datetime(2026, 12, 1, tzinfo=BANGKOK))
        ids = [c.id for c in store.list_cases()]
        assert len(ids) >= 5
        for case_id, (cause, month) in zip(ids, [("system_failure", 11), ("system_failure", 11), ("staff_conduct", 10),
                                                 (None, 10), ("policy", 8)]):
            cases.close(store, case_id, "resolved", "somsri", at=datetime(2026, month, 20, 10, tzinfo=BANGKOK), cause=cause)
        # news coverage an older Sadap put in a case, closed by the system (clear_press): no complaint, no cause
        received = datetime(2026, 11, 2, 9, tzinfo=BANGKOK)
        store.save_case(ComplaintCase(
            id="CASE-PRESS", received_at=received, updated_at=received, channel="rss", source_name="rss-outlet",
            mention_ids=["rss-press-1"], state="closed", close_reason=PRESS_COVERAGE, closed_by="sadap",
            closed_at=datetime(2026, 11, 21, 10, tzinfo=BANGKOK),
            events=[CaseEvent(at=received, kind="opened"), CaseEvent(at=datetime(2026, 11, 21, 10, tzinfo=BANGKOK),
                                                                     kind="closed", data={"reason": PRESS_COVERAGE})]))
        report = quarterly_report(store, config, "2026Q4", now=datetime(2026, 12, 6, tzinfo=BANGKOK))
    assert report["now"]["case_causes"] == {"system_failure": 2, "staff_conduct": 1, "unrecorded": 1}
    assert report["before"]["case_causes"] == {"policy": 1}
    assert "สาเหตุที่พบมากที่สุดของเรื่องร้องเรียนที่ปิด: ระบบขัดข้อง 2, " in report["summaries"]["voc"]
    html = render_html(report)
    assert "สาเหตุของปัญหา (เรื่องร้องเรียนที่ปิด)" in html and "ไม่ได้บันทึกสาเหตุ" in html
