"""Any Hugging Face ``transformers`` sequence-classification model as a sentiment engine.

The shipped ``mini-bert-v3`` is one (a directory inside the package, which Sadap itself runs
from its ONNX export, :mod:`enrich.sentiment.onnx_model`; ``transformers:<that directory>`` runs
it here); users can point Sadap at another fine-tuned model in a local directory or, where they
have network, a hub id. The model's own labels are mapped to ``pos`` / ``neu`` / ``neg`` /
``q``: common names are recognised (``positive``, ``neutral``, ``negative``, ``question``, Thai
``บวก``/``กลาง``/``ลบ``/``คำถาม``), others are given with ``enrich.sentiment_label_map``. Labels a model lacks (most have no ``q``) get
probability 0. torch and transformers are imported only when a model is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enrich.sentiment.common import LABELS, by_length, decide
from sadap.core.errors import ConfigError
from sadap.core.mention import SentimentLabel

if TYPE_CHECKING:
    from enrich.sentiment.common import BoolArray, FloatArray

KNOWN_NAMES: dict[str, str] = {
    "pos": "pos", "positive": "pos", "บวก": "pos",
    "neu": "neu", "neutral": "neu", "กลาง": "neu",
    "neg": "neg", "negative": "neg", "ลบ": "neg",
    "q": "q", "question": "q", "คำถาม": "q",
}


def map_labels(id2label: Mapping[int, str], label_map: Mapping[str, str] | None = None) -> list[int]:
    """For each class index of the model, the index in :data:`LABELS` it counts towards."""
    label_map = dict(label_map or {})
    for key, value in label_map.items():
        if value not in LABELS:
            raise ConfigError(
                f"enrich.sentiment_label_map: {key!r} maps to {value!r}; allowed: {', '.join(LABELS)}"
            )
    out: list[int] = []
    for index in sorted(id2label):
        name = str(id2label[index])
        target = label_map.get(name) or KNOWN_NAMES.get(name.strip().lower())
        if target is None:
            names = ", ".join(str(id2label[i]) for i in sorted(id2label))
            raise ConfigError(
                f"sentiment model label {name!r} has no meaning for Sadap; map every label ({names}) "
                f"to one of {', '.join(LABELS)} with enrich.sentiment_label_map"
            )
        out.append(LABELS.index(target))
    return out


class TransformerSentiment:
    """A loaded ``AutoModelForSequenceClassification`` with its tokenizer, scored on CPU."""

    def __init__(self, model: Any, tokenizer: Any, columns: list[int], name: str,
                 max_length: int = 128, batch_size: int = 16):
        self.model = model
        self.tokenizer = tokenizer
        self.columns = columns
        self.name = name
        self.max_length = max_length
        self.batch_size = batch_size

    @classmethod
    def load(cls, source: str | Path, label_map: Mapping[str, str] | None = None,
             allow_download: bool = False, max_length: int = 128) -> TransformerSentiment:
        """From a local directory, or a hub id (from the local cache unless ``allow_download``),
        in float32."""
        try:
            import torch  # noqa: F401
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:  # pragma: no cover - both are dependencies of the package
            raise ConfigError(f"the transformers sentiment engine needs torch and transformers: {exc}") from None
        hf_logging.set_verbosity_error()  # no load reports or progress bars in Sadap's output
        hf_logging.disable_progress_bar()
        local = Path(source).is_dir()
        where = str(source)
        try:
            tokenizer = AutoTokenizer.from_pretrained(where, local_files_only=local or not allow_download)
            model = AutoModelForSequenceClassification.from_pretrained(
                where, local_files_only=local or not allow_download
            )
        except (OSError, ValueError) as exc:
            hint = "" if local or allow_download else (
                " (not a local directory; hub ids are read from the local cache unless "
                "enrich.sentiment_hub_download is true)"
            )
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"cannot load sentiment model {where!r}{hint}: {first[:300]}") from None
        model.float().eval()
        columns = map_labels(model.config.id2label, label_map)
        limit = getattr(model.config, "max_position_embeddings", max_length) or max_length
        return cls(model, tokenizer, columns, where, max_length=min(max_length, int(limit)))

    def proba(
        self, texts: Sequence[str], tokens: Sequence[Sequence[str]] | None = None
    ) -> tuple[FloatArray, BoolArray]:
        """Probabilities in :data:`LABELS` order (``tokens`` are not used: the model has its own)."""
        import numpy as np
        import torch

        def score(batch: list[str]) -> FloatArray:
            enc = self.tokenizer([t[: self.max_length * 16] for t in batch], truncation=True,
                                 max_length=self.max_length, padding=True, return_tensors="pt")
            inputs = {k: v for k, v in enc.items() if k in self._inputs()}
            return torch.softmax(self.model(**inputs).logits.float(), dim=-1).numpy()

        with torch.inference_mode():
            return by_length(texts, self.columns, self.batch_size, score), np.ones(len(texts), dtype=bool)

    def _inputs(self) -> tuple[str, ...]:
        return tuple(getattr(self.tokenizer, "model_input_names", ("input_ids", "attention_mask")))

    def predict(self, texts: Sequence[str], tokens: Sequence[Sequence[str]] | None = None) -> list[tuple[SentimentLabel, float]]:
        p, evidence = self.proba(texts, tokens)
        return decide(texts, p, evidence)
