"""Which playbook fits a fired alert."""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable

from enrich.normalize import normalize
from sadap.core.alert import FiredAlert, at_least
from playbooks.schema import Playbook, When


@lru_cache(maxsize=4096)
def _norm(text: str) -> str:
    """``text`` as mention text is normalised (NFC, Thai vowel and tone-mark order, ``ํ`` + ``า``
    → ``ำ``, zero-width characters, Thai digits, …: :func:`enrich.normalize.normalize`), then
    case-folded: a keyword or entity that looks the same as the text matches it."""
    return normalize(text).casefold().strip()


def _keyword_hit(keywords: Iterable[str], alert: FiredAlert) -> bool:
    haystacks = [alert.query or "", alert.title_th, alert.title_en, *alert.terms]
    haystacks = [_norm(h) for h in haystacks if h]
    for keyword in keywords:
        k = _norm(keyword)
        if k and any(k in h for h in haystacks):
            return True
    return False


def conditions_hold(when: When, alert: FiredAlert) -> bool:
    """True when every condition given in ``when`` holds for ``alert`` (an empty ``when`` never holds)."""
    if when.is_empty():
        return False
    if when.rules and alert.rule not in when.rules:
        return False
    if when.rule_types and alert.rule_type not in when.rule_types:
        return False
    if when.min_severity and not at_least(alert.severity, when.min_severity):
        return False
    if when.entities:
        wanted = {_norm(e) for e in when.entities}
        have = {_norm(e) for e in ([alert.key] if alert.key else []) + list(alert.entities)}
        if not wanted & have:
            return False
    if when.keywords and not _keyword_hit(when.keywords, alert):
        return False
    return True


def match_playbook(alert: FiredAlert, playbooks: list[Playbook]) -> Playbook | None:
    """The playbook for ``alert``, or None.

    1. ``alert.playbook_hint`` naming a loaded playbook wins.
    2. Otherwise the first playbook whose every ``when`` condition holds, trying first
       those whose ``when.rules`` lists the alert's rule, then the rest in load order.
    """
    if alert.playbook_hint:
        for playbook in playbooks:
            if playbook.id == alert.playbook_hint:
                return playbook
    named = [p for p in playbooks if alert.rule in p.when.rules]
    rest = [p for p in playbooks if alert.rule not in p.when.rules]
    for playbook in named + rest:
        if conditions_hold(playbook.when, alert):
            return playbook
    return None
