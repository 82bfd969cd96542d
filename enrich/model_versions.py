"""Models an organisation trained (``sadap train``), versioned in its data directory.

One layout for every kind of trained model (the sentiment engine, the voice-of-customer
classifier)::

    <data dir>/models/<kind>/v1/<model file>   the refitted model
    <data dir>/models/<kind>/v1/version.json   what it was trained on and how it scored
    <data dir>/models/<kind>/ACTIVE            the version enrichment uses (absent: the shipped model)

``sadap train --rollback`` moves ``ACTIVE`` back.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sadap.core.errors import InputError

INFO_FILE = "version.json"
ACTIVE_FILE = "ACTIVE"
SHIPPED = "shipped"
_VERSION = re.compile(r"v(\d+)")


@dataclass(frozen=True)
class ModelVersions:
    """The stored versions of one kind of model: ``subdir`` under the data directory, the model's
    file name in each version, and ``noun`` naming the kind in messages."""

    subdir: Path
    model_file: str
    noun: str

    def root(self, data_dir: Path) -> Path:
        return Path(data_dir) / self.subdir

    def versions(self, data_dir: Path) -> list[str]:
        """Stored versions, oldest first (``v1``, ``v2`` …)."""
        base = self.root(data_dir)
        if not base.is_dir():
            return []
        found = [p.name for p in base.iterdir() if _VERSION.fullmatch(p.name) and (p / self.model_file).is_file()]
        return sorted(found, key=lambda v: int(v[1:]))

    def info(self, data_dir: Path, version: str) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads((self.root(data_dir) / version / INFO_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data

    def active(self, data_dir: Path) -> str | None:
        """The active version's name, or None for the shipped model (also when the pointer names a
        version that is gone)."""
        try:
            name = (self.root(data_dir) / ACTIVE_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return name if name in self.versions(data_dir) else None

    def active_dir(self, data_dir: Path) -> Path | None:
        name = self.active(data_dir)
        return self.root(data_dir) / name if name else None

    def active_model(self, data_dir: Path | None) -> Path | None:
        """The active version's model file, None for the shipped model."""
        if data_dir is None:
            return None
        found = self.active_dir(data_dir)
        return found / self.model_file if found else None

    def new_dir(self, data_dir: Path) -> tuple[str, Path]:
        """A fresh version directory (created), numbered after the highest stored one."""
        base = self.root(data_dir)
        base.mkdir(parents=True, exist_ok=True)
        numbers = [int(m.group(1)) for p in base.iterdir() if (m := _VERSION.fullmatch(p.name))]
        name = f"v{max(numbers, default=0) + 1}"
        path = base / name
        path.mkdir()
        return name, path

    def activate(self, data_dir: Path, version: str | None) -> None:
        """Make ``version`` the one enrichment uses (None or ``shipped``: the shipped model)."""
        pointer = self.root(data_dir) / ACTIVE_FILE
        if version in (None, SHIPPED):
            pointer.unlink(missing_ok=True)
            return
        stored = self.versions(data_dir)
        if version not in stored:
            raise InputError(f"no trained {self.noun} version {version!r}; stored: {', '.join(stored) or 'none'} "
                             f"(or {SHIPPED})")
        tmp = pointer.with_suffix(".tmp")
        tmp.write_text(f"{version}\n", encoding="utf-8")
        os.replace(tmp, pointer)  # atomic: a running service reads the old or the new name, never half

    def previous(self, data_dir: Path) -> str:
        """What a rollback without a version goes back to: the version that was active when the
        active one was trained (``previous`` in its ``version.json``), so a rollback never
        re-activates a version the team had rolled back away from; when that is not recorded or
        no longer stored, the next lower stored version; else the shipped model (also when the
        shipped model is active: check :meth:`active` first)."""
        current = self.active(data_dir)
        if current is None:
            return SHIPPED
        stored = self.versions(data_dir)
        recorded = self.info(data_dir, current).get("previous")
        if recorded == SHIPPED or (isinstance(recorded, str) and recorded in stored and recorded != current):
            return recorded
        lower = [v for v in stored if int(v[1:]) < int(current[1:])]
        return lower[-1] if lower else SHIPPED
