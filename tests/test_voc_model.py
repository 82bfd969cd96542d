"""The learned voice-of-customer classifier (enrich/voc_model.py): the rules stay the explanation,
the model decides expectation and the complaint flag; the `enrich.voc` setting picks it; `sadap
train` refits it on an organisation's corrections (a real SQLite store, Thai posts labelled with
`sadap label`), keeps it only when not worse, versions it, `sadap reenrich` applies it and
`sadap train --only voc --rollback` goes back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from enrich.voc_versions import VERSIONS as VOC_VERSIONS
from enrich.pipeline import Enricher
from enrich.training.train_voc import Example, fit
from enrich.voc import Lexicons
from enrich.voc_model import EXPECTATIONS, SHIPPED_MODEL, VocModel, apply, featurize, get_model, n_features
from sadap.app.cli import main
from sadap.app.config import EnrichConfig, load_config_file
from sadap.app.importer import import_file
from sadap.core.errors import InputError
from sadap.core.mention import RawMention, to_mention
from sadap.store import MentionFilter, open_store


def _mention(text: str):
    return to_mention(RawMention(source_kind="file", source_name="t", text=text), pseudonym_key=b"k")


def test_the_setting_is_declared_once_and_rules_stay_the_default():
    assert EnrichConfig().voc == "rules"  # see docs/enrichment.md: the learned model fails the banking demo
    assert EnrichConfig(voc="learned").voc == "learned"
    with pytest.raises(ValueError, match="voc"):
        EnrichConfig(voc="bert")


def test_shipped_model_loads_and_reads_the_features_it_was_fitted_on():
    model = get_model(SHIPPED_MODEL)
    assert model.weights.shape == (n_features(), 5) and 0.0 < model.threshold < 1.0
    assert "voc-train.jsonl" in " ".join(model.meta["trained_on"])
    assert not any("enrich_dev" in p or "pr_posts" in p for p in model.meta["trained_on"])


def test_features_carry_the_rules_result_and_the_words():
    lex = Lexicons.build()
    words = ["แอป", "ล่ม", "อีกแล้ว"]
    voc = lex.analyze(words, "แอปล่มอีกแล้ว", "neg")
    f = featurize(words, "neg", (0.05, 0.05, 0.9, 0.0), voc)
    assert voc.is_complaint and voc.flags["about_org"]
    assert len(f.index) == len(f.value) == len(set(f.index)) and max(f.index) < n_features()
    other = featurize(["แอป", "ดี", "มาก"], "pos", (0.9, 0.1, 0.0, 0.0), lex.analyze(["แอป", "ดี", "มาก"], "แอปดีมาก", "pos"))
    assert set(f.index) != set(other.index)


def test_a_complaint_the_rules_missed_takes_their_fallback_type_and_a_rejected_one_none():
    lex = Lexicons.build()
    voc = lex.analyze(["อาหาร", "ร้าน", "นี้"], "อาหารร้านนี้", "neu")
    assert not voc.is_complaint and voc.fallback_type is not None
    assert apply(voc, "disappointed", True) == ("disappointed", True, voc.fallback_type)
    sure = lex.analyze(["แอป", "ล่ม"], "แอปล่ม", "neg")
    assert apply(sure, "none", False) == ("none", False, None)


def test_rules_engine_is_the_rules_and_learned_changes_only_expectation_and_complaint():
    texts = ["เก่งมากเลยค่ะแสงทอง ล่มทุกวันเงินเดือนออก", "ใช้ง่ายดี", "ร้านนี้อร่อยมาก ประทับใจ", "ผ้าอนามัยยาวกว่ากาว",
             "โปรโมชั่นเดือนนี้ลดเท่าไหร่คะ"]
    rules = Enricher(sentiment_model="linear-v3", voc="rules").enrich([_mention(t) for t in texts])
    learned = Enricher(sentiment_model="linear-v3", voc="learned").enrich([_mention(t) for t in texts])
    for r, m in zip(rules, learned):
        assert r.category == m.category and r.sentiment == m.sentiment and r.tokens == m.tokens
        assert m.expectation in EXPECTATIONS
        assert (m.complaint.type is not None) == m.complaint.is_complaint
    # the sarcasm example stays a complaint either way
    assert rules[0].complaint.is_complaint and learned[0].complaint.is_complaint


def test_fit_learns_a_separable_toy_problem():
    lex = Lexicons.build()
    good = [["อร่อย", "มาก", str(i)] for i in range(20)]
    bad = [["ไม่", "อร่อย", "เลย", str(i)] for i in range(20)]
    rows, examples = [], []
    for words, exp, comp in [(w, "delighted", False) for w in good] + [(w, "disappointed", True) for w in bad]:
        rows.append(featurize(words, "neu", (0.2, 0.5, 0.2, 0.1), lex.analyze(words, "".join(words), "neu")))
        examples.append(Example("".join(words), exp, comp))
    model = fit(rows, examples, l2_expectation=1e-3, l2_complaint=1e-3, balanced=True, threshold=0.5)
    decided = model.decide(rows)
    assert [d[0] for d in decided] == [e.expectation for e in examples]
    assert [d[1] for d in decided] == [e.is_complaint for e in examples]


def test_a_model_of_other_features_is_refused_in_one_line(tmp_path: Path):
    model = VocModel(np.zeros((n_features(), 5)), np.zeros(5), 0.5, {})
    path = tmp_path / "m.npz"
    model.save(path)
    assert VocModel.load(path).threshold == 0.5
    with np.load(path) as data:
        parts = {k: data[k] for k in data.files}
    parts["meta"] = np.array(json.dumps({"features_version": 99}))
    np.savez(path, **parts)
    with pytest.raises(InputError, match="features version 99"):
        VocModel.load(path)
    with pytest.raises(InputError, match="not found"):
        VocModel.load(tmp_path / "nope.npz")


# -- sadap train on a real store ----------------------------------------------------------------
CONFIG = """data_dir: data
watch:
  - name: ธนาคารสายฟ้า
    aliases: [สายฟ้า]
enrich:
  sentiment_model: linear-v3
  voc: learned
rules: []
notifiers: []
"""
# A bank's customers say its app "หมุนติ้ว" (spins forever): a complaint no lexicon knows.
COMPLAINTS = ["แอปสายฟ้าหมุนติ้ว{}", "สายฟ้าหมุนติ้วอีกละ{}", "หมุนติ้วทั้งวันแอปสายฟ้า{}", "โอนเงินสายฟ้าหมุนติ้ว{}"]
ENDINGS = ["", "ค่ะ", "ครับ", " เซ็ง", " 555", "นะ", " จ้า", "!!", " ตลอด", " แหละ"]
FRESH = "วันนี้แอปสายฟ้าหมุนติ้วอีกแล้วค่ะ"


@pytest.mark.slow
def test_train_refits_on_thai_corrections_keeps_versions_reenrich_applies_and_rollback(tmp_path: Path):
    cfg = tmp_path / "sadap.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    texts = [p.format(e) for p in COMPLAINTS for e in ENDINGS]
    src = tmp_path / "posts.jsonl"
    src.write_text("".join(json.dumps({"id": str(i), "text": t}, ensure_ascii=False) + "\n"
                           for i, t in enumerate(texts + [FRESH])), encoding="utf-8")
    config = load_config_file(cfg)
    assert import_file(config, src)["stored"] == len(texts) + 1
    with open_store(config) as store:
        ids = {m.text: m.id for m in store.page_by_id(MentionFilter(), limit=100)}
        assert not store.get(ids[FRESH]).complaint.is_complaint  # the shipped classifier does not know the phrase
    runner = CliRunner()
    for t in texts:
        r = runner.invoke(main, ["label", ids[t], "--config", str(cfg), "--complaint", "yes", "--type", "digital_outage",
                                 "--expectation", "disappointed", "--by", "ploy"])
        assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["train", "--only", "voc", "--voc-weight", "5", "--config", str(cfg), "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)["voc"]
    assert report["kept"] and report["version"] == "v1", report
    assert report["corrections"] == len(texts) and report["held_out"] > 0
    assert report["scores"]["new"]["held_out"]["accuracy"] >= report["scores"]["current"]["held_out"]["accuracy"]
    assert VOC_VERSIONS.active(config.data_path) == "v1"
    r = runner.invoke(main, ["train", "--list", "--only", "voc", "--config", str(cfg)])
    assert r.exit_code == 0 and "* v1" in r.output and "  shipped" in r.output, r.output
    r = runner.invoke(main, ["reenrich", "--config", str(cfg), "--json"])
    assert r.exit_code == 0, r.output
    with open_store(config) as store:
        fresh = store.get(ids[FRESH])
        assert fresh.complaint.is_complaint and fresh.expectation == "disappointed"
        assert fresh.complaint.type is not None
        assert store.get(ids[texts[0]]).corrected.by == "ploy"
    r = runner.invoke(main, ["train", "--only", "voc", "--rollback", "--config", str(cfg)])
    assert r.exit_code == 0 and "voice-of-customer classifier: v1 → shipped" in r.output
    assert runner.invoke(main, ["reenrich", "--config", str(cfg), "--json"]).exit_code == 0
    with open_store(config) as store:
        assert not store.get(ids[FRESH]).complaint.is_complaint
    r = runner.invoke(main, ["train", "--only", "voc", "--rollback", "v7", "--config", str(cfg)])
    assert r.exit_code == 1 and "no trained voice-of-customer version 'v7'; stored: v1 (or shipped)" in r.output


def test_train_with_too_few_corrections_says_what_to_do(tmp_path: Path):
    cfg = tmp_path / "sadap.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    r = CliRunner().invoke(main, ["train", "--config", str(cfg)])
    assert r.exit_code == 1 and "sadap label" in r.output and "expectation or complaint" in r.output
    r = CliRunner().invoke(main, ["train", "--only", "voc", "--config", str(cfg)])
    assert r.exit_code == 1 and "at least 8 mentions with a corrected expectation or complaint flag" in r.output
