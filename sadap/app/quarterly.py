"""The quarterly CRM report's figures (standard 004: follow up each quarter on satisfaction,
engagement and image), each section with a short Thai summary written from the figures only.

Every figure comes from an aggregate store query (counts, counts by a field, distinct counts,
sums, first-response delays): no mention is loaded, so a quarter of a million mentions is as
quick as a small one. Quarters are calendar quarters in Asia/Bangkok; on SQLite their whole-day
windows are read from the daily counts table. Rendering (charts, HTML, PDF) is in
:mod:`sadap.app.report_render`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from enrich.csr import PILLARS, pillar_names
from sadap.app.config import Config, configured_playbooks
from sadap.app.names import category_names, complaint_type_names, source_kinds
from sadap.app.responses import equal_response
from sadap.core import labels
from sadap.core.errors import ConfigError, InputError
from sadap.core.timeutil import BANGKOK, UTC, now_utc
from sadap.store import MentionFilter, Store

_QUARTER = re.compile(r"^\s*(FY|fy|Fy)?\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")
THAI_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")


@dataclass(frozen=True)
class Period:
    """A quarter in Asia/Bangkok: ``[since, until)`` in UTC, with its months. ``first_month``:
    the month the organisation's year begins (1: calendar quarters; 10: the Thai government's
    fiscal year, ปีงบประมาณ, named by the year it ends: quarter 1 of 2027 is October–December 2026)."""

    year: int
    quarter: int
    first_month: int = 1

    @property
    def fiscal(self) -> bool:
        return self.first_month != 1

    @property
    def label(self) -> str:
        return f"{'FY' if self.fiscal else ''}{self.year}Q{self.quarter}"

    @property
    def label_th(self) -> str:
        if self.fiscal:
            return f"ไตรมาส {self.quarter} ปีงบประมาณ {self.year + 543}"
        return f"ไตรมาส {self.quarter}/{self.year + 543}"

    def _start(self, month_offset: int) -> datetime:
        month0 = (self.first_month - 1) + (self.quarter - 1) * 3 + month_offset
        year = self.year - (1 if self.fiscal else 0) + month0 // 12
        return datetime(year, month0 % 12 + 1, 1, tzinfo=BANGKOK).astimezone(UTC)

    @property
    def since(self) -> datetime:
        return self._start(0)

    @property
    def until(self) -> datetime:
        return self._start(3)

    def months(self) -> list[tuple[str, datetime, datetime]]:
        """``(Thai month label, since, until)`` for each of the quarter's three months."""
        out = []
        for i in range(3):
            start, end = self._start(i), self._start(i + 1)
            month = start.astimezone(BANGKOK).month
            out.append((f"{THAI_MONTHS[month - 1]} {start.astimezone(BANGKOK).year + 543 - 2500}", start, end))
        return out

    @property
    def dates_th(self) -> str:
        """The quarter's first and last day as Thai staff write them: ``1 ต.ค. – 31 ธ.ค. 2569``."""
        first, last = self.since.astimezone(BANGKOK), (self.until.astimezone(BANGKOK) - timedelta(days=1))
        return f"{first.day} {THAI_MONTHS[first.month - 1]} – {thai_date(last)}"

    def previous(self) -> "Period":
        if self.quarter == 1:
            return Period(self.year - 1, 4, self.first_month)
        return Period(self.year, self.quarter - 1, self.first_month)


def thai_date(at: datetime, time: bool = False) -> str:
    """``7 ธ.ค. 2569`` (``7 ธ.ค. 2569 21:54 น.`` with ``time``), in Asia/Bangkok."""
    local = at.astimezone(BANGKOK)
    out = f"{local.day} {THAI_MONTHS[local.month - 1]} {local.year + 543}"
    return f"{out} {local:%H:%M} น." if time else out


def parse_quarter(text: str, first_month: int = 1) -> Period:
    """``2026Q4`` (also ``2026-Q4``, ``2569Q4`` in the Buddhist era) → the quarter. With a fiscal
    year (``first_month`` past 1) the year is the fiscal year's (``2570Q1``, ``FY2570Q1``: Oct–Dec 2569)."""
    match = _QUARTER.match(text or "")
    fiscal = first_month != 1
    example = "2570Q1 (ปีงบประมาณ 2570, ไตรมาส 1) or FY2027Q1" if fiscal else "2026Q4 (or 2569Q4)"
    if not match or (match.group(1) and not fiscal):
        raise InputError(f"--quarter {text!r}: write the year and quarter, e.g. {example}")
    year = int(match.group(2))
    if year >= 2400:  # Buddhist era
        year -= 543
    if not 1971 <= year <= 9998:
        raise InputError(f"--quarter {text!r}: the year must be between 1971 and 9998 (or 2514 and 10541 BE)")
    return Period(year, int(match.group(3)), first_month)


def organisation(config: Config) -> str | None:
    """The watched name that is the organisation (``report.organisation``, else the first watched name)."""
    if config.report.organisation:
        names = {e.name for e in config.watch}
        if config.report.organisation not in names:
            raise ConfigError(
                f"report.organisation: {config.report.organisation!r} is not a watched name "
                f"(watch: {', '.join(sorted(names)) or 'none'})"
            )
        return config.report.organisation
    return config.watch[0].name if config.watch else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _num(value: int | float) -> str:
    return f"{value:,.0f}"


def duration_th(seconds: float) -> str:
    """A clock such as the response SLA in Thai: ``24 ชั่วโมง``, ``30 นาที``, ``1 ชั่วโมง 30 นาที``."""
    minutes = round(seconds / 60)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} นาที"
    return f"{hours:,} ชั่วโมง" + (f" {rest} นาที" if rest else "")


def change_th(now: float | int, before: float | int, unit: str = "") -> str:
    """How a count moved against the previous quarter, in Thai, from the two numbers only."""
    if before == 0:
        return "ไตรมาสก่อนไม่มีข้อมูลให้เทียบ" if now else "เท่ากับไตรมาสก่อน (ไม่มีทั้งสองไตรมาส)"
    diff = (now - before) / before * 100
    if abs(diff) < 0.05:
        return f"เท่ากับไตรมาสก่อน ({_num(before)}{unit})"
    word = "เพิ่มขึ้น" if diff > 0 else "ลดลง"
    return f"{word} {abs(diff):.1f}% จากไตรมาสก่อน ({_num(before)}{unit})"


INTERACTIONS = ("likes", "shares", "comments")


def _median_th(seconds: float | None, none: str) -> str:
    """A flagged group's median in hours; ``none`` for a group flagged with nothing answered yet
    (it is flagged for how long its items have waited)."""
    return none if seconds is None else f"มัธยฐาน {seconds / 3600:,.1f} ชม."


def points_th(now: float | None, before: float | None) -> str:
    """A share's move in percentage points, in Thai."""
    if now is None:
        return "ไตรมาสนี้ไม่มีข้อมูล" if before is None else f"ไตรมาสนี้ไม่มีข้อมูล; ไตรมาสก่อน {_pct(before)}"
    if before is None:
        return "ไตรมาสก่อนไม่มีข้อมูลให้เทียบ"
    diff = (now - before) * 100
    if abs(diff) < 0.05:
        return "เท่ากับไตรมาสก่อน"
    return f"{'เพิ่มขึ้น' if diff > 0 else 'ลดลง'} {abs(diff):.1f} จุด จากไตรมาสก่อน ({_pct(before)})"


def _figures(store: Store, config: Config, p: Period, org: str | None, at: datetime) -> dict[str, Any]:
    """One quarter's figures, from aggregate queries only."""
    flt = MentionFilter(since=p.since, until=p.until)
    top = config.report.top_topics
    total = store.count(flt)
    complaints_flt = replace(flt, complaint=True)
    org_flt = replace(flt, entities=(org,)) if org else flt
    months = []
    quiet = []  # whole months with no CSR activity at all (standard 000: continuous and regular)
    for label, since, until in p.months():
        mflt = MentionFilter(since=since, until=until)
        csr_flt = replace(mflt, entities=(org,)) if org else mflt
        csr = store.count_by(csr_flt, "csr", 10)
        months.append({"label": label, "mentions": store.count(mflt), "csr": {k: csr.get(k, 0) for k in PILLARS}})
        if until <= at and not any(csr.get(k, 0) for k in PILLARS):
            quiet.append(label)
    csr_total = store.count_by(org_flt, "csr", 10)
    resp = equal_response(store, config, "channel", p.since, p.until, at=at)
    return {
        "period": p.label,
        "period_th": p.label_th,
        "since": p.since.isoformat(),
        "until": p.until.isoformat(),
        "mentions": total,
        "unique": store.count(replace(flt, include_duplicates=False)),
        "authors": store.count_distinct(flt, "author_id"),
        "interactions": store.engagement_totals(flt),
        "sentiment": store.count_by(flt, "sentiment", 10),
        "expectation": store.count_by(flt, "expectation", 10),
        "months": months,
        "entities": store.count_by(flt, "entity", 50),
        "org_sentiment": store.count_by(org_flt, "sentiment", 10) if org else {},
        "org_mentions": store.count(org_flt) if org else total,
        "keywords": _topics(store.count_by(org_flt, "keyword", top + 40), config, top),
        "hashtags": store.count_by(org_flt, "hashtag", top),
        "categories": store.count_by(flt, "category", 50),
        "complaints": store.count(complaints_flt),
        "complaint_types": store.count_by(complaints_flt, "complaint_type", 50),
        "responses": resp.as_dict(),
        "incidents": incident_figures(store, config, p),
        "csr": {k: csr_total.get(k, 0) for k in PILLARS},
        "csr_quiet_months": quiet,
    }


def _topics(counts: dict[str, int], config: Config, top: int) -> dict[str, int]:
    """Top content words, without the watched names themselves (every mention of a brand names it)."""
    names = {w.casefold() for e in config.watch for w in (e.name, *e.aliases)}
    return dict([(k, v) for k, v in counts.items() if k.casefold() not in names][:top])


def incident_figures(store: Store, config: Config, p: Period) -> dict[str, Any]:
    """Incidents opened in the quarter: how many, by severity, acknowledged and resolved, and within
    their playbook's clocks (``sla.acknowledge`` / ``acknowledge_within`` and ``sla.resolve``)."""
    try:
        books = {b.id: b for b in configured_playbooks(config, check_references=False)}
    except ConfigError:
        books = {}
    opened = [i for i in store.list_incidents() if p.since <= i.opened_at < p.until]
    out: dict[str, Any] = {"opened": len(opened), "by_severity": {}, "acknowledged": 0, "ack_within_sla": 0,
                           "ack_with_sla": 0, "resolved": 0, "resolved_within_sla": 0, "resolve_with_sla": 0,
                           "median_ack_s": None}
    ack_delays: list[float] = []
    for inc in opened:
        out["by_severity"][inc.severity] = out["by_severity"].get(inc.severity, 0) + 1
        acked = resolved = None
        for ev in store.events(inc.id):
            if ev.kind == "acknowledged" and acked is None:
                acked = ev.at
            if ev.kind == "resolved":
                resolved = ev.at
        if inc.state != "resolved":
            resolved = None
        book = books.get(inc.playbook)
        ack_sla: timedelta | None = None
        resolve_sla: timedelta | None = None
        if book is not None:
            ack_sla = book.sla.acknowledge if book.sla.acknowledge is not None else book.acknowledge_within
            resolve_sla = book.sla.resolve
        if acked is None and resolved is not None:
            acked = resolved  # resolved without a separate acknowledgement: resolving acknowledges it
        if acked is not None:
            out["acknowledged"] += 1
            ack_delays.append((acked - inc.opened_at).total_seconds())
        if ack_sla is not None:
            out["ack_with_sla"] += 1
            out["ack_within_sla"] += acked is not None and acked - inc.opened_at <= ack_sla
        if resolved is not None:
            out["resolved"] += 1
        if resolve_sla is not None:
            out["resolve_with_sla"] += 1
            out["resolved_within_sla"] += resolved is not None and resolved - inc.opened_at <= resolve_sla
    if ack_delays:
        ack_delays.sort()
        out["median_ack_s"] = ack_delays[len(ack_delays) // 2]
    return out


def quarterly_report(store: Store, config: Config, quarter: str, now: datetime | None = None) -> dict[str, Any]:
    """The quarter's and the previous quarter's figures, with a Thai summary per section. A quarter
    still running is marked (``partial``): its counts are not yet a whole quarter's."""
    p = parse_quarter(quarter, config.report.fiscal_year_start)
    at = now or now_utc()
    if p.since > at:
        raise InputError(f"--quarter {quarter}: {p.label_th} has not begun yet (it starts "
                         f"{p.since.astimezone(BANGKOK).date().isoformat()}); give this quarter or an earlier one")
    org = organisation(config)
    figures_now = _figures(store, config, p, org, at)
    before = _figures(store, config, p.previous(), org, at)
    report: dict[str, Any] = {"quarter": p.label, "quarter_th": p.label_th, "previous": p.previous().label,
                              "previous_th": p.previous().label_th, "organisation": org, "now": figures_now, "before": before,
                              "dates_th": p.dates_th, "previous_dates_th": p.previous().dates_th,
                              "generated": at.astimezone(UTC).isoformat(), "generated_th": thai_date(at, time=True), "partial": None}
    if at < p.until:
        days = (p.until - p.since).days
        report["partial"] = {"through": at.astimezone(UTC).isoformat(), "through_th": thai_date(at, time=True),
                             "days": min(days, (at - p.since).days + 1), "of_days": days}
    report["summaries"] = summaries(report)
    return report


# -- the Thai summaries: each sentence is a figure from the report, nothing more ---------------
def _top(counts: dict[str, int], names: dict[str, tuple[str, str]] | None = None, n: int = 3) -> str:
    items = [(k, v) for k, v in counts.items() if v][:n]
    if not items:
        return "ไม่มี"
    return ", ".join(f"{labels.th(names, k) if names else k} {_num(v)}" for k, v in items)


def summaries(report: dict[str, Any]) -> dict[str, str]:
    now, before = report["now"], report["before"]
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
        f"({points_th(_share(pos, total), _share(before['sentiment'].get('pos', 0), prev_total))}) "
        f"และเชิงลบ {_pct(_share(neg, total))} "
        f"({points_th(_share(neg, total), _share(before['sentiment'].get('neg', 0), prev_total))}). "
        f"ระดับความคาดหวังจาก {_num(rated)} ข้อความที่ประเมินได้: {exp_words}; "
        f"สัดส่วนผิดหวัง{points_th(_share(exp_now.get('disappointed', 0), rated), _share(before['expectation'].get('disappointed', 0), rated_before))}."
    )
    # engagement
    # What the sentence names (likes, shares, comments), as the report's table: views are not
    # interactions, and a platform's view counts would swamp them.
    inter = sum(now["interactions"].get(k, 0) for k in INTERACTIONS)
    inter_before = sum(before["interactions"].get(k, 0) for k in INTERACTIONS)
    resp, resp_before = now["responses"]["overall"], before["responses"]["overall"]
    median_h = resp["median_first_response_s"]
    out["engagement"] = (
        f"มีการกล่าวถึง {_num(total)} ครั้ง {change_th(total, prev_total, ' ครั้ง')} "
        f"จากผู้เขียน {_num(now['authors'])} ราย ({change_th(now['authors'], before['authors'], ' ราย')}); "
        f"การมีส่วนร่วม (ถูกใจ แชร์ ความคิดเห็น) รวม {_num(inter)} ครั้ง ({change_th(inter, inter_before)}). "
        f"ข้อร้องเรียนและคำถาม {_num(resp['count'])} รายการ ได้รับการตอบ {_num(resp['answered'])} รายการ "
        f"({_pct(_share(resp['answered'], resp['count']))}; ไตรมาสก่อน {_pct(_share(resp_before['answered'], resp_before['count']))})"
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
        (f"ส่วนแบ่งการกล่าวถึง (share of voice) ของ {who} เทียบกับชื่ออื่นที่ติดตาม {_pct(sov)} ({points_th(sov, sov_before)}). "
         if org else "")
        + f"ข่าวและข้อความเกี่ยวกับ{who} {_num(org_n)} ครั้ง: เชิงบวก {_pct(_share(org_sent.get('pos', 0), org_n))} "
        f"เชิงลบ {_pct(_share(org_sent.get('neg', 0), org_n))}. "
        f"หัวข้อที่พูดถึงมากที่สุด: {_top(now['keywords'])}."
        + (f" แฮชแท็กที่ใช้มากที่สุด: {_top({f'#{k}': v for k, v in now['hashtags'].items()})}." if now["hashtags"] else "")
    )
    # voice of the customer
    cats = category_names()
    types = complaint_type_names()
    biggest_move = ""
    moves = [(k, v - before["complaint_types"].get(k, 0)) for k, v in now["complaint_types"].items()]
    moves += [(k, -v) for k, v in before["complaint_types"].items() if k not in now["complaint_types"]]
    if moves:
        k, d = max(moves, key=lambda kv: abs(kv[1]))
        if d:
            biggest_move = (f" ประเภทที่เปลี่ยนมากที่สุด: {labels.th(types, k)} "
                            f"{'เพิ่มขึ้น' if d > 0 else 'ลดลง'} {_num(abs(d))} รายการ.")
    out["voc"] = (
        f"หมวดเสียงลูกค้าที่มากที่สุด: {_top(now['categories'], cats)}. "
        f"ข้อร้องเรียน {_num(now['complaints'])} รายการ {change_th(now['complaints'], before['complaints'], ' รายการ')}; "
        f"ประเภทที่มากที่สุด: {_top(now['complaint_types'], types)}." + biggest_move
    )
    # incidents
    inc, inc_before = now["incidents"], before["incidents"]
    out["incidents"] = (
        f"เปิดเหตุการณ์ {_num(inc['opened'])} เรื่อง ({change_th(inc['opened'], inc_before['opened'], ' เรื่อง')}); "
        f"รับทราบแล้ว {_num(inc['acknowledged'])} เรื่อง รับทราบภายในเวลาที่กำหนด "
        f"{_num(inc['ack_within_sla'])} จาก {_num(inc['ack_with_sla'])} เรื่องที่มีกำหนด; "
        f"ปิดแล้ว {_num(inc['resolved'])} เรื่อง ปิดภายในเวลาที่กำหนด {_num(inc['resolved_within_sla'])} "
        f"จาก {_num(inc['resolve_with_sla'])} เรื่องที่มีกำหนด."
    )
    # equal response
    groups = now["responses"]["groups"]
    kinds = source_kinds()
    flagged = [g for g in groups if g["flagged_slower"]]
    unanswered = [g for g in groups if g["unanswered"]]
    within = resp["within_sla_share"]
    out["equal_response"] = (
        f"ตอบภายในเวลาที่กำหนด ({duration_th(now['responses']['sla_s'])}) {_pct(within)} "
        f"ของข้อร้องเรียนและคำถามที่ถึงกำหนดแล้ว ({points_th(within, resp_before['within_sla_share'])})"
        + (f"; อีก {_num(resp['not_yet_due'])} รายการยังไม่ได้ตอบแต่ยังไม่ถึงกำหนด. " if resp.get("not_yet_due") else ". ")
        + (f"ช่องทางที่ได้รับการตอบช้ากว่าช่องทางอื่นอย่างชัดเจน: "
           + ", ".join(f"{labels.th(kinds, g['group'])} ({_median_th(g['median_first_response_s'], 'ยังไม่ได้ตอบเลย')})"
                       for g in flagged)
           + "."
           if flagged else "ไม่มีช่องทางใดที่ได้รับการตอบช้ากว่าช่องทางอื่นอย่างชัดเจน.")
        + (" ยังไม่ได้ตอบ: " + ", ".join(f"{labels.th(kinds, g['group'])} {_num(g['unanswered'])}" for g in unanswered) + "."
           if unanswered else (" ตอบครบทุกรายการ." if resp["count"] else " ไม่มีข้อร้องเรียนหรือคำถามในไตรมาสนี้."))
        + f" แก้ไขเสร็จสิ้นแล้ว {_num(resp['resolved'])} จาก {_num(resp['count'])} รายการ"
        + (f" มัธยฐานเวลาถึงการแก้ไขเสร็จ {resp['median_resolution_s'] / 3600:,.1f} ชั่วโมง"
           if resp["median_resolution_s"] is not None else "")
        + (f" (ไตรมาสก่อน {resp_before['median_resolution_s'] / 3600:,.1f} ชั่วโมง)."
           if resp["median_resolution_s"] is not None and resp_before.get("median_resolution_s") is not None else ".")
        + (" ช่องทางที่แก้ไขเสร็จช้ากว่าช่องทางอื่นอย่างชัดเจน: "
           + ", ".join(f"{labels.th(kinds, g['group'])} ({_median_th(g['median_resolution_s'], 'ยังไม่แก้ไขเสร็จเลย')})"
                       for g in groups if g["flagged_slower_resolution"]) + "."
           if any(g["flagged_slower_resolution"] for g in groups) else "")
    )
    # CSR
    pillars = pillar_names()
    csr = now["csr"]
    csr_sum = sum(csr.values())
    missing = [p for p in PILLARS if not csr.get(p)]
    out["csr"] = (
        f"ข้อความเกี่ยวกับกิจกรรม CSR ของ{who}: "
        + ", ".join(f"ด้าน{pillars[p][0]} {_num(csr.get(p, 0))} ({_pct(_share(csr.get(p, 0), csr_sum))})" for p in PILLARS)
        + f" ({change_th(csr_sum, sum(before['csr'].values()), ' ครั้ง')}). "
        + (("ไม่มีการกล่าวถึงด้าน" + " และด้าน".join(pillars[p][0] for p in missing) + "ในไตรมาสนี้.") if missing
           else "มีการกล่าวถึงครบทั้งสามด้าน.")
        + (" เดือนที่ไม่มีการกล่าวถึงกิจกรรม CSR เลย: " + ", ".join(now["csr_quiet_months"]) + "."
           if now.get("csr_quiet_months") else "")
    )
    return out


def csr_missing(report: dict[str, Any]) -> list[str]:
    """The CSR pillars with no coverage in the report's quarter (the flag standard 000 asks for)."""
    return [p for p in PILLARS if not report["now"]["csr"].get(p)]


SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("satisfaction", "ความพึงพอใจ", "Satisfaction"),
    # Standard 004's engagement KPI is ความผูกพัน; what the section counts is online engagement.
    ("engagement", "ความผูกพันและการมีส่วนร่วม", "Engagement"),
    ("image", "ภาพลักษณ์", "Image"),
    ("voc", "เสียงของลูกค้าและข้อร้องเรียน", "Voice of the customer and complaints"),
    ("incidents", "เหตุการณ์และการจัดการ", "Incidents and handling"),
    ("equal_response", "การตอบสนองอย่างเท่าเทียม", "Equal response"),
    ("csr", "ความสมดุลของกิจกรรม CSR", "CSR balance"),
)
