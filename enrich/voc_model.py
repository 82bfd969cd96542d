"""The learned voice-of-customer classifier: expectation and the complaint flag, decided by two
small logistic regressions over what the rules found (``enrich.voc``), the sentiment engine's
answer and the message's words.

The rules stay the explanation: their hits, category and complaint type are kept. The model
reads, for each mention,

* the rules' outputs (:class:`enrich.voc.VocResult`): their expectation and complaint flag, the
  number of hits of each lexicon class (strong praise, mild praise, disappointment, complaint
  signals, categories, complaint types) and their flags (about an offer, mixed review, sarcasm,
  a wish, mood words only);
* the sentiment engine's label and its four probabilities;
* hashed word unigrams and bigrams (``zlib.crc32`` of each word, pairs combined, into 2^14 buckets), the lexicon words the
  rules hit with the class they counted in (a negated praise word counts as disappointment), and
  the category and complaint type the rules found and their answers, alone and crossed with the
  sentiment label;

and decides the expectation (4 classes, softmax) and whether the mention is a complaint
(a sigmoid with a threshold). A complaint the rules did not see takes the type the rules would
give it (their fallback: the type words, else the category's type, else ``other``); a complaint
the model rejects has no type.

Inference is plain numpy from a ``.npz`` (``enrich/models/voc-learned-v1.npz``, or an
organisation's version from ``sadap train``: ``<data dir>/models/voc/vN/voc-learned.npz``).
It runs when ``enrich.voc: learned``; the default stays ``rules`` (docs/enrichment.md says why).
It is fitted by :mod:`enrich.training.train_voc` (numpy only, no scikit-learn).
"""

from __future__ import annotations

import json
import math
import re
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sadap.core.errors import InputError
from sadap.core.mention import ExpectationLevel

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from enrich.voc import VocResult

MODELS_DIR = Path(__file__).resolve().parent / "models"
SHIPPED_MODEL = MODELS_DIR / "voc-learned-v1.npz"
FEATURES_VERSION = 3
HASH_BITS = 14
EXPECTATIONS: tuple[ExpectationLevel, ...] = ("delighted", "satisfied", "disappointed", "none")
SENTIMENTS = ("pos", "neu", "neg", "q")
COUNTED = ("delighted", "satisfied", "disappointed", "signals", "categories", "complaint_types")
FLAGS = ("about_org", "mixed", "sarcasm", "wishing", "complaining", "mood_only")
# The dense features, in column order (the hashed ones follow them).
DENSE = (
    *(f"sentiment={s}" for s in SENTIMENTS), *(f"p({s})" for s in SENTIMENTS),
    *(f"rules_expectation={e}" for e in EXPECTATIONS), "rules_complaint",
    *(f"flag:{f}" for f in FLAGS), *(f"hits:{c}" for c in COUNTED), "log_words",
)
N_DENSE = len(DENSE)
RULES_AT = DENSE.index("rules_expectation=delighted")
FLAGS_AT = DENSE.index("flag:about_org")
VocEngine = Literal["rules", "learned"]
VOC_ENGINES: tuple[str, ...] = ("rules", "learned")
DEFAULT_VOC: VocEngine = "rules"
_WORDY = re.compile(r"\w")
_lock = threading.Lock()
_cache: dict[Path, "VocModel"] = {}


_MASK = (1 << HASH_BITS) - 1
_WORD_CACHE_SIZE = 200_000
# token -> its crc32 (None: no letter or digit, not a feature); cleared when it grows past the size
_word_hash: dict[str, int | None] = {}


def _bucket(feature: str) -> int:
    return N_DENSE + (zlib.crc32(feature.encode("utf-8")) & _MASK)


def _word(token: str) -> int | None:
    h = _word_hash.get(token, -1)
    if h == -1:
        if len(_word_hash) > _WORD_CACHE_SIZE:
            _word_hash.clear()
        h = _word_hash[token] = zlib.crc32(token.lower().encode("utf-8")) if _WORDY.search(token) else None
    return h


@dataclass(frozen=True)
class Features:
    """One mention's features: column indices and values (a sparse row)."""

    index: list[int]
    value: list[float]


def featurize(words: Sequence[str], label: str, probabilities: Sequence[float], voc: VocResult) -> Features:
    """The features of one mention: its words (``enrich.tokenize`` tokens, title first), the
    sentiment engine's label and probabilities (pos, neu, neg, q; before the rules' sarcasm
    reading), and the rules' result on it."""
    dense = [0.0] * N_DENSE
    if label in SENTIMENTS:
        dense[SENTIMENTS.index(label)] = 1.0
    for i, p in enumerate(probabilities[:4]):
        dense[4 + i] = float(p)
    dense[RULES_AT + EXPECTATIONS.index(voc.expectation)] = 1.0
    dense[RULES_AT + 4] = 1.0 if voc.is_complaint else 0.0
    for i, flag in enumerate(FLAGS):
        dense[FLAGS_AT + i] = 1.0 if voc.flags.get(flag) else 0.0
    for i, kind in enumerate(COUNTED):
        dense[FLAGS_AT + len(FLAGS) + i] = math.log1p(len(voc.hits.get(kind, ())))
    hashes = [h for h in map(_word, words) if h is not None]
    dense[-1] = math.log1p(len(hashes)) / 4.0
    index = [i for i, v in enumerate(dense) if v]
    value = [v for v in dense if v]
    # words (their crc32) and word pairs (the two combined), into the hashed columns
    buckets = {N_DENSE + (h & _MASK) for h in hashes}
    buckets.update(N_DENSE + (((a * 1_000_003) ^ b) >> 7 & _MASK) for a, b in zip(hashes, hashes[1:]))
    hashed: set[str] = set()
    kinds = {"c:" + voc.category}
    if voc.hits.get("complaint_types"):
        kinds.add("t:" + str(voc.fallback_type))
    for kind in ("delighted", "satisfied", "disappointed", "signals"):  # the lexicon words, as the rules read them
        hashed.update(f"h:{kind}:{k}" for k in voc.hits.get(kind, ()))
    rules = f"r:{voc.expectation}:{int(voc.is_complaint)}"
    hashed.update(kinds)
    hashed.update(f"{k}|{label}" for k in kinds)
    hashed.update((rules, f"{rules}|{label}"))
    buckets.update(_bucket(f) for f in hashed)
    ordered = sorted(buckets)
    return Features(index + ordered, value + [1.0] * len(ordered))


def n_features() -> int:
    return N_DENSE + (1 << HASH_BITS)


class VocModel:
    """The fitted classifier: ``weights`` (features × 5: four expectation logits, one complaint
    logit), ``bias`` (5) and the complaint ``threshold`` on the complaint probability."""

    def __init__(self, weights: NDArray[np.float64], bias: NDArray[np.float64], threshold: float,
                 meta: dict[str, Any] | None = None):
        if weights.shape != (n_features(), len(EXPECTATIONS) + 1):
            raise InputError(f"voice-of-customer model: weights of shape {weights.shape}, expected "
                             f"({n_features()}, {len(EXPECTATIONS) + 1}) (features version {FEATURES_VERSION})")
        self.weights = weights
        self.bias = bias
        self.threshold = float(threshold)
        self.meta = meta or {}

    @classmethod
    def load(cls, path: Path) -> "VocModel":
        import numpy as np

        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                if meta.get("features_version") != FEATURES_VERSION:
                    raise InputError(f"{path}: features version {meta.get('features_version')!r}, this Sadap reads "
                                     f"{FEATURES_VERSION}; retrain it (`sadap train`) or roll back")
                return cls(data["weights"].astype(np.float64), data["bias"].astype(np.float64),
                           float(data["threshold"]), meta)
        except FileNotFoundError:
            raise InputError(f"{path}: voice-of-customer model not found") from None
        except (KeyError, ValueError, OSError) as err:
            raise InputError(f"{path}: not a voice-of-customer model ({err})") from None

    def save(self, path: Path) -> None:
        import numpy as np

        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {**self.meta, "features_version": FEATURES_VERSION, "hash_bits": HASH_BITS, "dense": list(DENSE),
                "expectations": list(EXPECTATIONS)}
        with path.open("wb") as fh:
            np.savez_compressed(fh, weights=self.weights.astype(np.float32), bias=self.bias,
                                threshold=np.float64(self.threshold), meta=np.array(json.dumps(meta, ensure_ascii=False)))

    def logits(self, rows: Sequence[Features]) -> NDArray[np.float64]:
        """Raw scores, one row per mention: four expectation logits and the complaint logit."""
        import numpy as np

        if not rows:
            return np.zeros((0, len(self.bias)))
        index = np.fromiter((i for r in rows for i in r.index), dtype=np.intp)
        value = np.fromiter((v for r in rows for v in r.value), dtype=np.float64)
        starts = np.cumsum([0] + [len(r.index) for r in rows[:-1]])
        out: NDArray[np.float64] = np.add.reduceat(self.weights[index] * value[:, None], starts, axis=0) + self.bias
        return out

    def decide(self, rows: Sequence[Features]) -> list[tuple[ExpectationLevel, bool, float]]:
        """``(expectation, is_complaint, complaint probability)`` for each mention."""
        if not rows:
            return []
        z = self.logits(rows)
        out: list[tuple[ExpectationLevel, bool, float]] = []
        best = z[:, :4].argmax(axis=1).tolist()
        for k, logit in zip(best, z[:, 4].tolist()):
            p = 1.0 / (1.0 + math.exp(-max(-500.0, min(500.0, logit))))
            out.append((EXPECTATIONS[k], p >= self.threshold, p))
        return out


def get_model(path: Path = SHIPPED_MODEL) -> VocModel:
    """The model in ``path``, loaded once."""
    with _lock:
        model = _cache.get(path)
        if model is None:
            model = _cache[path] = VocModel.load(path)
        return model


def forget(path: Path) -> None:
    """Drop ``path`` from the cache (a retrained version rewrote it, or a test)."""
    with _lock:
        _cache.pop(path, None)


def apply(voc: VocResult, expectation: ExpectationLevel, is_complaint: bool) -> tuple[ExpectationLevel, bool, str | None]:
    """The model's expectation and complaint flag with the rules' type: a complaint the rules did
    not find takes their fallback type; a rejected one has none.

    Three readings the issue asks for stay the rules': praise around a failure (sarcasm, rule 5)
    is a disappointed complaint; mild praise in a neutral post (rule 6: ก็ดี, ใช้ง่ายดี) is
    satisfied; and a post about nothing an organisation offers is no complaint (รถติดมาก เบื่อ)."""
    if voc.flags.get("sarcasm"):
        return voc.expectation, voc.is_complaint, voc.complaint_type
    if voc.flags.get("mild_praise"):
        expectation = voc.expectation
    if not voc.flags.get("about_org"):
        is_complaint = False
    if not is_complaint:
        return expectation, False, None
    return expectation, True, voc.complaint_type or voc.fallback_type or "other"
