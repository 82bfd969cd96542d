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

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from enrich.negation import mark_negation
from enrich.sentiment.common import LABELS, decide, softmax
from sadap.core.errors import ConfigError
from sadap.core.mention import SentimentLabel

if TYPE_CHECKING:
    from enrich.sentiment.common import BoolArray, FloatArray, IntArray, StrArray

FORMAT = "sadap-sentiment-linear/1"
TF_WEIGHTINGS = ("sublinear", "binary")
log = logging.getLogger(__name__)
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


_K = 0x9E3779B97F4A7C15  # the fold's multiplier (odd)
_MIX = 0xD6E8FEB86659FD93  # spreads a fold over the table's slots (odd)


class CharTable:
    """A ``char_wb`` vocabulary as numpy arrays, so that a batch's character n-grams are looked
    up all at once instead of one Python dictionary probe each (about 300 a message, most of
    them cache misses in a 335,000-entry dictionary: the fast model's costliest step).

    Each n-gram is a window of the batch's code points. Its *fold* (``h = h·K + c + 1`` over its
    code points, modulo 2⁶⁴) finds at most one vocabulary entry in an open-addressing table
    (the entries' folds are all different, checked when it is built); a found entry counts only
    if its length and code points are the window's, compared in full. So a window gets exactly
    the feature the dictionary gives its string — the fold only narrows where to look."""

    CHUNK = 128  # texts whose windows are looked up together

    def __init__(self, vocab: dict[str, int] | None, max_n: int, terms: Any = None, first: int = 0) -> None:
        """The table of ``vocab`` (n-gram → feature), or where ``vocab`` is None of ``terms``, a
        numpy ``<U`` array as the model file holds it, whose i-th n-gram is feature ``first`` + i.
        With both, ``terms`` are ``vocab``'s keys in its order (their code points read from it)."""
        import numpy as np

        if vocab is None:
            count = len(terms)
            self.values = np.arange(first, first + count, dtype=np.int64)
        else:
            count = len(vocab)
            self.values = np.fromiter(vocab.values(), dtype=np.int64, count=count)
        self.max_n = max_n
        if not count:
            raise ValueError("character n-grams outside the model's range")
        if terms is not None and terms.dtype.kind == "U" and terms.shape == (count,) and terms.dtype.itemsize <= 4 * max_n:
            # A <U array's rows are its code points, padded with zeros to the widest: the table's rows.
            codes = np.zeros((count, max_n), dtype=np.uint32)
            width = terms.dtype.itemsize // 4
            codes[:, :width] = np.ascontiguousarray(terms).view(np.uint32).reshape(count, width)
            # A string ends at its last code point that is not 0 (numpy drops trailing zeros).
            nonzero = codes != 0
            lengths = np.where(nonzero.any(axis=1), max_n - np.argmax(nonzero[:, ::-1], axis=1), 0).astype(np.int64)
        else:
            keys = list(vocab) if vocab is not None else [str(t) for t in terms]
            lengths = np.fromiter(map(len, keys), dtype=np.int64, count=count)
            if lengths.max() > max_n:
                raise ValueError("character n-grams outside the model's range")
            points = _code_points("".join(keys))
            offsets = np.cumsum(lengths) - lengths
            codes = np.zeros((count, max_n), dtype=np.uint32)
            codes[np.repeat(np.arange(count), lengths), np.arange(len(points)) - np.repeat(offsets, lengths)] = points
        if lengths.min() < 1:
            raise ValueError("character n-grams outside the model's range")
        self.codes = codes
        self.lengths = lengths.astype(np.uint8)
        folds = np.zeros(count, dtype=np.uint64)
        for j in range(max_n):
            step = folds * np.uint64(_K) + self.codes[:, j].astype(np.uint64) + np.uint64(1)
            folds = np.where(j < lengths, step, folds)
        ordered = np.sort(folds)  # (a sort: numpy's hashing np.unique took ten times as long)
        if bool((ordered[1:] == ordered[:-1]).any()):
            raise ValueError("two vocabulary entries share a fold")
        self.bits = max(10, (2 * count - 1).bit_length())  # at most half full
        size = 1 << self.bits
        self.slot_entry = np.full(size, -1, dtype=np.int32)
        self.slot_fold = np.zeros(size, dtype=np.uint64)
        position = self._home(folds)
        pending = np.arange(count)
        while len(pending):  # linear probing, all entries at once: the first of a slot takes it
            at = position[pending]
            free = self.slot_entry[at] < 0
            slots, leading = np.unique(at[free], return_index=True)
            placed = pending[free][leading]
            self.slot_entry[slots] = placed
            self.slot_fold[slots] = folds[placed]
            left = np.ones(count, dtype=bool)
            left[placed] = False
            pending = pending[left[pending]]
            position[pending] = (position[pending] + 1) & (size - 1)

    def _home(self, folds: Any) -> Any:
        import numpy as np

        return ((folds * np.uint64(_MIX)) >> np.uint64(64 - self.bits)).astype(np.int64)

    def find(self, folds: Any) -> Any:
        """The vocabulary entry (row) whose fold each of ``folds`` is, or -1."""
        import numpy as np

        found = np.full(len(folds), -1, dtype=np.int64)
        position = self._home(folds)
        todo = np.arange(len(folds))
        mask = (1 << self.bits) - 1
        while len(todo):
            at = position[todo]
            entry = self.slot_entry[at]
            taken = entry >= 0
            same = taken & (self.slot_fold[at] == folds[todo])
            found[todo[same]] = entry[same]
            go_on = taken & ~same
            todo = todo[go_on]
            position[todo] = (at[go_on] + 1) & mask
        return found

    def features(self, texts: Sequence[str], lower: bool, min_n: int) -> tuple[Any, Any]:
        """(row, feature) of each distinct known ``char_wb`` n-gram of each text, rows in order and
        within a row in the order of :func:`_char_wb_ngrams` (first occurrences)."""
        import numpy as np

        if len(texts) > self.CHUNK:  # bounded temporaries: a few MB a chunk
            parts = [self.features(texts[i : i + self.CHUNK], lower, min_n) for i in range(0, len(texts), self.CHUNK)]
            return (np.concatenate([rows + i * self.CHUNK for i, (rows, _) in enumerate(parts)]),
                    np.concatenate([feats for _, feats in parts]))
        max_n = self.max_n
        padded: list[str] = []
        sizes: list[int] = []
        owners: list[int] = []
        for r, text in enumerate(texts):
            words = (text.lower() if lower else text).split()
            if words:
                padded.append(" " + "  ".join(words) + " ")  # " w1 " + " w2 " + …
                sizes += [len(w) + 2 for w in words]
                owners += [r] * len(words)
        empty = np.zeros(0, dtype=np.int64)
        if not sizes:
            return empty, empty
        points = _code_points("".join(padded))
        total = len(points)
        # Windows in _char_wb_ngrams' order: word by word, n by n, left to right. A padded
        # word has 3+ characters; with min_n <= 3 every n from min_n up to its length (at most
        # max_n) gives its windows, and the n equal to its length the one whole word.
        size = np.asarray(sizes, dtype=np.int64)
        ns = np.arange(min_n, max_n + 1)
        per_block = np.clip(size[:, None] - ns[None, :] + 1, 0, None).ravel()  # (word, n) blocks
        block = np.repeat(np.arange(len(per_block)), per_block)
        inside = np.arange(int(per_block.sum())) - np.repeat(np.cumsum(per_block) - per_block, per_block)
        word = block // len(ns)
        n = ns[block % len(ns)]
        start = (np.cumsum(size) - size)[word] + inside
        # Folds of every window length at every position (past a word's end: never read).
        tail = np.zeros(total + max_n, dtype=np.uint32)
        tail[:total] = points
        wide = tail.astype(np.uint64) + np.uint64(1)
        folds = np.empty((max_n, total), dtype=np.uint64)
        folds[0] = wide[:total]
        for j in range(1, max_n):
            folds[j] = folds[j - 1] * np.uint64(_K) + wide[j : total + j]
        entry = self.find(folds.ravel()[(n - 1) * total + start])
        hit = np.flatnonzero(entry >= 0)
        entry = entry[hit]
        window = tail[start[hit, None] + np.arange(max_n)[None, :]]
        window[np.arange(max_n)[None, :] >= n[hit, None]] = 0
        exact = (self.lengths[entry] == n[hit]) & (window == self.codes[entry]).all(axis=1)
        hit, entry = hit[exact], entry[exact]
        rows = np.asarray(owners, dtype=np.int64)[word[hit]]
        feats = self.values[entry]
        # Each row's first occurrence of each feature, in order.
        key = rows * (int(self.values.max()) + 1) + feats
        order = np.argsort(key, kind="stable")
        first = np.ones(len(order), dtype=bool)
        first[1:] = key[order][1:] != key[order][:-1]
        keep = np.sort(order[first])
        return rows[keep], feats[keep]


def _code_points(text: str) -> Any:
    import numpy as np

    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _scalar(arrays: Any, name: str) -> Any:
    return arrays[name].item()


@dataclass
class LinearSentiment:
    """A TF-IDF (word + char blocks) + linear model over plain arrays."""

    classes: list[str]
    word_vocab: dict[str, int]
    char_terms: StrArray  # the char n-grams, as the model file holds them: n-gram i is feature len(word_vocab) + i
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
    # The char vocabulary as arrays (binary ``char_wb`` models; built once on first use).
    _chars: CharTable | None = field(default=None, init=False, repr=False, compare=False)
    _chars_tried: bool = field(default=False, init=False, repr=False, compare=False)

    @cached_property
    def char_vocab(self) -> dict[str, int]:
        """char n-gram → feature (built on first use: 335,000 strings, a tenth of a second, that
        the table of binary ``char_wb`` models does without)."""
        first = len(self.word_vocab)
        return {t: i + first for i, t in enumerate(self.char_terms.tolist())}

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
            char_terms = z["char_vocab"]
            n_word = len(word_terms)
            idf = np.concatenate([z["word_idf"], z["char_idf"]]).astype(np.float64)
            coef = z["coef"].astype(np.float64)
            model = cls(
                classes=[str(c) for c in z["classes"].tolist()],
                word_vocab={t: i for i, t in enumerate(word_terms)},
                char_terms=char_terms,
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
        model._char_table()  # now: a parent that loads the model before forking shares it with its workers
        return model

    def _features(
        self, texts: Sequence[str], tokens: Sequence[Sequence[str]]
    ) -> tuple[IntArray, IntArray, IntArray, FloatArray | None]:
        """CSR-like arrays: (row of each entry, block id, feature index, raw count); the counts are
        ``None`` under binary weighting, which does not use them."""
        import numpy as np

        table = self._char_table()
        if table is not None:
            return self._features_by_table(texts, tokens, table)
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

    def _char_table(self) -> CharTable | None:
        """The char vocabulary as arrays where this model's n-grams allow it (binary weighting,
        ``char_wb``, shortest n-gram of 3 characters or fewer), else None: the dictionary path."""
        if not self._chars_tried:
            self._chars_tried = True
            if self.tf == "binary" and self.char_analyzer == "char_wb" and self.char_ngram[0] <= 3:
                try:
                    self._chars = CharTable(None, self.char_ngram[1], self.char_terms, len(self.word_vocab))
                except ValueError as exc:  # the dictionary path gives the same features
                    log.info("sentiment model: character n-grams looked up one by one (%s)", exc)
        return self._chars

    def _features_by_table(
        self, texts: Sequence[str], tokens: Sequence[Sequence[str]], table: CharTable
    ) -> tuple[IntArray, IntArray, IntArray, None]:
        """:meth:`_features` under binary weighting with the char n-grams looked up in ``table``:
        the same entries in the same order (each row's known word n-grams, then its known char
        n-grams, each in order of first occurrence)."""
        import numpy as np

        count = min(len(texts), len(tokens))
        wmin, wmax = self.word_ngram
        window, negators = self.negation_window, self.negators
        grams: list[str] = []
        per_row: list[int] = []
        for toks in tokens[:count]:
            if window:
                toks = mark_negation(toks, negators, window)
            words = dict.fromkeys(_word_ngrams(toks, wmin, wmax))
            grams += words
            per_row.append(len(words))
        index = np.fromiter(map(self.word_vocab.get, grams, repeat(-1)), dtype=np.int64, count=len(grams))
        word_rows = np.repeat(np.arange(count, dtype=np.int64), per_row)
        known = index >= 0
        char_rows, char_feats = table.features(texts[:count], self.char_lowercase, self.char_ngram[0])
        row = np.concatenate([word_rows[known], char_rows])
        feat = np.concatenate([index[known], char_feats])
        part = np.concatenate([np.zeros(int(known.sum()), dtype=np.int64), np.ones(len(char_feats), dtype=np.int64)])
        order = np.argsort(row * 2 + part, kind="stable")  # row by row: its words, then its characters
        row, feat = row[order], feat[order]
        return row, (feat >= len(self.word_vocab)).astype(np.int64), feat, None

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
