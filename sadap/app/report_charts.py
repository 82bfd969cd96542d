"""The CRM report's charts, one per section (matplotlib figures, drawn as PNG for the page): the
period against the one before for satisfaction, engagement, image, voice of the customer,
incidents and CSR; response times per channel and per stakeholder group against the SLA; and a
year's quarters side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from enrich.csr import PILLARS, pillar_names
from sadap.app.names import category_names, complaint_type_names, source_kinds
from sadap.app.report_axes import COLOURS, NO_DATA, chart_style, count_axis, png_uri, wrap_label
from sadap.app.report_summaries import group_name, tagged_groups
from sadap.core import labels


def charts(report: dict[str, Any]) -> dict[str, str]:
    """One PNG (as a data URI) per section."""
    with chart_style():
        return {key: png_uri(fig) for key, fig in _section_figures(report).items()}


def figures(report: dict[str, Any]) -> dict[str, Any]:
    """One matplotlib figure per section."""
    with chart_style():
        return _section_figures(report)


def _section_figures(report: dict[str, Any]) -> dict[str, Any]:
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
        count_axis(ax, va + vb, "x" if horizontal else "y")
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
        count_axis(ax, [m["mentions"] for m in months])
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
    count_axis(ax1, [v for _, v in ents], "x")
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
    count_axis(ax, bottom)
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
    count_axis(ax1, counts["mentions"] + counts["complaints"])
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
