"""Refit the fast sentiment engine on the shipped data plus an organisation's corrections
(``sadap train``), check it, and keep it as a new version only if it is not worse.

Steps (each reported through ``progress``):

1. the corrections with a sentiment are split by a hash of their id: a fixed share (default a
   quarter) is held out for checking, the rest is trained on;
2. the shipped Wisesight train + valid messages (``enrich/models/training``) whose normalised text
   a correction also has are dropped (the person's label wins), and the rest plus the training
   corrections, each weighted ``weight`` times a shipped message, are fitted with ``linear-v3``'s
   recipe (binary word 1–3-grams with negation marks, char_wb 1–5-grams, logistic regression
   C=3) over the shipped model's vocabulary, starting from its weights (so the fit converges in
   a fraction of the time a fresh one takes); the shipped temperature is kept;
3. the engine enrichment would run with it (the ensemble with the refitted member, or
   ``linear-v3`` alone, as configured) and the engine it runs now are scored on the held-out
   corrections and on the shipped Wisesight test split;
4. the new version is kept, and made active, only when it is not worse on either: held-out
   accuracy at least the current one's, test accuracy and macro-F1 no more than ``tolerance``
   below the current ones. Otherwise its directory is removed and nothing changes.

Needs scikit-learn (``pip install scikit-learn``); the fitted model is plain arrays, scored with
numpy like the shipped one.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import shutil
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from enrich.evaluate import metrics
from enrich.normalize import normalize
from enrich.model_versions import INFO_FILE, SHIPPED
from enrich.sentiment import DEFAULT_ENGINE, RETRAINABLE, get_model, load_trained, local_engine
from enrich.sentiment.versions import VERSIONS
from enrich.sentiment.common import SentimentEngine
from enrich.tokenize import tokenize
from enrich.training.train_sentiment import RECIPES, Features, export, params_of
from sadap.core.errors import InputError

SHIPPED_DATA = Path(__file__).resolve().parents[1] / "models" / "training"
SHIPPED_LINEAR = "linear-v3"
MIN_CORRECTIONS = 8
DEFAULT_WEIGHT = 10.0
DEFAULT_HOLDOUT = 0.25
DEFAULT_TOLERANCE = 0.005


@dataclass
class Example:
    """One corrected message: its id (for the held-out split), stored text and the person's label."""

    id: str
    text: str
    label: str


@dataclass
class TrainReport:
    version: str | None  # the new version's name when kept
    kept: bool
    reason: str
    engine: str  # the configured engine the refit stands in for
    corrections: int
    trained_on: int
    held_out: int
    base_messages: int
    weight: float
    seconds: float
    scores: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # {current|new: {held_out|test: {...}}}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_shipped(split: str, data_dir: Path = SHIPPED_DATA) -> list[tuple[str, str]]:
    """``(text, label)`` rows of a shipped Wisesight split (``train``, ``valid``, ``test``)."""
    path = data_dir / f"wisesight-{split}.jsonl.xz"
    if not path.is_file():
        raise InputError(f"{path}: shipped training data missing (reinstall Sadap)")
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        return [(row["text"], row["label"]) for row in map(json.loads, fh) if row.get("text")]


def held_out(example_id: str, share: float) -> bool:
    """Whether a correction is held out: a stable hash of its id, so the same ones stay out as more come."""
    digest = hashlib.sha256(example_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def _prepare(texts: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    norm = [normalize(t) for t in texts]
    return norm, [tokenize(t) for t in norm]


def score(engine: SentimentEngine, texts: Sequence[str], gold: Sequence[str]) -> dict[str, float]:
    """Accuracy and macro-F1 of ``engine`` on raw texts (normalised and tokenised as enrichment does)."""
    if not texts:
        return {"n": 0, "accuracy": 0.0, "macro_f1": 0.0}
    norm, tok = _prepare(texts)
    predicted = [label for label, _ in engine.predict(norm, tok)]
    m = metrics(list(gold), predicted)
    return {"n": len(texts), "accuracy": round(m["accuracy"], 4), "macro_f1": round(m["macro_f1"], 4)}


def fit_linear(norm: list[str], tok: list[list[str]], labels: list[str], weights: np.ndarray, out: Path,
               trained_on: str) -> Path:
    """Fit ``linear-v3``'s recipe on prepared messages over the shipped model's vocabulary,
    starting from its weights, and write the ``.npz`` to ``out``."""
    from sklearn.linear_model import LogisticRegression

    from enrich.sentiment.linear import LinearSentiment

    shipped = get_model(SHIPPED_LINEAR)
    if not isinstance(shipped, LinearSentiment):
        raise TypeError(f"{SHIPPED_LINEAR} is not a linear model")
    n_word = len(shipped.word_vocab)
    recipe = RECIPES["linear-v3"]
    best = dict(recipe["defaults"])
    feats = Features(recipe, shipped.char_analyzer, shipped.char_ngram, (norm, tok), (norm[:1], tok[:1]),
                     word_vocab=shipped.word_vocab, char_vocab={t: i - n_word for t, i in shipped.char_vocab.items()})
    model = LogisticRegression(C=best["C"], max_iter=5000, random_state=0, warm_start=True)
    order = [shipped.classes.index(c) for c in sorted(shipped.classes)]  # scikit-learn sorts the classes
    model.coef_ = np.ascontiguousarray(shipped.coef_t.T[order])
    model.intercept_ = shipped.intercept[order].copy()
    model.fit(feats.X_train, labels, sample_weight=weights)
    meta = {"engine": "trained", "params": params_of(feats, best, shipped.temperature, labels), "trained_on": trained_on}
    export(out, feats, model, shipped.temperature, meta)
    return out


def retrain(
    corrections: Sequence[Example],
    data_dir: Path,
    engine: str = DEFAULT_ENGINE,
    *,
    weight: float = DEFAULT_WEIGHT,
    holdout: float = DEFAULT_HOLDOUT,
    tolerance: float = DEFAULT_TOLERANCE,
    base: Sequence[tuple[str, str]] | None = None,
    test: Sequence[tuple[str, str]] | None = None,
    current: SentimentEngine | None = None,
    also: tuple[Sequence[str], Sequence[str]] | None = None,
    progress: Callable[[str], None] = lambda msg: None,
) -> TrainReport:
    """Refit, check and (when not worse) keep and activate a new version in ``data_dir``.

    ``base`` and ``test`` replace the shipped training (train + valid) and test rows, and
    ``current`` the engine to beat (default: what enrichment runs now), for simulations and tests.
    ``also`` (texts, gold labels) is one more set both engines are scored on, under ``"also"`` in
    the report's scores, whether or not the new one is kept; it does not enter the decision."""
    t0 = time.perf_counter()
    if engine not in RETRAINABLE:
        raise InputError(f"sadap train refits {' or '.join(RETRAINABLE)}; the configured engine is {engine!r}")
    usable = [c for c in corrections if c.label in ("pos", "neu", "neg", "q") and c.text.strip()]
    if len(usable) < MIN_CORRECTIONS:
        raise InputError(f"sadap train needs at least {MIN_CORRECTIONS} mentions with a corrected sentiment; "
                         f"there are {len(usable)} (correct some with `sadap label ID --sentiment …`)")
    check = [c for c in usable if held_out(c.id, holdout)]
    learn = [c for c in usable if not held_out(c.id, holdout)]
    if not check or not learn:
        raise InputError(f"the {len(usable)} corrections leave nothing to {'check' if not check else 'learn'} on; "
                         "correct a few more mentions")
    progress(f"{len(usable)} corrected sentiments: {len(learn)} to learn from, {len(check)} held out for checking")

    base_rows = list(base) if base is not None else read_shipped("train") + read_shipped("valid")
    test_rows = list(test) if test is not None else read_shipped("test")
    corrected = {normalize(c.text) for c in usable}
    base_norm, base_tok = _prepare([t for t, _ in base_rows])
    keep = [i for i, t in enumerate(base_norm) if t not in corrected]
    learn_norm, learn_tok = _prepare([c.text for c in learn])
    norm = [base_norm[i] for i in keep] + learn_norm
    tok = [base_tok[i] for i in keep] + learn_tok
    labels = [base_rows[i][1] for i in keep] + [c.label for c in learn]
    weights = np.array([1.0] * len(keep) + [weight] * len(learn))
    progress(f"fitting on {len(keep):,} shipped messages + {len(learn)} corrections × {weight:g} "
             f"({dict(Counter(labels))}) …")

    version, vdir = VERSIONS.new_dir(data_dir)
    fit_linear(norm, tok, labels, weights, vdir / VERSIONS.model_file,
               f"wisesight-sentiment train + valid + {len(learn)} corrections (weight {weight:g})")
    progress(f"fitted in {time.perf_counter() - t0:.0f} s; scoring …")

    current = current or get_model(local_engine(engine, data_dir))
    candidate = load_trained(engine, vdir)
    check_texts, check_gold = [c.text for c in check], [c.label for c in check]
    test_texts, test_gold = [t for t, _ in test_rows], [lab for _, lab in test_rows]
    scores: dict[str, dict[str, dict[str, float]]] = {}
    for name, eng in (("current", current), ("new", candidate)):
        scores[name] = {"held_out": score(eng, check_texts, check_gold), "test": score(eng, test_texts, test_gold)}
        if also is not None:
            scores[name]["also"] = score(eng, also[0], also[1])
        progress(f"{name}: held-out corrections accuracy {scores[name]['held_out']['accuracy']:.3f} · "
                 f"Wisesight test accuracy {scores[name]['test']['accuracy']:.3f}, "
                 f"macro-F1 {scores[name]['test']['macro_f1']:.3f}")
    cur, new = scores["current"], scores["new"]
    worse = []
    if new["held_out"]["accuracy"] < cur["held_out"]["accuracy"]:
        worse.append("held-out corrections accuracy")
    for key in ("accuracy", "macro_f1"):
        if new["test"][key] < cur["test"][key] - tolerance:
            worse.append(f"Wisesight test {key.replace('_', '-')}")
    kept = not worse
    report = TrainReport(
        version=version if kept else None, kept=kept,
        reason="not worse on either check" if kept else "worse on " + " and ".join(worse),
        engine=engine, corrections=len(usable), trained_on=len(learn), held_out=len(check),
        base_messages=len(keep), weight=weight, seconds=round(time.perf_counter() - t0, 1), scores=scores,
    )
    if kept:
        record = {**report.as_dict(), "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                  "tolerance": tolerance, "holdout": holdout,
                  "previous": VERSIONS.active(data_dir) or SHIPPED}
        (vdir / INFO_FILE).write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        VERSIONS.activate(data_dir, version)
        progress(f"kept as {version} (now active)")
    else:
        shutil.rmtree(vdir)
        progress(f"not kept: {report.reason}")
    return report
