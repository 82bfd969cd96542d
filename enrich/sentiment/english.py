"""Sentiment of English posts: VADER (the ``vaderSentiment`` package, its lexicon shipped inside it).

The Thai engines were fitted on Wisesight, whose few "English" messages are brand names, event
promotions and song titles, nearly all ``neu``: every English sentence comes out neutral, "Terrible
service" and "the staff were so helpful" alike. A foreign customer's post is read here instead,
where it is plainly English: no Thai letter, at least :data:`MIN_WORDS` English words outside
hashtags, handles and masks. Shorter or mixed texts keep the engine's label (docs/enrichment.md,
"English posts").
"""

from __future__ import annotations

import re
import threading

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from enrich.privacy import MASKS
from sadap.core.mention import SentimentLabel

#: Fewer English words than this ("Beer Leo 55555", "New Nissan Leaf") keep the engine's label.
MIN_WORDS = 5
#: VADER's compound score from which a post is positive (at or above) or negative (at or below
#: its negation); chosen on tests/data/english_posts/english-posts-tune.jsonl.
THRESHOLD = 0.2
#: A question whose compound score is weaker than this is a question (``q``), not an opinion.
QUESTION_BELOW = 0.5
#: A positive post below this strength that the lexicons read as a complaint is negative.
CLEARLY_POSITIVE = 0.5

_THAI = re.compile("[\u0e00-\u0e7f]")
_NOT_WORDS = re.compile(r"[#@]\w+|\[[^\]]*\]|https?://\S+")
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
# A question's opening: a question word (not "When I arrived …", a complaint's), or an auxiliary verb
# before its subject ("Has anyone …", "Does MetroLine …"); without one ("Have been waiting …", "Did not
# receive …", "Can't believe …") it opens a statement whose subject was left out.
_SUBJECT = (r"(?i:i|you|we|they|he|she|it|there|anyone|anybody|someone|somebody|everyone|anything|this|that|these"
            r"|those|the|a|an|my|your|our|their|his|her|its)\b|(?!(?i:not|never)\b)[A-Z0-9]")
_ASKS = re.compile(r"\s*(?:(?i:why|how|when|where|what|who|which)\b(?!\s+(?i:i|we|they|he|she)\b)"
                   rf"|(?i:is|are|was|were|can|could|does|do|did|will|would|should|has|have)\s+(?:{_SUBJECT}))")
_lock = threading.Lock()
_analyzer: SentimentIntensityAnalyzer | None = None


def _vader() -> SentimentIntensityAnalyzer:
    global _analyzer
    with _lock:
        if _analyzer is None:  # reads its lexicons (about 7,500 words and 3,500 emoji)
            _analyzer = SentimentIntensityAnalyzer()
        return _analyzer


def is_plain_english(text: str) -> bool:
    """No Thai letter and at least :data:`MIN_WORDS` English words outside tags, handles and masks.
    The personal-data masks (``[โทร]``, ``[อีเมล]``, ``[เลขบัตร]``) are Sadap's Thai, not the author's."""
    for mask in MASKS:
        text = text.replace(mask, " ")
    return not _THAI.search(text) and len(_WORD.findall(_NOT_WORDS.sub(" ", text))) >= MIN_WORDS


def english_sentiment(text: str) -> tuple[SentimentLabel, float] | None:
    """``(label, score)`` of a plainly English post, else None (the engine's label stands).

    A question (``?`` at the end, or it opens like one: :data:`_ASKS`) is ``q`` unless VADER reads it
    strongly; otherwise ``pos`` or ``neg`` from the compound score's sign past :data:`THRESHOLD`,
    else ``neu``. The score is the compound's strength, or 1 less it for ``neu`` and ``q``."""
    if not is_plain_english(text):
        return None
    compound = float(_vader().polarity_scores(text)["compound"])
    asks = text.rstrip().endswith("?") or bool(_ASKS.match(text))
    strength = round(abs(compound), 4)
    if asks and strength < QUESTION_BELOW:
        return "q", round(1 - strength, 4)
    if compound >= THRESHOLD:
        return "pos", strength
    if compound <= -THRESHOLD:
        return "neg", strength
    return "neu", round(1 - strength, 4)
