"""The shipped transformer as Sadap runs it: its int8 ONNX export, checked against the
``transformers`` model it was exported from, and the export script itself on a small model."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from enrich import sentiment
from enrich.normalize import normalize
from enrich.sentiment.onnx_model import ONNX_FILE, OnnxSentiment
from enrich.sentiment.transformer import TransformerSentiment
from sadap.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
BERT_DIR = ROOT / "enrich" / "models" / "sentiment-mini-bert-v3"
WISESIGHT = ROOT.parent / "shared" / "data" / "wisesight-sentiment"


def _valid_texts(n: int) -> list[str]:
    with open(WISESIGHT / "valid.jsonl", encoding="utf-8") as fh:
        return [normalize(json.loads(line)["text"]) for line, _ in zip(fh, range(n))]


def test_the_shipped_export_is_of_the_shipped_weights():
    # Retraining the transformer without re-exporting would leave Sadap running old weights.
    log = json.loads((BERT_DIR / "onnx-export.json").read_text(encoding="utf-8"))
    assert log["fused_operators"]["Attention"] == 4  # the shipped export is the fused one
    sha = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    assert log["source_sha256"] == sha(BERT_DIR / "model.safetensors")
    assert log["onnx_sha256"] == sha(BERT_DIR / ONNX_FILE)
    assert log["check_float32"]["label_agreement"] == 1.0
    assert log["check_int8"]["messages"] == 2404 and log["check_int8"]["label_agreement"] >= 0.99
    assert (BERT_DIR / ONNX_FILE).stat().st_size < 8_000_000


@pytest.mark.model
def test_shipped_engine_runs_the_export_and_agrees_with_transformers():
    assert isinstance(sentiment.get_model("mini-bert-v3"), OnnxSentiment)
    texts = _valid_texts(300) + ["", "😡😡", "x" * 5000]
    exported, evidence = sentiment.get_model("mini-bert-v3").proba(texts)
    reference, _ = TransformerSentiment.load(BERT_DIR).proba(texts)
    assert evidence.all() and exported.shape == (len(texts), 4)
    np.testing.assert_allclose(exported.sum(axis=1), 1.0, atol=1e-6)
    assert np.abs(exported - reference).max() < 0.05  # int8 weights: close, not equal
    assert (exported.argmax(1) == reference.argmax(1)).mean() >= 0.98


def test_batches_and_single_messages_give_the_same_probabilities():
    texts = _valid_texts(40)
    model = sentiment.get_model("mini-bert-v3")
    together, _ = model.proba(texts)
    alone = np.vstack([model.proba([t])[0] for t in texts])
    np.testing.assert_allclose(together, alone, atol=0.02)
    assert (together.argmax(1) == alone.argmax(1)).mean() >= 0.95


def test_a_directory_without_the_export_fails_with_one_line(tmp_path):
    for name in ("config.json", "tokenizer.json"):
        (tmp_path / name).write_bytes((BERT_DIR / name).read_bytes())
    with pytest.raises(ConfigError) as err:
        OnnxSentiment.load(tmp_path)
    message = str(err.value)
    assert "\n" not in message and str(tmp_path) in message and len(message) < 500


@pytest.mark.model
@pytest.mark.slow
def test_export_script_reproduces_the_model_it_exports(tmp_path, _small_model):
    from enrich.training import export_onnx

    export_onnx.main(["--model", str(_small_model), "--check", "120"])
    log = json.loads((_small_model / "onnx-export.json").read_text(encoding="utf-8"))
    assert log["check_float32"] == {"messages": 120, "label_agreement": 1.0,
                                    "max_probability_difference": pytest.approx(0.0, abs=1e-4)}
    assert log["check_int8"]["max_probability_difference"] < 0.05
    layers = json.loads((_small_model / "config.json").read_text(encoding="utf-8"))["num_hidden_layers"]
    assert log["fused_operators"]["Attention"] == layers  # one fused attention per layer
    texts = _valid_texts(30)
    p_onnx, _ = OnnxSentiment.load(_small_model).proba(texts)
    p_torch, _ = TransformerSentiment.load(_small_model).proba(texts)
    assert np.abs(p_onnx - p_torch).max() < 0.05


@pytest.mark.model
def test_export_script_refuses_a_directory_that_is_not_a_model(tmp_path):
    from enrich.training import export_onnx

    with pytest.raises(SystemExit) as exit_:
        export_onnx.main(["--model", str(tmp_path)])
    assert "not a transformers model directory" in str(exit_.value)


@pytest.fixture
def _small_model(tmp_path: Path) -> Path:
    """A small BERT classifier with Sadap's labels and the shipped tokenizer, saved as
    ``transformers`` saves one (random weights: the export, not the model, is under test)."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    labels = {0: "pos", 1: "neu", 2: "neg", 3: "q"}
    config = BertConfig(vocab_size=8000, hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=128, max_position_embeddings=128, num_labels=4, id2label=labels,
                        label2id={v: k for k, v in labels.items()})
    out = tmp_path / "small-model"
    BertForSequenceClassification(config).save_pretrained(out)
    AutoTokenizer.from_pretrained(BERT_DIR).save_pretrained(out)
    return out


def test_a_damaged_export_fails_with_one_line(tmp_path):
    for name in ("config.json", "tokenizer.json"):
        (tmp_path / name).write_bytes((BERT_DIR / name).read_bytes())
    (tmp_path / ONNX_FILE).write_bytes((BERT_DIR / ONNX_FILE).read_bytes()[:100_000])  # cut short
    with pytest.raises(ConfigError) as err:
        OnnxSentiment.load(tmp_path)
    assert "\n" not in str(err.value) and len(str(err.value)) < 500


def test_the_default_engine_scores_without_importing_torch():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from enrich.sentiment import DEFAULT_ENGINE, predict, warm\n"
        "warm(DEFAULT_ENGINE)  # every member loaded, the transformer included\n"
        "labels = predict(['แอปล่มอีกแล้ว โอนเงินไม่ได้เลย', 'ขอบคุณพนักงานสาขาค่ะ บริการดีมาก'], engine=DEFAULT_ENGINE)\n"
        "assert [label for label, _ in labels] == ['neg', 'pos'], labels\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
