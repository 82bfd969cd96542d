"""Enrichment on all the machine's cores: a pool of worker processes, each with its own
:class:`~enrich.pipeline.Enricher` (and its own sentiment model, run on one thread).

A batch goes whole to one worker and comes back whole, in the order it was submitted: the
sentiment model's int8 export quantises each batch's activations together, so cutting a batch
differently would change scores, and a batch enriched in a worker gets exactly the labels it
gets in the parent. The caller (the ingest pipeline) keeps everything that touches the store:
one writer, ids and near-duplicate links in input order.

Workers are forked from a parent that has no threads yet (cheap: the dictionary, lexicons and
the fast model are shared copy-on-write), else spawned with the enricher pickled. They exit
when the parent does, even on ``kill -9`` (end of file on the task pipe, and Linux's
parent-death signal).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import multiprocessing
import os
import pickle
import signal
import threading
from collections.abc import Sequence
from multiprocessing.context import BaseContext
from multiprocessing.pool import AsyncResult, Pool
from multiprocessing.reduction import ForkingPickler
from typing import Any

from pydantic import BaseModel

from enrich import sentiment
from enrich.pipeline import Enricher
from enrich.tokenize import tokenize
from sadap.core import collector
from sadap.core.mention import Complaint, Engagement, LabelCorrection, Mention, Sentiment

log = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1

#: The enricher of this worker process (set by :func:`_start` or inherited through fork).
_worker_enricher: Enricher | None = None


_setattr = object.__setattr__


def _rebuild_model(cls: type[BaseModel], values: dict[str, Any], fields_set: set[str]) -> BaseModel:
    """A model as pickle rebuilds it (``BaseModel.__setstate__``), without its generic steps."""
    model = cls.__new__(cls)
    _setattr(model, "__dict__", values)
    _setattr(model, "__pydantic_fields_set__", fields_set)
    _setattr(model, "__pydantic_extra__", None)
    _setattr(model, "__pydantic_private__", None)
    return model


def _reduce_model(model: BaseModel) -> Any:
    """How a mention and its parts cross to and from the workers: the field values and which
    were set, as pickle sends them, in a third less time each way (no state dictionary, no
    ``__setstate__``). A model with extra fields or private attributes goes pickle's own way."""
    if model.__pydantic_extra__ is not None or model.__pydantic_private__ is not None:
        return model.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
    return _rebuild_model, (type(model), model.__dict__, model.__pydantic_fields_set__)


#: What pydantic's own pickling keeps of a model (``BaseModel.__getstate__``), which
#: :func:`_rebuild_model` restores; a pydantic that keeps more leaves pickling to itself.
_STATE = {"__dict__", "__pydantic_extra__", "__pydantic_fields_set__", "__pydantic_private__"}

if set(Sentiment(label="neu", score=0.5).__getstate__()) == _STATE:
    for _model in (Mention, Sentiment, Complaint, Engagement, LabelCorrection):
        ForkingPickler.register(_model, _reduce_model)


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _die_with_parent() -> None:
    """Linux: ask for SIGKILL when the parent dies (a worker must not outlive a killed import)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # pragma: no cover - not Linux: the pipe's end of file still ends it
        pass


def _start(pickled: bytes | None, parent: int) -> None:
    global _worker_enricher
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    sentiment.set_threads(1)
    if pickled is not None:
        _worker_enricher = pickle.loads(pickled)
    if _worker_enricher is not None:  # the transformer too (one thread), then frozen
        try:
            settle(_worker_enricher)
        except Exception as exc:  # noqa: BLE001 - the first batch raises it again, to the parent
            log.debug("enrichment worker: models not loaded ahead: %s", exc)


def _enrich(mentions: list[Mention]) -> list[Mention]:
    assert _worker_enricher is not None, "the worker's initializer sets the enricher"
    return _worker_enricher.enrich(mentions)


def warm(enricher: Enricher) -> None:
    """Build what every worker would otherwise build for itself (the tokenizer's dictionary with
    the custom words, the lexicons, the fast sentiment model), so that forked workers share it."""
    tokenize("สวัสดี", enricher.custom_words)
    _ = enricher.lexicons
    sentiment.preload(enricher.sentiment_model)


_settled = False


def settle(enricher: Enricher, *, models: bool = True) -> None:
    """Build what enrichment keeps for the life of the process (:func:`warm`; with ``models``,
    the whole sentiment engine, the transformer too) and take it out of the cyclic garbage
    collector's sight (``gc.freeze``), once per process.

    The tokenizer's dictionary alone is some 600,000 objects, none ever garbage, which every
    full collection walked again: a fifth of a single-process ingest's CPU went to that.
    Only the first call freezes (what exists then is the start-up's: modules, config,
    dictionary, models); later pipelines of the process find the same dictionary and models
    built. ``models=False`` in a parent about to fork: ONNX Runtime starts threads."""
    global _settled
    # All of it kept for the life of the process: the collector paused while it is built, and
    # the first time frozen before the collector is back (else its next collection walks it all).
    with collector.paused():
        warm(enricher)
        if models:
            sentiment.warm(enricher.sentiment_model)
        if not _settled:
            _settled = True
            gc.freeze()


_shared: dict[tuple[bytes, int], tuple["EnrichPool", int]] = {}  # (enricher, workers) → (pool, users)
_shared_lock = threading.Lock()


class EnrichPool:
    """``workers`` processes enriching whole batches; :meth:`submit` returns at once, the
    result's ``get()`` waits for that batch."""

    @classmethod
    def shared(cls, enricher: Enricher, workers: int) -> "EnrichPool":
        """One pool per process for equal enrichers (a crawl's spiders share their workers);
        each caller's :meth:`close` releases its share, the last one stops the workers."""
        key = (pickle.dumps(enricher), workers)
        with _shared_lock:
            pool, users = _shared.get(key) or (None, 0)
            if pool is None:
                pool = cls(enricher, workers)
                pool._key = key
            _shared[key] = (pool, users + 1)
            return pool

    def __init__(self, enricher: Enricher, workers: int) -> None:
        global _worker_enricher
        self._key: tuple[bytes, int] | None = None
        if workers < 1:
            raise ValueError(f"workers must be at least 1 (got {workers})")
        self.workers = workers
        fork = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
        context: BaseContext
        if fork:
            # Built once, shared copy-on-write, and out of every process's cyclic collector's
            # sight (fewer copied pages, no walks over the dictionary).
            settle(enricher, models=False)
            _worker_enricher = enricher  # inherited by the forked workers
            context = multiprocessing.get_context("fork")
            initargs: tuple[bytes | None, int] = (None, os.getpid())
        else:  # threads running (a crawl's reactor, the service): forking could copy a held lock
            context = multiprocessing.get_context("spawn")
            initargs = (pickle.dumps(enricher), os.getpid())
        self._pool: Pool | None = context.Pool(workers, initializer=_start, initargs=initargs)
        self.pids = [p.pid for p in self._pool._pool if p.pid is not None]  # type: ignore[attr-defined]
        log.debug("enrichment pool: %d %s workers %s", workers, context.get_start_method(), self.pids)

    def submit(self, mentions: Sequence[Mention]) -> AsyncResult[list[Mention]]:
        if self._pool is None:
            raise RuntimeError("enrichment pool is closed")
        return self._pool.apply_async(_enrich, (list(mentions),))

    def enrich(self, mentions: Sequence[Mention]) -> list[Mention]:
        return self.submit(mentions).get()

    def _release(self) -> bool:
        """Whether this was the last user of a shared pool (or the pool is not shared)."""
        if self._key is None:
            return True
        with _shared_lock:
            pool, users = _shared.get(self._key) or (self, 1)
            if users > 1:
                _shared[self._key] = (pool, users - 1)
                return False
            _shared.pop(self._key, None)
            return True

    def close(self) -> None:
        if not self._release():
            return
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.close()
            pool.join()

    def terminate(self) -> None:
        if not self._release():
            return
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.terminate()
            pool.join()
