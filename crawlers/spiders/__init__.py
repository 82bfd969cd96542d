"""Sadap's spiders, one module each. Importing this package registers them: adding a spider
is its module plus one line here (see docs/contributing.md)."""

# Each module registers its spider: one line per spider.
from crawlers.spiders import (  # noqa: F401
    article,
    facebook_page,
    forum,
    google_news,
    pantip,
    partner_feed,
    rss,
    sitemap,
    x,
    youtube,
)
from crawlers.spiders.base import SPIDERS, SourceOptions, SourceSpider

__all__ = ["SPIDERS", "SourceOptions", "SourceSpider"]
