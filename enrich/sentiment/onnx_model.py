"""A ``transformers`` sequence-classification model exported to ONNX, run by ONNX Runtime.

The shipped ``mini-bert-v3`` directory holds the model twice: as ``transformers`` wrote it
(``config.json``, ``model.safetensors``, tokenizer files; loadable with ``transformers:<dir>``) and
as ``model.int8.onnx``, the same network exported and int8-quantised by
``python -m enrich.training.export_onnx``. Sadap runs the export: ONNX Runtime scores one short
message in about a third of the time eager PyTorch takes (per-call overhead, not arithmetic,
dominates such a small model), loads in a fraction of a second and needs no torch at run time.
The export's agreement with the ``transformers`` model is written to ``onnx-export.json`` when it
is built and checked by the tests.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enrich.sentiment.common import by_length, decide, softmax
from enrich.sentiment.transformer import map_labels
from sadap.core.errors import ConfigError
from sadap.core.mention import SentimentLabel

if TYPE_CHECKING:
    from enrich.sentiment.common import BoolArray, FloatArray

ONNX_FILE = "model.int8.onnx"


class OnnxSentiment:
    """An ONNX Runtime session and the model's own tokenizer (``tokenizer.json``)."""

    def __init__(self, session: Any, tokenizer: Any, columns: list[int], name: str,
                 max_length: int = 128, batch_size: int = 16, pad_id: int = 0):
        self.session = session
        self.tokenizer = tokenizer  # truncating, not padding: score() pads each batch itself
        self.pad_id = pad_id
        self.columns = columns
        self.name = name
        self.max_length = max_length
        self.batch_size = batch_size
        self.inputs = tuple(i.name for i in session.get_inputs())

    @classmethod
    def load(cls, directory: str | Path, threads: int = 0, onnx_file: str | Path = ONNX_FILE) -> OnnxSentiment:
        """From a directory with ``config.json``, ``tokenizer.json`` and ``onnx_file`` (a name in
        it, or a path). ``threads``: ONNX Runtime's intra-op threads (0: one per core)."""
        directory = Path(directory)
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - both are dependencies of the package
            raise ConfigError(f"the shipped transformer needs onnxruntime and tokenizers: {exc}") from None
        graph = directory / onnx_file
        if not graph.is_file():
            raise ConfigError(f"cannot load sentiment model {directory}: no {graph.name} "
                              "(build it with python -m enrich.training.export_onnx --model DIR)")
        try:
            config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
            id2label = {int(k): v for k, v in config["id2label"].items()}
            tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3  # errors only: no optimiser notes in Sadap's output
            session = ort.InferenceSession(str(graph), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - ONNX Runtime's errors share no base class but Exception
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"cannot load sentiment model {directory}: {first[:300]}") from None
        max_length = min(128, int(config.get("max_position_embeddings", 128)))
        tokenizer.enable_truncation(max_length)
        tokenizer.no_padding()
        return cls(session, tokenizer, map_labels(id2label), str(directory), max_length=max_length,
                   pad_id=int(config.get("pad_token_id") or 0))

    def proba(
        self, texts: Sequence[str], tokens: Sequence[Sequence[str]] | None = None
    ) -> tuple[FloatArray, BoolArray]:
        """Probabilities in :data:`LABELS` order (``tokens`` are not used: the model has its own)."""
        import numpy as np

        def score(batch: list[str]) -> FloatArray:
            # One text at a time: encode_batch would start the tokenizers library's own thread pool
            # (about twice the CPU for the same ids, and threads a worker process must not have).
            encoded = [self.tokenizer.encode(t[: self.max_length * 16]) for t in batch]
            width = max(len(e.ids) for e in encoded)
            feed = {name: np.zeros((len(batch), width), dtype=np.int64)
                    for name in ("input_ids", "attention_mask", "token_type_ids")}
            feed["input_ids"].fill(self.pad_id)
            for row, e in enumerate(encoded):  # padded on the right, as the tokenizer pads
                feed["input_ids"][row, : len(e.ids)] = e.ids
                feed["attention_mask"][row, : len(e.ids)] = e.attention_mask
                feed["token_type_ids"][row, : len(e.ids)] = e.type_ids
            logits = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
            return softmax(np.asarray(logits, dtype=np.float64))

        return by_length(texts, self.columns, self.batch_size, score), np.ones(len(texts), dtype=bool)

    def predict(self, texts: Sequence[str], tokens: Sequence[Sequence[str]] | None = None) -> list[tuple[SentimentLabel, float]]:
        p, evidence = self.proba(texts, tokens)
        return decide(texts, p, evidence)
