"""Sentiment models an organisation trained (``sadap train``), versioned in its data directory
(:mod:`enrich.model_versions`): ``<data dir>/models/sentiment/v1/sentiment-linear.npz`` is the
refitted fast engine (linear-v3's recipe). Enrichment loads the active version when there is one
(:func:`enrich.sentiment.local_engine`), else the shipped model.
"""

from __future__ import annotations

from pathlib import Path

from enrich.model_versions import ModelVersions

VERSIONS = ModelVersions(Path("models") / "sentiment", "sentiment-linear.npz", "sentiment")
