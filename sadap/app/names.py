"""The (Thai, English) names people read for labels declared by the stages: categories and
complaint types (with their words in the shipped lexicon), and kinds of source (with their spiders)."""

from __future__ import annotations

from enrich.voc import Lexicons
from sadap.app.sources import source_kinds


def category_names() -> dict[str, tuple[str, str]]:
    return Lexicons.names("categories")


def complaint_type_names() -> dict[str, tuple[str, str]]:
    return Lexicons.names("complaint_types")


__all__ = ["category_names", "complaint_type_names", "source_kinds"]
