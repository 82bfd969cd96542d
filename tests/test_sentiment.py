"""The fast classical sentiment engines (linear-v1, linear-v3): numpy runtime vs scikit-learn, quality,
edge cases; the engine registry (loading once, unknown engines)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from enrich import sentiment
from enrich.sentiment import linear
from enrich.evaluate import evaluate, fold_questions, metrics
from enrich.negation import mark_negation
from enrich.normalize import normalize
from enrich.tokenize import tokenize
from sadap.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "enrich" / "models"
LINEAR = ["linear-v1", "linear-v3"]


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _identity(x):
    return x


@pytest.mark.parametrize("engine", LINEAR)
def test_shipped_file_is_plain_arrays(engine):
    path = MODELS / f"sentiment-{engine}.npz"
    assert path.stat().st_size < 15_000_000
    with np.load(path, allow_pickle=False) as z:
        assert z["format"].item() == linear.FORMAT
        assert z["classes"].tolist() == ["neg", "neu", "pos", "q"]
        n_word, n_char = len(z["word_vocab"]), len(z["char_vocab"])
        assert z["word_vocab"].dtype.kind == z["char_vocab"].dtype.kind == "U"
        assert z["coef"].dtype == np.float32
        assert z["coef"].shape == (4, n_word + n_char)
        assert z["word_idf"].shape == (n_word,) and z["char_idf"].shape == (n_char,)
        assert z["intercept"].shape == (4,)
        assert z["temperature"].item() > 0


@pytest.mark.parametrize("engine", LINEAR)
def test_runtime_equals_scikit_learn(wisesight_dir, engine):
    """The numpy vectoriser + softmax reproduce TfidfVectorizer + LogisticRegression.predict_proba."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    rows = _rows(wisesight_dir / "valid.jsonl")[::6]  # 400 messages
    texts = [normalize(r["text"]) for r in rows]
    tokens = [tokenize(t) for t in texts]
    model = sentiment.get_model(engine)

    with np.load(MODELS / f"sentiment-{engine}.npz", allow_pickle=False) as z:
        binary = z["tf"].item() == "binary" if "tf" in z.files else False
        weighting = {"binary": binary, "sublinear_tf": not binary, "use_idf": not binary}
        word = TfidfVectorizer(
            **weighting,
            tokenizer=_identity,
            preprocessor=_identity,
            lowercase=False,
            token_pattern=None,
            ngram_range=tuple(int(v) for v in z["word_ngram"]),
            vocabulary=z["word_vocab"].tolist(),
        ).fit([[]])
        char = TfidfVectorizer(
            **weighting,
            analyzer=z["char_analyzer"].item(),
            ngram_range=tuple(int(v) for v in z["char_ngram"]),
            lowercase=bool(z["char_lowercase"].item()),
            vocabulary=z["char_vocab"].tolist(),
        ).fit(texts)
        if binary:
            assert (z["word_idf"] == 1).all() and (z["char_idf"] == 1).all()
        else:
            word.idf_ = z["word_idf"].astype(np.float64)
            char.idf_ = z["char_idf"].astype(np.float64)
        temperature = float(z["temperature"].item())
        lr = LogisticRegression()
        lr.classes_ = z["classes"]
        lr.coef_ = z["coef"].astype(np.float64) / temperature
        lr.intercept_ = z["intercept"].astype(np.float64) / temperature
        window = int(z["negation_window"].item()) if "negation_window" in z.files else 0
        negators = z["negators"].tolist() if window else []
        word_tokens = [mark_negation(t, negators, window) for t in tokens]
    X = hstack([word.transform(word_tokens), char.transform(texts)]).tocsr()
    expected = lr.predict_proba(X)

    got, evidence = model.proba(texts, tokens)
    order = [lr.classes_.tolist().index(label) for label in sentiment.LABELS]
    np.testing.assert_allclose(got, expected[:, order], rtol=0, atol=1e-9)
    assert evidence.all()
    labels = lr.classes_[expected.argmax(axis=1)].tolist()
    predicted = sentiment.predict(texts, tokens, engine=engine)
    assert [label for label, _ in predicted] == labels
    np.testing.assert_allclose([p for _, p in predicted], expected.max(axis=1), atol=1e-9)


@pytest.mark.parametrize("engine", LINEAR)
def test_quality_on_full_test_split(wisesight_dir, engine):
    """The shipped model scores on the whole test split what its training log says."""
    logged = json.loads((MODELS / f"sentiment-{engine}.log.json").read_text(encoding="utf-8"))["test"]
    result = evaluate(_rows(wisesight_dir / "test.jsonl"), engine=engine)
    assert result["n"] == 2671
    assert result["accuracy"] >= 0.70
    assert result["accuracy"] >= logged["accuracy"] - 0.002
    assert result["macro_f1"] >= logged["macro_f1"] - 0.002
    assert set(result["per_class"]) == {"pos", "neu", "neg", "q"}
    assert sum(map(sum, result["confusion"]["matrix"])) == 2671


@pytest.mark.parametrize(
    "text, allowed",
    [
        ("บริการดีมากค่ะ พนักงานน่ารัก ประทับใจสุดๆ", {"pos"}),
        ("อร่อยมาก ชอบมากๆ จะกลับมาซื้ออีกแน่นอน", {"pos"}),
        ("แย่มาก โทรไปสามรอบไม่มีใครรับสาย ผิดหวังกับบริการจริงๆ", {"neg"}),
        ("โกรธมาก โอนเงินไม่เข้า แอปล่มทั้งวัน ห่วยแตก", {"neg"}),
        ("เปิดบัญชีออนไลน์ได้ไหมคะ", {"q", "neu"}),
        ("ธนาคารแจ้งปิดปรับปรุงระบบคืนนี้ เวลา 23.00 น.", {"neu"}),
    ],
)
def test_real_thai_examples(text, allowed):
    [(label, prob)] = sentiment.predict([normalize(text)])
    assert label in allowed, (text, label, prob)
    assert 0.0 < prob <= 1.0


def test_import_does_not_load_the_model():
    code = (
        "import sys, enrich.sentiment as s\n"
        "assert s._loaded == {}, s._loaded\n"
        "assert 'numpy' not in sys.modules, 'numpy imported'\n"
        "assert 'pythainlp' not in sys.modules, 'pythainlp imported'\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert 'transformers' not in sys.modules, 'transformers imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_model_loads_once_across_threads(monkeypatch):
    monkeypatch.setattr(sentiment, "_loaded", {})
    calls = []
    real_load = linear.LinearSentiment.load.__func__

    def counting_load(cls, path):
        calls.append(path)
        time.sleep(0.05)
        return real_load(cls, path)

    monkeypatch.setattr(linear.LinearSentiment, "load", classmethod(counting_load))
    got = []
    threads = [threading.Thread(target=lambda: got.append(sentiment.get_model("linear-v1"))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(got) == 6 and all(m is got[0] for m in got)


def test_unknown_engine_lists_available_engines():
    assert "linear-v1" in sentiment.available_engines()
    with pytest.raises(ConfigError) as err:
        sentiment.predict(["ดีมาก"], engine="bert-xl")
    message = str(err.value)
    assert "\n" not in message
    assert "bert-xl" in message
    for engine in sentiment.available_engines():
        assert engine in message


def test_degenerate_texts_do_not_crash():
    big = normalize("ดีมาก บริการแย่ โทรไม่ติด " * 4000)  # ~100 kB
    assert len(big.encode("utf-8")) > 100_000
    cases = ["", "   ", "\n\t", "😀😀😀", "🙏", "!!!???", "\u0e00", big]
    tokens = [tokenize(t) for t in cases]  # tokenisation is the pipeline's, timed apart
    sentiment.warm()
    for text, toks in zip(cases, tokens):
        start = time.perf_counter()
        [(label, prob)] = sentiment.predict([text], [toks])
        assert time.perf_counter() - start < 1.0, len(text)
        assert label in {"pos", "neu", "neg", "q"}
        assert 0.0 < prob <= 1.0
    for empty in ("", "   ", "\n\t"):
        assert sentiment.predict([empty])[0][0] == "neu"
    assert sentiment.predict([]) == []
    assert [lab for lab, _ in sentiment.predict(["", "ดีมาก", ""])][::2] == ["neu", "neu"]


def test_tokens_must_match_texts():
    with pytest.raises(ValueError):
        sentiment.predict(["ดีมาก", "แย่"], [["ดี", "มาก"]])
    with pytest.raises(TypeError):
        sentiment.predict("ดีมาก")


def test_metrics_match_scikit_learn():
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    rng = random.Random(7)
    labels = ["pos", "neu", "neg", "q"]
    gold = [rng.choice(labels) for _ in range(500)]
    pred = [g if rng.random() < 0.6 else rng.choice(labels[:3]) for g in gold]
    ours = metrics(gold, pred)
    assert ours["n"] == 500
    assert ours["accuracy"] == pytest.approx(accuracy_score(gold, pred))
    assert ours["macro_f1"] == pytest.approx(f1_score(gold, pred, average="macro"))
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    for i, lab in enumerate(labels):
        assert ours["per_class"][lab]["precision"] == pytest.approx(p[i])
        assert ours["per_class"][lab]["recall"] == pytest.approx(r[i])
        assert ours["per_class"][lab]["f1"] == pytest.approx(f[i])
        assert ours["per_class"][lab]["support"] == s[i]
    assert ours["confusion"]["labels"] == labels
    assert ours["confusion"]["matrix"] == confusion_matrix(gold, pred, labels=labels).tolist()
    assert fold_questions(["q", "pos", "neu"]) == ["neu", "pos", "neu"]


@pytest.mark.parametrize("analyzer", ["char", "char_wb"])
@pytest.mark.parametrize("ngram", [(1, 4), (2, 5), (3, 3)])
def test_char_ngrams_match_scikit_learn(analyzer, ngram):
    from sklearn.feature_extraction.text import TfidfVectorizer

    build = TfidfVectorizer(analyzer=analyzer, ngram_range=ngram, lowercase=False).build_analyzer()
    ours = linear._char_wb_ngrams if analyzer == "char_wb" else linear._char_ngrams
    for text in ["", " ", "a", "ab", "ดีมาก  มาก\nok 555", "แอป ล่ม!! ", "😀 x", "abcdefgh ij k"]:
        assert sorted(ours(text, *ngram)) == sorted(build(text)), text


def test_word_ngrams_match_scikit_learn():
    from sklearn.feature_extraction.text import TfidfVectorizer

    for ngram in [(1, 1), (1, 2), (2, 3)]:
        build = TfidfVectorizer(
            tokenizer=_identity, preprocessor=_identity, lowercase=False, token_pattern=None, ngram_range=ngram
        ).build_analyzer()
        for toks in [[], ["ดี"], ["ดี", "มาก"], ["แอป", "ล่ม", "อีก", "แล้ว"]]:
            assert sorted(linear._word_ngrams(toks, *ngram)) == sorted(build(toks)), (ngram, toks)


def test_unknown_term_weighting_is_refused(tmp_path):
    with np.load(MODELS / "sentiment-linear-v3.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["tf"] = np.array("log-log")
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(ConfigError) as err:
        linear.LinearSentiment.load(bad)
    assert "log-log" in str(err.value) and "binary" in str(err.value) and "\n" not in str(err.value)
