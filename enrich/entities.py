"""Watched entities: find a brand, product, person or topic by any of its spellings."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from enrich.normalize import normalize

_ASCII = re.compile(r"^[\x00-\x7f]+$")


@dataclass(frozen=True)
class Entity:
    name: str
    aliases: tuple[str, ...] = ()


class EntityMatcher:
    """Matches aliases on normalised, lower-cased text; also with spaces removed, since Thai
    writers often drop them ("แสงทองพลัส"). Latin aliases must stand as whole words."""

    def __init__(self, entities: Iterable[Entity]):
        self._thai: list[tuple[str, str]] = []
        self._latin: list[tuple[str, re.Pattern]] = []
        for entity in entities:
            for spelling in {entity.name, *entity.aliases}:
                form = normalize(spelling).lower()
                if not form:
                    continue
                if _ASCII.match(form):
                    words = r"\s*".join(re.escape(w) for w in form.split())
                    self._latin.append((entity.name, re.compile(rf"(?<![a-z0-9]){words}(?![a-z0-9])")))
                else:
                    self._thai.append((entity.name, form.replace(" ", "")))

    def find(self, normalised_text: str) -> list[str]:
        lower = normalised_text.lower()
        compact = re.sub(r"\s+", "", lower)
        found: list[str] = []
        for name, form in self._thai:
            if name not in found and form in compact:
                found.append(name)
        for name, pattern in self._latin:
            if name not in found and pattern.search(lower):
                found.append(name)
        return found
