"""Offline sentiment: ``pos`` / ``neu`` / ``neg`` / ``q`` (question) for Thai social text.

Engines, picked with ``enrich.sentiment_model``:

* ``ensemble-v4`` (default): ``linear-v3`` and ``mini-bert-v3`` combined (:mod:`.ensemble`), the
  transformer asked only where ``linear-v3`` is less than 65 % sure;
* ``ensemble-v3``: the same combination with the gate at 75 % (the default before; slower);
* ``mini-bert-v3``: the shipped Thai transformer alone (a ``transformers`` model, run from its
  int8 ONNX export by ONNX Runtime; :mod:`.onnx_model`);
* ``linear-v3``: the fast classical model (binary n-grams + logistic regression, numpy only);
* ``linear-v1``: its predecessor (TF-IDF + logistic regression, numpy only);
* ``transformers:<directory or hub id>``: any Hugging Face sequence-classification model;
* ``trained:<engine>:<version directory>``: ``linear-v3`` or an ensemble with the fast engine an
  organisation refitted on its corrections (``sadap train``, :mod:`.versions`); enrichment picks it
  with :func:`local_engine`.

Importing this package loads nothing (no numpy, no torch); a model is read on first use (or by
:func:`warm`), once, behind a lock. Every engine answers ``proba(texts, tokens)`` (probabilities
in :data:`LABELS` order, and which texts had evidence) and ``predict(texts, tokens)``.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enrich.sentiment.common import LABELS, decide
from enrich.sentiment.versions import VERSIONS
from enrich.tokenize import tokenize
from sadap.core.errors import ConfigError
from sadap.core.mention import SentimentLabel

if TYPE_CHECKING:
    from enrich.sentiment.common import SentimentEngine

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
DEFAULT_ENGINE = "ensemble-v4"
HF_PREFIX = "transformers:"
TRAINED_PREFIX = "trained:"
# The shipped engines a trained fast engine can stand in for: alone, or as the ensemble's member.
RETRAINABLE = ("linear-v3", "ensemble-v4", "ensemble-v3")
RETRAINED_MEMBER = "linear-v3"
ENGINES: dict[str, Path] = {
    "ensemble-v4": MODELS_DIR / "sentiment-ensemble-v4.json",
    "ensemble-v3": MODELS_DIR / "sentiment-ensemble-v3.json",
    "mini-bert-v3": MODELS_DIR / "sentiment-mini-bert-v3",
    "linear-v3": MODELS_DIR / "sentiment-linear-v3.npz",
    "linear-v1": MODELS_DIR / "sentiment-linear-v1.npz",
}
# Engines of earlier versions, and what replaced them (a config naming one gets told).
RETIRED: dict[str, str] = {
    "ensemble-v1": "ensemble-v3", "mini-bert-v1": "mini-bert-v3",
    "ensemble-v2": "ensemble-v3", "mini-bert-v2": "mini-bert-v3", "linear-v2": "linear-v3",
}

_lock = threading.RLock()
_loaded: dict[str, SentimentEngine] = {}
# One intra-op thread by default: for this small model ONNX Runtime's second thread mostly spins
# (1.6 ms of CPU per message on one thread against 2.9 ms on two, the same probabilities; see
# docs/enrichment.md), and enrichment scales across cores with worker processes instead.
_options: dict[str, Any] = {"label_map": {}, "allow_download": False, "threads": 1}

__all__ = ["LABELS", "DEFAULT_ENGINE", "available_engines", "configure", "get_model", "local_engine", "predict", "preload",
           "set_threads", "warm"]


def available_engines() -> list[str]:
    return sorted(ENGINES)


def configure(label_map: Mapping[str, str] | None = None, allow_download: bool = False) -> None:
    """Options for ``transformers:`` engines (from ``enrich.sentiment_label_map`` and
    ``enrich.sentiment_hub_download``); models loaded before keep theirs."""
    _options["label_map"] = dict(label_map or {})
    _options["allow_download"] = bool(allow_download)


def set_threads(threads: int) -> None:
    """Intra-op threads of the ONNX engine loaded after this call (1, the default; 0: one per
    core). An enrichment worker process takes 1: the machine's cores are shared by the
    workers, not by one model's threads."""
    _options["threads"] = max(0, int(threads))


# What a `transformers:` engine needs beyond the default install (the `transformers` extra).
TRANSFORMERS_EXTRA_MODULES = ("torch", "transformers")


def local_engine(engine: str, data_dir: Path | None) -> str:
    """The engine enrichment runs for the configured ``engine``: with the active version trained
    in ``data_dir`` (``sadap train``) when there is one and ``engine`` is one it can stand in for,
    else ``engine`` itself."""
    if data_dir is None or engine not in RETRAINABLE:
        return engine
    version = VERSIONS.active_dir(data_dir)
    return f"{TRAINED_PREFIX}{engine}:{version}" if version is not None else engine


def _trained_parts(engine: str) -> tuple[str, Path]:
    base, _, directory = engine[len(TRAINED_PREFIX):].partition(":")
    return base, Path(directory)


def check_engine(engine: str) -> None:
    """Fail early, with the choices, for a name that is neither shipped nor ``transformers:…``,
    and for a ``transformers:`` engine when the extra it needs is not installed."""
    if isinstance(engine, str) and engine.startswith(HF_PREFIX) and engine[len(HF_PREFIX):].strip():
        missing = [name for name in TRANSFORMERS_EXTRA_MODULES if importlib.util.find_spec(name) is None]
        if missing:
            raise ConfigError(
                f"sentiment engine {engine!r} needs {' and '.join(missing)}, which the default install leaves out; "
                "install the extra: pip install 'sadap[transformers]'"
            )
        return
    if isinstance(engine, str) and engine.startswith(TRAINED_PREFIX):
        base, directory = _trained_parts(engine)
        if base not in RETRAINABLE:
            raise ConfigError(f"trained sentiment engine {engine!r}: the base must be one of {', '.join(RETRAINABLE)}")
        if not (directory / VERSIONS.model_file).is_file():
            raise ConfigError(f"trained sentiment model missing: {directory / VERSIONS.model_file}")
        return
    if engine in RETIRED:
        raise ConfigError(
            f"sentiment engine {engine!r} was replaced by {RETIRED[engine]!r} in this version of Sadap "
            f"(see docs/enrichment.md); use {RETIRED[engine]!r}"
        )
    if engine not in ENGINES:
        raise ConfigError(
            f"unknown sentiment engine {engine!r}; available engines: {', '.join(available_engines())}, "
            f"or {HF_PREFIX}<model directory or hub id>"
        )


def _load(engine: str) -> SentimentEngine:
    if engine.startswith(HF_PREFIX):
        from enrich.sentiment.transformer import TransformerSentiment

        return TransformerSentiment.load(
            engine[len(HF_PREFIX):].strip(), label_map=_options["label_map"],
            allow_download=_options["allow_download"],
        )
    if engine.startswith(TRAINED_PREFIX):
        return load_trained(*_trained_parts(engine))
    path = ENGINES[engine]
    if path.suffix == ".npz":
        from enrich.sentiment.linear import LinearSentiment

        return LinearSentiment.load(path)
    if path.suffix == ".json":
        from enrich.sentiment.ensemble import EnsembleSentiment

        return EnsembleSentiment.load(path, resolve=get_model)
    from enrich.sentiment.onnx_model import OnnxSentiment

    if not path.is_dir():
        raise ConfigError(f"sentiment model directory missing: {path}")
    return OnnxSentiment.load(path, threads=_options["threads"])  # the int8 ONNX export, as shipped and evaluated


def load_trained(base: str, model_file: Path) -> SentimentEngine:
    """``base`` (one of :data:`RETRAINABLE`) with the fast engine read from ``model_file`` (a
    version directory, or the ``.npz`` itself) in place of the shipped ``linear-v3``."""
    from enrich.sentiment.ensemble import EnsembleSentiment
    from enrich.sentiment.linear import LinearSentiment

    linear = LinearSentiment.load(model_file / VERSIONS.model_file if model_file.is_dir() else model_file)
    if base == RETRAINED_MEMBER:
        return linear
    return EnsembleSentiment.load(ENGINES[base], resolve=lambda name: linear if name == RETRAINED_MEMBER else get_model(name))


def get_model(engine: str = DEFAULT_ENGINE) -> SentimentEngine:
    """The loaded model for ``engine`` (loaded on first call, once, thread-safe)."""
    model = _loaded.get(engine)
    if model is not None:
        return model
    check_engine(engine)
    with _lock:  # re-entrant: an ensemble loads its members under the same lock
        model = _loaded.get(engine)
        if model is None:
            model = _load(engine)
            _loaded[engine] = model
    return model


def warm(engine: str = DEFAULT_ENGINE) -> None:
    """Load ``engine`` (and an ensemble's members) now rather than on the first prediction."""
    model = get_model(engine)
    if hasattr(model, "warm"):
        model.warm()


def preload(engine: str = DEFAULT_ENGINE) -> None:
    """Load the parts of ``engine`` that start no threads: the fast linear model, alone or as an
    ensemble's member. An enrichment pool calls it before forking its workers, which then share
    it; the transformer (ONNX Runtime) is loaded by each worker after the fork, on one thread."""
    if engine.startswith(HF_PREFIX) or not (engine.startswith(TRAINED_PREFIX) or engine in ENGINES):
        return
    if not engine.startswith(TRAINED_PREFIX) and ENGINES[engine].suffix not in (".npz", ".json"):
        return  # the transformer alone
    model = get_model(engine)
    resolve = getattr(model, "resolve", None)
    for name, _ in getattr(model, "members", ()):
        if resolve is not None and (name == RETRAINED_MEMBER or ENGINES.get(name, MODELS_DIR).suffix == ".npz"):
            resolve(name)


def predict(
    texts: Sequence[str],
    tokens: Sequence[Sequence[str]] | None = None,
    engine: str = DEFAULT_ENGINE,
) -> list[tuple[SentimentLabel, float]]:
    """``(label, probability)`` for each text.

    ``texts`` must already be normalised (:func:`enrich.normalize.normalize`); ``tokens`` are their
    :func:`enrich.tokenize.tokenize` words, computed here when not given.
    """
    check_engine(engine)  # an unknown engine fails before any work
    if isinstance(texts, str):
        raise TypeError("predict() takes a sequence of texts, not one string")
    if tokens is None:
        tokens = [tokenize(t) for t in texts]
    elif len(tokens) != len(texts):
        raise ValueError(f"predict(): {len(texts)} texts but {len(tokens)} token lists")
    if not texts:
        return []
    return get_model(engine).predict(texts, tokens)



def predict_proba(
    texts: Sequence[str],
    tokens: Sequence[Sequence[str]],
    engine: str = DEFAULT_ENGINE,
) -> tuple[list[tuple[SentimentLabel, float]], list[tuple[float, ...]]]:
    """What :func:`predict` gives, and each text's probabilities in :data:`LABELS` order (every
    engine decides from them: the labels are the same as :func:`predict`'s)."""
    check_engine(engine)
    if len(tokens) != len(texts):
        raise ValueError(f"predict_proba(): {len(texts)} texts but {len(tokens)} token lists")
    if not texts:
        return [], []
    p, evidence = get_model(engine).proba(texts, tokens)
    return decide(texts, p, evidence), [tuple(row) for row in p.tolist()]
