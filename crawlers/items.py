"""The item every Sadap spider yields: one field per field of
:class:`sadap.core.mention.RawMention`, generated from it so the two cannot drift."""

from __future__ import annotations

from typing import TYPE_CHECKING

import scrapy

from sadap.core.mention import RawMention

if TYPE_CHECKING:
    MentionItem = scrapy.Item
else:
    MentionItem = type(
        "MentionItem",
        (scrapy.Item,),
        {"__module__": __name__, "__doc__": __doc__, **{name: scrapy.Field() for name in RawMention.model_fields}},
    )

__all__ = ["MentionItem"]
