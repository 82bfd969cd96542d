"""Voice-of-customer classifiers an organisation trained (``sadap train``), versioned in its data
directory like the sentiment models (:mod:`enrich.model_versions`):
``<data dir>/models/voc/v1/voc-learned.npz`` is the refitted classifier (enrich/voc_model.py).
"""

from __future__ import annotations

from pathlib import Path

from enrich.model_versions import ACTIVE_FILE, INFO_FILE, SHIPPED, ModelVersions

VERSIONS = ModelVersions(Path("models") / "voc", "voc-learned.npz", "voice-of-customer")
SUBDIR = VERSIONS.subdir
MODEL_FILE = VERSIONS.model_file
root = VERSIONS.root
versions = VERSIONS.versions
info = VERSIONS.info
active = VERSIONS.active
active_model = VERSIONS.active_model
new_dir = VERSIONS.new_dir
activate = VERSIONS.activate
previous = VERSIONS.previous

__all__ = ["ACTIVE_FILE", "INFO_FILE", "MODEL_FILE", "SHIPPED", "SUBDIR", "VERSIONS", "activate", "active",
           "active_model", "info", "new_dir", "previous", "root", "versions"]
