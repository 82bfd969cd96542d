"""Export a fine-tuned ``transformers`` sentiment model to int8 ONNX, the form Sadap runs.

    python -m enrich.training.export_onnx [--model enrich/models/sentiment-mini-bert-v3] [--check 0]

Steps: load the directory with ``AutoModelForSequenceClassification`` (float32, eager attention),
export its logits with ``torch.onnx.export`` (the TorchScript exporter; batch and sequence length
dynamic), fuse each layer's attention, layer norms and GELU into ONNX Runtime's fused operators
(``onnxruntime.transformers.optimizer``), quantise the weights of its matrix products to int8 with
ONNX Runtime's ``quantize_dynamic``, and write ``model.int8.onnx`` next to the weights. The fusion
is why the TorchScript exporter and eager attention: the optimiser recognises the attention of
that graph, not of the dynamo exporter's or of scaled-dot-product attention, and a fused graph
has a quarter of the operators, which is what a one-message call pays for. Then check the
export against the ``transformers`` model on the Wisesight *valid* split (never test): label
agreement and the largest difference in a probability, for the float32 export (fidelity of the
export) and the int8 one (cost of quantisation). Figures, versions and checksums go to ``onnx-export.json`` in the directory.

Needs the ``train`` extra (``onnx``) besides torch and transformers; the fusion and quantisation
come with ``onnxruntime``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import tempfile
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enrich.training.train_mini_bert import DEFAULT_DATA, MODELS, log, read_split
from sadap.core.errors import ConfigError

if TYPE_CHECKING:
    from enrich.sentiment.common import FloatArray

DEFAULT_MODEL = MODELS / "sentiment-mini-bert-v3"
ONNX_FILE = "model.int8.onnx"
LOG_FILE = "onnx-export.json"


def export_float(model_dir: Path, out: Path) -> None:
    """The ``transformers`` model's logits as a float32 ONNX graph with dynamic batch and length."""

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(
        model_dir, local_files_only=True, attn_implementation="eager").float().eval()

    class Logits(torch.nn.Module):
        # token_type_ids are left out: a single-sentence classifier sees only type 0, which is
        # what the model assumes when they are absent.
        def __init__(self, inner: torch.nn.Module):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            logits: torch.Tensor = self.inner(input_ids=input_ids, attention_mask=attention_mask).logits
            return logits

    sample = tokenizer(["ตัวอย่างข้อความ ภาษาไทย สั้นๆ", "ดีมาก"], padding=True, return_tensors="pt")
    axes = {0: "batch", 1: "length"}
    with warnings.catch_warnings():  # the TorchScript exporter's deprecation and tracer notes
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Logits(model).eval(), (sample["input_ids"], sample["attention_mask"]), str(out),
            input_names=["input_ids", "attention_mask"], output_names=["logits"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "logits": {0: "batch"}},
            opset_version=17, dynamo=False,
        )


def fuse(float_path: Path, out: Path, model_dir: Path) -> dict[str, int]:
    """``float_path`` with attention, layer norms and GELU fused (ONNX Runtime's BERT optimiser);
    returns how many of each fused operator the graph has."""

    from onnxruntime.transformers import optimizer

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)
    fused = optimizer.optimize_model(str(float_path), model_type="bert", num_heads=int(config["num_attention_heads"]),
                                     hidden_size=int(config["hidden_size"]), opt_level=1)
    fused.save_model_to_file(str(out))
    ops = [n.op_type for n in fused.model.graph.node]
    counts = {op: ops.count(op) for op in ("Attention", "SkipLayerNormalization", "BiasGelu")}
    if counts["Attention"] != int(config["num_hidden_layers"]):
        log(f"warning: {counts['Attention']} fused attention operators for {config['num_hidden_layers']} layers; "
            "the export runs, but slower")
    return counts


def quantize(float_path: Path, out: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Fused operators come from ONNX Runtime's own domain, which ONNX's shape inference (run by
    # the quantiser) cannot type; their outputs are float32.
    quantize_dynamic(str(float_path), str(out), weight_type=QuantType.QInt8,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


def agreement(reference: FloatArray, model_dir: Path, onnx_path: Path, texts: list[str]) -> dict[str, Any]:
    """Labels and probabilities of the ONNX graph against ``reference``, the ``transformers``
    model's probabilities (float32) for ``texts``."""
    import numpy as np

    from enrich.sentiment.onnx_model import OnnxSentiment

    exported, _ = OnnxSentiment.load(model_dir, onnx_file=onnx_path.resolve()).proba(texts)
    return {
        "messages": len(texts),
        "label_agreement": round(float(np.mean(exported.argmax(1) == reference.argmax(1))), 4),
        "max_probability_difference": round(float(np.abs(exported - reference).max()), 5),
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="a transformers model directory")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Wisesight Sentiment directory (valid.jsonl)")
    parser.add_argument("--check", type=int, default=None,
                        help="check on the first N valid messages (default all; 0 skips the check)")
    args = parser.parse_args(argv)

    if not (args.model / "config.json").is_file():
        raise SystemExit(f"error: {args.model}: not a transformers model directory (no config.json)")
    out = args.model / ONNX_FILE
    record: dict[str, Any] = {"source": "model.safetensors", "source_sha256": sha256(args.model / "model.safetensors")}
    with tempfile.TemporaryDirectory() as tmp:
        float_path = Path(tmp) / "model.onnx"
        t = time.perf_counter()
        log(f"exporting {args.model} to ONNX (float32)")
        export_float(args.model, Path(tmp) / "exported.onnx")
        record["fused_operators"] = fuse(Path(tmp) / "exported.onnx", float_path, args.model)
        log(f"fused: {record['fused_operators']}; quantising to int8")
        quantize(float_path, out)
        record["export_s"] = round(time.perf_counter() - t, 1)
        if args.check != 0:
            try:
                texts, _ = read_split(args.data, "valid")
            except OSError as exc:
                raise SystemExit(f"error: cannot read the check data: {exc}") from None
            texts = texts[: args.check] if args.check else texts
            log(f"checking against the transformers model on {len(texts)} valid messages")
            try:
                from enrich.sentiment.transformer import TransformerSentiment

                reference, _ = TransformerSentiment.load(args.model).proba(texts)
                record["check_float32"] = agreement(reference, args.model, float_path, texts)
                record["check_int8"] = agreement(reference, args.model, out, texts)
            except ConfigError as exc:
                raise SystemExit(f"error: {exc}") from None
    import onnx
    import onnxruntime
    import torch
    import transformers

    record.update({
        "onnx_file": ONNX_FILE, "onnx_sha256": sha256(out), "onnx_bytes": out.stat().st_size,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "onnx": onnx.__version__,
                     "onnxruntime": onnxruntime.__version__},
    })
    (args.model / LOG_FILE).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"wrote {out} ({record['onnx_bytes'] / 1e6:.1f} MB) and {args.model / LOG_FILE}")
    for key in ("check_float32", "check_int8"):
        if key in record:
            log(f"{key}: {record[key]}")


if __name__ == "__main__":
    main()
