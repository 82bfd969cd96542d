"""The quarterly report as an executive reads it: the PDF set only in the shipped faces, charts whose
axes and legends say what the bars are, counts with thousands separators, an empty quarter, and a
quarter still running marked as such (real SQLite store of Thai mentions, tests/report_support.py)."""

from __future__ import annotations

import copy
import io
from datetime import datetime

import pytest

from report_support import build_report_store
from sadap.app.config import Config
from sadap.app.quarterly import duration_th, quarterly_report, summaries
from sadap.core.timeutil import BANGKOK
from sadap.store import open_store

NOW = datetime(2027, 1, 5, 9, 0, tzinfo=BANGKOK)  # after 2026Q4: the whole quarter is in


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return build_report_store(tmp_path_factory.mktemp("report-pages"))


@pytest.fixture(scope="module")
def q4(config: Config) -> dict:
    with open_store(config) as store:
        return quarterly_report(store, config, "2026Q4", now=NOW)


@pytest.fixture(scope="module")
def empty(config: Config) -> dict:
    with open_store(config) as store:
        return quarterly_report(store, config, "2026Q1", now=NOW)


def _tick_labels(ax: object, axis: str) -> list[str]:
    ax.figure.canvas.draw()  # type: ignore[attr-defined]
    ticks = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()  # type: ignore[attr-defined]
    return [t.get_text() for t in ticks if t.get_text()]


@pytest.mark.slow
def test_the_pdf_is_set_only_in_the_shipped_faces(q4: dict):
    """The page numbers were set in the system's serif (DejaVu here), which a bare server lacks."""
    import pypdf

    from sadap.app.report_render import render_pdf

    reader = pypdf.PdfReader(io.BytesIO(render_pdf(q4)))
    faces = {str(font["/BaseFont"]) for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}  # type: ignore[index, union-attr]
    assert faces and all("Sadap-Report" in face for face in faces), faces
    assert "1 / " in reader.pages[0].extract_text()


def test_the_equal_response_legend_names_bars_by_their_own_colours(q4: dict):
    """The forum is flagged (its bars red): the legend showed both bar kinds in red."""
    from matplotlib.colors import to_hex

    from sadap.app.report_axes import COLOURS
    from sadap.app.report_charts import figures

    legend = figures(q4)["equal_response"].axes[0].get_legend()
    colours = {t.get_text(): h for t, h in zip(legend.get_texts(), legend.legend_handles)}
    assert to_hex(colours["ตอบครั้งแรก"].get_facecolor()) == COLOURS["now"]
    assert to_hex(colours["แก้ไขเสร็จ"].get_facecolor()) == COLOURS["before"]
    assert to_hex(colours["ช้ากว่าช่องทางอื่นอย่างชัดเจน"].get_facecolor()) == COLOURS["neg"]


def test_count_axes_are_whole_numbers_from_zero(q4: dict, empty: dict):
    """Counts drawn as 2.5 or 0.2 incidents, and an empty quarter drawn from -0.04 to 0.04."""
    from sadap.app.report_axes import NO_DATA
    from sadap.app.report_charts import figures

    for report in (q4, empty):
        figs = figures(report)
        for key, axis in (("satisfaction", "y"), ("engagement", "y"), ("incidents", "y"), ("csr", "y"), ("voc", "x")):
            for ax in figs[key].axes:
                labels = _tick_labels(ax, axis)
                assert labels and all(t.replace(",", "").isdigit() for t in labels), (key, labels)
    texts = [t.get_text() for ax in figures(empty)["satisfaction"].axes for t in ax.texts]
    assert texts == [NO_DATA, NO_DATA]
    assert NO_DATA in [t.get_text() for t in figures(empty)["equal_response"].axes[0].texts]


def test_large_counts_have_thousands_separators(q4: dict):
    from sadap.app.report_charts import figures
    from sadap.app.report_render import render_html

    big = copy.deepcopy(q4)
    big["now"]["complaint_types"] = {"price_billing": 12345}
    big["now"]["csr"]["society"] = 23456
    big["now"]["responses"]["groups"][0]["count"] = 34567
    big["now"]["responses"]["groups"][0]["median_first_response_s"] = 4_500_000.0
    big["now"]["responses"]["overall"]["count"] = 45678
    for m in big["now"]["months"]:
        m["mentions"] = 250_000
    html = render_html(big)
    for shown in ("12,345", "+12,342", "23,456", "34,567", "1,250.0", "45,678"):
        assert shown in html, shown
    labels = _tick_labels(figures(big)["engagement"].axes[0], "y")
    assert "120,000" in labels, labels


def test_an_empty_quarter_says_so_in_its_tables(empty: dict):
    from sadap.app.report_render import render_html

    html = render_html(empty)
    assert "ไม่มีในไตรมาสนี้" in html  # top topics
    assert "ไม่มีข้อร้องเรียนทั้งสองไตรมาส" in html and "ไม่มีข้อร้องเรียนหรือคำถามในไตรมาสนี้" in html


def test_a_quarter_still_running_is_marked_and_dated_in_thai(config: Config, q4: dict):
    from sadap.app.report_render import render_html

    assert q4["partial"] is None and q4["dates_th"] == "1 ต.ค. – 31 ธ.ค. 2569"
    assert q4["previous_dates_th"] == "1 ก.ค. – 30 ก.ย. 2569"
    html = render_html(q4)
    assert "1 ต.ค. – 31 ธ.ค. 2569" in html and "จัดทำเมื่อ 5 ม.ค. 2570 09:00 น." in html
    assert "ไตรมาสนี้ยังไม่สิ้นสุด" not in html
    with open_store(config) as store:
        running = quarterly_report(store, config, "2026Q4", now=datetime(2026, 11, 15, 12, tzinfo=BANGKOK))
    assert running["partial"] == {"through": "2026-11-15T05:00:00+00:00", "through_th": "15 พ.ย. 2569 12:00 น.",
                                  "days": 46, "of_days": 92}
    assert "ไตรมาสนี้ยังไม่สิ้นสุด</span>: ตัวเลขถึง 15 พ.ย. 2569 12:00 น. (46 จาก 92 วัน)" in render_html(running)


def test_incidents_by_severity_and_time_to_acknowledge_are_in_the_table(q4: dict):
    from sadap.app.report_render import render_html

    html = render_html(q4)
    assert "ความรุนแรง high" in html
    assert "มัธยฐานเวลาถึงการรับทราบ (ชม.)" in html and ">0.2<" in html  # acknowledged after 10 minutes


def test_a_response_clock_under_an_hour_is_written_in_minutes(q4: dict):
    assert [duration_th(s) for s in (1800, 5400, 86400, 90)] == ["30 นาที", "1 ชั่วโมง 30 นาที", "24 ชั่วโมง", "2 นาที"]
    short = copy.deepcopy(q4)
    short["now"]["responses"]["sla_s"] = 1800.0
    assert summaries(short)["equal_response"].startswith("ตอบภายในเวลาที่กำหนด (30 นาที)")



def test_long_names_are_cut_as_by_the_whole_dictionary_without_building_its_trie():
    """PyThaiNLP's dictionary trie (60,000 words) was built for the first long chart label: over
    a second of every report. The labels are cut where they were."""
    from pythainlp.tokenize import word_dict_trie

    from sadap.app.report_axes import wrap_label

    word_dict_trie.cache_clear()
    cut = {  # name: (at 18 characters, at 14), as cut with the whole dictionary's trie
        "บริษัทพัฒนาอสังหาริมทรัพย์และนิคมอุตสาหกรรมแห่งหนึ่ง": (
            "บริษัทพัฒนา\nอสังหาริมทรัพย์และ\nนิคมอุตสาหกรรมแห่ง\nหนึ่ง",
            "บริษัทพัฒนา\nอสังหาริมทรัพย์\nและ\nนิคมอุตสาหกรรม\nแห่งหนึ่ง"),
        "ไลน์ทางการ (ช่องทางร้องเรียน)": ("ไลน์ทางการ\n(ช่องทางร้องเรียน)", "ไลน์ทางการ\n(ช่องทาง\nร้องเรียน)"),
        "ระบบดิจิทัลขัดข้อง แอปล่ม โอนเงินไม่ได้": (
            "ระบบดิจิทัลขัดข้อง\nแอปล่ม โอนเงินไม่\nได้", "ระบบดิจิทัล\nขัดข้อง แอปล่ม\nโอนเงินไม่ได้"),
        "ผู้ประกอบการวิสาหกิจขนาดกลางและขนาดย่อม": (
            "ผู้ประกอบการ\nวิสาหกิจขนาดกลาง\nและขนาดย่อม", "ผู้ประกอบการ\nวิสาหกิจขนาด\nกลางและ\nขนาดย่อม"),
        "ธนาคารแสงทอง จำกัด (มหาชน) สาขาเชียงใหม่": (
            "ธนาคารแสงทอง จำกัด\n(มหาชน) สาขา\nเชียงใหม่", "ธนาคารแสงทอง\nจำกัด (มหาชน)\nสาขาเชียงใหม่"),
        "Siam Commercial Bank Public Company": ("Siam Commercial\nBank Public\nCompany", "Siam\nCommercial\nBank Public\nCompany"),
        "ฮฮฮฮฮฮฮฮฮฮฮฮฮฮฮฮฮฮฮฮ": ("ฮฮฮฮฮฮฮฮฮฮฮฮฮฮฮฮฮฮฮฮ", "ฮฮฮฮฮฮฮฮฮฮฮฮฮฮฮฮฮฮฮฮ"),  # no dictionary word in it
    }
    assert {name: (wrap_label(name), wrap_label(name, 14)) for name in cut} == cut
    assert word_dict_trie.cache_info().currsize == 0


def test_long_names_on_a_chart_wrap_between_thai_words(q4: dict):
    """A long watched name took the share-of-voice chart's width and left a sliver of bar."""
    from sadap.app.report_axes import LABEL_CHARS, wrap_label
    from sadap.app.report_charts import figures

    name = "บริษัทพัฒนาอสังหาริมทรัพย์และนิคมอุตสาหกรรมแห่งหนึ่ง"
    lines = wrap_label(name).split("\n")
    assert len(lines) > 1 and "".join(lines) == name
    assert lines[0] == "บริษัทพัฒนา" and all(len(line) <= LABEL_CHARS for line in lines)
    assert wrap_label("ธนาคารแสงทอง") == "ธนาคารแสงทอง"
    assert wrap_label("Siam Commercial Bank Public Company") == "Siam Commercial\nBank Public\nCompany"
    wide = copy.deepcopy(q4)
    wide["now"]["entities"] = {"ธนาคารแสงทอง": 1234, name: 345}
    ax = figures(wide)["image"].axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][1] == wrap_label(name)
    assert len(_tick_labels(ax, "x")) <= 8  # 1,234 on a half-width axis: numbers that do not run together
