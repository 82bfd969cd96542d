"""The item every Sadap spider yields: the fields of :class:`sadap.core.mention.RawMention`."""

from __future__ import annotations

import scrapy


class MentionItem(scrapy.Item):
    source_kind = scrapy.Field()
    source_name = scrapy.Field()
    text = scrapy.Field()
    native_id = scrapy.Field()
    url = scrapy.Field()
    author = scrapy.Field()
    title = scrapy.Field()
    published_at = scrapy.Field()
    engagement = scrapy.Field()
    extras = scrapy.Field()
