"""Response templates and step lists: fill a template, list a playbook's first steps.

Templates use Python's ``str.format`` syntax with a fixed set of variables (see
``TEMPLATE_VARIABLES``), each written alone (``{count}``: no format spec or conversion, so a
template cannot ask for a field millions of characters wide); write ``{{`` and ``}}`` for
literal braces.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Mapping

from enrich.keywords import without_masks
from sadap.core.errors import ConfigError
from sadap.core.timeutil import show

if TYPE_CHECKING:  # pragma: no cover
    from playbooks.schema import Playbook
    from sadap.core.alert import FiredAlert
    from sadap.core.incident import Incident
    from sadap.core.mention import Mention

#: Variables a response template may use, with what each holds.
TEMPLATE_VARIABLES: dict[str, str] = {
    "brand": "the organisation's or brand's name (falls back to the alert key)",
    "key": "what the alert is about (its group key, e.g. an entity name)",
    "count": "number of mentions behind the alert",
    "rule": "id of the alert rule that fired",
    "window": "the alert's time window, in words (e.g. 15 นาที)",
    "top_terms": "the most frequent terms in the mentions, comma-separated",
    "since": "start of the alert window, Asia/Bangkok time (e.g. 2026-11-21 09:30)",
    "playbook": "the playbook's title",
}

_ALLOWED_TEXT = ", ".join("{" + name + "}" for name in TEMPLATE_VARIABLES)

#: Values used to test-render templates at load time.
SAMPLE_VARIABLES: dict[str, Any] = {
    "brand": "ธนาคารตัวอย่าง",
    "key": "แอปธนาคารตัวอย่าง",
    "count": 128,
    "rule": "outage-keywords",
    "window": "15 นาที",
    "top_terms": "ล่ม, เข้าแอปไม่ได้, โอนเงินไม่ได้",
    "since": "2026-11-21 09:30",
    "playbook": "ระบบบริการขัดข้อง",
}


def template_problem(template: str) -> str | None:
    """What is wrong with ``template`` (one line), or None when it is fine."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as err:
        return (
            f"broken brace in template: {err} (write {{{{ and }}}} for a literal brace; "
            f"allowed variables: {_ALLOWED_TEXT})"
        )
    for _literal, field, spec, conversion in parts:
        if field is None:
            continue
        if field == "" or field.isdigit():
            return f"template has an unnamed placeholder {{{field}}} (allowed variables: {_ALLOWED_TEXT})"
        name = field.split(".", 1)[0].split("[", 1)[0]
        if name not in TEMPLATE_VARIABLES:
            return f"unknown template variable {{{name}}} (allowed variables: {_ALLOWED_TEXT})"
        if name != field:
            return f"template variable {{{field}}}: attribute or index access is not allowed (use {{{name}}})"
        if spec or conversion:
            written = "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            return (
                f"template variable {written}: a format spec or conversion (after : or !) is not allowed; "
                f"write the variable alone, e.g. {{{name}}} (allowed variables: {_ALLOWED_TEXT})"
            )
    try:
        template.format_map(SAMPLE_VARIABLES)
    except (ValueError, TypeError, KeyError, IndexError) as err:
        return f"template cannot be rendered: {err} (allowed variables: {_ALLOWED_TEXT})"
    return None


class _Placeholders(dict[str, Any]):
    """Missing variables stay visible as ``{name}`` so a person fills them in before sending."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _as_text(value: Any, lang: str = "th") -> Any:
    if value is None:
        return ""
    if isinstance(value, timedelta):
        return duration_words(value, lang)
    if isinstance(value, datetime):
        return show(value)
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    return value


def render_template(template: str, variables: Mapping[str, Any], lang: str = "th") -> str:
    """Fill ``template`` from ``variables`` (only the allowed ones are used).

    Lists are joined with ", ", durations become words, datetimes are shown in
    Asia/Bangkok time. A variable that is not given stays as ``{name}`` in the text.
    Raises ConfigError if the template uses an unknown variable or has a broken brace.
    """
    problem = template_problem(template)
    if problem:
        raise ConfigError(problem)
    values = _Placeholders(
        {k: _as_text(v, lang) for k, v in variables.items() if k in TEMPLATE_VARIABLES and v is not None}
    )
    try:
        return template.format_map(values)
    except (ValueError, TypeError) as err:  # a format spec that does not fit the value given
        raise ConfigError(f"template cannot be rendered with these values: {err}") from None


def alert_variables(
    alert: "FiredAlert", brand: str | None = None, playbook: "Playbook | None" = None, lang: str = "th", top: int = 5
) -> dict[str, Any]:
    """The template variables for one fired alert."""
    return {
        "brand": brand or alert.key or "",
        "key": alert.key or "",
        "count": alert.count,
        "rule": alert.rule,
        "window": duration_words(alert.window_end - alert.window_start, lang),
        "top_terms": ", ".join(alert.terms[:top]),
        "since": alert.window_start,
        "playbook": (playbook.title.get(lang) if playbook else ""),
    }


def top_terms(mentions: Iterable["Mention"], stop: Iterable[str] = (), n: int = 8) -> list[str]:
    """The ``n`` terms found in the most of ``mentions`` (each mention counts a term once):
    longer than one character, not a number, not in ``stop``, not what a personal-data mask
    (``[URL]``, ``[โทร]``) became."""
    skip = set(stop)
    counts: Counter[str] = Counter()
    for m in mentions:
        words = without_masks(m.tokens, m.text)
        counts.update(list(dict.fromkeys(t for t in words if len(t) > 1 and t not in skip and not t.isdigit())))
    return [t for t, _ in counts.most_common(n)]


def incident_variables(
    incident: "Incident", playbook: "Playbook | None", lang: str = "th", examples: Iterable["Mention"] = (),
    at: datetime | None = None, stop: Iterable[str] = (), top: int = 5,
) -> dict[str, Any]:
    """The template variables for an incident, one way for every caller (escalation messages,
    the workspace's ready-made replies): every variable has a value, never a literal ``{name}``.

    ``count`` is the mentions behind the incident's latest alert (not the number of alerts);
    ``since`` its opening, or its last reopening (escalation runs from then too); ``window`` the
    time from ``since`` to ``at`` (no ``at``: an empty text); ``top_terms`` the most frequent
    terms in ``examples`` (its mentions), leaving out ``stop``."""
    key = incident.key or ""
    since = incident.reopened_at or incident.opened_at
    window: Any = (at - since) if at is not None else None
    return {
        "brand": key,
        "key": key,
        "count": incident.mention_count or len(incident.mention_ids),
        "rule": incident.rule,
        "window": window if window is not None else "",
        "top_terms": ", ".join(top_terms(examples, stop)[:top]),
        "since": since,
        "playbook": playbook.title.get(lang) if playbook is not None else incident.playbook,
    }


# -- durations in words -------------------------------------------------------

_UNITS = {
    "th": {"d": ("วัน", "วัน"), "h": ("ชั่วโมง", "ชั่วโมง"), "m": ("นาที", "นาที"), "s": ("วินาที", "วินาที")},
    "en": {"d": ("day", "days"), "h": ("hour", "hours"), "m": ("minute", "minutes"), "s": ("second", "seconds")},
}


def duration_words(delta: timedelta, lang: str = "th") -> str:
    """``15m`` → "15 นาที"; ``90m`` → "1 ชั่วโมง 30 นาที"; ``24h`` → "24 ชั่วโมง"; ``7d`` → "7 วัน".

    Up to 72 hours is said in hours (as in "ภายใน 24 ชั่วโมง", "ภายใน 72 ชั่วโมง"); longer in days.
    """
    units = _UNITS.get(lang, _UNITS["th"])
    seconds = int(round(delta.total_seconds()))
    if seconds <= 0:
        return "0 " + units["m"][1]
    parts: list[tuple[int, str]] = []
    if seconds > 72 * 3600:
        days, seconds = divmod(seconds, 86400)
        parts.append((days, "d"))
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    parts += [(hours, "h"), (minutes, "m"), (seconds, "s")]
    words = [f"{n} {units[u][0] if n == 1 else units[u][1]}" for n, u in parts if n]
    return " ".join(words)


def first_steps(playbook: "Playbook", n: int = 3, lang: str = "th") -> list[str]:
    """The first ``n`` steps as lines: ``1. <title> (<owner>, ภายใน 15 นาที)``.

    ``lang="en"`` gives ``1. <title> (<owner>, within 15 minutes)``; a step with
    no English title falls back to its Thai one. A step due at 0 is "ทันที" / "immediately".
    """
    out = []
    for i, step in enumerate(playbook.steps[: max(n, 0)], start=1):
        title = step.title.get(lang)
        if step.due.total_seconds() <= 0:
            when = "immediately" if lang == "en" else "ทันที"
        else:
            when = ("within " if lang == "en" else "ภายใน ") + duration_words(step.due, lang)
        out.append(f"{i}. {title} ({step.owner}, {when})")
    return out
