"""The CRM reports' Thai summaries: each sentence states figures from the report and their change
against the period before (a quarter, a year or a fiscal year: the report's ``unit_th``), nothing
the figures do not say."""

from __future__ import annotations

from typing import Any

from enrich.csr import PILLARS, pillar_names
from sadap.app.names import category_names, complaint_type_names, source_kinds
from sadap.core import labels
from sadap.core.complaint_case import CAUSE_WORDS
from sadap.core.stakeholder import GROUP_WORDS

INTERACTIONS = ("likes", "shares", "comments")
#: The equal-response group of complaints and questions tied to no stakeholder group in the registry.
NO_GROUP = "-"
NO_GROUP_TH = "ไม่ได้ระบุกลุ่ม"

#: The cause key of cases closed without one, and every cause's (Thai, English) names.
UNRECORDED = "unrecorded"
CAUSE_NAMES: dict[str, tuple[str, str]] = {**CAUSE_WORDS, UNRECORDED: ("ไม่ได้บันทึกสาเหตุ", "no cause recorded")}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _num(value: int | float) -> str:
    return f"{value:,.0f}"


def group_name(key: str) -> str:
    """A stakeholder group in Thai (``ชุมชน``); the group of those tied to none, said so."""
    return NO_GROUP_TH if key == NO_GROUP else labels.th(GROUP_WORDS, key)


def duration_th(seconds: float) -> str:
    """A clock such as the response SLA in Thai: ``24 ชั่วโมง``, ``30 นาที``, ``1 ชั่วโมง 30 นาที``."""
    minutes = round(seconds / 60)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} นาที"
    return f"{hours:,} ชั่วโมง" + (f" {rest} นาที" if rest else "")


def change_th(now: float | int, before: float | int, unit: str = "", period: str = "ไตรมาส") -> str:
    """How a count moved against the previous ``period`` (ไตรมาส, ปี, ปีงบประมาณ), in Thai, from
    the two numbers only."""
    if before == 0:
        return f"{period}ก่อนไม่มีข้อมูลให้เทียบ" if now else f"เท่ากับ{period}ก่อน (ไม่มีทั้งสอง{period})"
    diff = (now - before) / before * 100
    if abs(diff) < 0.05:
        return f"เท่ากับ{period}ก่อน ({_num(before)}{unit})"
    word = "เพิ่มขึ้น" if diff > 0 else "ลดลง"
    return f"{word} {abs(diff):.1f}% จาก{period}ก่อน ({_num(before)}{unit})"


def _median_th(seconds: float | None, none: str) -> str:
    """A flagged group's median in hours; ``none`` for a group flagged with nothing answered yet
    (it is flagged for how long its items have waited)."""
    return none if seconds is None else f"มัธยฐาน {seconds / 3600:,.1f} ชม."


def points_th(now: float | None, before: float | None, period: str = "ไตรมาส") -> str:
    """A share's move in percentage points, in Thai."""
    if now is None:
        return f"{period}นี้ไม่มีข้อมูล" if before is None else f"{period}นี้ไม่มีข้อมูล; {period}ก่อน {_pct(before)}"
    if before is None:
        return f"{period}ก่อนไม่มีข้อมูลให้เทียบ"
    diff = (now - before) * 100
    if abs(diff) < 0.05:
        return f"เท่ากับ{period}ก่อน"
    return f"{'เพิ่มขึ้น' if diff > 0 else 'ลดลง'} {abs(diff):.1f} จุด จาก{period}ก่อน ({_pct(before)})"


def _top(counts: dict[str, int], names: dict[str, tuple[str, str]] | None = None, n: int = 3) -> str:
    items = [(k, v) for k, v in counts.items() if v][:n]
    if not items:
        return "ไม่มี"
    return ", ".join(f"{labels.th(names, k) if names else k} {_num(v)}" for k, v in items)


def summaries(report: dict[str, Any]) -> dict[str, str]:
    now, before = report["now"], report["before"]
    u = report.get("unit_th", "ไตรมาส")
    out: dict[str, str] = {}
    # satisfaction
    total, prev_total = now["mentions"], before["mentions"]
    pos, neg = now["sentiment"].get("pos", 0), now["sentiment"].get("neg", 0)
    exp_now = now["expectation"]
    rated = sum(exp_now.get(k, 0) for k in ("delighted", "satisfied", "disappointed"))
    rated_before = sum(before["expectation"].get(k, 0) for k in ("delighted", "satisfied", "disappointed"))
    exp_words = " ".join(
        f"{labels.th(labels.EXPECTATION, k)} {_num(exp_now.get(k, 0))} ({_pct(_share(exp_now.get(k, 0), rated))})"
        for k in ("delighted", "satisfied", "disappointed")
    )
    out["satisfaction"] = (
        f"ข้อความเชิงบวก {_pct(_share(pos, total))} "
        f"({points_th(_share(pos, total), _share(before['sentiment'].get('pos', 0), prev_total), u)}) "
        f"และเชิงลบ {_pct(_share(neg, total))} "
        f"({points_th(_share(neg, total), _share(before['sentiment'].get('neg', 0), prev_total), u)}). "
        f"ระดับความคาดหวังจาก {_num(rated)} ข้อความที่ประเมินได้: {exp_words}; "
        f"สัดส่วนผิดหวัง{points_th(_share(exp_now.get('disappointed', 0), rated), _share(before['expectation'].get('disappointed', 0), rated_before), u)}."
    )
    # engagement
    # What the sentence names (likes, shares, comments), as the report's table: views are not
    # interactions, and a platform's view counts would swamp them.
    inter = sum(now["interactions"].get(k, 0) for k in INTERACTIONS)
    inter_before = sum(before["interactions"].get(k, 0) for k in INTERACTIONS)
    resp, resp_before = now["responses"]["overall"], before["responses"]["overall"]
    median_h = resp["median_first_response_s"]
    out["engagement"] = (
        f"มีการกล่าวถึง {_num(total)} ครั้ง {change_th(total, prev_total, ' ครั้ง', u)} "
        f"จากผู้เขียน {_num(now['authors'])} ราย ({change_th(now['authors'], before['authors'], ' ราย', u)}); "
        f"การมีส่วนร่วม (ถูกใจ แชร์ ความคิดเห็น) รวม {_num(inter)} ครั้ง ({change_th(inter, inter_before, '', u)}). "
        f"ข้อร้องเรียนและคำถาม {_num(resp['count'])} รายการ ได้รับการตอบ {_num(resp['answered'])} รายการ "
        f"({_pct(_share(resp['answered'], resp['count']))}; {u}ก่อน {_pct(_share(resp_before['answered'], resp_before['count']))})"
        + (f" ตอบครั้งแรกภายในมัธยฐาน {median_h / 3600:,.1f} ชั่วโมง." if median_h is not None else ".")
    )
    # image
    org = report["organisation"]
    entities = now["entities"]
    sov_total = sum(entities.values())
    org_sent = now["org_sentiment"]
    org_n = now["org_mentions"]
    who = f"“{org}”" if org else "องค์กร"
    sov = _share(entities.get(org, 0), sov_total) if org else None
    sov_before = _share(before["entities"].get(org, 0), sum(before["entities"].values())) if org else None
    out["image"] = (
        (f"ส่วนแบ่งการกล่าวถึง (share of voice) ของ {who} เทียบกับชื่ออื่นที่ติดตาม {_pct(sov)} ({points_th(sov, sov_before, u)}). "
         if org else "")
        + f"ข่าวและข้อความเกี่ยวกับ{who} {_num(org_n)} ครั้ง: เชิงบวก {_pct(_share(org_sent.get('pos', 0), org_n))} "
        f"เชิงลบ {_pct(_share(org_sent.get('neg', 0), org_n))}. "
        f"หัวข้อที่พูดถึงมากที่สุด: {_top(now['keywords'])}."
        + (f" แฮชแท็กที่ใช้มากที่สุด: {_top({f'#{k}': v for k, v in now['hashtags'].items()})}." if now["hashtags"] else "")
    )
    # voice of the customer
    types = complaint_type_names()
    biggest_move = ""
    moves = [(k, v - before["complaint_types"].get(k, 0)) for k, v in now["complaint_types"].items()]
    moves += [(k, -v) for k, v in before["complaint_types"].items() if k not in now["complaint_types"]]
    if moves:
        k, d = max(moves, key=lambda kv: abs(kv[1]))
        if d:
            biggest_move = (f" ประเภทที่เปลี่ยนมากที่สุด: {labels.th(types, k)} "
                            f"{'เพิ่มขึ้น' if d > 0 else 'ลดลง'} {_num(abs(d))} รายการ.")
    recorded = {k: v for k, v in now.get("case_causes", {}).items() if k != UNRECORDED}
    causes = (f" สาเหตุที่พบมากที่สุดของเรื่องร้องเรียนที่ปิด: {_top(recorded, CAUSE_NAMES)}." if recorded else
              " เรื่องร้องเรียนที่ปิดยังไม่ได้บันทึกสาเหตุ." if now.get("case_causes") else "")
    out["voc"] = (
        f"หมวดเสียงลูกค้าที่มากที่สุด: {_top(now['categories'], category_names())}. "
        f"ข้อร้องเรียน {_num(now['complaints'])} รายการ {change_th(now['complaints'], before['complaints'], ' รายการ', u)}; "
        f"ประเภทที่มากที่สุด: {_top(now['complaint_types'], types)}." + biggest_move + causes
    )
    # incidents
    inc, inc_before = now["incidents"], before["incidents"]
    out["incidents"] = (
        f"เปิดเหตุการณ์ {_num(inc['opened'])} เรื่อง ({change_th(inc['opened'], inc_before['opened'], ' เรื่อง', u)}); "
        f"รับทราบแล้ว {_num(inc['acknowledged'])} เรื่อง รับทราบภายในเวลาที่กำหนด "
        f"{_num(inc['ack_within_sla'])} จาก {_num(inc['ack_with_sla'])} เรื่องที่มีกำหนด; "
        f"ปิดแล้ว {_num(inc['resolved'])} เรื่อง ปิดภายในเวลาที่กำหนด {_num(inc['resolved_within_sla'])} "
        f"จาก {_num(inc['resolve_with_sla'])} เรื่องที่มีกำหนด."
    )
    out["equal_response"] = _equal_response(now, resp, resp_before, u) + _by_group(now, u)
    # CSR
    pillars = pillar_names()
    csr = now["csr"]
    csr_sum = sum(csr.values())
    missing = [p for p in PILLARS if not csr.get(p)]
    out["csr"] = (
        f"ข้อความเกี่ยวกับกิจกรรม CSR ของ{who}: "
        + ", ".join(f"ด้าน{pillars[p][0]} {_num(csr.get(p, 0))} ({_pct(_share(csr.get(p, 0), csr_sum))})" for p in PILLARS)
        + f" ({change_th(csr_sum, sum(before['csr'].values()), ' ครั้ง', u)}). "
        + (("ไม่มีการกล่าวถึงด้าน" + " และด้าน".join(pillars[p][0] for p in missing) + f"ใน{u}นี้.") if missing
           else "มีการกล่าวถึงครบทั้งสามด้าน.")
        + (" เดือนที่ไม่มีการกล่าวถึงกิจกรรม CSR เลย: " + months_th(now["csr_quiet_months"], now["months"]) + "."
           if now.get("csr_quiet_months") else "")
        + (" เดือนที่ไม่มีข้อความใดเลยในที่เก็บข้อมูล จึงไม่ได้ประเมินความต่อเนื่อง: " + months_th(now["empty_months"], now["months"]) + "."
           if now.get("empty_months") else "")
    )
    if report.get("quarters"):
        out["trend"] = _trend(report)
    return out


def months_th(names: list[str], months: list[dict[str, Any]]) -> str:
    """Month labels joined, three or more in a row as a range: ``ม.ค. 69 – ต.ค. 69, ธ.ค. 69``."""
    order = [m["label"] for m in months]
    runs: list[list[str]] = []
    for name in names:
        if runs and name in order and runs[-1][-1] in order and order.index(name) == order.index(runs[-1][-1]) + 1:
            runs[-1].append(name)
        else:
            runs.append([name])
    return ", ".join(f"{r[0]} – {r[-1]}" if len(r) >= 3 else ", ".join(r) for r in runs)


def _equal_response(now: dict[str, Any], resp: dict[str, Any], resp_before: dict[str, Any], u: str) -> str:
    """Equal response by channel: in time, the channels flagged, unanswered, resolution."""
    groups = now["responses"]["groups"]
    kinds = source_kinds()
    flagged = [g for g in groups if g["flagged_slower"]]
    unanswered = [g for g in groups if g["unanswered"]]
    within = resp["within_sla_share"]
    return (
        f"ตอบภายในเวลาที่กำหนด ({duration_th(now['responses']['sla_s'])}) {_pct(within)} "
        f"ของข้อร้องเรียนและคำถามที่ถึงกำหนดแล้ว ({points_th(within, resp_before['within_sla_share'], u)})"
        + (f"; อีก {_num(resp['not_yet_due'])} รายการยังไม่ได้ตอบแต่ยังไม่ถึงกำหนด. " if resp.get("not_yet_due") else ". ")
        + (f"ช่องทางที่ได้รับการตอบช้ากว่าช่องทางอื่นอย่างชัดเจน: "
           + ", ".join(f"{labels.th(kinds, g['group'])} ({_median_th(g['median_first_response_s'], 'ยังไม่ได้ตอบเลย')})"
                       for g in flagged)
           + "."
           if flagged else "ไม่มีช่องทางใดที่ได้รับการตอบช้ากว่าช่องทางอื่นอย่างชัดเจน.")
        + (" ยังไม่ได้ตอบ: " + ", ".join(f"{labels.th(kinds, g['group'])} {_num(g['unanswered'])}" for g in unanswered) + "."
           if unanswered else (" ตอบครบทุกรายการ." if resp["count"] else f" ไม่มีข้อร้องเรียนหรือคำถามใน{u}นี้."))
        + f" แก้ไขเสร็จสิ้นแล้ว {_num(resp['resolved'])} จาก {_num(resp['count'])} รายการ"
        + (f" มัธยฐานเวลาถึงการแก้ไขเสร็จ {resp['median_resolution_s'] / 3600:,.1f} ชั่วโมง"
           if resp["median_resolution_s"] is not None else "")
        + (f" ({u}ก่อน {resp_before['median_resolution_s'] / 3600:,.1f} ชั่วโมง)."
           if resp["median_resolution_s"] is not None and resp_before.get("median_resolution_s") is not None else ".")
        + (" ช่องทางที่แก้ไขเสร็จช้ากว่าช่องทางอื่นอย่างชัดเจน: "
           + ", ".join(f"{labels.th(kinds, g['group'])} ({_median_th(g['median_resolution_s'], 'ยังไม่แก้ไขเสร็จเลย')})"
                       for g in groups if g["flagged_slower_resolution"]) + "."
           if any(g["flagged_slower_resolution"] for g in groups) else "")
    )


def tagged_groups(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The stakeholder groups (other than :data:`NO_GROUP`) some complaint or question was tied to."""
    by_group = figures.get("responses_by_group")
    return [g for g in by_group["groups"] if g["group"] != NO_GROUP] if by_group else []


def _by_group(now: dict[str, Any], u: str) -> str:
    """Equal response by target group (standard 000 03204.01-4): the groups flagged, or why there is no comparison."""
    by_group = now.get("responses_by_group")
    if by_group is None:
        return " ทะเบียนผู้มีส่วนได้ส่วนเสียยังว่าง จึงยังเทียบการตอบตามกลุ่มเป้าหมายไม่ได้."
    if not tagged_groups(now):
        return (f" ไม่มีข้อร้องเรียนหรือคำถามใน{u}นี้ที่เชื่อมกับกลุ่มผู้มีส่วนได้ส่วนเสียในทะเบียน "
                "จึงยังเทียบการตอบตามกลุ่มเป้าหมายไม่ได้.")
    groups = by_group["groups"]
    slow = [g for g in groups if g["flagged_slower"]]
    slow_res = [g for g in groups if g["flagged_slower_resolution"]]
    return (
        (" กลุ่มผู้มีส่วนได้ส่วนเสียที่ได้รับการตอบช้ากว่ากลุ่มอื่นอย่างชัดเจน: "
         + ", ".join(f"{group_name(g['group'])} ({_median_th(g['median_first_response_s'], 'ยังไม่ได้ตอบเลย')})" for g in slow) + "."
         if slow else " ไม่มีกลุ่มผู้มีส่วนได้ส่วนเสียใดที่ได้รับการตอบช้ากว่ากลุ่มอื่นอย่างชัดเจน.")
        + (" กลุ่มที่แก้ไขเสร็จช้ากว่ากลุ่มอื่นอย่างชัดเจน: "
           + ", ".join(f"{group_name(g['group'])} ({_median_th(g['median_resolution_s'], 'ยังไม่แก้ไขเสร็จเลย')})" for g in slow_res) + "."
           if slow_res else "")
    )


def _trend(report: dict[str, Any]) -> str:
    """A year's four quarters side by side, and its busiest month, from the figures only."""
    begun = [q for q in report["quarters"] if q["figures"]]
    later = [q["short_th"] for q in report["quarters"] if not q["figures"]]

    def series(key: str, fmt: Any) -> str:
        return ", ".join(f"{q['short_th']} {fmt(q['figures'][key])}" + (" (ยังไม่สิ้นสุด)" if q["state"] == "running" else "")
                         for q in begun)

    months = [m for m in report["now"]["months"] if m["state"] != "future"]
    busiest = max(months, key=lambda m: m["mentions"], default=None)
    worst = max(months, key=lambda m: m["complaints"], default=None)
    return (
        f"การกล่าวถึงรายไตรมาส: {series('mentions', _num)}. "
        f"ข้อร้องเรียน: {series('complaints', _num)}. "
        f"ข้อความเชิงลบ: {series('neg_share', _pct)}. "
        f"ตอบภายในเวลาที่กำหนด: {series('within_sla_share', _pct)}."
        + (f" {', '.join(later)} ยังไม่เริ่ม." if later else "")
        + (f" เดือนที่มีการกล่าวถึงมากที่สุด: {busiest['label']} ({_num(busiest['mentions'])} ครั้ง)."
           if busiest and busiest["mentions"] else "")
        + (f" เดือนที่มีข้อร้องเรียนมากที่สุด: {worst['label']} ({_num(worst['complaints'])} รายการ)."
           if worst and worst["complaints"] else "")
    )
