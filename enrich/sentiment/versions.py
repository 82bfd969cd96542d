"""Sentiment models an organisation trained (``sadap train``), versioned in its data directory.

    <data dir>/models/sentiment/v1/sentiment-linear.npz   the refitted fast engine (linear-v3's recipe)
    <data dir>/models/sentiment/v1/version.json           what it was trained on and how it scored
    <data dir>/models/sentiment/ACTIVE                    the version enrichment uses (absent: the shipped models)

Enrichment loads the active version when there is one (:func:`enrich.sentiment.local_engine`),
else the shipped model; ``sadap train --rollback`` moves ``ACTIVE`` back.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from sadap.core.errors import InputError

SUBDIR = Path("models") / "sentiment"
MODEL_FILE = "sentiment-linear.npz"
INFO_FILE = "version.json"
ACTIVE_FILE = "ACTIVE"
SHIPPED = "shipped"
_VERSION = re.compile(r"v(\d+)")


def root(data_dir: Path) -> Path:
    return Path(data_dir) / SUBDIR


def versions(data_dir: Path) -> list[str]:
    """Stored versions, oldest first (``v1``, ``v2`` …)."""
    base = root(data_dir)
    if not base.is_dir():
        return []
    found = [p.name for p in base.iterdir() if _VERSION.fullmatch(p.name) and (p / MODEL_FILE).is_file()]
    return sorted(found, key=lambda v: int(v[1:]))


def info(data_dir: Path, version: str) -> dict[str, Any]:
    path = root(data_dir) / version / INFO_FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data


def active(data_dir: Path) -> str | None:
    """The active version's name, or None for the shipped models (also when the pointer names a
    version that is gone)."""
    pointer = root(data_dir) / ACTIVE_FILE
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return name if name in versions(data_dir) else None


def active_dir(data_dir: Path) -> Path | None:
    name = active(data_dir)
    return root(data_dir) / name if name else None


def new_dir(data_dir: Path) -> tuple[str, Path]:
    """A fresh version directory (created), numbered after the highest stored one."""
    base = root(data_dir)
    base.mkdir(parents=True, exist_ok=True)
    numbers = [int(m.group(1)) for p in base.iterdir() if (m := _VERSION.fullmatch(p.name))]
    name = f"v{max(numbers, default=0) + 1}"
    path = base / name
    path.mkdir()
    return name, path


def activate(data_dir: Path, version: str | None) -> None:
    """Make ``version`` the one enrichment uses (None or ``shipped``: the shipped models)."""
    base = root(data_dir)
    pointer = base / ACTIVE_FILE
    if version in (None, SHIPPED):
        pointer.unlink(missing_ok=True)
        return
    if version not in versions(data_dir):
        stored = ", ".join(versions(data_dir)) or "none"
        raise InputError(f"no trained sentiment version {version!r}; stored: {stored} (or {SHIPPED})")
    tmp = pointer.with_suffix(".tmp")
    tmp.write_text(f"{version}\n", encoding="utf-8")
    os.replace(tmp, pointer)  # atomic: a running service reads the old or the new name, never half


def previous(data_dir: Path) -> str:
    """What a rollback without a version goes back to: the version before the active one, else
    the shipped models."""
    current = active(data_dir)
    stored = versions(data_dir)
    if current is None or stored.index(current) == 0:
        return SHIPPED
    return stored[stored.index(current) - 1]
