"""What the workspace's pages show, built from the store and the library (no HTML here)."""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlencode

from alerts.incidents import add_note
from enrich.csr import PILLARS
from enrich.keywords import stopwords
from playbooks.loader import load_playbooks
from playbooks.render import incident_variables, render_template
from sadap.app.export import spreadsheet_cell
from sadap.app.names import complaint_type_names
from sadap.core.errors import ConfigError, InputError, RefusedValue
from sadap.core.incident import Incident, IncidentEvent
from sadap.core.mention import ExpectationLevel, Mention
from sadap.core.timeutil import BANGKOK, UTC, common_era, now_utc, parse_duration, parse_iso
from sadap.store import MentionFilter, PageKey, Store, page_key
from sadap.store.query import parse_query

SENTIMENTS = ("pos", "neu", "neg", "q")
EXPECTATIONS: tuple[str, ...] = get_args(ExpectationLevel)
FILTER_KEYS = ("q", "since", "until", "source", "kind", "sentiment", "expectation", "category", "news_topic",
               "complaint_type", "language", "entity", "hashtag", "keyword", "author", "cluster", "complaint", "responded",
               "max_spam", "copies")
_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Za-z]{2,8})?|mixed|other")


def parse_when(text: str, field: str, end: bool = False) -> datetime:
    """``2026-12-01`` (a Bangkok day: its start, or with ``end`` the next day's start) or an ISO time."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day, time(0), BANGKOK)
            value = (start + timedelta(days=1) if end else start).astimezone(UTC)
        else:
            value = parse_iso(text)
    except (ValueError, InputError, OverflowError):
        raise InputError(f"{field}: cannot read {text[:40]!r} (use a date like 2026-12-01 or an ISO 8601 time)") from None
    return common_era(value, text[:40], field)  # 2569-01-01, as Thai staff write a year: refused, not an empty list


def _values(params: dict[str, str], key: str) -> tuple[str, ...]:
    raw = params.get(key, "")
    return tuple(v for v in (s.strip() for s in raw.split(",")) if v)[:20]


def choice(field: str, value: str, allowed: tuple[str, ...]) -> str:
    """``value`` when it is one of ``allowed`` (or empty: no filter); else one line naming the
    field and the choices (an unknown value is refused, never read as "no filter" or "none match")."""
    if value and value not in allowed:
        raise RefusedValue(f"{field}: unknown {value[:40]!r} (allowed: {', '.join(allowed)})")
    return value


def refused_word(err: Exception) -> str | None:
    """The page's words (an i18n key) for a refused value: a Buddhist-era year, a value outside
    a filter's choices; None for other errors."""
    if not isinstance(err, RefusedValue):
        return None
    return "pr_buddhist_year" if "Buddhist-era year" in str(err) else "pr_unknown_choice"


def _choices(params: dict[str, str], key: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    values = _values(params, key)
    for value in values:
        choice(key, value, allowed)
    return values


def mention_filter(params: dict[str, str], custom_words: tuple[str, ...], default_days: int | None = None) -> MentionFilter:
    """The filter the mentions page, its CSV export and the API read from query parameters."""
    since = parse_when(params["since"], "since") if params.get("since") else (
        now_utc() - timedelta(days=default_days) if default_days else None)
    until = parse_when(params["until"], "until", end=True) if params.get("until") else None
    max_spam = None
    if params.get("max_spam"):
        try:
            max_spam = float(params["max_spam"])
        except ValueError:
            raise InputError("max_spam: use a number from 0 to 1") from None
        if not 0 <= max_spam <= 1:
            raise InputError("max_spam: use a number from 0 to 1")
    sentiment = _choices(params, "sentiment", SENTIMENTS)
    complaint_types = _choices(params, "complaint_type", tuple(complaint_type_names()))
    expectations = _choices(params, "expectation", EXPECTATIONS)
    languages = _values(params, "language")
    bad = [v for v in languages if not _LANGUAGE_TAG.fullmatch(v)]
    if bad:
        raise InputError(f"language: {bad[0][:40]!r} is not a language tag (e.g. th, en, mixed, und-Latn)")
    query = parse_query(params["q"], custom_words) if params.get("q", "").strip() else None
    flags = {"1": True, "true": True, "0": False, "false": False}
    for name in ("complaint", "responded"):
        choice(name, params.get(name, ""), tuple(flags))
    return MentionFilter(
        since=since, until=until, query=query, sentiment=sentiment,
        source_names=_values(params, "source"), source_kinds=_values(params, "kind"),
        entities=_values(params, "entity"), categories=_values(params, "category"),
        expectations=expectations, news_topics=_values(params, "news_topic"), hashtags=_values(params, "hashtag"),
        keywords=_values(params, "keyword"), clusters=_values(params, "cluster"),
        complaint_types=complaint_types, languages=languages, author_ids=_values(params, "author"),
        complaint=flags.get(params.get("complaint", "")), responded=flags.get(params.get("responded", "")),
        include_duplicates=params.get("copies") == "1" or bool(params.get("cluster")),
        max_spam_score=max_spam,
    )


def link(path: str, **params: Any) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "", ())}
    return path + ("?" + urlencode(clean) if clean else "")


def _iso(value: datetime) -> str:
    return value.astimezone(BANGKOK).isoformat(timespec="minutes")


def range_params(since: datetime, until: datetime) -> dict[str, str]:
    """``since``/``until`` (``until`` exclusive) as the mentions page reads them back: whole
    Bangkok days as dates (``until`` the last day, inclusive, as its date box shows it), any
    other range as exact times (the page keeps those as they are, shown as a chip)."""
    start, end = since.astimezone(BANGKOK), until.astimezone(BANGKOK)
    if start.time() == time(0) and end.time() == time(0) and end > start:
        return {"since": start.date().isoformat(), "until": (end.date() - timedelta(days=1)).isoformat()}
    return {"since": _iso(since), "until": _iso(until)}


def time_range(p: dict[str, str]) -> dict[str, str] | None:
    """A ``since``/``until`` that is a time, not a date (a chart's hourly bar): the mentions
    page carries it exactly (hidden fields) and shows it as a chip, instead of date boxes that
    would widen it to whole days. None when both are dates or absent."""
    since, until = p.get("since", "").strip(), p.get("until", "").strip()
    if len(since) in (0, 10) and len(until) in (0, 10):
        return None
    shown = []
    for text, end in ((since, False), (until, True)):
        if not text:
            shown.append("…")
            continue
        try:
            at = parse_when(text, "until" if end else "since", end=end).astimezone(BANGKOK)
        except InputError:
            shown.append(text[:40])
            continue
        shown.append(at.strftime("%Y-%m-%d %H:%M"))
    return {"since": since, "until": until, "text": f"{shown[0]} – {shown[1]}"}


# -- overview -------------------------------------------------------------------------------
def overview(store: Store, since: datetime, until: datetime, entity: str | None, lang: str) -> dict[str, Any]:
    from sadap.app.web.i18n import label, word

    base = MentionFilter(since=since, until=until, entities=(entity,) if entity else ())
    span = until - since
    interval = timedelta(hours=1) if span <= timedelta(days=3) else timedelta(days=1)
    common = {**range_params(since, until), "entity": entity}

    def time_chart(cid: str, title: str, series: dict[str, list[tuple[datetime, int]]], names: dict[str, str],
                   key: str) -> dict[str, Any]:
        times = sorted({t for rows in series.values() for t, _ in rows})
        out: dict[str, Any] = {"id": cid, "title": title, "type": "time",
                               "x": [_iso(t)[:16].replace("T", " ") for t in times], "series": [], "links": []}
        for name, rows in series.items():
            by_time = dict(rows)
            out["series"].append({"name": names.get(name, name), "data": [by_time.get(t, 0) for t in times]})
            out["links"].append([link("/mentions", **{**common, **range_params(t, t + interval),
                                                      key: name, "copies": "1"}) for t in times])
        return out

    def bar_chart(cid: str, title: str, counts: dict[str, int], key: str, table: str | None = None,
                  extra: dict[str, str] | None = None) -> dict[str, Any]:
        keys = list(counts)
        names = [label(table, k, lang) if table else k for k in keys]
        return {"id": cid, "title": title, "type": "bar", "x": names,
                "series": [{"name": title, "data": [counts[k] for k in keys]}],
                "links": [[link("/mentions", **{**common, **(extra or {}), key: k, "copies": "1"}) for k in keys]]}

    found = store.count_by(base, "csr", limit=10)
    csr = {p: found.get(p, 0) for p in PILLARS}
    by_sentiment = {s: store.histogram(replace(base, sentiment=(s,)), interval) for s in SENTIMENTS}
    top_entities = list(store.count_by(base, "entity", limit=5))
    share = {e: store.histogram(replace(base, entities=(e,)), interval) for e in top_entities}
    total = store.count(base)
    charts = [
        time_chart("volume", word("volume_by_sentiment", lang), by_sentiment,
                   {s: label("sentiment", s, lang) for s in SENTIMENTS}, "sentiment"),
        bar_chart("expectation", word("expectation", lang), store.count_by(base, "expectation"), "expectation", "expectation"),
        bar_chart("category", word("category", lang), store.count_by(base, "category"), "category", "category"),
        bar_chart("news_topic", word("news_topic", lang), store.count_by(base, "news_topic"), "news_topic", "news_topic"),
        bar_chart("complaint_type", word("complaint_type", lang),
                  store.count_by(replace(base, complaint=True), "complaint_type"), "complaint_type", "complaint_type",
                  {"complaint": "1"}),
        time_chart("share", word("share_of_voice", lang), share, {}, "entity"),
        bar_chart("sources", word("top_sources", lang), store.count_by(base, "source_name", limit=10), "source"),
        bar_chart("authors", word("top_authors", lang), store.count_by(base, "author_id", limit=10), "author"),
        bar_chart("terms", word("top_terms", lang), store.count_by(base, "keyword", limit=15), "keyword"),
        bar_chart("hashtags", word("top_hashtags", lang), store.count_by(base, "hashtag", limit=10), "hashtag"),
        bar_chart("csr", word("csr_balance", lang), csr, "csr", "csr"),
    ]
    chart = {c["id"]: c for c in charts}
    chart["volume"]["colors"] = ["#1b7a3a", "#9aa3b2", "#b3261e", "#0b5cad"]  # pos, neu, neg, q
    # CSR pillars have no mention filter: a bar opens the range's mentions.
    chart["csr"]["links"] = [[link("/mentions", **common, copies="1") for _ in chart["csr"]["x"]]]
    return {"charts": charts, "csr_missing": [label("csr", p, lang) for p in PILLARS if not csr[p]] if total else [],
            "total": total, "unique": store.count(replace(base, include_duplicates=False)),
            "entities": list(store.count_by(MentionFilter(), "entity", limit=50))}


# -- mentions -------------------------------------------------------------------------------
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def page_cursor(m: Mention, time_field: str = "published_at") -> str:
    """A mention's place in the list, for a paging link: ``<microseconds since 1970>~<id>``."""
    at, mid = page_key(m, "collected_at" if time_field == "collected_at" else "published_at")
    return f"{(at - _EPOCH) // timedelta(microseconds=1)}~{mid}"


def read_cursor(text: str | None, field: str) -> PageKey | None:
    if not text:
        return None
    micros, sep, mid = text.partition("~")
    if not sep or not mid or not micros.isascii() or not micros.isdigit() or len(micros) > 18:
        raise InputError(f"{field}: not a page link this site made (reload the first page)")
    return _EPOCH + timedelta(microseconds=int(micros)), mid[:200]


def mention_page(store: Store, flt: MentionFilter, limit: int, after: PageKey | None = None,
                 before: PageKey | None = None, start: int = 1) -> dict[str, Any]:
    """One page of the mentions list, newest first, read by key (:meth:`Store.search_page`):
    mentions that arrive while a person pages neither repeat nor skip a row. ``start`` is the
    number of the page's first row, carried in the links (for "1–50 of 232" only)."""
    if before is not None:
        rows = store.search_page(flt, limit + 1, before=before)
        if len(rows) > limit:  # more ahead: a page in the middle
            rows, start, has_prev, has_next = rows[1:], max(start, 2), True, True
        else:  # the newest: the first page, filled to its length
            rows, start, has_prev = store.search_page(flt, limit + 1), 1, False
            has_next = len(rows) > limit
    else:
        rows = store.search_page(flt, limit + 1, after=after)
        has_next, has_prev = len(rows) > limit, after is not None
        start = max(start, 2) if after is not None else 1
    rows = rows[:limit]
    return {"rows": rows, "start": start, "end": start + len(rows) - 1,
            "after": page_cursor(rows[-1], flt.time_field) if rows and has_next else None,
            "before": page_cursor(rows[0], flt.time_field) if rows and has_prev else None}


def cluster_sizes(store: Store, mentions: list[Mention]) -> dict[str, int]:
    ids = tuple(m.duplicate_of or m.id for m in mentions)
    if not ids:
        return {}
    return store.count_by(MentionFilter(clusters=ids), "cluster", limit=len(ids))


CSV_FIELDS = ("id", "published_at", "source_name", "source_kind", "url", "author_id", "title", "text", "language",
              "sentiment", "expectation", "category", "is_complaint", "complaint_type", "entities", "hashtags",
              "spam_score", "duplicate_of")


def _cell(value: Any) -> str:
    return spreadsheet_cell(value)


def csv_rows(mentions: list[Mention]) -> list[list[str]]:
    rows = [list(CSV_FIELDS)]
    for m in mentions:
        rows.append([_cell(v) for v in (
            m.id, m.published_at.astimezone(BANGKOK).isoformat(), m.source_name, m.source_kind, m.url, m.author_id,
            m.title, m.text,
            m.language, m.sentiment.label if m.sentiment else None, m.expectation, m.category,
            int(m.complaint.is_complaint), m.complaint.type, ";".join(m.entities), ";".join(m.hashtags),
            m.spam_score, m.duplicate_of)])
    return rows


# -- incidents ------------------------------------------------------------------------------
ALERT_KINDS = ("opened", "alert", "still_active")
MENTIONS_PER_ALERT = 10


def alert_mentions(store: Store, events: list[IncidentEvent], per_alert: int = MENTIONS_PER_ALERT) -> list[dict[str, Any]]:
    """Each alert on an incident's timeline (its opening, later alerts, a `still_active`
    stretch) with the mentions behind it: the first ``per_alert`` of its stored ids that still
    exist (an erase or retention may have removed some), and how many it named in all."""
    out: list[dict[str, Any]] = []
    cache: dict[str, Mention | None] = {}
    for e in events:
        if e.kind not in ALERT_KINDS:
            continue
        ids = [i for i in (e.data.get("mentions") or []) if isinstance(i, str)]
        shown = []
        for mid in ids[:per_alert]:
            if mid not in cache:
                cache[mid] = store.get(mid)
            if cache[mid] is not None:
                shown.append(cache[mid])
        count = e.data.get("count")
        out.append({"event": e, "rule": e.data.get("rule"), "count": count if isinstance(count, int) else len(ids),
                    "accounts": bool(e.data.get("accounts")), "mentions": shown, "more": max(len(ids) - per_alert, 0)})
    return out


def steps_state(incident: Incident, events: list[IncidentEvent], playbook: Any, lang: str) -> list[dict[str, Any]]:
    if playbook is None:
        return []
    now = now_utc()
    done_texts = [e for e in events if e.kind == "step_done"]
    out = []
    for n, step in enumerate(playbook.steps, 1):
        done = next((e for e in done_texts if e.text.startswith(f"{n}. ")), None)
        due_at = incident.opened_at + step.due
        out.append({
            "n": n, "title": step.title.get(lang) if hasattr(step.title, "get") else step.title.th,
            "owner": step.owner, "due_at": due_at, "checklist": step.checklist, "done": done,
            "overdue": done is None and incident.state != "resolved" and now > due_at,
        })
    return out


def mark_step(store: Store, incident: Incident, playbook: Any, number: int, actor: str, note: str = "") -> str:
    steps = playbook.steps if playbook else []
    if not 1 <= number <= len(steps):
        raise InputError(f"playbook {incident.playbook!r} has {len(steps)} step(s); choose 1 to {len(steps)}")
    title: str = steps[number - 1].title.th
    add_note(store, incident.id, actor, f"{number}. {title}" + (f" — {note}" if note else ""), kind="step_done")
    return title


def response_templates(incident: Incident, playbook: Any, lang: str, examples: list[Mention] | None = None,
                       custom_words: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """An incident's ready-made replies, filled as the escalation messages are
    (:func:`playbooks.render.incident_variables`): ``count`` is the mentions behind the latest
    alert, ``window`` the time since it opened or was last reopened (to its close, once resolved), ``top_terms`` from
    ``examples`` (its mentions)."""
    if playbook is None:
        return []
    at = incident.updated_at if incident.state == "resolved" else now_utc()
    stop = stopwords() | {w.lower() for w in custom_words}
    variables = incident_variables(incident, playbook, lang, examples or [], at, stop)
    out = []
    for r in playbook.responses:
        try:
            text = render_template(r.template, variables, r.lang)
        except ConfigError as err:
            text = str(err)
        out.append({"channel": r.channel, "lang": r.lang, "text": text})
    return out


# -- complaints -----------------------------------------------------------------------------
def assignable_users(store: Store) -> list[str]:
    """Whom a complaint case can be given to in the workspace's assign forms: the enabled users
    who may answer (responder and above)."""
    return [u.username for u in store.list_users() if not u.disabled and u.role != "viewer"]


def clock_words(delta: timedelta, lang: str) -> str:
    seconds = abs(int(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if lang == "th":
        return f"{hours} ชม. {minutes} นาที"
    return f"{hours} h {minutes} min"


# -- playbooks ------------------------------------------------------------------------------
def validate_playbook_text(config: Any, shown_path: str, text: str) -> list[str]:
    """The problems ``sadap playbooks validate PATH`` reports for this text at that path (same lines)."""
    name = Path(shown_path).name or "playbook.yaml"
    with tempfile.TemporaryDirectory(prefix="sadap-playbook-") as folder:
        tmp = Path(folder) / name
        tmp.write_text(text, encoding="utf-8")
        try:
            load_playbooks([tmp], shipped=False, known_rules={r.id for r in config.alert_rules},
                           known_notifiers={n.id for n in config.notifiers},
                           known_rule_types=set(config.rule_type_names()))
        except ConfigError as err:
            return [line.replace(str(tmp), shown_path) for line in str(err).splitlines()]
    return []


def editable(config: Any, playbook: Any) -> bool:
    if playbook.shipped or not playbook.source:
        return False
    source = Path(playbook.source).resolve()
    for p in config.playbooks.paths:
        root = (config.base_dir / p).resolve()
        if source == root or root in source.parents:
            return True
    return False


def backtest_chart(report: dict[str, Any]) -> dict[str, Any]:
    """Incidents that would have opened, per hour, on a time axis."""
    counts: dict[str, int] = {}
    for inc in report["incidents"]:
        at = datetime.fromisoformat(inc["opened_at"]).astimezone(BANGKOK).replace(minute=0, second=0, microsecond=0)
        key = at.isoformat(timespec="minutes")[:16].replace("T", " ")
        counts[key] = counts.get(key, 0) + 1
    alerts: dict[str, int] = {}
    for a in report["alerts"]:
        at = datetime.fromisoformat(a["at"]).astimezone(BANGKOK).replace(minute=0, second=0, microsecond=0)
        key = at.isoformat(timespec="minutes")[:16].replace("T", " ")
        alerts[key] = alerts.get(key, 0) + 1
    xs = sorted(set(counts) | set(alerts))
    return {"id": "backtest", "title": "", "type": "time", "x": xs,
            "series": [{"name": "incidents", "data": [counts.get(x, 0) for x in xs]},
                       {"name": "alerts", "data": [alerts.get(x, 0) for x in xs]}], "links": []}


def parse_since(text: str) -> timedelta:
    try:
        value = parse_duration(text)
    except InputError as err:
        raise InputError(f"since: {err}") from None
    if value <= timedelta(0) or value > timedelta(days=366):
        raise InputError("since: use a duration from 1m to 366d (e.g. 7d)")
    return value
