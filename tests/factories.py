"""Building real stored mentions for tests without running the whole pipeline."""

from __future__ import annotations

from datetime import datetime, timedelta

from enrich.keywords import keywords
from enrich.normalize import normalize
from enrich.tokenize import tokenize
from sadap.core.mention import Mention, Sentiment, mention_id

ENTITY = "ธนาคารแสงทอง"


def mention(
    n: int,
    text: str,
    label: str,
    published: datetime,
    *,
    collected: datetime | None = None,
    entities: tuple[str, ...] = (ENTITY,),
    source: str = "forum-test",
    author: str | None = None,
) -> Mention:
    tokens = tokenize(normalize(text), ["แสงทอง", ENTITY])
    return Mention(
        id=mention_id(source, f"m{n}"),
        source_kind="forum",
        source_name=source,
        native_id=f"m{n}",
        url=f"http://127.0.0.1/forum/{n}",
        author_id=author or f"a_{n:04d}",
        published_at=published,
        collected_at=collected or published + timedelta(minutes=2),
        text=text,
        tokens=tokens,
        keywords=keywords(tokens),
        sentiment=Sentiment(label=label, score=0.9),
        entities=list(entities),
        text_hash=f"hash-{n}",
    )
