"""Fit the learned voice-of-customer classifier (``enrich/voc_model.py``): numpy only.

    .venv/bin/python -m enrich.training.train_voc [--cv] [--out enrich/models/voc-learned-v1.npz]

Training data (never the development data the figures are measured on: ``tests/data/enrich_dev``,
``tests/data/pr_posts``):

* ``enrich/models/training/voc-train.jsonl``: Wisesight train posts hand-labelled for this
  classifier (README there);
* ``tests/data/enrich_tune/enrich-tune.jsonl`` (300, every field) and
  ``tests/data/enrich_tune/complaint-evidence.jsonl`` (90, the complaint flag only).

Features come from the enrichment pipeline itself (``Enricher.enrich(..., features=...)``) with
the default sentiment engine, so training and run time read the same thing. Two L2-regularised
logistic regressions are fitted with L-BFGS: expectation (softmax over 4 classes) on the rows
that have one, the complaint flag (sigmoid) on the rows that have one. ``--cv`` compares the
regularisation strengths and class weighting on 5 folds of the training data and picks the
complaint threshold on the out-of-fold probabilities; the chosen settings are the defaults below.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from enrich.evaluate import metrics
from enrich.pipeline import Enricher
from enrich.voc_model import EXPECTATIONS, RULES_AT, SHIPPED_MODEL, Features, VocModel, n_features
from sadap.core.mention import RawMention, to_mention

if TYPE_CHECKING:
    from numpy.typing import NDArray

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
SHIPPED_TRAINING = ROOT / "enrich" / "models" / "training" / "voc-train.jsonl"
TUNE = ROOT / "tests" / "data" / "enrich_tune"
TRAINING_FILES = (SHIPPED_TRAINING, TUNE / "enrich-tune.jsonl", TUNE / "complaint-evidence.jsonl")
# Chosen by --cv on the training data (see the model card enrich/models/voc-learned-v1.md).
L2_EXPECTATION = 1e-2
L2_COMPLAINT = 1e-2
BALANCED = True
THRESHOLD = 0.50
SEED = 20261207


@dataclass
class Example:
    """One labelled message: ``expectation`` and/or ``is_complaint`` (None: not labelled)."""

    text: str
    expectation: str | None = None
    is_complaint: bool | None = None
    weight: float = 1.0


def read_examples(paths: Sequence[Path]) -> list[Example]:
    out: list[Example] = []
    for path in paths:
        if not path.is_file():
            log.warning("%s: not found, skipped", path)
            continue
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                row = json.loads(line)
                exp = row.get("expectation")
                comp = row.get("is_complaint")
                out.append(Example(row["text"], exp if exp in EXPECTATIONS else None,
                                   comp if isinstance(comp, bool) else None))
    return out


def features_of(texts: Sequence[str], enricher: Enricher, batch_size: int = 256) -> list[Features | None]:
    """Each text's classifier features as enrichment computes them (None: news or no words)."""
    out: list[Features | None] = []
    for start in range(0, len(texts), batch_size):
        chunk = texts[start:start + batch_size]
        raws = [RawMention(source_kind="file", source_name="train", native_id=str(start + i), text=t)
                for i, t in enumerate(chunk)]
        enricher.enrich([to_mention(r, pseudonym_key=b"train") for r in raws], features=out)
    return out


# -- the fit ----------------------------------------------------------------------------------
class Design:
    """Sparse rows as flat arrays: ``index``/``value`` of every non-zero, ``row`` of each."""

    def __init__(self, rows: Sequence[Features]):
        self.n = len(rows)
        self.d = n_features()
        self.index = np.fromiter((i for r in rows for i in r.index), dtype=np.int64)
        self.value = np.fromiter((v for r in rows for v in r.value), dtype=np.float64)
        self.row = np.repeat(np.arange(self.n), [len(r.index) for r in rows])

    def dot(self, w: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.zeros((self.n, w.shape[1]))
        contrib = self.value[:, None] * w[self.index]
        for k in range(w.shape[1]):
            out[:, k] = np.bincount(self.row, weights=contrib[:, k], minlength=self.n)
        return out

    def tdot(self, g: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.empty((self.d, g.shape[1]))
        for k in range(g.shape[1]):
            out[:, k] = np.bincount(self.index, weights=self.value * g[self.row, k], minlength=self.d)
        return out


def _lbfgs(f: Callable[[NDArray[np.float64]], tuple[float, NDArray[np.float64]]], x: NDArray[np.float64],
           iters: int = 300, memory: int = 10, tol: float = 1e-7) -> NDArray[np.float64]:
    """Minimise a smooth convex ``f`` (value, gradient) by L-BFGS with a backtracking line search."""
    fx, g = f(x)
    s_hist: list[NDArray[np.float64]] = []
    y_hist: list[NDArray[np.float64]] = []
    for _ in range(iters):
        q = g.copy()
        alphas = []
        for s, y in zip(reversed(s_hist), reversed(y_hist)):
            a = s @ q / (y @ s)
            alphas.append(a)
            q -= a * y
        if s_hist:
            q *= (s_hist[-1] @ y_hist[-1]) / (y_hist[-1] @ y_hist[-1])
        for (s, y), a in zip(zip(s_hist, y_hist), reversed(alphas)):
            b = y @ q / (y @ s)
            q += (a - b) * s
        direction = -q
        slope = g @ direction
        if slope >= 0:
            direction, slope = -g, -(g @ g)
            s_hist.clear()
            y_hist.clear()
        step = 1.0
        while True:
            x_new = x + step * direction
            f_new, g_new = f(x_new)
            if f_new <= fx + 1e-4 * step * slope or step < 1e-10:
                break
            step *= 0.5
        s_vec, y_vec = x_new - x, g_new - g
        if s_vec @ y_vec > 1e-12:
            s_hist.append(s_vec)
            y_hist.append(y_vec)
            if len(s_hist) > memory:
                s_hist.pop(0)
                y_hist.pop(0)
        done = abs(fx - f_new) <= tol * max(1.0, abs(fx))
        x, fx, g = x_new, f_new, g_new
        if done:
            break
    return x


def fit_softmax(design: Design, y: NDArray[np.int64], k: int, weights: NDArray[np.float64],
                l2: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Weighted multinomial logistic regression (``k`` ≥ 2 classes), L2 on the weights, not the bias."""
    d = design.d
    onehot = np.zeros((design.n, k))
    onehot[np.arange(design.n), y] = 1.0
    w_norm = weights / weights.sum()

    def f(x: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        w = x[: d * k].reshape(d, k)
        b = x[d * k:]
        z = design.dot(w) + b
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -(w_norm * (onehot * logp).sum(axis=1)).sum() + 0.5 * l2 * (w * w).sum()
        g = (np.exp(logp) - onehot) * w_norm[:, None]
        grad_w = design.tdot(g) + l2 * w
        return float(loss), np.concatenate([grad_w.ravel(), g.sum(axis=0)])

    x = _lbfgs(f, np.zeros(d * k + k))
    return x[: d * k].reshape(d, k), x[d * k:]


def _class_weights(y: NDArray[np.int64], k: int, balanced: bool) -> NDArray[np.float64]:
    if not balanced:
        return np.ones(len(y))
    counts = np.bincount(y, minlength=k).astype(float)
    per_class = len(y) / (k * np.maximum(counts, 1.0))
    return np.asarray(np.sqrt(per_class)[y], dtype=np.float64)  # half-way to fully balanced


def fit(rows: Sequence[Features], examples: Sequence[Example], *, l2_expectation: float = L2_EXPECTATION,
        l2_complaint: float = L2_COMPLAINT, balanced: bool = BALANCED, threshold: float = THRESHOLD,
        meta: dict[str, Any] | None = None) -> VocModel:
    """Fit both regressions on the rows with the matching label (each weighted by its example)."""
    k = len(EXPECTATIONS)
    weights = np.zeros((n_features(), k + 1))
    bias = np.zeros(k + 1)
    exp_idx = [i for i, e in enumerate(examples) if e.expectation is not None]
    if exp_idx:
        y = np.array([EXPECTATIONS.index(str(examples[i].expectation)) for i in exp_idx])
        w = np.array([examples[i].weight for i in exp_idx]) * _class_weights(y, k, balanced)
        weights[:, :k], bias[:k] = fit_softmax(Design([rows[i] for i in exp_idx]), y, k, w, l2_expectation)
    comp_idx = [i for i, e in enumerate(examples) if e.is_complaint is not None]
    if comp_idx:
        y = np.array([int(bool(examples[i].is_complaint)) for i in comp_idx])
        w = np.array([examples[i].weight for i in comp_idx]) * _class_weights(y, 2, balanced)
        w2, b2 = fit_softmax(Design([rows[i] for i in comp_idx]), y, 2, w, l2_complaint / 2)
        weights[:, k], bias[k] = w2[:, 1] - w2[:, 0], b2[1] - b2[0]
    return VocModel(weights, bias, threshold, meta)


# -- choosing the settings ----------------------------------------------------------------------
def folds(n: int, k: int = 5, seed: int = SEED) -> list[int]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    fold = [0] * n
    for pos, i in enumerate(order):
        fold[i] = pos % k
    return fold


def out_of_fold(rows: Sequence[Features], examples: Sequence[Example], k: int = 5, **settings: Any) -> NDArray[np.float64]:
    """Logits of each example from a model fitted on the other folds."""
    fold = folds(len(rows), k)
    z = np.zeros((len(rows), len(EXPECTATIONS) + 1))
    for f in range(k):
        train = [i for i in range(len(rows)) if fold[i] != f]
        test = [i for i in range(len(rows)) if fold[i] == f]
        model = fit([rows[i] for i in train], [examples[i] for i in train], **settings)
        z[test] = model.logits([rows[i] for i in test])
    return z


def scores(z: NDArray[np.float64], examples: Sequence[Example], threshold: float = 0.5) -> dict[str, float]:
    exp = [(e.expectation, EXPECTATIONS[int(z[i, :4].argmax())]) for i, e in enumerate(examples) if e.expectation]
    comp = [(str(e.is_complaint).lower(), str(bool(1 / (1 + np.exp(-z[i, 4])) >= threshold)).lower())
            for i, e in enumerate(examples) if e.is_complaint is not None]
    me = metrics([g for g, _ in exp], [p for _, p in exp])
    mc = metrics([g for g, _ in comp], [p for _, p in comp])
    return {"expectation_accuracy": round(me["accuracy"], 4), "expectation_macro_f1": round(me["macro_f1"], 4),
            "complaint_accuracy": round(mc["accuracy"], 4), "complaint_macro_f1": round(mc["macro_f1"], 4),
            "complaint_f1_yes": round(mc["per_class"].get("true", {}).get("f1", 0.0), 4)}


def rules_scores(examples: Sequence[Example], rows: Sequence[Features]) -> dict[str, float]:
    """The rules' own answers, read from the dense features, as logits for :func:`scores`."""
    z = np.zeros((len(rows), 5))
    for i, r in enumerate(rows):
        dense = dict(zip(r.index, r.value))
        for j in range(4):
            z[i, j] = dense.get(RULES_AT + j, 0.0)
        z[i, 4] = 10.0 if dense.get(RULES_AT + 4) else -10.0
    return scores(z, examples)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, action="append", help="training files (default: the shipped ones)")
    ap.add_argument("--out", type=Path, default=SHIPPED_MODEL)
    ap.add_argument("--cv", action="store_true", help="compare settings on 5 folds (and fit nothing)")
    ap.add_argument("--l2", type=float, nargs="+", default=[3e-4, 1e-3, 3e-3, 1e-2, 3e-2], help="--cv: strengths to try")
    ap.add_argument("--balanced", choices=["both", "yes", "no"], default="both", help="--cv: class weighting to try")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    files = args.data or list(TRAINING_FILES)
    examples = read_examples(files)
    t0 = time.perf_counter()
    feats = features_of([e.text for e in examples], Enricher(voc="rules"))
    keep = [i for i, f in enumerate(feats) if f is not None]
    rows = [f for f in feats if f is not None]
    examples = [examples[i] for i in keep]
    log.info("%d examples with words (%d expectation, %d complaint) in %.0f s", len(rows),
             sum(e.expectation is not None for e in examples), sum(e.is_complaint is not None for e in examples),
             time.perf_counter() - t0)
    chosen: dict[str, Any] = {"l2_expectation": L2_EXPECTATION, "l2_complaint": L2_COMPLAINT, "balanced": BALANCED}
    threshold = THRESHOLD
    cv_log: list[dict[str, Any]] = []
    if args.cv:
        log.info("rules, on the same rows: %s", rules_scores(examples, rows))
        best_e: tuple[float, dict[str, Any]] = (-1.0, {})
        best_c: tuple[float, dict[str, Any]] = (-1.0, {})
        for l2 in args.l2:
            for balanced in {"both": (False, True), "yes": (True,), "no": (False,)}[args.balanced]:
                settings = {"l2_expectation": l2, "l2_complaint": l2, "balanced": balanced}
                z = out_of_fold(rows, examples, **settings)
                s = scores(z, examples)
                cv_log.append({**settings, **s})
                log.info("%s %s", settings, s)
                e_score = s["expectation_accuracy"] + s["expectation_macro_f1"]
                c_score = s["complaint_macro_f1"]
                if e_score > best_e[0]:
                    best_e = (e_score, {"l2_expectation": l2, "z": z, "balanced": balanced})
                if c_score > best_c[0]:
                    best_c = (c_score, {"l2_complaint": l2, "z": z, "balanced": balanced})
        log.info("best expectation: %s; best complaint: %s", {k: v for k, v in best_e[1].items() if k != "z"},
                 {k: v for k, v in best_c[1].items() if k != "z"})
        z = best_c[1]["z"]
        best_t = max((scores(z, examples, t)["complaint_macro_f1"], t) for t in np.arange(0.3, 0.71, 0.05))
        log.info("complaint threshold on out-of-fold probabilities: %.2f (macro-F1 %.4f)", best_t[1], best_t[0])
        cv_log.append({"threshold": round(float(best_t[1]), 2), "complaint_macro_f1": best_t[0]})
        return
    meta = {"trained_on": [str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in files],
            "examples": len(rows), "settings": chosen, "threshold": threshold, "seed": SEED}
    model = fit(rows, examples, threshold=threshold, meta=meta, **chosen)
    model.save(args.out)
    log.info("wrote %s (%.0f s)", args.out, time.perf_counter() - t0)


if __name__ == "__main__":
    main()
