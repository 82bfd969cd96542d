"""The CRM reports' figures (standard 004: follow up each quarter on satisfaction, engagement and
image, and evaluate the effectiveness each year): a quarter against the one before, or a year
against the year before with its four quarters side by side; each section with a short Thai
summary written from the figures only (:mod:`sadap.app.report_summaries`).

Every figure comes from an aggregate store query (counts, counts by a field, distinct counts,
sums, first-response delays): no mention is loaded, so a quarter of a million mentions is as
quick as a small one. Periods (:mod:`sadap.app.periods`) are calendar or fiscal quarters and
years in Asia/Bangkok; on SQLite their whole-day windows are read from the daily counts table.
What every period of a report reads alike (the playbooks, the incidents, the complaint cases' close
times) is read once per report, and a year's equal response once for the year and its four quarters.
Rendering (charts, HTML, PDF) is in :mod:`sadap.app.report_render`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from enrich.csr import PILLARS
from playbooks.schema import Playbook
from sadap.app.complaints import cause_counts
from sadap.app.config import Config, configured_playbooks
from sadap.app.periods import THAI_MONTHS, Period, parse_quarter, parse_year, thai_date
from sadap.app.report_summaries import INTERACTIONS, UNRECORDED, _share, duration_th, summaries
from sadap.app.responses import ResponseData, ResponseReport, read_responses, resolution_times, response_report
from sadap.core.errors import ConfigError, InputError
from sadap.core.incident import Incident, IncidentEvent
from sadap.core.timeutil import BANGKOK, UTC, now_utc
from sadap.store import MentionFilter, Store

__all__ = ["SECTIONS", "THAI_MONTHS", "YEAR_SECTIONS", "Period", "csr_missing", "duration_th", "incident_figures",
           "key_figures", "organisation", "parse_quarter", "parse_year", "quarterly_report", "sections", "summaries",
           "thai_date", "yearly_report"]


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


@dataclass(frozen=True)
class _Shared:
    """What every period of one report (the period, the one before, a year's quarters) reads alike:
    read once per report (loading the playbooks alone took a tenth of a second each time)."""

    org: str | None
    at: datetime
    books: dict[str, Playbook]
    #: The incidents opened in the periods the report covers, each with its events.
    incidents: list[tuple[Incident, list[IncidentEvent]]]
    #: When each mention in a complaint case was resolved (every case read: the same for every period).
    closed: dict[str, float | None]
    #: A year's equal-response data by channel, read once for the year and its four quarters.
    responses: ResponseData | None = None


def _shared(store: Store, config: Config, since: datetime, until: datetime, at: datetime) -> _Shared:
    org = organisation(config)
    try:
        books = {b.id: b for b in configured_playbooks(config, check_references=False)}
    except ConfigError:
        books = {}
    opened = [i for i in store.list_incidents() if since <= i.opened_at < until]
    events = store.events_many(i.id for i in opened)
    return _Shared(org, at, books, [(i, events[i.id]) for i in opened], resolution_times(store))


def _core(store: Store, config: Config, p: Period, shared: _Shared) -> dict[str, Any]:
    """The key figures of a period: what a year's report shows for each of its quarters."""
    org, at = shared.org, shared.at
    flt = MentionFilter(since=p.since, until=p.until)
    csr_total = store.count_by(replace(flt, entities=(org,)) if org else flt, "csr", 10)
    return {
        "period": p.label,
        "period_th": p.label_th,
        "since": p.since.isoformat(),
        "until": p.until.isoformat(),
        "mentions": store.count(flt),
        "authors": store.count_distinct(flt, "author_id"),
        "interactions": store.engagement_totals(flt),
        "sentiment": store.count_by(flt, "sentiment", 10),
        "expectation": store.count_by(flt, "expectation", 10),
        "complaints": store.count(replace(flt, complaint=True)),
        "responses": _responses(store, config, p, shared).as_dict(),
        "incidents": incident_figures(shared.incidents, shared.books, p),
        "csr": {k: csr_total.get(k, 0) for k in PILLARS},
    }


def _responses(store: Store, config: Config, p: Period, shared: _Shared) -> ResponseReport:
    """The period's equal response by channel: split from the year's data where the report read
    it (a year's quarters: the same figures as reading each quarter), else read."""
    data = shared.responses
    if data is not None and data.since is not None and data.until is not None and data.since <= p.since \
            and p.until <= data.until:
        return response_report(data, config, p.since, p.until)
    return response_report(read_responses(store, config, "channel", p.since, p.until, shared.at, shared.closed), config)


def key_figures(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures a year's report sets side by side for its quarters, the year and the year before."""
    rated = sum(figures["expectation"].get(k, 0) for k in ("delighted", "satisfied", "disappointed"))
    resp = figures["responses"]["overall"]
    return {
        "mentions": figures["mentions"], "authors": figures["authors"],
        "interactions": sum(figures["interactions"].get(k, 0) for k in INTERACTIONS),
        "pos_share": _share(figures["sentiment"].get("pos", 0), figures["mentions"]),
        "neg_share": _share(figures["sentiment"].get("neg", 0), figures["mentions"]),
        "disappointed_share": _share(figures["expectation"].get("disappointed", 0), rated),
        "complaints": figures["complaints"], "asked": resp["count"],
        "answered_share": _share(resp["answered"], resp["count"]), "within_sla_share": resp["within_sla_share"],
        "median_first_response_s": resp["median_first_response_s"],
        "incidents": figures["incidents"]["opened"], "csr": sum(figures["csr"].values()),
    }


def _month_state(since: datetime, until: datetime, at: datetime) -> str | None:
    """``future`` (not begun when the report is made), ``running`` (not over), else None."""
    return "future" if since > at else "running" if until > at else None


def _figures(store: Store, config: Config, p: Period, shared: _Shared) -> dict[str, Any]:
    """One period's figures, from aggregate queries only."""
    org, at = shared.org, shared.at
    flt = MentionFilter(since=p.since, until=p.until)
    top = config.report.top_topics
    out = _core(store, config, p, shared)
    complaints_flt = replace(flt, complaint=True)
    org_flt = replace(flt, entities=(org,)) if org else flt
    months = []
    quiet = []  # whole months with no CSR activity at all (standard 000: continuous and regular)
    empty = []  # whole months with no mention of anything: nothing was collected, so nothing to judge
    for label, since, until in p.months():
        mflt = MentionFilter(since=since, until=until)
        csr_flt = replace(mflt, entities=(org,)) if org else mflt
        csr = store.count_by(csr_flt, "csr", 10)
        count = store.count(mflt)
        months.append({"label": label, "mentions": count, "complaints": store.count(replace(mflt, complaint=True)),
                       "neg": store.count(replace(mflt, sentiment=("neg",))), "csr": {k: csr.get(k, 0) for k in PILLARS},
                       "state": _month_state(since, until, at)})
        if until <= at and not count:
            empty.append(label)
        elif until <= at and not any(csr.get(k, 0) for k in PILLARS):
            quiet.append(label)
    # Equal response by target group (standard 000 03204.01-4), once the registry has stakeholders
    # (each has a group): None says there is no registry to compare by.
    by_group = (response_report(read_responses(store, config, "group", p.since, p.until, at, shared.closed),
                                config).as_dict() if store.list_stakeholders() else None)
    out.update({
        "unique": store.count(replace(flt, include_duplicates=False)),
        "months": months,
        "entities": store.count_by(flt, "entity", 50),
        "org_sentiment": store.count_by(org_flt, "sentiment", 10) if org else {},
        "org_mentions": store.count(org_flt) if org else out["mentions"],
        "keywords": _topics(store.count_by(org_flt, "keyword", top + 40), config, top),
        "hashtags": store.count_by(org_flt, "hashtag", top),
        "categories": store.count_by(flt, "category", 50),
        "complaint_types": store.count_by(complaints_flt, "complaint_type", 50),
        # The causes recorded on the cases closed in the period (standard 002: analyse the cause).
        "case_causes": {cause or UNRECORDED: n for cause, n in cause_counts(store, p.since, min(p.until, at))},
        "responses_by_group": by_group,
        "csr_quiet_months": quiet,
        "empty_months": empty,
    })
    return out


def _topics(counts: dict[str, int], config: Config, top: int) -> dict[str, int]:
    """Top content words, without the watched names themselves (every mention of a brand names it)."""
    names = {w.casefold() for e in config.watch for w in (e.name, *e.aliases)}
    return dict([(k, v) for k, v in counts.items() if k.casefold() not in names][:top])


def incident_figures(incidents: list[tuple[Incident, list[IncidentEvent]]], books: dict[str, Playbook],
                     p: Period) -> dict[str, Any]:
    """Incidents opened in the quarter: how many, by severity, acknowledged and resolved, and within
    their playbook's clocks (``sla.acknowledge`` / ``acknowledge_within`` and ``sla.resolve``).
    ``incidents``: with their events, those of the period among them; ``books``: the playbooks by id."""
    opened = [(i, events) for i, events in incidents if p.since <= i.opened_at < p.until]
    out: dict[str, Any] = {"opened": len(opened), "by_severity": {}, "acknowledged": 0, "ack_within_sla": 0,
                           "ack_with_sla": 0, "resolved": 0, "resolved_within_sla": 0, "resolve_with_sla": 0,
                           "median_ack_s": None}
    ack_delays: list[float] = []
    for inc, events in opened:
        out["by_severity"][inc.severity] = out["by_severity"].get(inc.severity, 0) + 1
        acked = resolved = None
        for ev in events:
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


def _report(store: Store, config: Config, p: Period, option: str, at: datetime) -> dict[str, Any]:
    """The period's and the previous period's figures, with a Thai summary per section. A period
    still running is marked (``partial``): its counts are not yet a whole period's."""
    if p.since > at:
        raise InputError(f"{option}: {p.label_th} has not begun yet (it starts "
                         f"{p.since.astimezone(BANGKOK).date().isoformat()}); give this {'year' if p.is_year else 'quarter'} "
                         "or an earlier one")
    prev = p.previous()
    shared = _shared(store, config, prev.since, p.until, at)
    if p.is_year:  # its four quarters' equal response is split from the year's (read once, not five times)
        shared = replace(shared, responses=read_responses(store, config, "channel", p.since, p.until, at, shared.closed))
    org = shared.org
    report: dict[str, Any] = {
        "kind": "year" if p.is_year else "quarter", "period": p.label, "period_th": p.label_th, "unit_th": p.unit_th,
        "previous": prev.label, "previous_th": prev.label_th, "organisation": org,
        "now": _figures(store, config, p, shared), "before": _figures(store, config, prev, shared),
        "dates_th": p.dates_th, "previous_dates_th": prev.dates_th,
        "generated": at.astimezone(UTC).isoformat(), "generated_th": thai_date(at, time=True), "partial": None,
    }
    if at < p.until:
        days = (p.until - p.since).days
        report["partial"] = {"through": at.astimezone(UTC).isoformat(), "through_th": thai_date(at, time=True),
                             "days": min(days, (at - p.since).days + 1), "of_days": days}
    if p.is_year:
        report["quarters"] = [
            {"period": q.label, "period_th": q.label_th, "short_th": f"ไตรมาส {q.quarter}", "dates_th": q.dates_th,
             "state": _month_state(q.since, q.until, at),
             "figures": None if q.since > at else key_figures(_core(store, config, q, shared))}
            for q in p.quarters()
        ]
        report["year_figures"] = key_figures(report["now"])
        report["previous_figures"] = key_figures(report["before"])
    report["summaries"] = summaries(report)
    return report


def quarterly_report(store: Store, config: Config, quarter: str, now: datetime | None = None) -> dict[str, Any]:
    """The quarter (``2026Q4``; fiscal ``2570Q1``) against the quarter before (standard 004's quarterly follow-up)."""
    p = parse_quarter(quarter, config.report.fiscal_year_start)
    report = _report(store, config, p, f"--quarter {quarter}", now or now_utc())
    return {"quarter": p.label, "quarter_th": p.label_th, **report}


def yearly_report(store: Store, config: Config, year: str, now: datetime | None = None) -> dict[str, Any]:
    """The year (``2026``, ``2569``; fiscal ``2570`` or ``FY2027``) against the year before, with its
    quarters side by side and its twelve months (standard 004: evaluate the effectiveness each year)."""
    p = parse_year(year, config.report.fiscal_year_start)
    report = _report(store, config, p, f"--year {year}", now or now_utc())
    return {"year": p.label, "year_th": p.label_th, **report}


def csr_missing(report: dict[str, Any]) -> list[str]:
    """The CSR pillars with no coverage in the report's period (the flag standard 000 asks for)."""
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

#: A year's report opens with its quarters side by side and its months (the trend the committee reads).
YEAR_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("trend", "แนวโน้มรายไตรมาสและรายเดือน", "Quarter by quarter and month by month"),
    *SECTIONS,
)


def sections(report: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    """The report's sections: ``(key, Thai title, English title)``."""
    return YEAR_SECTIONS if report.get("kind") == "year" else SECTIONS
