"""The commented starter ``sadap.yaml`` (``sadap init``) and the demo's config share one template."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from sadap.app.config import EnrichConfig
from sadap.app.sources import source_models
from sadap.core.errors import InputError

EXAMPLE_WATCH = """  - name: บริษัทตัวอย่าง
    kind: brand
    aliases: [ตัวอย่าง, Example Co, ExampleCo]
"""
EXAMPLE_SOURCES = """  # - name: news
  #   kind: rss
  #   url: https://example.com/rss.xml
  #   every: 15m
  []
"""


def _template(name: str) -> str:
    return resources.files("sadap.app.templates").joinpath(name).read_text(encoding="utf-8")


def render_config(watch_block: str, sources_block: str) -> str:
    # The default engine and the kinds come from the code, so the comments follow a new default or spider.
    values = {
        "$DEFAULT_ENGINE": str(EnrichConfig.model_fields["sentiment_model"].default),
        "$KINDS": " | ".join(source_models()),
        "$WATCH": watch_block.rstrip("\n"),
        "$SOURCES": sources_block.rstrip("\n"),
    }
    text = _template("starter.yaml")
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text + _template("rules.yaml")


def write_starter(directory: Path, force: bool = False) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "sadap.yaml"
    if path.exists() and not force:
        raise InputError(f"{path} already exists (use --force to overwrite)")
    path.write_text(render_config(EXAMPLE_WATCH, EXAMPLE_SOURCES), encoding="utf-8")
    return path
