"""The enrichment stage: mask personal data, normalise, tokenise, detect language, hashtags,
entities, duplicates' fingerprints, sentiment, then expectation, category and complaint.
Stateless about the store; the ingest pipeline links duplicates."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from enrich.dedup import simhash, text_hash
from enrich.entities import Entity, EntityMatcher
from enrich.keywords import keywords
from enrich.language import detect_language
from enrich.normalize import normalize
from enrich.privacy import mask_personal_data
from enrich.tokenize import tokenize
from enrich.voc import Lexicons
from sadap.mention import Complaint, Mention, Sentiment

_HASHTAG = re.compile(r"#([0-9A-Za-z_\u0e00-\u0e7f]+)")
MAX_TEXT = 20_000  # characters analysed per mention; the full text is still stored.


def hashtags(text: str) -> list[str]:
    seen: list[str] = []
    for tag in _HASHTAG.findall(text):
        tag = tag.lower()
        if tag not in seen:
            seen.append(tag)
    return seen


class Enricher:
    def __init__(
        self,
        entities: Iterable[Entity] = (),
        custom_words: Iterable[str] = (),
        sentiment_model: str = "linear-v1",
        mask_personal_data: bool = True,
        lexicons: Lexicons | None = None,
    ):
        entities = list(entities)
        self.matcher = EntityMatcher(entities)
        words = set(custom_words)
        for e in entities:
            words.add(e.name)
            words.update(e.aliases)
        self.custom_words = tuple(sorted(words))
        self.sentiment_model = sentiment_model
        self.mask_personal_data = mask_personal_data
        self._lexicons = lexicons

    @property
    def lexicons(self) -> Lexicons:
        if self._lexicons is None:
            self._lexicons = Lexicons.build()
        return self._lexicons

    @classmethod
    def from_config(cls, config) -> "Enricher":
        return cls(
            entities=[Entity(e.name, tuple(e.aliases)) for e in config.watch],
            custom_words=config.enrich.custom_words,
            sentiment_model=config.enrich.sentiment_model,
            mask_personal_data=config.enrich.mask_personal_data,
            lexicons=Lexicons.from_config(config.enrich),
        )

    @staticmethod
    def _context(full: str, m: Mention) -> str:
        # A forum comment is about what its thread is about: "เข้าไม่ได้เหมือนกันค่ะ" under a
        # thread titled "แอปแสงทองล่ม" mentions the bank without naming it.
        thread = m.extras.get("thread_title")
        return f"{normalize(thread)}\n{full}" if isinstance(thread, str) and thread else full

    def _masked(self, m: Mention) -> Mention:
        """The mention with personal data masked in what is stored: text, title, thread title."""
        if not self.mask_personal_data:
            return m
        update: dict = {"text": mask_personal_data(m.text)}
        if m.title:
            update["title"] = mask_personal_data(m.title)
        thread = m.extras.get("thread_title")
        if isinstance(thread, str) and thread:
            update["extras"] = {**m.extras, "thread_title": mask_personal_data(thread)}
        return m.model_copy(update=update)

    def enrich(self, mentions: Sequence[Mention]) -> list[Mention]:
        from enrich.sentiment import predict

        out: list[Mention] = []
        texts: list[str] = []
        token_lists: list[list[str]] = []
        fulls: list[str] = []
        for m in mentions:
            m = self._masked(m)
            body = normalize(m.text[:MAX_TEXT])
            title = normalize(m.title or "")
            tokens = tokenize(body, self.custom_words)
            title_tokens = tokenize(title, self.custom_words) if title else []
            full = f"{title}\n{body}" if title else body
            extras = dict(m.extras)
            if title_tokens:
                extras["title_tokens"] = title_tokens
            out.append(
                m.model_copy(
                    update={
                        "language": detect_language(full),
                        "tokens": tokens,
                        "hashtags": hashtags(full),
                        "keywords": keywords(title_tokens + tokens),
                        "entities": self.matcher.find(self._context(full, m)),
                        "text_hash": text_hash(body),
                        "simhash": simhash(body),
                        "extras": extras,
                    }
                )
            )
            texts.append(body)
            token_lists.append(title_tokens + tokens)
            fulls.append(full)
        labels = predict(texts, [m.tokens for m in out], engine=self.sentiment_model) if texts else []
        lexicons = self.lexicons
        for m, words, full, (label, score) in zip(out, token_lists, fulls, labels):
            m.sentiment = Sentiment(label=label, score=round(float(score), 4))
            voc = lexicons.analyze(words, full, label)
            m.expectation = voc.expectation
            m.category = voc.category
            m.complaint = Complaint(is_complaint=voc.is_complaint, type=voc.complaint_type)
        return out
