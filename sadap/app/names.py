"""The (Thai, English) names people read for labels declared by the stages: categories,
complaint types and news topics (with their words in the shipped lexicons), and kinds of source (with their spiders)."""

from __future__ import annotations

from enrich.news import topic_names
from enrich.voc import Lexicons
from sadap.app.sources import source_kinds


def category_names() -> dict[str, tuple[str, str]]:
    return Lexicons.names("categories")


def complaint_type_names() -> dict[str, tuple[str, str]]:
    return Lexicons.names("complaint_types")


def news_topic_names() -> dict[str, tuple[str, str]]:
    """News topics (politics, economy, crime…: enrich/lexicons/news.yaml), ``other`` included."""
    return topic_names()


__all__ = ["category_names", "complaint_type_names", "news_topic_names", "source_kinds"]
