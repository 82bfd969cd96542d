"""The fast classical engines ``linear-v1`` and ``linear-v3``.

Each is a bag of n-grams + multinomial logistic regression trained on the Wisesight Sentiment
corpus (see ``enrich/models/sentiment-linear-v1.md``). It is stored as plain arrays (``.npz``, no
pickles) and scored here with numpy only: the vectorisation reproduces scikit-learn's
``TfidfVectorizer`` exactly (word n-grams over the newmm tokens, character n-grams over the
normalised text, L2 norm per block), with the term weighting the file names: ``sublinear``
(1 + log tf, times the smoothed idf; ``linear-v1``) or ``binary`` (1 if present, idf all ones;
``linear-v3``). A file may also name negators and a window: the word tokens after a negator are
then marked ``NOT_`` (:mod:`enrich.negation`) before their n-grams are counted (``linear-v3``).

"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from enrich.negation import mark_negation
from enrich.sentiment.common import LABELS, decide, softmax
from sadap.core.errors import ConfigError
from sadap.core.mention import SentimentLabel

if TYPE_CHECKING:
    from enrich.sentiment.common import BoolArray, FloatArray, IntArray

FORMAT = "sadap-sentiment-linear/1"
TF_WEIGHTINGS = ("sublinear", "binary")
_WHITE_SPACES = re.compile(r"\s\s+")  # as scikit-learn's _VectorizerMixin._white_spaces


def _char_wb_ngrams(text: str, min_n: int, max_n: int) -> list[str]:
    """scikit-learn's ``analyzer='char_wb'`` n-grams of an already lower-cased text."""
    grams: list[str] = []
    extend = grams.extend
    for w in text.split():
        w = f" {w} "
        w_len = len(w)
        for n in range(min_n, max_n + 1):
            if w_len <= n:  # a short word counts once, whole
                grams.append(w)
                break
            extend([w[i : i + n] for i in range(w_len - n + 1)])
    return grams


def _char_ngrams(text: str, min_n: int, max_n: int) -> list[str]:
    """scikit-learn's ``analyzer='char'`` n-grams of an already lower-cased text."""
    text = _WHITE_SPACES.sub(" ", text)
    text_len = len(text)
    grams: list[str] = []
    extend = grams.extend
    for n in range(min_n, min(max_n, text_len) + 1):
        extend([text[i : i + n] for i in range(text_len - n + 1)])
    return grams


def _word_ngrams(tokens: Sequence[str], min_n: int, max_n: int) -> list[str]:
    """scikit-learn's word n-grams (joined with one space) of a token list."""
    tokens = list(tokens)
    grams = list(tokens) if min_n == 1 else []
    count = len(tokens)
    for n in range(max(min_n, 2), min(max_n, count) + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(count - n + 1))
    return grams


def _scalar(arrays: Any, name: str) -> Any:
    return arrays[name].item()


@dataclass
class LinearSentiment:
    """A TF-IDF (word + char blocks) + linear model over plain arrays."""

    classes: list[str]
    word_vocab: dict[str, int]
    char_vocab: dict[str, int]
    idf: FloatArray  # float64 [n_features]: word block then char block
    coef_t: FloatArray  # float64 [n_features, n_classes]
    intercept: FloatArray  # float64 [n_classes]
    word_ngram: tuple[int, int]
    char_ngram: tuple[int, int]
    char_analyzer: str
    char_lowercase: bool
    temperature: float
    tf: str = "sublinear"  # "sublinear" (1 + log count) or "binary" (1)
    negators: frozenset[str] = frozenset()  # words whose next token is marked NOT_ (enrich.negation)
    negation_window: int = 0  # 0: no marking

    @classmethod
    def load(cls, path: str | Path) -> LinearSentiment:
        import numpy as np

        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"sentiment model file missing: {path}")
        with np.load(path, allow_pickle=False) as z:
            fmt = _scalar(z, "format")
            if fmt != FORMAT:
                raise ConfigError(f"{path}: unsupported sentiment model format {fmt!r} (expected {FORMAT!r})")
            word_terms = z["word_vocab"].tolist()
            char_terms = z["char_vocab"].tolist()
            n_word = len(word_terms)
            idf = np.concatenate([z["word_idf"], z["char_idf"]]).astype(np.float64)
            coef = z["coef"].astype(np.float64)
            model = cls(
                classes=[str(c) for c in z["classes"].tolist()],
                word_vocab={t: i for i, t in enumerate(word_terms)},
                char_vocab={t: i + n_word for i, t in enumerate(char_terms)},
                idf=idf,
                coef_t=np.ascontiguousarray(coef.T),
                intercept=z["intercept"].astype(np.float64),
                word_ngram=cast("tuple[int, int]", tuple(int(v) for v in z["word_ngram"])),
                char_ngram=cast("tuple[int, int]", tuple(int(v) for v in z["char_ngram"])),
                char_analyzer=str(_scalar(z, "char_analyzer")),
                char_lowercase=bool(_scalar(z, "char_lowercase")),
                temperature=float(_scalar(z, "temperature")),
                tf=str(_scalar(z, "tf")) if "tf" in z.files else "sublinear",
                negators=frozenset(z["negators"].tolist()) if "negators" in z.files else frozenset(),
                negation_window=int(_scalar(z, "negation_window")) if "negation_window" in z.files else 0,
            )
        if model.coef_t.shape != (len(idf), len(model.classes)) or sorted(model.classes) != sorted(LABELS):
            raise ConfigError(f"{path}: inconsistent sentiment model arrays")
        if model.char_analyzer not in ("char", "char_wb"):
            raise ConfigError(f"{path}: unknown char analyzer {model.char_analyzer!r}")
        if model.tf not in TF_WEIGHTINGS:
            raise ConfigError(f"{path}: unknown term weighting {model.tf!r} (expected one of {', '.join(TF_WEIGHTINGS)})")
        return model

    def _features(
        self, texts: Sequence[str], tokens: Sequence[Sequence[str]]
    ) -> tuple[IntArray, IntArray, IntArray, FloatArray | None]:
        """CSR-like arrays: (row of each entry, block id, feature index, raw count); the counts are
        ``None`` under binary weighting, which does not use them."""
        import numpy as np

        wmin, wmax = self.word_ngram
        cmin, cmax = self.char_ngram
        char_grams = _char_wb_ngrams if self.char_analyzer == "char_wb" else _char_ngrams
        wget = self.word_vocab.get
        cget = self.char_vocab.get
        lower = self.char_lowercase
        n_word = len(self.word_vocab)
        window, negators = self.negation_window, self.negators
        # Binary weighting needs only which n-grams occur, not how often: a dict of the distinct
        # ones (C speed) instead of a Counter.
        distinct = dict.fromkeys if self.tf == "binary" else Counter
        rows: list[IntArray] = []
        feats: list[IntArray] = []
        counts: list[FloatArray] = []
        for r, (text, toks) in enumerate(zip(texts, tokens)):
            if window:
                toks = mark_negation(toks, negators, window)
            words = distinct(_word_ngrams(toks, wmin, wmax))
            chars = distinct(char_grams(text.lower() if lower else text, cmin, cmax))
            # Vocabulary lookups through map() and numpy: this loop is the fast model's hot path.
            index = np.fromiter(chain(map(wget, words, repeat(-1)), map(cget, chars, repeat(-1))),
                                dtype=np.int64, count=len(words) + len(chars))
            known = index >= 0
            feats.append(index[known])
            if self.tf != "binary":
                found = np.fromiter(chain(words.values(), chars.values()), dtype=np.float64,
                                    count=len(words) + len(chars))
                counts.append(found[known])
            rows.append(np.full(int(known.sum()), r, dtype=np.int64))
        row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        feat = np.concatenate(feats) if feats else np.zeros(0, dtype=np.int64)
        count = np.concatenate(counts) if counts else None
        return row, (feat >= n_word).astype(np.int64), feat, count

    def scores(
        self, texts: Sequence[str], tokens: Sequence[Sequence[str]], batch: int = 512
    ) -> tuple[FloatArray, IntArray]:
        """Decision values before the temperature (``[len(texts), n_classes]``) and the number of
        known features of each text."""
        import numpy as np

        if len(texts) > batch:  # bounded memory: one (features × classes) block per batch
            parts = [self.scores(texts[i : i + batch], tokens[i : i + batch]) for i in range(0, len(texts), batch)]
            return np.concatenate([d for d, _ in parts]), np.concatenate([c for _, c in parts])
        n = len(texts)
        row, block, feat, count = self._features(texts, tokens)
        value = self.idf[feat] if count is None else (np.log(count) + 1.0) * self.idf[feat]
        seg = row * 2 + block  # one L2 norm per (text, block)
        norms = np.sqrt(np.bincount(seg, weights=value * value, minlength=2 * n))
        value /= norms[seg]
        out = np.empty((n, len(self.classes)), dtype=np.float64)
        weighted = self.coef_t[feat] * value[:, None]
        for k in range(len(self.classes)):
            out[:, k] = np.bincount(row, weights=weighted[:, k], minlength=n)
        return out + self.intercept, np.bincount(row, minlength=n)

    def proba(self, texts: Sequence[str], tokens: Sequence[Sequence[str]]) -> tuple[FloatArray, BoolArray]:
        """Probabilities in :data:`LABELS` order, and whether each text had a known feature."""
        decision, n_feats = self.scores(texts, tokens)
        p = softmax(decision / self.temperature)
        return p[:, [self.classes.index(label) for label in LABELS]], n_feats > 0

    def predict(self, texts: Sequence[str], tokens: Sequence[Sequence[str]]) -> list[tuple[SentimentLabel, float]]:
        p, evidence = self.proba(texts, tokens)
        return decide(texts, p, evidence)
