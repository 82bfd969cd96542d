"""The stakeholder registry at work: the match table enrichment tags mentions with, import and
export (YAML, CSV), playbook ``stakeholders:`` entries resolved to the registry, the
"informed" tick on an incident's timeline, and what a stakeholder's page shows.

See docs/pr-crm.md. The lookup reports group by is :func:`sadap.core.stakeholder.stakeholder_of`."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from enrich.stakeholders import StakeholderTagger
from sadap.app.config import Config
from sadap.app.csvrows import BadRow, allow_cells_of, physical_lines
from sadap.app.csvrows import rows as csv_rows
from sadap.app.export import from_spreadsheet_cell, spreadsheet_cell
from sadap.core.errors import InputError, StoreError
from sadap.core.files import not_utf8
from sadap.core.incident import Incident, IncidentEvent
from sadap.core.mention import Mention, author_forms, pseudonymise
from sadap.core.stakeholder import ID_PATTERN, STATUSES, Account, Contact, Stakeholder, StakeholderEntry, carry_history
from sadap.core.timeutil import now_utc, parse_iso
from sadap.core.yamlsource import LineMap, format_loc, parse_yaml, validation_lines
from sadap.store import MentionFilter, Store

log = logging.getLogger(__name__)

#: CSV columns, in order. Lists are separated by ``;``; a contact is ``name|channel|address|title``;
#: an account is ``source:handle`` (or a bare ``handle`` for any source); ``\`` escapes a separator
#: inside a value.
CSV_COLUMNS: tuple[str, ...] = (
    "id", "name", "name_en", "status", "group", "role", "key_issues", "expectations", "contacts",
    "relationship", "relationship_by", "relationship_reason", "relationship_at", "watched", "aliases", "accounts",
    "inform_as", "notes",
)
#: How many of the latest incidents a stakeholder's page looks through (open ones, informed ticks).
RECENT_INCIDENTS = 200
_LISTS = ("key_issues", "expectations", "watched", "aliases", "inform_as")


# -- the match table ---------------------------------------------------------------------------
def match_table(config: Config, store: Store, registry: Sequence[Stakeholder] | None = None) -> list[StakeholderEntry]:
    """The rows :class:`enrich.stakeholders.StakeholderTagger` matches on. Accounts are
    pseudonymised with this install's key, as authors are at ingest: for their source, or for
    every configured and stored source when none is given; a handle with and without its ``@``
    (:func:`sadap.core.mention.author_forms`)."""
    if registry is None:
        try:
            registry = store.list_stakeholders()
        except StoreError as err:  # a store that is down: mentions are spooled untagged, `retag` catches up
            log.warning("stakeholder registry unreadable, mentions not tagged this run: %s", err)
            return []
    registry = list(registry)
    if not registry:
        return []
    key = config.pseudonym_key()
    sources: list[str] | None = None
    entries = []
    for s in registry:
        ids: list[str] = []
        for account in s.accounts:
            forms = author_forms(account.handle)  # `SaengThongBank` or `@SaengThongBank`, as the source gives it
            if account.source:
                ids += [pseudonymise(f, account.source, key) for f in forms]
                continue
            if sources is None:
                stored = list(store.count_by(MentionFilter(), "source_name", 1000))
                sources = list(dict.fromkeys([c.name for c in config.sources] + stored))
            ids += [pseudonymise(f, src, key) for src in sources for f in forms]
        entries.append(StakeholderEntry(
            id=s.id, names=s.names(), watched=list(s.watched), author_ids=list(dict.fromkeys(ids)),
            author_names=list(dict.fromkeys(f.lower() for a in s.accounts for f in author_forms(a.handle))),
        ))
    return entries


def tagger(config: Config, store: Store) -> StakeholderTagger:
    return StakeholderTagger(match_table(config, store), custom_words=config.custom_words())


def retag(config: Config, store: Store, since: datetime | None = None) -> dict[str, int]:
    """Tag stored mentions again after the registry changed: ``{"read", "changed"}``."""
    tag = tagger(config, store)
    flt = MentionFilter(since=since)
    after: str | None = None
    read = changed = 0
    while True:
        page = store.page_by_id(flt, after, limit=500)
        if not page:
            break
        read += len(page)
        dirty = []
        for m in page:
            new = tag.tag(m) if tag else []
            if new != m.stakeholders:
                m.stakeholders = new
                dirty.append(m)
        if dirty:
            store.upsert(dirty)
            changed += len(dirty)
        after = page[-1].id
        if len(page) < 500:
            break
    return {"read": read, "changed": changed}


# -- import and export ------------------------------------------------------------------------
def save(store: Store, s: Stakeholder) -> Stakeholder:
    """Save a profile, keeping the history of its relationship level (who set each, when, why):
    a level replaced by another goes into ``relationship_history``. Returns what was saved."""
    kept = carry_history(s, store.get_stakeholder(s.id))
    store.save_stakeholder(kept)
    return kept


# A value holding a separator — `;` between items, `|` between a contact's fields, `:` between
# an account's source and handle — is written with a `\` before it (and `\` as `\\`), so an
# export reads back as it was; a `\` before anything else is an ordinary character.
_ESCAPED = re.compile(r"\\([\\;|:])")


def _escape(text: str, separators: str) -> str:
    text = text.replace("\\", "\\\\")
    for sep in separators:
        text = text.replace(sep, "\\" + sep)
    return text


def _unescape(text: str) -> str:
    return _ESCAPED.sub(r"\1", text.strip())


def _parts(value: str, sep: str, most: int = -1) -> list[str]:
    """``value`` cut at each ``sep`` not escaped (at most ``most`` cuts), the escapes kept."""
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            current.append(value[i:i + 2])
            i += 2
            continue
        if value[i] == sep and (most < 0 or len(parts) < most):
            parts.append("".join(current))
            current = []
        else:
            current.append(value[i])
        i += 1
    return [*parts, "".join(current)]


def split_list(value: str) -> list[str]:
    """``a; b; c\\; d`` → ``["a", "b", "c; d"]``."""
    return [_unescape(p) for p in _parts(value, ";") if p.strip()]


def join_list(items: Iterable[str]) -> str:
    return "; ".join(_escape(item, ";") for item in items)


def parse_contact(item: str) -> dict[str, str]:
    """``name|channel|address|title`` (the last ones may be left out)."""
    parts = [_unescape(p) for p in _parts(item, "|", 3)]
    parts += [""] * (4 - len(parts))
    return {"name": parts[0], "channel": parts[1], "address": parts[2], "title": parts[3]}


def format_contact(contact: Contact) -> str:
    fields = [contact.name, contact.channel, contact.address, contact.title]
    while fields and not fields[-1]:
        fields.pop()
    return "|".join(_escape(f, ";|") for f in fields)


def parse_account(item: str) -> dict[str, str]:
    """``source:handle``, or a bare ``handle`` for any source."""
    parts = _parts(item, ":", 1)
    if len(parts) == 2:
        return {"source": _unescape(parts[0]), "handle": _unescape(parts[1])}
    return {"handle": _unescape(item)}


def format_account(account: Account) -> str:
    handle = _escape(account.handle, ";:")
    return f"{_escape(account.source, ';:')}:{handle}" if account.source else handle


def _row_to_doc(row: dict[str, str]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for k, v in row.items():
        v = from_spreadsheet_cell((v or "").strip())
        if k in _LISTS:
            doc[k] = split_list(v)
        elif k == "contacts":
            doc[k] = [parse_contact(item) for item in _parts(v, ";") if item.strip()]
        elif k == "accounts":
            doc[k] = [parse_account(item) for item in _parts(v, ";") if item.strip()]
        elif k in ("relationship_by", "relationship_reason", "relationship_at"):
            continue
        elif k == "relationship":
            if v:
                doc[k] = {"level": v, "set_by": (row.get("relationship_by") or "").strip(),
                          "reason": (row.get("relationship_reason") or "").strip()}
                at = from_spreadsheet_cell((row.get("relationship_at") or "").strip())
                if at:  # an older export has no such column
                    doc[k]["set_at"] = _csv_time(at)
        elif v or k in ("id", "name", "status", "group"):
            doc[k] = v
    return doc


def _looks_like_profile(names: list[str], values: list[str]) -> bool:
    """Whether a line that a quoted value took in is a profile row of its own: as many values as
    the header, an id and a status of the shapes they take."""
    if len(values) != len(names) or "id" not in names or "status" not in names:
        return False
    row = dict(zip(names, (v.strip() for v in values)))
    return bool(ID_PATTERN.fullmatch(row["id"])) and row["status"] in STATUSES


def _csv_time(text: str) -> str:
    """A ``relationship_at`` cell: ISO 8601, naive meaning Bangkok time (a spreadsheet may drop the
    offset); a cell that is no time is left for validation to name."""
    try:
        return parse_iso(text).isoformat()
    except InputError:
        return text


# A profile's fields as the CSV columns that hold them (export_csv, _row_to_doc).
_CSV_FIELDS = {"relationship.level": "relationship", "relationship.set_by": "relationship_by",
               "relationship.reason": "relationship_reason", "relationship.set_at": "relationship_at"}


def _csv_names(problem: str) -> str:
    for field, column in _CSV_FIELDS.items():
        problem = problem.replace(f": {field}:", f": {column}:", 1)
    return problem


def _stamp(s: Stakeholder, actor: str, at: datetime) -> Stakeholder:
    rel = s.relationship
    if rel is not None and rel.set_at is None:
        rel = rel.model_copy(update={"set_at": at})
    return s.model_copy(update={"updated_at": at, "updated_by": actor, "relationship": rel})


def read_file(path: str | Path, actor: str, at: datetime | None = None) -> tuple[list[Stakeholder], list[str]]:
    """Stakeholders from a YAML or CSV file, and one line per problem (``file:line: field: what
    (allowed …)``). Good rows are returned even when others are bad."""
    path = Path(path)
    at = at or now_utc()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(not_utf8(path, data, err)) from None
    items: list[tuple[dict[str, Any], LineMap, tuple[str | int, ...]]] = []
    problems: list[str] = []
    if path.suffix.lower() == ".csv":
        allow_cells_of(text)
        lines_of = physical_lines(text)
        names = next(csv.reader(lines_of[:1]), [])
        unknown = [c for c in names if c not in CSV_COLUMNS]
        if unknown:
            raise InputError(f"{path}:1: unknown column {unknown[0]!r} (allowed: {', '.join(CSV_COLUMNS)})")
        twice = next((c for c in names if names.count(c) > 1), None)
        if twice is not None:  # a row as a mapping would keep the last value only
            raise InputError(f"{path}:1: column {twice!r} appears {names.count(twice)} times; column names must be "
                             "unique: remove the extra one")
        columns = len(names)
        for line, values in csv_rows(lines_of, lambda values: _looks_like_profile(names, values)):
            if isinstance(values, BadRow):
                problems.append(f"{path}:{line}: {values}")
                continue
            if not any(v.strip() for v in values):
                continue
            if len(values) > columns:
                problems.append(f"{path}:{line}: {len(values)} values but the header has {columns} columns; "
                                "remove the extra values (a value holding a comma must be quoted) — row skipped")
                continue
            row = dict(zip(names, values + [""] * (columns - len(values))))
            items.append((_row_to_doc(row), LineMap({(): line}), ()))
    else:
        try:
            data, lines = parse_yaml(text, str(path))
        except Exception as err:  # ConfigError: one line already
            raise InputError(str(err)) from None
        top: tuple[str | int, ...] = ()
        if isinstance(data, dict) and "stakeholders" in data:
            data, top = data["stakeholders"], ("stakeholders",)
        if not isinstance(data, list):
            raise InputError(f"{path}:1: expected a list of stakeholders (or `stakeholders:` with one)")
        for i, item in enumerate(data):
            if not isinstance(item, dict):
                problems.append(f"{path}:{lines.line((*top, i))}: {format_loc((*top, i))}: expected a mapping with "
                                "id, name, status, group …")
                continue
            items.append((item, lines, (*top, i)))
    found: list[Stakeholder] = []
    seen: dict[str, str] = {}
    for doc, lines, prefix in items:
        try:
            s = Stakeholder.model_validate(doc)
        except ValidationError as err:
            found_lines = validation_lines(err, str(path), lines, Stakeholder, prefix)
            if path.suffix.lower() == ".csv":  # name the CSV's columns, not the profile's fields
                found_lines = [_csv_names(line) for line in found_lines]
            problems.extend(found_lines)
            continue
        where = f"{path}:{lines.line(prefix)}"
        if s.id in seen:
            problems.append(f"{where}: id: {s.id!r} appears twice (first at {seen[s.id]}); keep one")
            continue
        seen[s.id] = where
        found.append(_stamp(s, actor, at))
    return found, problems


def export_yaml(registry: Iterable[Stakeholder]) -> str:
    docs = [s.model_dump(mode="json", exclude_none=True, exclude_defaults=True) for s in registry]
    return yaml.safe_dump({"stakeholders": docs}, allow_unicode=True, sort_keys=False)


def export_csv(registry: Iterable[Stakeholder]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for s in registry:
        rel = s.relationship
        w.writerow([spreadsheet_cell(cell) for cell in [
            s.id, s.name, s.name_en, s.status, s.group, s.role, join_list(s.key_issues), join_list(s.expectations),
            "; ".join(format_contact(c) for c in s.contacts),
            rel.level if rel else "", rel.set_by if rel else "", rel.reason if rel else "",
            rel.set_at.isoformat() if rel and rel.set_at else "",
            join_list(s.watched), join_list(s.aliases), "; ".join(format_account(a) for a in s.accounts),
            join_list(s.inform_as), s.notes,
        ]])
    return out.getvalue()


def unknown_watched(config: Config, s: Stakeholder) -> list[str]:
    """Linked watched names that ``watch:`` does not have (a warning, not an error)."""
    names = {w.name for w in config.watch}
    return [w for w in s.watched if w not in names]


# -- playbooks: who to inform -------------------------------------------------------------------
def resolve_entry(entry: Any, registry: Sequence[Stakeholder]) -> list[Stakeholder]:
    """The registry's stakeholders a playbook ``stakeholders:`` entry means: its ``ref``, else
    those named by it (name or alias), else those informed as its role (``inform_as``)."""
    if getattr(entry, "ref", None):
        return [s for s in registry if s.id == entry.ref]
    names = {n for n in (entry.name.th, entry.name.en) if n}
    named = [s for s in registry if names & set(s.names())]
    if named:
        return named
    return [s for s in registry if entry.role in s.inform_as]


def who_to_inform(incident: Incident, playbook: Any, registry: Sequence[Stakeholder],
                  events: Sequence[IncidentEvent], lang: str = "th") -> list[dict[str, Any]]:
    """One row per playbook entry: who (the entry, and the registry stakeholders it resolves to
    with their contacts), the channel, the due time, and whether (and by whom) they were informed."""
    if playbook is None:
        return []
    ticks: dict[tuple[int, str], IncidentEvent] = {}
    for e in events:
        if e.kind == "informed":
            ticks[(int(e.data.get("entry", -1)), str(e.data.get("stakeholder") or ""))] = e
    rows = []
    for i, entry in enumerate(playbook.stakeholders):
        due = incident.opened_at + entry.when if entry.when is not None else None
        matched = resolve_entry(entry, registry)
        targets = [{"stakeholder": s, "channel": (s.contacts[0].channel if s.contacts else entry.how),
                    "contacts": s.contacts, "informed": ticks.get((i, s.id))} for s in matched]
        if not matched:
            targets = [{"stakeholder": None, "channel": entry.how, "contacts": [], "informed": ticks.get((i, ""))}]
        rows.append({"index": i, "name": entry.name.get(lang), "role": entry.role, "how": entry.how, "due": due,
                     "targets": targets})
    return rows


def mark_informed(store: Store, incident_id: str, playbook: Any, entry: int, stakeholder_id: str, actor: str,
                  text: str = "", at: datetime | None = None) -> IncidentEvent:
    """Record on the incident's timeline that ``actor`` informed this stakeholder."""
    incident = store.get_incident(incident_id)
    if incident is None:
        raise InputError(f"no incident {incident_id!r}")
    if playbook is None or not 0 <= entry < len(playbook.stakeholders):
        count = len(playbook.stakeholders) if playbook is not None else 0
        raise InputError(f"entry: the playbook has {count} stakeholder entries (0 … {max(count - 1, 0)})")
    target = playbook.stakeholders[entry]
    registry = store.list_stakeholders()
    allowed = [s.id for s in resolve_entry(target, registry)]
    if stakeholder_id and stakeholder_id not in allowed:
        raise InputError(f"stakeholder: {stakeholder_id!r} is not one entry {entry} resolves to "
                         f"(allowed: {', '.join(allowed) or 'none; leave it empty'})")
    named = next((s for s in registry if s.id == stakeholder_id), None)
    who = named.name if named else target.name.th
    event = IncidentEvent(at=at or now_utc(), kind="informed", actor=actor,
                          text=f"แจ้ง {who} ทาง {target.how}" + (f": {text}" if text else ""),
                          data={"entry": entry, "stakeholder": stakeholder_id or None, "channel": target.how})
    store.add_event(incident_id, event)
    return event


# -- a stakeholder's page ------------------------------------------------------------------------
def profile(store: Store, s: Stakeholder, now: datetime | None = None, weeks: int = 8) -> dict[str, Any]:
    """What the stakeholder page shows."""
    now = now or now_utc()
    mine = MentionFilter(stakeholders=(s.id,))
    month = MentionFilter(stakeholders=(s.id,), since=now - timedelta(days=30))
    recent = store.search(mine, 30)
    trend = []
    for w in range(weeks, 0, -1):
        flt = MentionFilter(stakeholders=(s.id,), since=now - timedelta(weeks=w), until=now - timedelta(weeks=w - 1))
        trend.append({"start": now - timedelta(weeks=w), "sentiment": store.count_by(flt, "sentiment", 10),
                      "expectation": store.count_by(flt, "expectation", 10)})
    incidents = []
    informed: list[dict[str, Any]] = []
    for inc in store.list_incidents()[:RECENT_INCIDENTS]:
        events = store.events(inc.id)
        for e in events:
            if e.kind == "informed" and e.data.get("stakeholder") == s.id:
                informed.append({"incident": inc, "event": e})
        if inc.state != "resolved" and inc.mention_ids and store.count(
                MentionFilter(ids=tuple(inc.mention_ids), stakeholders=(s.id,))):
            incidents.append(inc)
    cases = store.open_cases_of(s.id)
    responses = store.responses_for([m.id for m in recent])
    informed.sort(key=lambda x: x["event"].at, reverse=True)
    contact_times = [x["event"].at for x in informed] + [datetime.fromisoformat(r["at"]) for r in responses]
    return {
        "s": s, "mentions": recent, "count": store.count(mine), "month": store.count(month),
        "sentiment": store.count_by(month, "sentiment", 10), "trend": trend,
        "issues": store.count_by(month, "keyword", 10), "categories": store.count_by(month, "category", 10),
        "complaint_types": store.count_by(MentionFilter(stakeholders=(s.id,), since=now - timedelta(days=30),
                                                        complaint=True), "complaint_type", 10),
        "incidents": incidents, "cases": cases, "informed": informed[:10], "responses": responses[-10:],
        "last_contact": max(contact_times) if contact_times else None,
    }


def mentions_of(store: Store, stakeholder_id: str, limit: int = 50) -> list[Mention]:
    return store.search(MentionFilter(stakeholders=(stakeholder_id,)), limit)
