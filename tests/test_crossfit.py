"""Cross-fitting (enrich.training.crossfit) and building an ensemble on its out-of-fold
predictions (enrich.training.build_ensemble --oof), on a real slice of Wisesight Sentiment."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from enrich import sentiment
from enrich.normalize import normalize
from enrich.sentiment.common import LABELS
from enrich.sentiment.ensemble import EnsembleSentiment
from enrich.tokenize import tokenize
from enrich.training import build_ensemble, crossfit

pytest.importorskip("sklearn")


def _slice(src: Path, dst: Path, n_train: int, n_valid: int) -> Path:
    dst.mkdir()
    for split, n in (("train", n_train), ("valid", n_valid)):
        lines = (src / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()[:n]
        (dst / f"{split}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dst


def test_folds_are_stratified_and_fixed():
    gold = np.array([0] * 50 + [1] * 31 + [2] * 12 + [3] * 7)
    fold = crossfit.stratified_folds(gold, 5)
    assert (fold == crossfit.stratified_folds(gold, 5)).all()
    for label in range(4):
        counts = np.bincount(fold[gold == label], minlength=5)
        assert counts.max() - counts.min() <= 1, (label, counts)
    assert abs(np.bincount(fold).max() - np.bincount(fold).min()) <= 1


def test_pooled_reads_train_then_valid(wisesight_dir, tmp_path):
    data = _slice(wisesight_dir, tmp_path / "ws", 30, 10)
    texts, gold = crossfit.pooled(data)
    first_valid = json.loads((data / "valid.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert len(texts) == 40 and texts[30] == first_valid["text"]
    assert LABELS[gold[30]] == first_valid["label"]


@pytest.mark.slow
def test_linear_predictions_are_out_of_fold(wisesight_dir, tmp_path):
    data = _slice(wisesight_dir, tmp_path / "ws", 450, 150)
    out = tmp_path / "oof"
    assert crossfit.main(["--member", "linear", "--data-dir", str(data), "--out", str(out),
                          "--folds", "3", "--jobs", "1"]) == 0
    with np.load(out / "linear.npz") as z:
        logits, gold, fold = z["logits"], z["gold"], z["fold"]
    assert logits.shape == (600, 4) and np.isfinite(logits).all()
    assert sorted(np.bincount(fold)) == [200, 200, 200]
    log = json.loads((out / "linear.log.json").read_text(encoding="utf-8"))
    held = log["held_out"]["all"]["accuracy"]
    assert held == pytest.approx(float((logits.argmax(axis=1) == gold).mean()), abs=1e-4)
    # Fitted on its own rows, this model is right about 99 % of the time; out of fold, far less,
    # yet better than always answering the commonest label.
    majority = np.bincount(gold).max() / len(gold)
    assert majority < held < 0.9


@pytest.mark.slow
def test_build_ensemble_on_out_of_fold_predictions(tmp_path, wisesight_dir):
    """The builder's --oof path end to end, on members' predictions written in crossfit's format;
    the spec it writes is loadable by the runtime and reproduces the probabilities it was fitted on."""
    data = _slice(wisesight_dir, tmp_path / "ws", 400, 200)
    texts, gold = crossfit.pooled(data)
    norm = [normalize(t) for t in texts]
    tokens = [tokenize(t) for t in norm]
    oof = tmp_path / "oof"
    oof.mkdir()
    fold = crossfit.stratified_folds(gold, 3)
    for engine in ("linear-v3", "linear-v1"):
        model = sentiment.get_model(engine)
        logits = np.log(model.proba(norm, tokens)[0]) * model.temperature  # undo the member's temperature
        np.savez(oof / f"{engine}.npz", logits=logits, gold=gold, fold=fold)
    spec = tmp_path / "sentiment-ensemble-test.json"
    build_ensemble.main(["--name", "ensemble-test", "--members", "linear-v3", "linear-v1", "--oof", str(oof),
                         "--stack", "--procedure-cv", "--no-test", "--out", str(spec)])
    written = json.loads(spec.read_text(encoding="utf-8"))
    assert np.asarray(written["stack"]["coef"]).shape == (4, 8)
    report = json.loads(spec.with_suffix(".log.json").read_text(encoding="utf-8"))
    assert report["out_of_fold"]["ensemble-test"]["accuracy"] > 0.5
    assert {"chosen", "linear-v3 alone", "weighted, bias none, free"} <= set(report["procedure_cv"])
    model = EnsembleSentiment.load(spec, resolve=sentiment.get_model)
    got, _ = model.combine({name: sentiment.get_model(name).proba(norm, tokens) for name in ("linear-v3", "linear-v1")})
    expected = build_ensemble.combine(
        build_ensemble.oof_probas(oof)[0], {"linear-v3": 0.0, "linear-v1": 0.0},
        [written["bias"][k] for k in LABELS], written["temperature"],
        (np.asarray(written["stack"]["coef"]), np.asarray(written["stack"]["intercept"])))
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_missing_out_of_fold_file_is_one_line(tmp_path):
    with pytest.raises(SystemExit) as err:
        build_ensemble.main(["--members", "linear-v3", "mini-bert-v3", "--oof", str(tmp_path), "--no-test",
                             "--out", str(tmp_path / "e.json")])
    assert "crossfit --member linear" in str(err.value) and "\n" not in str(err.value)


def test_bad_data_is_one_line(tmp_path, capsys):
    data = tmp_path / "ws"
    data.mkdir()
    (data / "train.jsonl").write_text('{"text": "ดีมาก", "label": "pos"}\n{"text": "แย่", "label": "bad"}\n',
                                      encoding="utf-8")
    with pytest.raises(SystemExit):
        crossfit.main(["--member", "linear", "--data-dir", str(data), "--out", str(tmp_path / "oof")])
    assert "valid.jsonl" in capsys.readouterr().err
    (data / "valid.jsonl").write_text('{"text": "โอเค", "label": "neu"}\n', encoding="utf-8")
    with pytest.raises(SystemExit):
        crossfit.main(["--member", "linear", "--data-dir", str(data), "--out", str(tmp_path / "oof")])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"{data / 'train.jsonl'}:2:" in err and "pos, neu, neg, q" in err
    assert not (tmp_path / "oof").exists()


def test_fast_search_figures_are_the_reported_figures():
    # The searches score with a numpy confusion matrix; the log reports enrich.evaluate.metrics.
    rng = np.random.default_rng(5)
    for labels in (("pos", "neu", "neg", "q"), ("pos", "neu", "neg")):  # the second: no q at all
        gold = [labels[i] for i in rng.integers(0, len(labels), 500)]
        p = rng.random((500, 4))
        if "q" not in labels:
            p[:, 3] = 0.0
        fast = build_ensemble.accuracy_macro_f1(gold, p)
        full = build_ensemble.figures(gold, p)
        assert fast == {"accuracy": full["accuracy"], "macro_f1": full["macro_f1"]}
