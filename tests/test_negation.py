"""Negation marking (enrich.negation) and its use by the linear-v3 engine."""

from __future__ import annotations

from enrich import sentiment
from enrich.negation import NEGATORS, mark_negation
from enrich.normalize import normalize
from enrich.tokenize import tokenize


def test_the_word_after_a_negator_is_marked():
    assert mark_negation(tokenize("ไม่แย่นะ")) == ["ไม่", "NOT_แย่", "นะ"]
    assert mark_negation(["ราคา", "ไม่", "แพง", "เลย"]) == ["ราคา", "ไม่", "NOT_แพง", "เลย"]


def test_window_blanks_and_repeated_negators():
    assert mark_negation(["ไม่", " ", "ชอบ", "เลย"]) == ["ไม่", " ", "NOT_ชอบ", "เลย"]
    assert mark_negation(["ไม่", "ได้", "ไม่", "ดี"], window=1) == ["ไม่", "NOT_ได้", "ไม่", "NOT_ดี"]
    assert mark_negation(["ไม่", "ค่อย", "อร่อย"], window=2) == ["ไม่", "NOT_ค่อย", "NOT_อร่อย"]
    assert mark_negation(["ไม่", "ดี"], window=0) == ["ไม่", "ดี"]
    assert mark_negation([]) == []
    assert mark_negation(["ดี", "ไม่"]) == ["ดี", "ไม่"]  # nothing after it


def test_linear_v3_stores_and_applies_its_negators():
    model = sentiment.get_model("linear-v3")
    assert model.negation_window == 1 and model.negators == frozenset(NEGATORS)
    assert sentiment.get_model("linear-v1").negation_window == 0
    # The marked bigram is a feature of the model: "not bad" is not scored as "bad".
    assert "NOT_แย่" in model.word_vocab
    text = normalize("ไม่แย่นะ")
    [(label, _)] = sentiment.predict([text], [tokenize(text)], engine="linear-v3")
    assert label != "neg"
