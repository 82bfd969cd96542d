"""The key a snooze names, as the rule's alerts carry it (one function for the CLI and the web).

A snooze silences a rule for one key: the engine compares the stored key with each match's key
as the rule's field stores it, so ``#SaengThongDown`` must become ``saengthongdown`` and the
alias ``แสงทอง`` the watched name ``ธนาคารแสงทอง``, or the snooze silences nothing. A key the
rule can never produce (a name that is not watched, a sentiment that does not exist, any key on
a rule without ``group_by``) is refused; a free-text key (hashtag, keyword, a source not
configured) that no stored mention has yet is kept, with a warning."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, get_args

from alerts.rules.base import Rule
from sadap.app.config import Config
from sadap.app.names import category_names, news_topic_names, source_kinds
from sadap.core.errors import InputError
from sadap.core.mention import ExpectationLevel, SentimentLabel
from sadap.store import GROUP_FIELDS, MentionFilter, Store

EVERY = "*"
_SHOWN = 20  # at most this many allowed keys in a refusal
_WORD = {"hashtag": ("แฮชแท็ก", "hashtag"), "keyword": ("คำสำคัญ", "keyword"), "source_name": ("แหล่งข้อมูล", "source")}


@dataclass(frozen=True)
class SnoozeKey:
    key: str  # what to store: the key as the rule's alerts carry it, or "*"
    warning: str | None = None  # one line (Thai, then English) when the key could not be checked


def key_field(rule: Rule) -> str | None:
    """What a rule's alert keys are: a group field, ``incident`` or None (one alert, no key)."""
    o = rule.options
    if rule.type_name == "new_term":
        return str(getattr(o, "field"))
    if rule.type_name == "complaint_sla" and getattr(o, "scope", None) == "incidents":
        return "incident"
    return o.group_by


def snooze_key(config: Config, store: Store, rule: Rule, raw: str) -> SnoozeKey:
    """``raw`` as ``rule``'s alerts carry it. Raises InputError (one line, Thai and English,
    naming what is allowed) for a key the rule cannot produce."""
    text = " ".join(raw.split())
    if not text or text == EVERY:
        return SnoozeKey(EVERY)
    field = key_field(rule)
    if field is None:
        raise _refuse(rule, text, "มีการแจ้งเตือนเดียว ไม่แยกตามคีย์", "it has no group_by, so its alerts have no key", [])
    if field in ("hashtag", "keyword"):
        return _free(store, field, text.lstrip("#").strip().lower())
    if field == "entity":
        return SnoozeKey(_entity(config, rule, text))
    if field == "incident":
        return SnoozeKey(_incident(store, rule, text))
    if field == "stakeholder":
        by_name = {n.strip().lower(): s.id for s in store.list_stakeholders() for n in (s.id, s.name, s.name_en) if n}
        return SnoozeKey(_closed(rule, text, by_name, "ผู้มีส่วนได้ส่วนเสียที่ลงทะเบียน", "a registered stakeholder"))
    if field == "source_name":
        listed = [s.name for s in config.sources]
        allowed = list(getattr(rule.options, "sources", None) or [])
        if allowed:
            return SnoozeKey(_closed(rule, text, {s.lower(): s for s in allowed}, "แหล่งข้อมูลของกฎ", "one of the rule's sources"))
        by_name = {s.lower(): s for s in listed}
        return SnoozeKey(by_name[text.lower()]) if text.lower() in by_name else _free(store, field, text)
    return SnoozeKey(_closed(rule, text, _labels(config, rule, field), "ค่าที่กฎนี้ใช้", f"a {field} value"))


def _labels(config: Config, rule: Rule, field: str) -> dict[str, str]:
    """Closed sets of values: each value and its Thai and English names, lower-cased → value."""
    named: dict[str, tuple[str, str]]
    if field == "sentiment":
        wanted = getattr(rule.options, "sentiment", None) or get_args(SentimentLabel)
        named = {v: (v, v) for v in wanted}
    elif field == "expectation":
        named = {v: (v, v) for v in get_args(ExpectationLevel)}
    elif field == "category":
        named = {**category_names(), **{k: (k, k) for k in config.enrich.categories}}
    elif field == "news_topic":
        named = news_topic_names()
    elif field == "source_kind":
        named = source_kinds()
    else:  # a group field added later: taken as it is
        return {}
    return {n.strip().lower(): value for value, names in named.items() for n in (value, *names)}


def _closed(rule: Rule, text: str, allowed: dict[str, str], th: str, en: str) -> str:
    if not allowed:
        return text
    found = allowed.get(text.lower())
    if found is None:
        raise _refuse(rule, text, f"ไม่ใช่{th}", f"it is not {en}", sorted(set(allowed.values())))
    return found


def _entity(config: Config, rule: Rule, text: str) -> str:
    names = {e.name.strip().lower(): e.name for e in config.watch}
    names.update({a.strip().lower(): e.name for e in config.watch for a in e.aliases if a.strip().lower() not in names})
    name = names.get(text.lower())
    if name is None:
        raise _refuse(rule, text, "ไม่ใช่ชื่อหรือชื่อเรียกอื่นที่เฝ้าดู", "it is not a watched name or alias",
                      [e.name for e in config.watch])
    only = list(getattr(rule.options, "entities", None) or [])
    if only and name not in only:
        raise _refuse(rule, text, "กฎนี้ดูเฉพาะชื่ออื่น", f"the rule only watches {', '.join(only)}", only)
    return name


def _incident(store: Store, rule: Rule, text: str) -> str:
    for candidate in dict.fromkeys((text, text.upper())):
        if store.get_incident(candidate) is not None:
            return candidate
    raise _refuse(rule, text, "ไม่มีเหตุการณ์นี้", "its keys are incident ids and there is no such incident "
                  "(see `sadap incidents list`)", [])


def _free(store: Store, field: str, key: str) -> SnoozeKey:
    """A free-text key: kept, with a warning when no stored mention has it yet."""
    only: dict[str, Any] = {str(GROUP_FIELDS[field].filter): (key,)}
    if store.count(replace(MentionFilter(), **only)):
        return SnoozeKey(key)
    th, en = _WORD[field]
    return SnoozeKey(key, f"คำเตือน: ยังไม่มีข้อความใดที่มี{th} {key!r} — ตรวจตัวสะกด "
                          f"(warning: no stored mention has {en} {key!r} yet; check the spelling)")


def _refuse(rule: Rule, text: str, th: str, en: str, allowed: Iterable[str]) -> InputError:
    shown = list(allowed)
    listed = ", ".join(shown[:_SHOWN]) + (f", … ({len(shown)} in all)" if len(shown) > _SHOWN else "")
    allowed_text = f"allowed: {listed}, or * for every key" if shown else "allowed: * (every key)"
    return InputError(f"กฎ {rule.id} ใช้คีย์ {text!r} ไม่ได้: {th} "
                      f"(rule {rule.id!r} cannot have key {text!r}: {en}; {allowed_text})")
