"""Tag mentions by or about registered stakeholders.

The tagger reads a *match table* (:class:`sadap.core.stakeholder.StakeholderEntry` rows) that
the app layer builds from the store's registry, so enrichment never touches the store. A
mention is tagged with a stakeholder when

* its text, title or thread title names them (their name, English name or an alias, matched
  the way watched names are: :mod:`enrich.entities`),
* enrichment found one of their linked watched names in it, or
* it was posted by one of their accounts (the author's pseudonym, or where display names are
  kept, the name itself).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from enrich.entities import Entity, EntityMatcher
from enrich.normalize import normalize
from sadap.core.mention import Mention
from sadap.core.stakeholder import StakeholderEntry


class StakeholderTagger:
    def __init__(self, entries: Iterable[StakeholderEntry], custom_words: Iterable[str] = ()):
        self.entries = list(entries)
        by_name: dict[str, list[str]] = {}
        entities: list[Entity] = []
        for e in self.entries:
            names = [n for n in dict.fromkeys(e.names) if n.strip()]
            if not names:
                continue
            key = f"{e.id}\x1f{names[0]}"  # unique per stakeholder, never matched as a spelling itself
            by_name.setdefault(key, []).append(e.id)
            entities.append(Entity(names[0], tuple(names[1:])))
            by_name.setdefault(names[0], []).append(e.id)
        self._by_name = by_name
        self._matcher = EntityMatcher(entities, custom_words=custom_words) if entities else None
        self._watched: dict[str, list[str]] = {}
        self._authors: dict[str, list[str]] = {}
        self._author_names: dict[str, list[str]] = {}
        for e in self.entries:
            for w in e.watched:
                self._watched.setdefault(w, []).append(e.id)
            for a in e.author_ids:
                self._authors.setdefault(a, []).append(e.id)
            for n in e.author_names:
                self._author_names.setdefault(n.strip().lower(), []).append(e.id)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def tag(self, m: Mention, normalised: str | None = None) -> list[str]:
        """Ids of the stakeholders ``m`` is by or about, in registry order. ``normalised``: its
        title, text and thread title already normalised (enrichment has them; normalising is
        most of the cost), else they are normalised here."""
        found: set[str] = set()
        if self._matcher is not None:
            if normalised is None:
                parts = [m.title or "", m.text]
                thread = m.extras.get("thread_title")
                if isinstance(thread, str):
                    parts.append(thread)
                normalised = normalize("\n".join(parts))
            for name in self._matcher.find(normalised):
                found.update(self._by_name.get(name, ()))
        for entity in m.entities:
            found.update(self._watched.get(entity, ()))
        if m.author_id:
            found.update(self._authors.get(m.author_id, ()))
        if m.author_name:
            found.update(self._author_names.get(m.author_name.strip().lower(), ()))
        return [e.id for e in self.entries if e.id in found]

    def tag_all(self, mentions: Sequence[Mention]) -> list[Mention]:
        """The mentions with their ``stakeholders`` set (changed in place, and returned)."""
        for m in mentions:
            m.stakeholders = self.tag(m)
        return list(mentions)
