"""Start-up shortcuts give exactly what the plain way gives: YAML through libyaml (values, lines,
error messages), the linear-v3 character table read from the model file's arrays, the character
dictionary built on first use; and the collector is paused and restored around start-up's builds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from sadap.core import yamlsource
from sadap.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
needs_libyaml = pytest.mark.skipif(yamlsource.CSafeLoader is None, reason="PyYAML without libyaml")

# Documents that exercise the parser's corners: anchors and merges, block scalars, flow
# collections, quoting, comments, Thai text, documents that end early, odd indentation.
DOCUMENTS = [
    "",
    "# only a comment\n",
    "a: 1\nb: [1, 2, {c: d}]\n",
    "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n",
    "text: |\n  บรรทัดแรก\n  บรรทัดสอง\nfolded: >-\n  one\n  two\n\nnext: ok\n",
    "list:\n- a\n-   b: 1\n    c: 2\n- - nested\n  - more\n",
    "q: 'it''s'\nd: \"tab\\t\"\nn: ~\nt: yes\nf: 1.5e3\ni: 0o17\nh: 0x1F\ndate: 2026-12-07\n",
    "? complex key\n: value\n",
    "k: v\n...\n",
    "---\nk: v\n",
    "watch:\n  - name: ธนาคารแสงทอง\n    aliases: [แสงทอง, SaengThong]\n  - name: x\n",
    "a:\n  b:\n    c:\n      d: deep\n  e: back\n",
    "empty_map: {}\nempty_list: []\nnull_value:\nafter: 1\n",
    "s: 'multi\n  line single'\nt: \"multi\n  line double\"\n",
    "anchor_list: &l [1, 2]\nuse: *l\nuse2: *l\n",
]

BROKEN = [
    "a: b: c\n",
    "a: [1, 2\nb: 3\n",
    "a:\n  - x\n - y\n",
    "key: 'unterminated\nnext: 1\n",
    "a: 1\n\tb: 2\n",
    "- a\nb: 1\n",
    "a: *undefined\n",
    "x: {a: 1, b\n",
    "a: !!python/object:os.system x\n",
    "k: \"bad escape \\q\"\n",
    "%TAG ! tag:x,2000:\n%TAG ! tag:y,2000:\n---\na: 1\n",
    "a: 1\nb: [\n",
]

DUPLICATES = [
    "a: 1\nb: 2\na: 3\n",
    "outer:\n  k: 1\n  other: 2\n  k: 3\nlist:\n  - {x: 1, x: 2}\n",
]


def _pure_parse(text: str, name: str) -> tuple[object, dict]:
    saved = yamlsource.CSafeLoader
    yamlsource.CSafeLoader = None
    try:
        data, lines = yamlsource.parse_yaml(text, name)
        return data, lines.lines
    finally:
        yamlsource.CSafeLoader = saved


def _error(parse, text: str) -> str:
    with pytest.raises(ConfigError) as err:
        parse(text, "x.yaml")
    return str(err.value)


def _shipped_yaml() -> list[Path]:
    return sorted(p for p in ROOT.glob("**/*.y*ml") if ".venv" not in p.parts and "templates" not in p.parts)


@needs_libyaml
@pytest.mark.parametrize("text", DOCUMENTS)
def test_libyaml_gives_the_pure_loaders_values_and_lines(text):
    data, lines = yamlsource.parse_yaml(text, "x.yaml")
    pure_data, pure_lines = _pure_parse(text, "x.yaml")
    assert repr(data) == repr(pure_data)
    assert lines.lines == pure_lines
    assert repr(yamlsource.safe_load(text)) == repr(yaml.safe_load(text))


@needs_libyaml
def test_every_shipped_yaml_file_reads_the_same_through_libyaml():
    files = _shipped_yaml()
    assert len(files) >= 10  # playbooks, lexicons, infra
    for path in files:
        text = path.read_text(encoding="utf-8")
        fast, pure = yamlsource.compose(text), yamlsource.compose(text, pure=True)
        assert yamlsource.LineMap.from_node(fast).lines == yamlsource.LineMap.from_node(pure).lines, path
        assert repr(yamlsource.safe_load(text)) == repr(yaml.safe_load(text)), path


@needs_libyaml
@pytest.mark.parametrize("text", BROKEN + DUPLICATES)
def test_errors_name_the_same_line_and_problem_as_the_pure_loader(text):
    message = _error(yamlsource.parse_yaml, text)
    assert message == _error(_pure_parse, text)
    assert message.startswith("x.yaml:") and "\n" not in message.strip() or text in DUPLICATES


def test_a_syntax_error_is_one_line_with_file_and_line():
    assert _error(yamlsource.parse_yaml, "a: 1\nb: [1, 2\nc: 3\n").startswith("x.yaml:")
    message = _error(yamlsource.parse_yaml, "a: b: c\n")
    assert message == "x.yaml:1: YAML syntax error: mapping values are not allowed here"
    message = _error(yamlsource.parse_yaml, "a: 1\nb: 2\na: 3\n")
    assert message == "x.yaml:3: a: duplicate key 'a' (first at line 1); keep one"


def test_a_config_file_with_a_duplicate_key_names_both_lines(tmp_path):
    from sadap.app.config import load_config_file

    path = tmp_path / "sadap.yaml"
    path.write_text("data_dir: .\nenrich:\n  custom_words: [a]\n  custom_words: [b]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config_file(path)
    assert f"{path}:4: enrich.custom_words: duplicate key 'custom_words' (first at line 3)" in str(err.value)


def test_without_libyaml_the_pure_loader_reads(monkeypatch):
    monkeypatch.setattr(yamlsource, "CSafeLoader", None)
    assert yamlsource.safe_load("a: [1, 2]\n") == {"a": [1, 2]}
    data, lines = yamlsource.parse_yaml("a:\n  - 1\n  - 2\n", "x.yaml")
    assert data == {"a": [1, 2]} and lines.line(("a", 1)) == 3


# -- linear-v3's character table ----------------------------------------------------


def test_the_char_table_read_from_the_model_file_is_the_one_built_from_the_vocabulary():
    from enrich.sentiment import linear

    model = linear.LinearSentiment.load(ROOT / "enrich" / "models" / "sentiment-linear-v3.npz")
    fast = model._char_table()
    assert fast is not None
    plain = linear.CharTable(model.char_vocab, model.char_ngram[1])
    for name in ("values", "codes", "lengths", "slot_entry", "slot_fold"):
        assert np.array_equal(getattr(fast, name), getattr(plain, name)), name
    assert fast.bits == plain.bits


def test_the_char_vocabulary_is_built_only_when_asked_for_and_is_the_files():
    from enrich.sentiment import linear

    path = ROOT / "enrich" / "models" / "sentiment-linear-v3.npz"
    model = linear.LinearSentiment.load(path)
    assert "char_vocab" not in model.__dict__  # the table does without it
    with np.load(path) as z:
        n_word = len(z["word_vocab"])
        expected = {t: i + n_word for i, t in enumerate(z["char_vocab"].tolist())}
    assert model.char_vocab == expected and list(model.char_vocab) == list(expected)
    assert model.word_vocab["ดี"] < n_word <= min(model.char_vocab.values())


def test_the_char_table_from_an_array_keeps_inner_zeros_and_refuses_clashes():
    from enrich.sentiment import linear

    terms = ["ab", "a\x00b", "xyz", "ก", " กข "]
    vocab = {t: i + 7 for i, t in enumerate(terms)}
    array = np.array(terms, dtype=str)
    fast, plain = linear.CharTable(vocab, 5, array), linear.CharTable(vocab, 5)
    assert np.array_equal(fast.lengths, plain.lengths) and list(fast.lengths) == [2, 3, 3, 1, 4]
    assert np.array_equal(fast.codes, plain.codes) and np.array_equal(fast.slot_entry, plain.slot_entry)
    with pytest.raises(ValueError):  # an empty n-gram, as before
        linear.CharTable({"": 1, "a": 2}, 5, np.array(["", "a"], dtype=str))
    with pytest.raises(ValueError):  # longer than the model's longest n-gram
        linear.CharTable({"abcdef": 1}, 5, np.array(["abcdef"], dtype=str))


# -- the collector during start-up ------------------------------------------------------


def test_the_collector_is_paused_inside_and_restored_after():
    import gc

    from sadap.core import collector

    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError
    assert gc.isenabled()
