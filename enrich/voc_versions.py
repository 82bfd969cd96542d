"""Voice-of-customer classifiers an organisation trained (``sadap train``), versioned in its data
directory like the sentiment models (:mod:`enrich.sentiment.versions`):

    <data dir>/models/voc/v1/voc-learned.npz   the refitted classifier (enrich/voc_model.py)
    <data dir>/models/voc/v1/version.json      what it was trained on and how it scored
    <data dir>/models/voc/ACTIVE               the version enrichment uses (absent: the shipped model)

``sadap train --rollback`` moves ``ACTIVE`` back (both kinds of model together).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from sadap.core.errors import InputError

SUBDIR = Path("models") / "voc"
MODEL_FILE = "voc-learned.npz"
INFO_FILE = "version.json"
ACTIVE_FILE = "ACTIVE"
SHIPPED = "shipped"
_VERSION = re.compile(r"v(\d+)")


def root(data_dir: Path) -> Path:
    return Path(data_dir) / SUBDIR


def versions(data_dir: Path) -> list[str]:
    """Stored versions, oldest first."""
    base = root(data_dir)
    if not base.is_dir():
        return []
    found = [p.name for p in base.iterdir() if _VERSION.fullmatch(p.name) and (p / MODEL_FILE).is_file()]
    return sorted(found, key=lambda v: int(v[1:]))


def info(data_dir: Path, version: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((root(data_dir) / version / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data


def active(data_dir: Path) -> str | None:
    """The active version, or None for the shipped model (also when the pointer names a missing one)."""
    try:
        name = (root(data_dir) / ACTIVE_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return name if name in versions(data_dir) else None


def active_model(data_dir: Path | None) -> Path | None:
    """The active version's model file, None for the shipped model."""
    if data_dir is None:
        return None
    name = active(data_dir)
    return root(data_dir) / name / MODEL_FILE if name else None


def new_dir(data_dir: Path) -> tuple[str, Path]:
    base = root(data_dir)
    base.mkdir(parents=True, exist_ok=True)
    numbers = [int(m.group(1)) for p in base.iterdir() if (m := _VERSION.fullmatch(p.name))]
    name = f"v{max(numbers, default=0) + 1}"
    (base / name).mkdir()
    return name, base / name


def activate(data_dir: Path, version: str | None) -> None:
    """Make ``version`` the one enrichment uses (None or ``shipped``: the shipped model)."""
    pointer = root(data_dir) / ACTIVE_FILE
    if version in (None, SHIPPED):
        pointer.unlink(missing_ok=True)
        return
    if version not in versions(data_dir):
        stored = ", ".join(versions(data_dir)) or "none"
        raise InputError(f"no trained voice-of-customer version {version!r}; stored: {stored} (or {SHIPPED})")
    tmp = pointer.with_suffix(".tmp")
    tmp.write_text(f"{version}\n", encoding="utf-8")
    os.replace(tmp, pointer)


def previous(data_dir: Path) -> str:
    """The version before the active one, else the shipped model."""
    current = active(data_dir)
    stored = versions(data_dir)
    if current is None or stored.index(current) == 0:
        return SHIPPED
    return stored[stored.index(current) - 1]
