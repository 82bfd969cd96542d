"""Rendering the CRM reports (quarterly and yearly): one chart per section (matplotlib, Agg backend, PNG
embedded in the page), the page itself (Jinja2, ``sadap/app/templates/quarterly.html``) and the
PDF (WeasyPrint). Thai is set in the Noto Sans Thai the workspace already vendors
(``sadap/app/web/static/vendor/fonts``), embedded in the page, so the report looks the same on a
bare server. matplotlib, WeasyPrint and fontTools are the ``report`` extra and load only here.
"""

from __future__ import annotations

import base64
from copy import deepcopy
import io
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from enrich.csr import PILLARS, pillar_names
from sadap.app.names import category_names, complaint_type_names, source_kinds
from sadap.app.quarterly import sections
from sadap.app.report_summaries import CAUSE_NAMES, NO_GROUP, group_name, tagged_groups
from sadap.core import labels
from sadap.core.errors import ConfigError

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parent / "web" / "static" / "vendor" / "fonts"
TEMPLATES = Path(__file__).resolve().parent / "templates"
#: (family, subset file stem) for the page and the charts: Latin first, Thai for the Thai range.
FONT_FAMILIES = (("Sadap Report Latin", "latin"), ("Sadap Report Thai", "thai"))
COLOURS = {"now": "#0b5cad", "before": "#9db4cf", "pos": "#1b7a3a", "neg": "#b3261e", "neu": "#8a94a6", "q": "#d08c00",
           "economy": "#d08c00", "society": "#0b5cad", "environment": "#1b7a3a"}
#: Bump when report_fonts() makes its files differently (they are cached under the temp folder).
FONT_VERSION = 3
_font_lock = threading.Lock()
_chart_fonts: list[str] | None = None


def _need(module: str) -> None:
    raise ConfigError(f"the CRM report needs {module}: pip install 'sadap[report]'")


# SARA AM (ำ) is drawn by the shaper as two glyphs, NIKHAHIT and SARA AA, and a PDF maps each
# glyph to one text: the SARA AA glyph would read back as ำ everywhere or as า inside ำ (คำถาม →
# คาถาม), and a tone mark drawn inside น้ำ would read back as nothing in ได้. So the report's copy
# of the Thai face draws those glyphs, when they come from ำ, with copies of their own
# (``.am``): the copies only ever stand for ำ, and the PDF's text reads back as typed.
_TONES = (0x0E48, 0x0E49, 0x0E4A, 0x0E4B)


def _separate_sara_am(font: Any) -> None:
    from fontTools.feaLib.builder import addOpenTypeFeaturesFromString

    cmap = font.getBestCmap()
    order = font.getGlyphOrder()

    def forms(name: str) -> list[str]:  # a glyph and its contextual forms (uni0E49, uni0E49.small …)
        return [g for g in order if g == name or g.startswith(name + ".")]

    aa = cmap[0x0E32]
    nikhahits = forms(cmap[0x0E4D])
    tones = [cmap[c] for c in _TONES if c in cmap]
    # One SARA AA copy per tone mark that can sit inside ำ (น้ำ, ค่ำ): the copy reads back as the
    # whole cluster, tone included, so each combination needs its own; each form of a tone inside
    # ำ gets a copy too, which reads back as nothing (the tone is in SARA AA's text).
    aa_copies = {"": f"{aa}.am", **{t: f"{aa}.am.{t}" for t in tones}}
    tone_copies = {form: f"{form}.am" for t in tones for form in forms(t)}
    glyf, hmtx = font["glyf"], font["hmtx"]
    classes = font["GDEF"].table.GlyphClassDef.classDefs if "GDEF" in font else {}
    for old, new in [*((aa, c) for c in aa_copies.values()), *tone_copies.items()]:
        glyf.glyphs[new] = deepcopy(glyf[old])
        hmtx.metrics[new] = hmtx.metrics[old]
        if old in classes:
            classes[new] = classes[old]
    font.setGlyphOrder(order + list(aa_copies.values()) + list(tone_copies.values()))
    glyf.glyphOrder = font.getGlyphOrder()
    nik = "[" + " ".join(nikhahits) + "]"
    lookups = [f"lookup AA_AM {{ sub {aa} by {aa_copies['']}; }} AA_AM;",
               f"lookup TONE_AM {{ sub [{' '.join(tone_copies)}] by [{' '.join(tone_copies.values())}]; }} TONE_AM;"]
    rules = [f"  sub {nik} {aa}' lookup AA_AM;"]
    for i, t in enumerate(tones):
        lookups.append(f"lookup AA_AM_{i} {{ sub {aa} by {aa_copies[t]}; }} AA_AM_{i};")
        rules.append(f"  sub {nik} [{' '.join(forms(t))}]' lookup TONE_AM {aa}' lookup AA_AM_{i};")
    fea = "\n".join(lookups) + "\nlookup SARA_AM {\n" + "\n".join(rules) + "\n} SARA_AM;\nfeature ccmp { lookup SARA_AM; } ccmp;\n"
    # Build the lookups on a scratch GSUB, then add them after the face's own (kept as they are).
    own = font["GSUB"] if "GSUB" in font else None
    if own is not None:
        del font["GSUB"]
    addOpenTypeFeaturesFromString(font, fea, tables=["GSUB"])
    built = font["GSUB"]
    if own is None:
        return
    base = len(own.table.LookupList.Lookup)
    for lookup in built.table.LookupList.Lookup:
        for sub in lookup.SubTable:
            for rule_set in getattr(sub, "ChainSubRuleSet", None) or []:
                for rule in rule_set.ChainSubRule:
                    for rec in rule.SubstLookupRecord:
                        rec.LookupListIndex += base
            for rec in getattr(sub, "SubstLookupRecord", None) or []:
                rec.LookupListIndex += base
        own.table.LookupList.Lookup.append(lookup)
    own.table.LookupList.LookupCount = len(own.table.LookupList.Lookup)
    chain = base + len(built.table.LookupList.Lookup) - 1
    for record in own.table.FeatureList.FeatureRecord:
        if record.FeatureTag == "ccmp":
            record.Feature.LookupListIndex.append(chain)
            record.Feature.LookupCount = len(record.Feature.LookupListIndex)
    font["GSUB"] = own


def report_fonts() -> list[tuple[str, str, Path]]:
    """The report's faces as TTF files (made once, under the temp folder): ``(family, weight,
    path)``. They are the vendored Noto Sans Thai, renamed so that Latin and Thai are two families
    (matplotlib falls back from one to the other), the Thai one with ำ's glyphs of its own."""
    try:
        from fontTools.ttLib import TTFont
    except ImportError:
        _need("fontTools")
    folder = Path(tempfile.gettempdir()) / f"sadap-report-fonts-{FONT_VERSION}-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    out = []
    for family, subset in FONT_FAMILIES:
        for weight in ("400", "700"):
            target = folder / f"{subset}-{weight}.ttf"
            if not target.exists():
                font = TTFont(str(FONT_DIR / f"noto-sans-thai-{subset}-{weight}-normal.woff2"))
                font.flavor = None
                style = "Bold" if weight == "700" else "Regular"
                name = font["name"]
                for name_id, value in ((1, family), (2, style), (4, f"{family} {style}"),
                                       (6, f"{family.replace(' ', '')}-{style}"), (16, family), (17, style)):
                    name.setName(value, name_id, 3, 1, 0x409)
                if subset == "thai":
                    _separate_sara_am(font)
                tmp = folder / f"{subset}-{weight}.{os.getpid()}.part"
                font.save(str(tmp))
                tmp.replace(target)
            out.append((family, weight, target))
    return out


def chart_fonts() -> list[str]:
    """Register the report's faces with matplotlib (once); the family names, Latin first."""
    global _chart_fonts
    with _font_lock:
        if _chart_fonts is not None:
            return _chart_fonts
        try:
            from matplotlib import font_manager
        except ImportError:
            _need("matplotlib")
        for _, _, path in report_fonts():
            font_manager.fontManager.addfont(str(path))
        _chart_fonts = [family for family, _ in FONT_FAMILIES]
        return _chart_fonts


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


NO_DATA = "ไม่มีข้อมูล"


def _counts(ax: Any, values: Sequence[float], axis: str = "y") -> None:
    """A count axis: whole numbers with thousands separators, from 0 (never 0.5 of a mention, nor
    a negative axis when the quarter is empty); an empty chart says so."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(nbins="auto", integer=True))  # "auto": as many as the axis has room for
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    top = max(values, default=0)
    (ax.set_ylim if axis == "y" else ax.set_xlim)(0, top * 1.05 if top else 1)
    if not top:
        ax.text(0.5, 0.5, NO_DATA, transform=ax.transAxes, ha="center", va="center", color="#5b6475")


LABEL_CHARS = 18


def wrap_label(name: str, width: int = LABEL_CHARS) -> str:
    """A long name on a chart's axis in lines of about ``width`` characters, broken between Thai
    words (Thai has no spaces to break at): a long name would otherwise squeeze the bars away."""
    if len(name) <= width:
        return name
    from pythainlp.tokenize import word_tokenize

    words: list[str] = []
    for token in word_tokenize(name, engine="newmm", keep_whitespace=True):
        if words and words[-1][-1] in "([{“‘":  # an opening bracket stays with what it opens
            words[-1] += token
        else:
            words.append(token)
    lines = [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + len(word.rstrip()) > width:
            lines.append("")
        lines[-1] += word if lines[-1] else word.lstrip()
    return "\n".join(line.rstrip() for line in lines)


@contextmanager
def _chart_style() -> Iterator[Any]:
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        _need("matplotlib")
    families = chart_fonts()
    # text.parse_math off: a name with $ signs is drawn as written, never read as TeX
    rc: Any = {"font.family": families, "font.size": 9, "text.parse_math": False, "axes.spines.top": False, "axes.spines.right": False}
    with matplotlib.rc_context(rc):
        yield matplotlib


def charts(report: dict[str, Any]) -> dict[str, str]:
    """One PNG (as a data URI) per section."""
    with _chart_style():
        return {key: _png(fig) for key, fig in _figures(report).items()}


def figures(report: dict[str, Any]) -> dict[str, Any]:
    """One matplotlib figure per section."""
    with _chart_style():
        return _figures(report)


def _figures(report: dict[str, Any]) -> dict[str, Any]:
    from matplotlib.figure import Figure

    now, before = report["now"], report["before"]
    q_now, q_before = report["period_th"], report["previous_th"]
    year = report.get("kind") == "year"
    out: dict[str, Any] = {}

    def paired(ax: Any, keys: list[str], names: list[str], a: dict[str, Any], b: dict[str, Any], horizontal: bool = False) -> None:
        idx = list(range(len(keys)))
        w = 0.4
        va = [b.get(k, 0) for k in keys]
        vb = [a.get(k, 0) for k in keys]
        if horizontal:
            ax.barh([i + w / 2 for i in idx], va, w, label=q_before, color=COLOURS["before"])
            ax.barh([i - w / 2 for i in idx], vb, w, label=q_now, color=COLOURS["now"])
            ax.set_yticks(idx, [wrap_label(n) for n in names])
            ax.invert_yaxis()
        else:
            ax.bar([i - w / 2 for i in idx], va, w, label=q_before, color=COLOURS["before"])
            ax.bar([i + w / 2 for i in idx], vb, w, label=q_now, color=COLOURS["now"])
            ax.set_xticks(idx, names)
        _counts(ax, va + vb, "x" if horizontal else "y")
        if any(va + vb):
            ax.legend(frameon=False)

    # satisfaction: sentiment and the three expectation levels, quarter against quarter
    fig = Figure(figsize=(8, 2.8), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    sent = ["pos", "neu", "neg", "q"]
    paired(ax1, sent, [labels.th(labels.SENTIMENT, k) for k in sent], now["sentiment"], before["sentiment"])
    ax1.set_title("ความรู้สึก (จำนวนข้อความ)")
    exp = ["delighted", "satisfied", "disappointed"]
    paired(ax2, exp, [labels.th(labels.EXPECTATION, k) for k in exp], now["expectation"], before["expectation"])
    ax2.set_title("ระดับความคาดหวัง")
    out["satisfaction"] = fig

    # engagement: mentions per month over the two quarters; a year's months beside the same
    # months of the year before (24 bars in a row would not leave room for their names)
    fig = Figure(figsize=(8, 2.6), layout="constrained")
    ax = fig.subplots()
    if year:
        months = now["months"]
        names = [m["label"] for m in months]
        paired(ax, names, names, {m["label"]: m["mentions"] for m in months},
               {n: m["mentions"] for n, m in zip(names, before["months"])})
        ax.tick_params(axis="x", labelsize=8)
    else:
        months = before["months"] + now["months"]
        ax.bar([m["label"] for m in months], [m["mentions"] for m in months],
               color=[COLOURS["before"]] * len(before["months"]) + [COLOURS["now"]] * len(now["months"]))
        _counts(ax, [m["mentions"] for m in months])
    ax.set_title("จำนวนการกล่าวถึงรายเดือน")
    out["engagement"] = fig

    # image: share of voice among watched names, and the organisation's positive / negative coverage
    fig = Figure(figsize=(8, 2.8), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    ents = list(now["entities"].items())[:8]
    if ents:
        ax1.barh([wrap_label(k) for k, _ in ents], [v for _, v in ents],
                 color=[COLOURS["now"] if k == report["organisation"] else COLOURS["before"] for k, _ in ents])
        ax1.invert_yaxis()
    else:
        ax1.set_yticks([])
    _counts(ax1, [v for _, v in ents], "x")
    ax1.set_title("ส่วนแบ่งการกล่าวถึง (share of voice)")
    paired(ax2, ["pos", "neg"], ["เชิงบวก", "เชิงลบ"], now["org_sentiment"], before["org_sentiment"])
    ax2.set_title("ข้อความเชิงบวก/ลบเกี่ยวกับองค์กร")
    out["image"] = fig

    # voice of the customer: categories and complaint types
    fig = Figure(figsize=(8, 3.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    cats = [k for k in dict.fromkeys([*now["categories"], *before["categories"]]) if k != "other"][:6]
    paired(ax1, cats, [labels.th(category_names(), k) for k in cats], now["categories"], before["categories"], True)
    ax1.set_title("หมวดเสียงลูกค้า")
    types = list(dict.fromkeys([*now["complaint_types"], *before["complaint_types"]]))[:6]
    paired(ax2, types, [labels.th(complaint_type_names(), k) for k in types], now["complaint_types"],
           before["complaint_types"], True)
    ax2.set_title("ประเภทข้อร้องเรียน")
    out["voc"] = fig

    # incidents: opened, acknowledged and resolved (within SLA)
    fig = Figure(figsize=(8, 2.6), layout="constrained")
    ax = fig.subplots()
    keys = ["opened", "acknowledged", "ack_within_sla", "resolved", "resolved_within_sla"]
    names = ["เปิด", "รับทราบ", "รับทราบทันเวลา", "ปิดแล้ว", "ปิดทันเวลา"]
    paired(ax, keys, names, now["incidents"], before["incidents"])
    ax.set_title("เหตุการณ์และการจัดการ")
    out["incidents"] = fig

    out["equal_response"] = _response_figure(now)
    if year:
        out["trend"] = _trend_figure(report)

    # CSR balance: pillars per month (a year: its own twelve)
    fig = Figure(figsize=(8, 2.8), layout="constrained")
    ax = fig.subplots()
    months = now["months"] if year else before["months"] + now["months"]
    pillars = pillar_names()
    bottom = [0] * len(months)
    for p in PILLARS:
        values = [m["csr"].get(p, 0) for m in months]
        ax.bar([m["label"] for m in months], values, bottom=bottom, label=f"ด้าน{pillars[p][0]}", color=COLOURS[p])
        bottom = [a + b for a, b in zip(bottom, values)]
    _counts(ax, bottom)
    if year:
        ax.tick_params(axis="x", labelsize=8)
    ax.set_title("ข้อความเกี่ยวกับกิจกรรม CSR รายเดือน แยกตามด้าน")
    ax.legend(frameon=False, ncols=3)
    out["csr"] = fig
    return out


def _response_figure(now: dict[str, Any]) -> Any:
    """Median first-response and resolution times per channel against the SLA, and per
    stakeholder group (standard 000: every target group answered equally) when some complaint
    or question is tied to one."""
    from matplotlib.figure import Figure

    by_group = tagged_groups(now)
    fig = Figure(figsize=(8, 5.2 if by_group else 2.8), layout="constrained")
    axes = fig.subplots(2, 1) if by_group else [fig.subplots()]
    _response_axes(axes[0], now["responses"]["groups"], now["responses"]["sla_s"],
                   lambda k: labels.th(source_kinds(), k), "ช่องทาง", "ช่องทางอื่น")
    if by_group:
        _response_axes(axes[1], now["responses_by_group"]["groups"], now["responses"]["sla_s"], group_name,
                       "กลุ่มผู้มีส่วนได้ส่วนเสีย", "กลุ่มอื่น")
    return fig


def _response_axes(ax: Any, all_groups: list[dict[str, Any]], sla_s: float, name: Callable[[str], str], by: str,
                   others: str) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    groups = [g for g in all_groups
              if g["median_first_response_s"] is not None or g.get("median_resolution_s") is not None]
    sla_h = sla_s / 3600
    # The legend names the bars by their usual colours: a flagged group's bar is drawn red, and a
    # legend taken from the bars would show the first group's colour for every group.
    handles: list[Any] = [Line2D([], [], color="#5b6475", linestyle="--", linewidth=1, label="เวลาที่กำหนด (SLA)")]
    if groups:
        xs = list(range(len(groups)))
        ax.bar([x - 0.2 for x in xs], [(g["median_first_response_s"] or 0) / 3600 for g in groups], width=0.4,
               color=[COLOURS["neg"] if g["flagged_slower"] else COLOURS["now"] for g in groups])
        ax.bar([x + 0.2 for x in xs], [(g.get("median_resolution_s") or 0) / 3600 for g in groups], width=0.4,
               color=[COLOURS["neg"] if g.get("flagged_slower_resolution") else COLOURS["before"] for g in groups])
        ax.set_xticks(xs, [wrap_label(name(g["group"]), 14) for g in groups])
        handles += [Patch(color=COLOURS["now"], label="ตอบครั้งแรก"), Patch(color=COLOURS["before"], label="แก้ไขเสร็จ")]
        if any(g["flagged_slower"] or g.get("flagged_slower_resolution") for g in groups):
            handles.append(Patch(color=COLOURS["neg"], label=f"ช้ากว่า{others}อย่างชัดเจน"))
    else:
        ax.set_xticks([])
        ax.text(0.5, 0.5, NO_DATA, transform=ax.transAxes, ha="center", va="center", color="#5b6475")
    ax.axhline(sla_h, color="#5b6475", linestyle="--", linewidth=1)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("ชั่วโมง")
    ax.set_title(f"มัธยฐานเวลาตอบครั้งแรกและเวลาถึงการแก้ไขเสร็จตาม{by}")
    # beside the chart, not over it: the slowest groups' bars are the tallest
    ax.legend(handles=handles, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def _trend_figure(report: dict[str, Any]) -> Any:
    """A year's quarters side by side: mentions and complaints, and the shares that say how
    they went (positive, negative, answered within the SLA). A quarter not begun is left empty."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    quarters = report["quarters"]
    names = [q["short_th"] + (" *" if q["state"] == "running" else "") for q in quarters]
    fig = Figure(figsize=(8, 2.8), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    xs = list(range(len(quarters)))
    counts = {k: [q["figures"][k] if q["figures"] else 0 for q in quarters] for k in ("mentions", "complaints")}
    ax1.bar([x - 0.2 for x in xs], counts["mentions"], 0.4, label="การกล่าวถึง", color=COLOURS["now"])
    ax1.bar([x + 0.2 for x in xs], counts["complaints"], 0.4, label="ข้อร้องเรียน", color=COLOURS["neg"])
    ax1.set_xticks(xs, names)
    _counts(ax1, counts["mentions"] + counts["complaints"])
    if any(counts["mentions"]):
        ax1.legend(frameon=False)
    ax1.set_title("การกล่าวถึงและข้อร้องเรียนรายไตรมาส")
    for key, word, colour in (("pos_share", "เชิงบวก", COLOURS["pos"]), ("neg_share", "เชิงลบ", COLOURS["neg"]),
                              ("within_sla_share", "ตอบทันเวลา", COLOURS["now"])):
        points = [(x, q["figures"][key] * 100) for x, q in zip(xs, quarters)
                  if q["figures"] and q["figures"][key] is not None]
        ax2.plot([x for x, _ in points], [v for _, v in points], marker="o", label=word, color=colour)
    ax2.set_xticks(xs, names)
    ax2.set_ylim(0, 105)
    ax2.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax2.legend(frameon=False, fontsize=8)
    ax2.set_title("สัดส่วนรายไตรมาส")
    if any(q["state"] == "running" for q in quarters):
        fig.supxlabel("* ไตรมาสที่ยังไม่สิ้นสุด", fontsize=8, color="#5b6475")
    return fig


def _font_faces() -> str:
    faces = []
    with _font_lock:
        fonts = report_fonts()
    for family, weight, path in fonts:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        faces.append(f'@font-face{{font-family:"{family}";font-weight:{weight};font-style:normal;'
                     f'src:url(data:font/ttf;base64,{data}) format("truetype")}}')
    return "\n".join(faces)


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
        _need("jinja2")
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
    env.filters["n"] = lambda v: f"{v:,}"  # counts: 12,345
    env.filters["h"] = lambda seconds: f"{seconds / 3600:,.1f}"  # a delay in hours: 1,234.5
    env.filters["pct"] = lambda share: "-" if share is None else f"{share * 100:.1f}%"
    pillars = pillar_names()
    return env.get_template("quarterly.html").render(
        r=report, now=report["now"], before=report["before"], sections=sections(report), charts=charts(report),
        w=words(report), group_name=group_name, no_group=NO_GROUP, tagged=tagged_groups(report["now"]),
        channel_name=lambda k: labels.th(source_kinds(), k), trend_rows=_trend_rows(env),
        summaries=report["summaries"], font_faces=_font_faces(),
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
