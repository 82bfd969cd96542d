"""Voice-of-customer classifiers an organisation trained (``sadap train``), versioned in its data
directory like the sentiment models (:mod:`enrich.model_versions`):
``<data dir>/models/voc/v1/voc-learned.npz`` is the refitted classifier (enrich/voc_model.py).
"""

from __future__ import annotations

from pathlib import Path

from enrich.model_versions import ModelVersions

VERSIONS = ModelVersions(Path("models") / "voc", "voc-learned.npz", "voice-of-customer")
