"""News and long texts: the event's tone, the tone toward each watched name, the news topic.

Articles (mentions from news source kinds) and long posts are not customers talking to a brand
(a long post in the first person is, and is read as a post: :meth:`NewsReader.tells_own_story`):
a road crash reported by a newspaper is bad news, not a ``safety_health`` complaint, and a
policy explainer is no ``digital_outage``. :class:`NewsReader` reads them with the word lists of
``enrich/lexicons/news.yaml`` (extended in ``sadap.yaml`` under ``enrich.news``):

1. **Sentences.** The text is cut at line breaks, at ``. ! ?`` followed by a space, and at the
   spaces between two Thai letters (Thai marks sentences and clauses with a space); the
   headline is its own sentence. Each is tokenised on its own (the tokens joined are the
   mention's tokens, so this costs nothing extra).
2. **Event tone.** Harm words (``negative_events``: deaths, accidents, fires, disasters,
   pollution, leaks, outbreaks, crime, fraud, losses, outages, conflict) and good-news words
   (``positive_events``: awards, achievements, growth, openings, help delivered, praise) are
   counted in the headline (weight 3), the lead (the first three sentences, weight 1) and the
   rest (weight ¼). A harm word right after a negation (``ไม่พบผู้เสียชีวิต``, ``ปลอดยาเสพติด``) or
   a prevention word (``ป้องกันอุบัติเหตุ``, ``ปราบปรามยาเสพติด``; ``การ``/``ปัญหา`` may sit between)
   is not harm reported; in a sentence that says the harm is easing (``improvements``:
   ``ผู้ติดเชื้อลดลง``) harm words count as good news. Harm counts 1.5 times good news (harm is
   the news; the help that follows is the response). ``neg`` when the weighted harm is at least
   1.5 and more than the good news, ``pos`` when the good news is at least 1 and more than the
   harm, else ``neu``.
3. **Tone toward each watched name.** The sentences naming it (headline weight 2), scored with
   the event words and the ``praise``/``criticism`` words: ``pos``, ``neg`` or ``neu``.
4. **Sentiment.** The tone toward the watched names when the mention names any (their scores
   summed), else the event's tone.
5. **Topic.** The ``topics`` entry with most hits (headline hits count three times; ties: the
   first listed), else ``other``.
6. **Voice of the customer.** Expectation ``none``; no category and no complaint, unless the
   headline or lead reports a customer complaint: a complaint signal of the VOC lexicons and a
   ``customers`` word (``ผู้โดยสาร``, ``ลูกค้า``) in one sentence. Then the VOC rules run on the
   headline and lead as a negative text, for the category and complaint type.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from sadap.core.mention import NEWS_SOURCE_KINDS
from sadap.core.settings_types import Strict
from sadap.core.yamlsource import safe_load

from enrich.entities import EntityMatcher
from enrich.voc import OTHER, Lexicons, WordSet, Words, _key, check_lexicon

NEWS_LEXICON = Path(__file__).resolve().parent / "lexicons" / "news.yaml"
Tone = Literal["pos", "neu", "neg"]
NewsWordsKey = Literal[
    "negative_events", "positive_events", "negations", "prevention", "improvements", "relief", "praise", "criticism",
    "customers", "first_person", "reporting",
]

HEADLINE_WEIGHT = 3.0
LEAD_WEIGHT = 1.0
REST_WEIGHT = 0.25
LEAD_SENTENCES = 3
HARM_WEIGHT = 1.5
NEG_MIN = 1.5
POS_MIN = 1.0
ENTITY_HEADLINE_WEIGHT = 2.0
TOPIC_HEADLINE_WEIGHT = 5.0
BODY_SHARE = 0.25
NEGATION_WINDOW = 12  # characters between a negation and the harm word it negates (ไม่พบเรือนจำระบาด)
PREVENTION_WINDOW = 8  # how much the body counts when the headline has event words
REPORTING_MAX = 1  # a personal story may quote the company once ("ธนาคารชี้แจงว่า"); news quotes more

_SENTENCE = re.compile(r"\s*\n\s*|(?<=[.!?])\s+|(?<=[\u0e00-\u0e7f])\s+(?=[\u0e00-\u0e7f])")
_lock = threading.Lock()
_default: dict[str, Any] | None = None


class NewsSettings(Strict):
    """How articles and long posts are read (``enrich.news``; see docs/enrichment.md, "News")."""

    enabled: bool = Field(True, description="Read news and long posts as news (event tone, tone toward each watched "
                          "name, news topic; no voice-of-customer labels unless a customer complaint is reported).")
    source_kinds: list[str] = Field(
        default_factory=lambda: list(NEWS_SOURCE_KINDS),
        description="Source kinds whose mentions are news.",
    )
    long_text_chars: int = Field(
        1500, ge=0,
        description="A mention from any other source whose text has at least this many characters is read as news "
        "too (0: never), unless it is written in the first person (`first_person_min`).",
    )
    first_person_min: int = Field(
        3, ge=0,
        description="A long text from a source that is not news, with at least this many first-person words (ผม, "
        "ดิฉัน, เรา …, the `first_person` list) and at most one word of reported speech (กล่าว, เปิดเผย …, the "
        "`reporting` list), is someone telling their own experience (a long complaint on Pantip): it is read as a "
        "post, with sentiment, expectation and complaints (0: long texts are always news).",
    )
    words: dict[NewsWordsKey, list[str]] = Field(
        default_factory=dict,
        description="Words added to the shipped news lists: `negative_events`, `positive_events`, `negations`, "
        "`prevention`, `improvements`, `relief`, `praise`, `criticism`, `customers`, `first_person`, `reporting`.",
    )
    topics: dict[str, list[str]] = Field(
        default_factory=dict,
        description="News topic lexicons, `name: [words]`: words extend the shipped topic of that name, a new name "
        "adds a topic, an empty list removes one.",
    )
    replace_default_lexicons: bool = Field(False, description="Use only the news words configured here.")

    @field_validator("topics")
    @classmethod
    def _topics(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {name: list(words) for name, words in check_lexicon("news topic", value).items()}


def load_news_default() -> dict[str, Any]:
    """The shipped news lexicons (read once)."""
    global _default
    with _lock:
        if _default is None:
            _default = safe_load(NEWS_LEXICON.read_text(encoding="utf-8"))
        return _default


def topic_names() -> dict[str, tuple[str, str]]:
    """The shipped (Thai, English) name of each news topic, ``other`` included."""
    table = load_news_default().get("names", {}).get("topics", {})
    return {key: (str(th), str(en)) for key, (th, en) in table.items()}


def split_sentences(text: str) -> list[str]:
    """``text`` cut into sentences (rule 1 of the module doc); empty pieces dropped."""
    return [s for s in _SENTENCE.split(text) if s and s.strip()]


@dataclass
class NewsResult:
    tone: Tone = "neu"
    score: float = 0.0
    topic: str = OTHER
    entity_tones: dict[str, Tone] = field(default_factory=dict)
    entity_scores: dict[str, float] = field(default_factory=dict)
    hits: dict[str, list[str]] = field(default_factory=dict)
    lead: list[Words] = field(default_factory=list)  # the headline's and lead's words (rule 6)

    @property
    def sentiment(self) -> tuple[Tone, float]:
        """Rule 4: the tone toward the named watched names, else the event's tone; with a score
        (0.5 to 1) that grows with the weight of the words behind it."""
        if self.entity_scores:
            total = sum(self.entity_scores.values())
            label: Tone = "pos" if total >= POS_MIN else "neg" if total <= -NEG_MIN else "neu"
            return label, _confidence(total)
        return self.tone, _confidence(self.score)


def _near(words: Words, start: int, before: Sequence[str], window: int) -> bool:
    """Whether one of ``before`` ends at a word boundary at most ``window`` characters before ``start``."""
    return any(p in words.bounds and words.preceded_by(p, before) for p in range(start, max(0, start - window) - 1, -1))


def _confidence(score: float) -> float:
    return round(min(1.0, 0.5 + abs(score) / 10), 4)


def _tone(good: float, harm: float) -> Tone:
    if harm >= NEG_MIN and harm > good:
        return "neg"
    if good >= POS_MIN and good > harm:
        return "pos"
    return "neu"


class NewsReader:
    """Compiled news lexicons: build with :meth:`build` (shipped merged with configured)."""

    def __init__(self, words: Mapping[str, Iterable[str]], topics: Mapping[str, Iterable[str]]):
        self.events = WordSet({"neg": words.get("negative_events", ()), "pos": words.get("positive_events", ())})
        self.opinions = WordSet({"neg": words.get("criticism", ()), "pos": words.get("praise", ())})
        self.negations = sorted({_key(w) for w in words.get("negations", ())}, key=len, reverse=True)
        prevention = {_key(w) for w in words.get("prevention", ())}
        self.prevention = sorted({p + tail for p in prevention for tail in ("", "การ", "ปัญหา")}, key=len, reverse=True)
        self.relief = WordSet({"relief": words.get("relief", ())})
        self.improvements = WordSet({"better": words.get("improvements", ())})
        self.customers = WordSet({"customer": words.get("customers", ())})
        self.first_person = frozenset(_key(w) for w in words.get("first_person", ()))
        self.reporting = frozenset(_key(w) for w in words.get("reporting", ()))
        self.topic_names = [n for n in topics if n != OTHER]
        self.topics = WordSet({n: topics[n] for n in self.topic_names})

    @classmethod
    def build(cls, settings: NewsSettings | None = None) -> "NewsReader":
        settings = settings or NewsSettings()
        base = {} if settings.replace_default_lexicons else load_news_default()
        words: dict[str, list[str]] = {}
        for key in ("negative_events", "positive_events", "negations", "prevention", "improvements", "relief",
                    "praise", "criticism", "customers", "first_person", "reporting"):
            words[key] = list(base.get(key, []) or []) + list(settings.words.get(key, []))
        topics = {k: list(v or ()) for k, v in (base.get("topics", {}) or {}).items()}
        for name, extra in settings.topics.items():
            if not extra:
                topics.pop(name, None)
                continue
            topics.setdefault(name, [])
            topics[name].extend(w for w in extra if w not in topics[name])
        return cls(words, topics)

    def tells_own_story(self, tokens: Iterable[str], first_person_min: int) -> bool:
        """Whether ``tokens`` have at least ``first_person_min`` first-person words (``ผม``,
        ``ดิฉัน``, ``เรา`` …) and at most :data:`REPORTING_MAX` words of reported speech."""
        first = reporting = 0
        for t in tokens:
            t = t.lower()
            if t in self.first_person:
                first += 1
            elif t in self.reporting:
                reporting += 1
                if reporting > REPORTING_MAX:
                    return False
        return first >= first_person_min > 0

    # -- the rules ---------------------------------------------------------------------
    def _events(self, words: Words) -> tuple[float, float, list[str]]:
        """(good, harm, hits) of one sentence, unweighted."""
        hits = self.events.find(words)
        if not hits:
            return 0.0, 0.0, []
        easing = bool(self.improvements.find(words))
        relief = [start for _, _, start in self.relief.find(words)]
        good = harm = 0.0
        out: list[str] = []
        for key, label, start in hits:
            if label == "neg":
                if start > 0 and (_near(words, start, self.negations, NEGATION_WINDOW)
                                  or _near(words, start, self.prevention, PREVENTION_WINDOW)):
                    continue
                if any(r < start for r in relief):  # ช่วยเหลือผู้ประสบภัย: whom the help is for
                    out.append(f"relieved:{key}")
                    continue
                if easing:
                    good += 1
                    out.append(f"eased:{key}")
                else:
                    harm += HARM_WEIGHT
                    out.append(f"neg:{key}")
            else:
                good += 1
                out.append(f"pos:{key}")
        return good, harm, out

    def read(
        self,
        headline: Sequence[str],
        sentences: Sequence[Sequence[str]],
        sentence_texts: Sequence[str],
        headline_text: str = "",
        named: Mapping[str, Sequence[int]] | None = None,
    ) -> NewsResult:
        """Read one article: ``headline`` and ``sentences`` are tokens, ``sentence_texts`` the
        sentences' text; ``named`` maps each watched name found to the sentences naming it
        (index -1: the headline)."""
        good = harm = 0.0
        hits: list[str] = []
        sent_words: list[Words] = []
        scores: list[float] = []  # each sentence's good minus harm, unweighted (for entity tones)
        head = Words.of(headline, headline_text) if headline else None
        head_score = 0.0
        head_good = head_harm = 0.0
        if head is not None and head.has_words:
            head_good, head_harm, found = self._events(head)
            head_score = head_good - head_harm
            hits += found
        for i, (tokens, text) in enumerate(zip(sentences, sentence_texts)):
            words = Words.of(tokens, text)
            sent_words.append(words)
            g, h, found = self._events(words)
            weight = LEAD_WEIGHT if i < LEAD_SENTENCES else REST_WEIGHT
            good += weight * g
            harm += weight * h
            scores.append(g - h)
            hits += found
        if head_good or head_harm:  # the headline says what the news is; the body only when it does not
            good, harm = HEADLINE_WEIGHT * head_good + BODY_SHARE * good, HEADLINE_WEIGHT * head_harm + BODY_SHARE * harm
        result = NewsResult(tone=_tone(good, harm), score=round(good - harm, 3), hits={"events": hits})
        # Topic: headline hits count three times.
        counts = {n: 0.0 for n in self.topic_names}
        if head is not None:
            for _, label, _ in self.topics.find(head):
                counts[label] += TOPIC_HEADLINE_WEIGHT
        for words in sent_words:
            for _, label, _ in self.topics.find(words):
                counts[label] += 1
        best = max(self.topic_names, key=lambda n: counts[n], default=None)
        result.topic = best if best is not None and counts[best] > 0 else OTHER
        # Tone toward each watched name: the sentences naming it.
        for name, where in (named or {}).items():
            total = 0.0
            for i in where:
                words_i = head if i < 0 else sent_words[i] if i < len(sent_words) else None
                if words_i is None:
                    continue
                s = head_score if i < 0 else scores[i]
                for _, label, _ in self.opinions.find(words_i):
                    s += 1 if label == "pos" else -HARM_WEIGHT
                total += ENTITY_HEADLINE_WEIGHT * s if i < 0 else s
            result.entity_scores[name] = round(total, 3)
            result.entity_tones[name] = "pos" if total >= POS_MIN else "neg" if total <= -NEG_MIN else "neu"
        result.lead = [w for w in ([head] if head is not None else []) + sent_words[:LEAD_SENTENCES]]
        return result

    def reports_customer_complaint(self, lead: Sequence[Words], signals: WordSet) -> bool:
        """Rule 6: a complaint signal and a customer word in one of ``lead``'s sentences."""
        return any(self.customers.find(w) and signals.find(w) for w in lead)


@dataclass
class NewsReading:
    """What :func:`read_article` found, for the pipeline to store."""

    sentiment: tuple[Tone, float]
    topic: str
    entity_tones: dict[str, Tone]
    category: str | None = None
    is_complaint: bool = False
    complaint_type: str | None = None


def read_article(
    reader: NewsReader,
    lexicons: Lexicons,
    matcher: EntityMatcher,
    title: str,
    title_tokens: Sequence[str],
    sentences: Sequence[str],
    sentence_tokens: Sequence[Sequence[str]],
    entities: Sequence[str],
) -> NewsReading:
    """Rules 1 to 6 for one article or long post (``entities``: the watched names it names)."""
    named: dict[str, list[int]] = {}
    if entities:
        for i, text in [(-1, title)] + list(enumerate(sentences)):
            for name in matcher.find(text) if text else ():
                if name in entities:
                    named.setdefault(name, []).append(i)
    result = reader.read(title_tokens, sentence_tokens, sentences, title, named)
    reading = NewsReading(sentiment=result.sentiment, topic=result.topic, entity_tones=result.entity_tones)
    if reader.reports_customer_complaint(result.lead, lexicons.signals):
        lead_tokens = list(title_tokens) + [t for tokens in sentence_tokens[:LEAD_SENTENCES] for t in tokens]
        lead_text = "\n".join([title] + list(sentences[:LEAD_SENTENCES]))
        found = lexicons.analyze(lead_tokens, lead_text, "neg")
        if found.is_complaint:
            reading.category, reading.is_complaint, reading.complaint_type = found.category, True, found.complaint_type
    return reading
