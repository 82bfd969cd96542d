"""Train an offline linear sentiment model (``linear-v1``, ``linear-v2`` or ``linear-v3``) on Wisesight Sentiment.

    python -m enrich.training.crossfit --member linear        # linear-v3 only: out-of-fold predictions
    python -m enrich.training.train_sentiment [--engine linear-v1|linear-v2|linear-v3] \
        [--data-dir ../shared/data/wisesight-sentiment] [--out enrich/models/sentiment-ENGINE.npz]

The two engines are two recipes (:data:`RECIPES`) of the same steps. ``linear-v1`` uses TF-IDF
(sublinear tf) and class weights, which favour macro-F1; ``linear-v2`` uses binary presence of
word 1–3-grams (the word after a negator marked ``NOT_``, :mod:`enrich.negation`) and character
1–5-grams, no idf and no class weights. This favours accuracy, and the ensemble's biases restore
the rare classes. ``linear-v3`` is ``linear-v2``'s recipe fitted on train + valid with no new
choice; its temperature is fitted on the cross-fitted predictions of ``enrich.training.crossfit``.

Needs scikit-learn (the ``train`` extra); the shipped model does not. Steps:

1. normalise (:func:`enrich.normalize.normalize`) and tokenise (:func:`enrich.tokenize.tokenize`)
   every message, exactly as the enrichment pipeline does;
2. features: word n-grams over the tokens and character n-grams over the normalised text,
   weighted as the recipe says (L2 norm per block), side by side;
3. classifier: multinomial logistic regression with class weights ``(n / (k * count)) ** alpha``
   (alpha = 0: none, 1: "balanced") to help the rare ``q`` and ``pos`` classes;
4. the character analyzer and n-gram range, C and alpha are chosen on the *valid* split
   (score = accuracy + macro-F1), fitting on *train* only; the vocabularies keep the n-grams seen in
   at least ``MIN_DF`` training messages (no pruning by weight: the file is small enough without
   it); a softmax temperature is fitted on valid (negative log-likelihood);
5. the arrays are written to an ``.npz`` (no pickles), and the *shipped file* is scored with the
   numpy runtime (:mod:`enrich.sentiment`) on valid and, once, on test; everything goes to a JSON
   log next to the model.

The test split is never used for a choice.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from enrich.evaluate import fold_questions, metrics
from enrich.normalize import normalize
from enrich.sentiment.linear import FORMAT, LinearSentiment
from enrich.tokenize import tokenize

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

from enrich.negation import NEGATORS, mark_negation

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment"
MODELS = ROOT / "enrich" / "models"
SEED = 0
MIN_DF = 2
# A recipe: the feature and search settings of one engine (see RECIPES).
Recipe = dict[str, Any]
# Normalised texts and their tokens.
Prepared = tuple[list[str], list[list[str]]]
_T = TypeVar("_T")

RECIPES: dict[str, Recipe] = {
    "linear-v1": {
        "tf": "sublinear",
        "word_ngram": (1, 2),
        "char_candidates": (("char_wb", (1, 4)), ("char", (1, 3)), ("char_wb", (2, 5))),
        "C_grid": (0.5, 1.0, 2.0),
        "alpha_grid": (0.6, 0.7, 0.8),
        "negation_window": 0,
        "defaults": {"char_analyzer": "char_wb", "char_ngram": (1, 4), "C": 1.0, "alpha": 0.7},
    },
    "linear-v2": {
        "tf": "binary",
        "word_ngram": (1, 3),
        "char_candidates": (("char_wb", (1, 5)),),
        "C_grid": (1.0, 3.0, 10.0),
        "alpha_grid": (0.0,),
        "negation_window": 1,
        "defaults": {"char_analyzer": "char_wb", "char_ngram": (1, 5), "C": 3.0, "alpha": 0.0},
    },
}
# linear-v3: linear-v2's recipe (chosen on valid) fitted on train + valid; its temperature comes from
# the cross-fitted predictions of ``enrich.training.crossfit --member linear`` (nothing is held out).
RECIPES["linear-v3"] = {**RECIPES["linear-v2"], "pool_valid": True}
OOF_DIR = ROOT / "build" / "oof"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def identity(x: _T) -> _T:
    return x


def read_split(data_dir: Path, name: str) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with open(data_dir / f"{name}.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                texts.append(row["text"])
                labels.append(row["label"])
    return texts, labels


def prepare(texts: list[str]) -> tuple[list[str], list[list[str]]]:

    norm = [normalize(t) for t in texts]
    return norm, [tokenize(t) for t in norm]


def make_vectorizers(
    recipe: Recipe,
    analyzer: str,
    char_ngram: tuple[int, ...],
    word_vocab: Mapping[str, int] | None = None,
    char_vocab: Mapping[str, int] | None = None,
) -> tuple[Any, Any]:
    """The word and char ``TfidfVectorizer`` (scikit-learn has no type information: ``Any``)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    weighting = {"sublinear_tf": recipe["tf"] == "sublinear", "binary": recipe["tf"] == "binary",
                 "use_idf": recipe["tf"] == "sublinear"}

    word = TfidfVectorizer(
        tokenizer=identity,
        preprocessor=identity,
        lowercase=False,
        token_pattern=None,
        ngram_range=recipe["word_ngram"],
        **weighting,
        min_df=MIN_DF if word_vocab is None else 1,
        vocabulary=word_vocab,
    )
    char = TfidfVectorizer(
        analyzer=analyzer,
        ngram_range=char_ngram,
        lowercase=True,
        **weighting,
        min_df=MIN_DF if char_vocab is None else 1,
        vocabulary=char_vocab,
    )
    return word, char


class Features:
    """Fitted word + char vectorizers (as ``recipe`` says) and the train/valid matrices."""

    def __init__(
        self,
        recipe: Recipe,
        analyzer: str,
        char_ngram: Sequence[int],
        train: Prepared,
        valid: Prepared,
        word_vocab: Mapping[str, int] | None = None,
        char_vocab: Mapping[str, int] | None = None,
    ) -> None:
        from scipy.sparse import hstack

        self.recipe = recipe
        self.analyzer, self.char_ngram = analyzer, tuple(char_ngram)
        self.word, self.char = make_vectorizers(recipe, analyzer, self.char_ngram, word_vocab, char_vocab)
        (tr_norm, tr_tok), (va_norm, va_tok) = train, valid
        self.X_train: csr_matrix = hstack([self.word.fit_transform(word_input(recipe, tr_tok)),
                               self.char.fit_transform(tr_norm)]).tocsr()
        self.X_valid = self.transform(va_norm, va_tok)
        self.n_word = len(self.word.vocabulary_)

    def transform(self, norm: list[str], tok: list[list[str]]) -> csr_matrix:
        from scipy.sparse import hstack

        out: csr_matrix = hstack([self.word.transform(word_input(self.recipe, tok)), self.char.transform(norm)]).tocsr()
        return out

    def terms(self) -> tuple[list[str], list[str]]:
        return list(self.word.get_feature_names_out()), list(self.char.get_feature_names_out())


def class_weights(labels: list[str], alpha: float) -> dict[str, float]:
    counts = Counter(labels)
    n, k = len(labels), len(counts)
    return {c: (n / (k * v)) ** alpha for c, v in sorted(counts.items())}


def fit(X: csr_matrix, y: list[str], C: float, alpha: float) -> Any:
    """A fitted ``LogisticRegression`` (``Any``: scikit-learn has no type information)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, class_weight=class_weights(y, alpha), max_iter=5000, random_state=SEED)
    return model.fit(X, y)


def score(gold: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    acc = accuracy_score(gold, pred)
    f1 = f1_score(gold, pred, average="macro")
    return {"accuracy": round(float(acc), 4), "macro_f1": round(float(f1), 4), "score": round(float(acc + f1), 4)}


def _grid_point(
    X_train: csr_matrix, y_train: list[str], X_valid: csr_matrix, y_valid: list[str], C: float, alpha: float
) -> dict[str, float]:
    return score(y_valid, fit(X_train, y_train, C, alpha).predict(X_valid))


# A grid job: (features key: char analyzer and n-gram range, C, alpha).
FeaturesKey = tuple[str, tuple[int, int]]
GridJob = tuple[FeaturesKey, float, float]


def run_grid(
    jobs: list[GridJob],
    feats_by_key: dict[FeaturesKey, Features],
    y_train: list[str],
    y_valid: list[str],
    n_jobs: int,
) -> list[tuple[FeaturesKey, float, float, dict[str, float]]]:
    """Fit each (features key, C, alpha) on train and score it on valid, ``n_jobs`` at a time."""
    from joblib import Parallel, delayed

    scores = Parallel(n_jobs=n_jobs)(
        delayed(_grid_point)(feats_by_key[key].X_train, y_train, feats_by_key[key].X_valid, y_valid, C, alpha)
        for key, C, alpha in jobs
    )
    return [(key, C, alpha, s) for (key, C, alpha), s in zip(jobs, scores)]


def fit_temperature(decision: np.ndarray, gold_idx: np.ndarray) -> float:
    """The temperature T minimising the valid NLL of softmax(decision / T) (golden section on log T)."""

    def nll(log_t: float) -> float:
        z = decision / math.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(gold_idx)), gold_idx].mean())

    lo, hi = math.log(0.05), math.log(20.0)
    g = (math.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = nll(a), nll(b)
    for _ in range(80):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = nll(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = nll(b)
    return float(math.exp((lo + hi) / 2))


def word_input(recipe: Recipe, tokens: list[list[str]]) -> list[list[str]]:
    """The word block's input: the tokens, negation-marked as the recipe says (and as the runtime
    does with the negators and window stored in the file)."""
    window = recipe["negation_window"]
    negators = frozenset(NEGATORS)
    return [mark_negation(t, negators, window) for t in tokens] if window else tokens


def idf_of(vectorizer: Any) -> np.ndarray[Any, np.dtype[np.float32]]:
    if vectorizer.use_idf:
        idf: np.ndarray[Any, np.dtype[np.float32]] = vectorizer.idf_.astype(np.float32)
        return idf
    return np.ones(len(vectorizer.vocabulary_), dtype=np.float32)


def export(path: Path, feats: Features, model: Any, temperature: float, meta: dict[str, Any]) -> None:

    recipe = feats.recipe
    word_terms, char_terms = feats.terms()
    arrays = {
        "format": np.array(FORMAT),
        "engine": np.array(meta["engine"]),
        "tf": np.array(recipe["tf"]),
        "negators": np.array(NEGATORS if recipe["negation_window"] else [], dtype=str),
        "negation_window": np.array(recipe["negation_window"], dtype=np.int32),
        "classes": np.array([str(c) for c in model.classes_]),
        "word_vocab": np.array(word_terms, dtype=str),
        "word_idf": idf_of(feats.word),
        "word_ngram": np.array(recipe["word_ngram"], dtype=np.int32),
        "char_vocab": np.array(char_terms, dtype=str),
        "char_idf": idf_of(feats.char),
        "char_ngram": np.array(feats.char_ngram, dtype=np.int32),
        "char_analyzer": np.array(feats.analyzer),
        "char_lowercase": np.array(True),
        "coef": model.coef_.astype(np.float32),
        "intercept": model.intercept_.astype(np.float32),
        "temperature": np.array(temperature, dtype=np.float64),
        "meta": np.array(json.dumps(meta, ensure_ascii=False, sort_keys=True)),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)


def runtime_report(path: Path, norm: list[str], tok: list[list[str]], gold: list[str]) -> dict[str, Any]:
    """Scores of the shipped file through the numpy runtime, in the enrich.evaluate format."""

    model = LinearSentiment.load(path)
    pred = [label for label, _ in model.predict(norm, tok)]
    report = metrics(gold, pred)
    three = metrics(fold_questions(gold), fold_questions(pred), labels=["pos", "neu", "neg"])
    report["three_class"] = {k: three[k] for k in ("accuracy", "macro_f1", "per_class", "confusion")}
    return report


def rounded(obj: object, digits: int = 4) -> object:
    if isinstance(obj, float):
        return round(obj, digits)
    if isinstance(obj, dict):
        return {k: rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, list):
        return [rounded(v, digits) for v in obj]
    return obj


def params_of(feats: Features, best: dict[str, Any], temperature: float, labels: list[str]) -> dict[str, Any]:
    """The training log's description of a fitted model."""
    recipe = feats.recipe
    return {
        "min_df": MIN_DF,
        "word_ngram": list(recipe["word_ngram"]),
        "char_analyzer": feats.analyzer,
        "char_ngram": list(feats.char_ngram),
        "tf": recipe["tf"],
        "idf": recipe["tf"] == "sublinear",
        "negation_window": recipe["negation_window"],
        "norm": "l2 per block",
        "classifier": "LogisticRegression(multinomial, lbfgs)",
        "C": best["C"],
        "alpha": best["alpha"],
        "class_weight": {k: round(v, 4) for k, v in class_weights(labels, best["alpha"]).items()},
        "temperature": round(temperature, 4),
        "n_word_features": feats.n_word,
        "n_char_features": feats.X_train.shape[1] - feats.n_word,
        "seed": SEED,
    }


def versions() -> dict[str, str]:
    import sklearn

    return {"python": platform.python_version(), "numpy": np.__version__,
            "scikit-learn": sklearn.__version__, "pythainlp": __import__("pythainlp").__version__}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--engine", choices=sorted(RECIPES), default="linear-v3", help="which recipe to train")
    parser.add_argument("--out", type=Path, default=None, help="model file (default: enrich/models/sentiment-ENGINE.npz)")
    parser.add_argument("--log", type=Path, default=None, help="training log (default: next to --out, .log.json)")
    parser.add_argument("--no-search", action="store_true", help="skip the valid-split search, use the recipe's defaults")
    parser.add_argument("--jobs", type=int, default=2, help="parallel fits during the search")
    args = parser.parse_args(argv)
    recipe = RECIPES[args.engine]
    DEFAULTS, CHAR_CANDIDATES = recipe["defaults"], recipe["char_candidates"]
    args.out = args.out or MODELS / f"sentiment-{args.engine}.npz"
    log_path = args.log or args.out.with_name(args.out.name.removesuffix(".npz") + ".log.json")

    random.seed(SEED)
    np.random.seed(SEED)
    t0 = time.perf_counter()
    import sklearn  # noqa: F401  loaded first: threadpool_limits only limits the libraries already loaded
    from threadpoolctl import threadpool_limits

    # One BLAS thread, as in the search's worker processes: identical fits, run to run.
    threadpool_limits(1)

    data: dict[str, tuple[list[str], list[list[str]], list[str]]] = {}
    for split in ("train", "valid", "test"):
        texts, labels = read_split(args.data_dir, split)
        norm, tok = prepare(texts)
        data[split] = (norm, tok, labels)
        log(f"{split}: {len(texts)} messages normalised and tokenised {dict(Counter(labels))}")
    (tr_norm, tr_tok, y_train), (va_norm, va_tok, y_valid), (te_norm, te_tok, y_test) = (
        data["train"],
        data["valid"],
        data["test"],
    )
    train, valid = (tr_norm, tr_tok), (va_norm, va_tok)

    if recipe.get("pool_valid"):
        return train_pooled(args, recipe, data, log_path, t0)
    search: list[dict[str, Any]] = []
    if args.no_search:
        best = dict(DEFAULTS)
    else:
        feats_by_key = {}
        for analyzer, ngram in CHAR_CANDIDATES:
            feats_by_key[(analyzer, ngram)] = f = Features(recipe, analyzer, ngram, train, valid)
            log(f"features {analyzer}{ngram}: {f.n_word} word + {f.X_train.shape[1] - f.n_word} char")
        jobs = [(key, DEFAULTS["C"], DEFAULTS["alpha"]) for key in feats_by_key]
        results = run_grid(jobs, feats_by_key, y_train, y_valid, args.jobs)
        for key, C, alpha, s in results:
            log(f"  {key[0]}{key[1]} C={C} alpha={alpha}: valid {s}")
            search.append({"char_analyzer": key[0], "char_ngram": list(key[1]), "C": C, "alpha": alpha, **s})
        best_key = max(results, key=lambda r: r[3]["score"])[0]
        for key in list(feats_by_key):
            if key != best_key:
                del feats_by_key[key]
        jobs = [(best_key, C, a) for C in recipe["C_grid"] for a in recipe["alpha_grid"]
                if (C, a) != (DEFAULTS["C"], DEFAULTS["alpha"])]
        results += run_grid(jobs, feats_by_key, y_train, y_valid, args.jobs)
        for key, C, alpha, s in results[len(CHAR_CANDIDATES) :]:
            log(f"  {key[0]}{key[1]} C={C} alpha={alpha}: valid {s}")
            search.append({"char_analyzer": key[0], "char_ngram": list(key[1]), "C": C, "alpha": alpha, **s})
        key, C, alpha, _ = max((r for r in results if r[0] == best_key), key=lambda r: r[3]["score"])
        best = {"char_analyzer": key[0], "char_ngram": key[1], "C": C, "alpha": alpha}
        del feats_by_key
    log(f"chosen on valid: {best}")

    feats = Features(recipe, best["char_analyzer"], best["char_ngram"], train, valid)
    model = fit(feats.X_train, y_train, best["C"], best["alpha"])
    full = score(y_valid, model.predict(feats.X_valid))
    n_full = feats.X_train.shape[1]
    log(f"full vocabulary ({n_full} features): valid {full}")

    valid_sklearn = full
    log(f"kept {n_full} features ({feats.n_word} word, {n_full - feats.n_word} char)")

    classes = list(model.classes_)
    temperature = fit_temperature(model.decision_function(feats.X_valid), np.array([classes.index(y) for y in y_valid]))
    log(f"temperature on valid: {temperature:.4f}")
    train_seconds = time.perf_counter() - t0

    params = params_of(feats, best, temperature, y_train)
    export(args.out, feats, model, temperature,
           {"engine": args.engine, "params": params, "trained_on": "wisesight-sentiment train"})
    log(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")

    valid_report = runtime_report(args.out, va_norm, va_tok, y_valid)
    test_report = runtime_report(args.out, te_norm, te_tok, y_test)
    log(f"valid (runtime): accuracy {valid_report['accuracy']:.4f} macro-F1 {valid_report['macro_f1']:.4f}")
    log(f"test  (runtime): accuracy {test_report['accuracy']:.4f} macro-F1 {test_report['macro_f1']:.4f}")

    record = {
        "engine": args.engine,
        "model_file": args.out.name,
        "model_bytes": args.out.stat().st_size,
        "data": {
            "corpus": "Wisesight Sentiment v1.1 (CC0 1.0)",
            "sizes": {s: len(data[s][2]) for s in data},
            "label_counts": {s: dict(Counter(data[s][2])) for s in data},
        },
        "params": params,
        "selection": {
            "score": "accuracy + macro-F1 on valid",
            "search": search,
            "valid_sklearn": valid_sklearn,
        },
        "valid": rounded(valid_report),
        "test": rounded(test_report),
        "training_seconds": round(train_seconds, 1),
        "command": f"python -m enrich.training.train_sentiment --engine {args.engine}",
        "versions": versions(),
    }
    log_path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {log_path} (total {time.perf_counter() - t0:.0f}s)")
    return 0


def train_pooled(
    args: argparse.Namespace,
    recipe: Recipe,
    data: dict[str, tuple[list[str], list[list[str]], list[str]]],
    log_path: Path,
    t0: float,
) -> int:
    """Fit the recipe's defaults on train + valid; temperature and held-out figures from the
    cross-fitted (out-of-fold) predictions of the same recipe."""
    oof_path = OOF_DIR / "linear.npz"
    if not oof_path.is_file():
        raise SystemExit(f"{oof_path}: missing; run python -m enrich.training.crossfit --member linear first")
    with np.load(oof_path) as z:
        oof_logits, oof_gold = z["logits"].astype(np.float64), z["gold"]
    (tr_norm, tr_tok, y_train), (va_norm, va_tok, y_valid), (te_norm, te_tok, y_test) = (
        data["train"], data["valid"], data["test"])
    if len(oof_gold) != len(y_train) + len(y_valid):
        raise SystemExit(f"{oof_path}: {len(oof_gold)} predictions for {len(y_train) + len(y_valid)} "
                         "messages; rerun crossfit")
    best = dict(recipe["defaults"])
    pool = (tr_norm + va_norm, tr_tok + va_tok)
    y_pool = y_train + y_valid
    # Features wants a held-out block too; nothing is held out here, so it gets one pooled message.
    feats = Features(recipe, best["char_analyzer"], best["char_ngram"], pool, (pool[0][:1], pool[1][:1]))
    model = fit(feats.X_train, y_pool, best["C"], best["alpha"])
    temperature = fit_temperature(oof_logits, oof_gold)
    log(f"fitted on train + valid ({len(y_pool):,}); temperature from out-of-fold predictions: {temperature:.4f}")
    train_seconds = time.perf_counter() - t0
    oof_log = json.loads(oof_path.with_suffix(".log.json").read_text(encoding="utf-8"))
    params = params_of(feats, best, temperature, y_pool)
    export(args.out, feats, model, temperature,
           {"engine": args.engine, "params": params, "trained_on": "wisesight-sentiment train + valid"})
    log(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    test_report = runtime_report(args.out, te_norm, te_tok, y_test)
    log(f"test  (runtime): accuracy {test_report['accuracy']:.4f} macro-F1 {test_report['macro_f1']:.4f}")
    record = {
        "engine": args.engine,
        "model_file": args.out.name,
        "model_bytes": args.out.stat().st_size,
        "data": {"corpus": "Wisesight Sentiment v1.1 (CC0 1.0)", "fitted_on": "train + valid",
                 "sizes": {s: len(data[s][2]) for s in data}},
        "params": params,
        "selection": "the linear-v2 recipe, chosen on valid (see sentiment-linear-v3.md); no new choice",
        "out_of_fold": oof_log["held_out"],
        "test": rounded(test_report),
        "training_seconds": round(train_seconds, 1),
        "command": f"python -m enrich.training.crossfit --member linear && "
                   f"python -m enrich.training.train_sentiment --engine {args.engine}",
        "versions": versions(),
    }
    log_path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {log_path} (total {time.perf_counter() - t0:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
