"""Matches that renew (``Match.renew``): inside the cool-down, a match listing an id that no
alert for its rule and key listed yet is a new alert (``complaint_sla`` with ``scope:
mentions``: a complaint newly overdue while older ones keep the rule cooling). Where the match
names its ``renew_on`` ids, only those make it new (``complaint_sla``: one per wait, so what a
customer adds to a case's overdue wait is listed in the next alert, not alerted on its own)."""

from __future__ import annotations

from dataclasses import replace

from alerts.rules.base import Match
from sadap.store import Store


class Alerted:
    """The ids the alerts of renewing matches listed, by (rule, key): what this engine fired,
    and on a miss what the store recorded (a restart, another worker's alert)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._ids: dict[tuple[str, str], set[str]] = {}

    def maybe_new(self, rule_id: str, key: str, match: Match) -> bool:
        """Whether the match may list an id not alerted yet, without reading (a pair not
        seen since start may)."""
        if not match.renew:
            return False
        known = self._ids.get((rule_id, key))
        return known is None or any(i not in known for i in _triggers(match))

    def new_ids(self, rule_id: str, key: str, match: Match) -> list[str]:
        """The match's ids that no alert for its rule and key listed, where one of its
        ``renew_on`` ids is among them (else none). On a miss, reads the alerts recorded since
        the match's window began (an id is in the match only from then, so no earlier alert can
        list it)."""
        if not self.maybe_new(rule_id, key, match):
            return []
        known: set[str] = set()
        for doc in self.store.alerts_since(match.window_start):
            if doc.get("rule") == rule_id and (doc.get("key") or "*") == key:
                known.update(i for i in doc.get("mention_ids") or [] if isinstance(i, str))
        self._ids[(rule_id, key)] = known
        if all(i in known for i in _triggers(match)):
            return []
        return [i for i in match.mention_ids if i not in known]

    def fired(self, rule_id: str, key: str, ids: list[str]) -> None:
        self._ids.setdefault((rule_id, key), set()).update(ids)


def _triggers(match: Match) -> list[str]:
    return match.mention_ids if match.renew_on is None else match.renew_on


def renewed(match: Match, new: list[str]) -> Match:
    """The match as a new alert: its new ids first, and how many (``detail["new"]``)."""
    fresh = set(new)
    return replace(match, mention_ids=new + [i for i in match.mention_ids if i not in fresh],
                   detail={**match.detail, "new": len(new)})
