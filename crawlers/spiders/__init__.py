"""Sadap's spiders, one module each. Importing this package registers them: adding a spider
is its module plus one line here (see docs/contributing.md)."""

from crawlers.spiders import article, forum, rss  # noqa: F401  (each module registers its spider)
from crawlers.spiders.base import SPIDERS, SourceOptions, SourceSpider

__all__ = ["SPIDERS", "SourceOptions", "SourceSpider"]
