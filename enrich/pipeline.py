"""The enrichment stage: mask personal data, normalise, tokenise, detect language, hashtags
and their words, entities, duplicates' fingerprints, spam score, sentiment, then expectation,
category and complaint. Stateless about the store; the ingest pipeline links duplicates."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from enrich.dedup import simhash, text_hash
from enrich.entities import Entity, EntityMatcher
from enrich.hashtags import distinct_words, hashtags, search_words, split_tags
from enrich.keywords import keywords
from enrich.language import detect_language
from enrich.news import NewsReader, NewsSettings, read_article, split_sentences
from enrich.normalize import normalize
from enrich.privacy import MASKS, mask_contacts, mask_link_query, mask_personal_data
from enrich.sentiment import DEFAULT_ENGINE, configure, local_engine, predict, predict_proba
from enrich.sentiment.english import CLEARLY_POSITIVE, english_sentiment
from enrich.spam import spam_score
from enrich.stakeholders import StakeholderTagger
from enrich.tokenize import tokenize
from enrich.csr import CsrLexicon
from enrich.voc_versions import VERSIONS as VOC_VERSIONS
from enrich.voc import Lexicons, LexiconSettings
from enrich.voc_model import DEFAULT_VOC, SHIPPED_MODEL, Features, VocModel, featurize
from enrich.voc_model import apply as apply_voc_model
from enrich.voc_model import get_model as get_voc_model
from sadap.core.mention import Complaint, Mention, Sentiment, SentimentLabel

__all__ = ["MAX_TEXT", "Enricher", "hashtags"]  # hashtags: moved to enrich.hashtags, still importable here

MAX_TEXT = 20_000  # characters analysed per mention; the full text is still stored.
MAX_TITLE = 1_000  # of a title (a headline is a line; a 40,000-character "title" took 18 s)
_SURROGATES = re.compile("[\ud800-\udfff]")
# Emoji that carry a feeling: faces, hearts, hands. Without words or these, a text is neutral.
_EXPRESSIVE = re.compile(
    "[\U0001F600-\U0001F64F\U0001F910-\U0001F92F\U0001F970-\U0001F97A\U0001F440-\U0001F450"
    "\U0001F480-\U0001F49F\U0001F5A4\U0001F90D-\U0001F90F\U0001F9E1\u2639\u263a\u2665\u2763\u2764]"
)
_MASKS = re.compile("|".join(re.escape(m) for m in MASKS))
_WORDY = re.compile(r"[^\W_]")


class EnrichSettings(LexiconSettings, Protocol):
    """The ``enrich:`` settings :meth:`Enricher.from_config` reads (the app layer's config)."""

    @property
    def sentiment_model(self) -> str: ...

    @property
    def sentiment_label_map(self) -> Mapping[str, str]: ...

    @property
    def sentiment_hub_download(self) -> bool: ...

    @property
    def english_sentiment(self) -> str: ...

    @property
    def custom_words(self) -> Sequence[str]: ...

    @property
    def mask_personal_data(self) -> bool: ...

    @property
    def csr(self) -> Mapping[str, Sequence[str]]: ...

    @property
    def news(self) -> NewsSettings: ...

    @property
    def voc(self) -> str: ...


class WatchedEntity(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def aliases(self) -> Sequence[str]: ...


class EnricherSource(Protocol):
    """What :meth:`Enricher.from_config` reads from the assembled config, declared here so that
    enrich need not import the app layer."""

    @property
    def enrich(self) -> EnrichSettings: ...

    @property
    def watch(self) -> Sequence[WatchedEntity]: ...

    @property
    def data_path(self) -> Path: ...


NO_CONTENT: tuple[SentimentLabel, float] = ("neu", 1.0)  # the sentiment of a text with nothing to read
NO_CONTENT_PROBABILITIES = (0.0, 1.0, 0.0, 0.0)  # pos, neu, neg, q


def _storable(m: Mention) -> Mention:
    """``m`` without lone surrogates (from bad input) in its text, title and string extras."""
    fields = {"text": m.text, "title": m.title, **{f"extras.{k}": v for k, v in m.extras.items()}}
    if not any(isinstance(v, str) and _SURROGATES.search(v) for v in fields.values()):
        return m

    def clean(v: object) -> object:
        return _SURROGATES.sub("", v) if isinstance(v, str) else v

    extras = {k: clean(v) for k, v in m.extras.items()}
    return m.model_copy(update={"text": clean(m.text), "title": clean(m.title), "extras": extras})


def _mask_value(value: object) -> object:
    if isinstance(value, str):
        return mask_personal_data(value)
    if isinstance(value, list):
        return [_mask_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _mask_value(v) for k, v in value.items()}
    return value


def has_content(text: str) -> bool:
    """Whether the sentiment model has anything to read in normalised ``text``: letters or
    digits outside the PDPA masks, or emoji that carry a feeling."""
    return bool(_WORDY.search(_MASKS.sub(" ", text))) or bool(_EXPRESSIVE.search(text))


class Enricher:
    def __init__(
        self,
        entities: Iterable[Entity] = (),
        custom_words: Iterable[str] = (),
        sentiment_model: str = DEFAULT_ENGINE,
        mask_personal_data: bool = True,
        lexicons: Lexicons | None = None,
        csr: CsrLexicon | None = None,
        news: NewsSettings | None = None,
        voc: str = DEFAULT_VOC,
        voc_model: Path | None = None,
        english_sentiment: str = "vader",
    ):
        entities = list(entities)
        words = set(custom_words)
        for e in entities:
            words.add(e.name)
            words.update(e.aliases)
        self.custom_words = tuple(sorted(words))
        self.matcher = EntityMatcher(entities, custom_words=self.custom_words)
        self.sentiment_model = sentiment_model
        #: ``vader``: plainly English posts read by :mod:`enrich.sentiment.english`; ``engine``: by
        #: the sentiment engine, as every other post.
        self.english_sentiment = english_sentiment
        self.mask_personal_data = mask_personal_data
        self._lexicons = lexicons
        self._csr = csr
        self.news = news or NewsSettings()
        self._news_kinds = frozenset(self.news.source_kinds)
        self._news_reader: NewsReader | None = None
        #: Registered stakeholders to tag mentions with (the app builds it from the store's
        #: registry; enrichment never reads the store). None: no ``stakeholders`` tagging.
        self.stakeholders: StakeholderTagger | None = None
        #: Expectation and complaint: ``rules`` (enrich.voc alone) or ``learned`` (enrich.voc_model
        #: decides over the rules' result), from ``voc_model`` (default: the shipped model).
        self.voc = voc
        self.voc_model_path = voc_model or SHIPPED_MODEL

    @property
    def voc_model(self) -> VocModel | None:
        return get_voc_model(self.voc_model_path) if self.voc == "learned" else None

    @property
    def news_reader(self) -> NewsReader:
        if self._news_reader is None:
            self._news_reader = NewsReader.build(self.news)
        return self._news_reader

    def is_news(self, m: Mention, body: str) -> bool:
        """Whether ``m`` may be read as news: a news source kind, or a long text (``enrich.news``);
        :meth:`tells_own_story` decides a long text once it is tokenised."""
        if not self.news.enabled:
            return False
        limit = self.news.long_text_chars
        return m.source_kind in self._news_kinds or (limit > 0 and len(body) >= limit)

    def tells_own_story(self, m: Mention, tokens: Sequence[str]) -> bool:
        """Whether a long text from a source that is not news is written in the first person
        (``enrich.news.first_person_min``): a post, not news."""
        return (m.source_kind not in self._news_kinds
                and self.news_reader.tells_own_story(tokens, self.news.first_person_min))

    @property
    def lexicons(self) -> Lexicons:
        if self._lexicons is None:
            self._lexicons = Lexicons.build()
        return self._lexicons

    @property
    def csr(self) -> CsrLexicon:
        if self._csr is None:
            self._csr = CsrLexicon()
        return self._csr

    @classmethod
    def from_config(cls, config: EnricherSource) -> "Enricher":

        configure(config.enrich.sentiment_label_map, config.enrich.sentiment_hub_download)
        return cls(
            entities=[Entity(e.name, tuple(e.aliases)) for e in config.watch],
            custom_words=config.enrich.custom_words,
            # the organisation's own trained version (`sadap train`) when one is active
            sentiment_model=local_engine(config.enrich.sentiment_model, config.data_path),
            mask_personal_data=config.enrich.mask_personal_data,
            lexicons=Lexicons.from_config(config.enrich),
            csr=CsrLexicon(config.enrich.csr),
            news=config.enrich.news,
            voc=config.enrich.voc,
            english_sentiment=config.enrich.english_sentiment,
            # the organisation's own trained classifier (`sadap train`) when one is active
            voc_model=VOC_VERSIONS.active_model(config.data_path),
        )

    def _english(self, words: list[str], full: str, body: str, label: SentimentLabel,
                 score: float) -> tuple[SentimentLabel, float]:
        """A plainly English post's sentiment (:func:`english_sentiment`; else the engine's), made
        negative where the lexicons read a complaint in it and VADER does not read it clearly
        positive ("The app has been down all morning ... Terrible service": VADER 0.37)."""
        found = english_sentiment(body)
        if found is None:
            return label, score
        label, score = found
        if label == "neu" or (label == "pos" and score < CLEARLY_POSITIVE):
            if self.lexicons.analyze(words, full, "neu").is_complaint:
                return "neg", score
        return label, score

    @staticmethod
    def _context(full: str, m: Mention) -> str:
        # A forum comment is about what its thread is about: "เข้าไม่ได้เหมือนกันค่ะ" under a
        # thread titled "แอปแสงทองล่ม" mentions the bank without naming it.
        thread = m.extras.get("thread_title")
        return f"{normalize(thread[:MAX_TITLE])}\n{full}" if isinstance(thread, str) and thread else full

    def _masked(self, m: Mention) -> Mention:
        """The mention with personal data masked in what is stored: text, title, thread title,
        the contacts in a kept display name; and lone surrogates (from bad input) dropped, since they cannot be stored."""
        m = _storable(m)
        if not self.mask_personal_data:
            return m
        update: dict[str, Any] = {"text": mask_personal_data(m.text)}
        if m.url:  # the mention's own link is kept, but not a contact in its query string
            update["url"] = mask_link_query(m.url)
        if m.title:
            update["title"] = mask_personal_data(m.title)
        if m.author_name:  # kept (privacy.keep_author_names), but not a phone number written into it
            update["author_name"] = mask_contacts(m.author_name)
        if m.extras:  # every string in the extra fields (thread title, imported columns…)
            update["extras"] = {k: _mask_value(v) for k, v in m.extras.items()}
        return m.model_copy(update=update)

    def enrich(self, mentions: Sequence[Mention], features: list[Features | None] | None = None) -> list[Mention]:
        """Enrich ``mentions``. ``features`` (a list, for fitting the voice-of-customer classifier)
        receives each mention's classifier features (None for news and texts without words)."""

        out: list[Mention] = []
        texts: list[str] = []
        token_lists: list[list[str]] = []
        fulls: list[str] = []
        # News (enrich/news.py): index in ``out`` → (sentences, each sentence's tokens).
        news: dict[int, tuple[list[str], list[list[str]]]] = {}
        contexts: list[str] = []
        for m in mentions:
            raw = m.text[:MAX_TEXT]
            m = self._masked(m)
            body = normalize(m.text[:MAX_TEXT])
            title = normalize((m.title or "")[:MAX_TITLE])
            if self.is_news(m, body):  # tokenised sentence by sentence: the same tokens, and the sentences
                sentences = split_sentences(body)
                sentence_tokens = [tokenize(s, self.custom_words) for s in sentences]
                tokens = [t for words in sentence_tokens for t in words]
                if self.tells_own_story(m, tokens):  # a post: tokenised whole, as every post is (the
                    tokens = tokenize(body, self.custom_words)  # sentence-wise tokens differ at a few clause edges)
                else:
                    news[len(out)] = (sentences, sentence_tokens)
            else:
                tokens = tokenize(body, self.custom_words)
            title_tokens = tokenize(title, self.custom_words) if title else []
            full = f"{title}\n{body}" if title else body
            tag_splits = split_tags(full, self.custom_words)  # each tag split once, for both uses
            tag_words = distinct_words(tag_splits)
            extras = dict(m.extras)
            if title_tokens:
                extras["title_tokens"] = title_tokens
            tag_tokens = search_words(tag_splits)
            if tag_tokens:  # searchable too: `down` finds #SaengThongDown
                extras["hashtag_tokens"] = tag_tokens
            else:
                extras.pop("hashtag_tokens", None)
            kw = keywords(title_tokens + tokens, text=full)
            kw += [w for w in keywords(tag_words) if w not in kw]  # hashtag words count as terms
            context = self._context(full, m)
            if tag_words:
                context += "\n" + " ".join(tag_words)  # "#SaengThongDown" names Saeng Thong
            out.append(
                m.model_copy(
                    update={
                        "language": detect_language(full),
                        "tokens": tokens,
                        "hashtags": hashtags(full),
                        "keywords": kw,
                        "entities": self.matcher.find(context),
                        "text_hash": text_hash(body),
                        "simhash": simhash(body),
                        "spam_score": spam_score(body, tokens, raw, self.custom_words),
                        "extras": extras,
                    }
                )
            )
            texts.append(body)
            token_lists.append(title_tokens + tokens)
            fulls.append(full)
            contexts.append(context)
        # Only texts with something to read go to the model; the rest are neutral.
        todo = [i for i, text in enumerate(texts) if i not in news and has_content(text)]
        labels: list[tuple[SentimentLabel, float]] = [NO_CONTENT] * len(out)
        voc_model = self.voc_model
        wants_features = voc_model is not None or features is not None
        # the learned classifier reads the sentiment engine's probabilities (the same labels)
        probabilities: list[tuple[float, ...]] = [NO_CONTENT_PROBABILITIES] * len(out)
        if todo:
            todo_texts, todo_tokens = [texts[i] for i in todo], [out[i].tokens for i in todo]
            if wants_features:
                predicted, proba = predict_proba(todo_texts, todo_tokens, engine=self.sentiment_model)
                for i, p in zip(todo, proba):
                    probabilities[i] = p
            else:
                predicted = predict(todo_texts, todo_tokens, engine=self.sentiment_model)
            for i, result in zip(todo, predicted):
                labels[i] = result
        lexicons = self.lexicons
        csr = self.csr
        learned: list[tuple[Mention, Any, Features]] = []
        for i, (sentences, sentence_tokens) in news.items():
            m = out[i]
            title = normalize((m.title or "")[:MAX_TITLE])
            reading = read_article(self.news_reader, lexicons, self.matcher, title,
                                   list(m.extras.get("title_tokens") or []), sentences, sentence_tokens, m.entities)
            m.sentiment = Sentiment(label=reading.sentiment[0], score=reading.sentiment[1])
            m.expectation = "none"
            m.category = reading.category
            m.complaint = Complaint(is_complaint=reading.is_complaint, type=reading.complaint_type)
            m.news_topic = reading.topic
            m.entity_tones = reading.entity_tones
        if self.stakeholders:
            for m, context in zip(out, contexts):
                m.stakeholders = self.stakeholders.tag(m, context)
        for i, (m, words, full, (label, score)) in enumerate(zip(out, token_lists, fulls, labels)):
            m.csr = csr.classify(words, full)  # news too: CSR activities are mostly reported as news
            if i in news:
                continue
            m.news_topic, m.entity_tones = None, {}
            if m.language == "en" and self.english_sentiment == "vader":
                label, score = self._english(words, full, texts[i], label, score)
            m.sentiment = Sentiment(label=label, score=round(float(score), 4))
            voc = lexicons.analyze(words, full, label)
            if voc.sentiment is not None:  # praise words around a failure: sarcasm (enrich.voc rule 5)
                m.sentiment = Sentiment(label=voc.sentiment, score=round(float(score), 4))
            m.expectation = voc.expectation
            m.category = voc.category
            m.complaint = Complaint(is_complaint=voc.is_complaint, type=voc.complaint_type)
            if wants_features and voc.flags:  # flags: it has words
                row = featurize(words, label, probabilities[i], voc)
                learned.append((m, voc, row))
        if features is not None:
            rows = {id(m): row for m, _, row in learned}
            features.extend(rows.get(id(m)) for m in out)
        if voc_model is not None and learned:
            for (m, voc, _), (expectation, is_complaint, _p) in zip(learned, voc_model.decide([r for _, _, r in learned])):
                m.expectation, is_complaint, ctype = apply_voc_model(voc, expectation, is_complaint)
                m.complaint = Complaint(is_complaint=is_complaint, type=ctype)
        return out
