"""Sentiment models an organisation trained (``sadap train``), versioned in its data directory
(:mod:`enrich.model_versions`): ``<data dir>/models/sentiment/v1/sentiment-linear.npz`` is the
refitted fast engine (linear-v3's recipe). Enrichment loads the active version when there is one
(:func:`enrich.sentiment.local_engine`), else the shipped model.
"""

from __future__ import annotations

from pathlib import Path

from enrich.model_versions import ACTIVE_FILE, INFO_FILE, SHIPPED, ModelVersions

VERSIONS = ModelVersions(Path("models") / "sentiment", "sentiment-linear.npz", "sentiment")
SUBDIR = VERSIONS.subdir
MODEL_FILE = VERSIONS.model_file
root = VERSIONS.root
versions = VERSIONS.versions
info = VERSIONS.info
active = VERSIONS.active
active_dir = VERSIONS.active_dir
new_dir = VERSIONS.new_dir
activate = VERSIONS.activate
previous = VERSIONS.previous

__all__ = ["ACTIVE_FILE", "INFO_FILE", "MODEL_FILE", "SHIPPED", "SUBDIR", "VERSIONS", "activate", "active",
           "active_dir", "info", "new_dir", "previous", "root", "versions"]
