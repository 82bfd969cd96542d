"""Rendering the CRM reports (quarterly and yearly): the page (Jinja2,
``sadap/app/templates/quarterly.html``) with its charts (:mod:`sadap.app.report_charts`) and faces
(:mod:`sadap.app.report_fonts`) embedded, so it looks the same on a bare server, and the PDF
(WeasyPrint, the ``report`` extra, loaded only here).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from enrich.csr import PILLARS, pillar_names
from sadap.app.names import category_names, complaint_type_names, source_kinds
from sadap.app.quarterly import sections
from sadap.app.report_charts import charts
from sadap.app.report_fonts import FONT_FAMILIES, font_faces, need_extra
from sadap.app.report_summaries import CAUSE_NAMES, NO_GROUP, group_name, tagged_groups
from sadap.core import labels
from sadap.core.errors import ConfigError

TEMPLATES = Path(__file__).resolve().parent / "templates"


def words(report: dict[str, Any]) -> dict[str, str]:
    """What the page calls its period (ไตรมาส, ปี, ปีงบประมาณ) and itself."""
    unit = report.get("unit_th", "ไตรมาส")
    if report.get("kind") == "year":
        title, title_en = f"รายงานประเมินประสิทธิผลลูกค้าสัมพันธ์ประจำ{report['period_th']}", "Yearly CRM effectiveness report"
    else:
        title, title_en = f"รายงานลูกค้าสัมพันธ์รายไตรมาส {report['period_th']}", "Quarterly CRM report"
    return {"unit": unit, "this": f"{unit}นี้", "prev": f"{unit}ก่อน", "both": f"ทั้งสอง{unit}",
            "title": title, "title_en": f"{title_en} {report['period']}"}


def _trend_rows(env: Any) -> list[tuple[str, str, Callable[[Any], str]]]:
    """The rows of a year's quarters table: ``(key_figures key, Thai name, format)``."""
    n, pct = env.filters["n"], env.filters["pct"]

    def hours(seconds: float | None) -> str:
        return "-" if seconds is None else env.filters["h"](seconds)

    return [("mentions", "การกล่าวถึง", n), ("authors", "ผู้เขียน (ไม่ซ้ำ)", n),
            ("interactions", "การมีส่วนร่วม (ถูกใจ แชร์ ความคิดเห็น)", n), ("pos_share", "ข้อความเชิงบวก", pct),
            ("neg_share", "ข้อความเชิงลบ", pct), ("disappointed_share", "ผิดหวัง (ของที่ประเมินได้)", pct),
            ("complaints", "ข้อร้องเรียน", n), ("asked", "ข้อร้องเรียนและคำถาม", n), ("answered_share", "ได้รับการตอบ", pct),
            ("within_sla_share", "ตอบภายในเวลาที่กำหนด", pct), ("median_first_response_s", "มัธยฐานเวลาตอบครั้งแรก (ชม.)", hours),
            ("incidents", "เหตุการณ์ที่เปิด", n), ("csr", "ข้อความเกี่ยวกับกิจกรรม CSR", n)]


def render_html(report: dict[str, Any]) -> str:
    """The report as one self-contained HTML page (fonts and charts embedded)."""
    try:
        from jinja2 import Environment, FileSystemLoader, select_autoescape
    except ImportError:  # pragma: no cover - jinja2 is a dependency
        need_extra("jinja2")
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
    env.filters["n"] = lambda v: f"{v:,}"  # counts: 12,345
    env.filters["h"] = lambda seconds: f"{seconds / 3600:,.1f}"  # a delay in hours: 1,234.5
    env.filters["pct"] = lambda share: "-" if share is None else f"{share * 100:.1f}%"
    pillars = pillar_names()
    return env.get_template("quarterly.html").render(
        r=report, now=report["now"], before=report["before"], sections=sections(report), charts=charts(report),
        w=words(report), group_name=group_name, no_group=NO_GROUP, tagged=tagged_groups(report["now"]),
        channel_name=lambda k: labels.th(source_kinds(), k), trend_rows=_trend_rows(env),
        summaries=report["summaries"], font_faces=font_faces(),
        families=", ".join(f'"{f}"' for f, _ in FONT_FAMILIES),
        sentiment=labels.SENTIMENT, expectation=labels.EXPECTATION, th=labels.th,
        categories=category_names(), types=complaint_type_names(), kinds=source_kinds(), causes=CAUSE_NAMES,
        pillars=pillars, pillar_keys=PILLARS,
        missing=[p for p in PILLARS if not report["now"]["csr"].get(p)],
    )


def render_pdf(report: dict[str, Any]) -> bytes:
    """The report as PDF (WeasyPrint)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as err:  # OSError: Pango or HarfBuzz missing from the system
        raise ConfigError(
            f"the PDF report needs WeasyPrint and its system libraries ({err}); "
            "pip install 'sadap[report]' and on Debian apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
        ) from None
    pdf: bytes = HTML(string=render_html(report)).write_pdf()
    return pdf
