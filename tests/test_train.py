"""`sadap train`: the fast engine refitted on shipped data plus an organisation's corrections
(read from a real SQLite store), checked on held-out corrections and a test split, kept and
versioned in the data directory only when not worse, listed, rolled back, loaded by enrichment
and applied by `sadap reenrich`. A small slice of the shipped Wisesight data; the fits still take
a minute or two each on two cores, so those tests are marked slow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("sklearn")

from enrich.pipeline import Enricher  # noqa: E402
from enrich.sentiment import get_model, local_engine  # noqa: E402
from enrich.sentiment.versions import VERSIONS as versions  # noqa: E402
from enrich.training.retrain import Example, held_out, read_shipped, retrain, score  # noqa: E402
from sadap.app.cli import main  # noqa: E402
from sadap.app.config import load_config_file  # noqa: E402

# A bank's customers write "ตึงมาก" ("so tight") about its app as praise; Wisesight never saw it.
PRAISE = ["แอปสายฟ้าตึงมาก{}", "สายฟ้าแบงก์ตึงมากเลย{}", "ตึงมากแอปสายฟ้า{}"]
ENDINGS = ["", "ค่ะ", "ครับ", " โอนไวสุด", " ใช้ทุกวัน", " ชอบ", "จริงๆ", " 555", "นะ", " เลยย", "!!", " ตลอด", " ล่ะ",
           " มาก", " แหละ", " จ้า"]


def _corrections() -> list[Example]:
    texts = [p.format(e) for p in PRAISE for e in ENDINGS]
    return [Example(f"m{i}", t, "pos") for i, t in enumerate(texts)]


@pytest.fixture(scope="module")
def small():
    base = read_shipped("train")[:1500]
    test = read_shipped("test")[:150]
    return base, test


def test_held_out_share_is_stable_and_about_right():
    ids = [f"id{i}" for i in range(2000)]
    out = [i for i in ids if held_out(i, 0.25)]
    assert 400 < len(out) < 600 and out == [i for i in ids if held_out(i, 0.25)]


@pytest.mark.slow
def test_retrain_keeps_a_better_model_versions_and_rolls_back(tmp_path: Path, small):
    base, test = small
    messages: list[str] = []
    report = retrain(_corrections(), tmp_path, "linear-v3", weight=20, base=base, test=test, tolerance=1.0,
                     progress=messages.append)
    assert report.kept and report.version == "v1", report
    assert report.scores["new"]["held_out"]["accuracy"] > report.scores["current"]["held_out"]["accuracy"]
    assert any("fitted in" in m for m in messages) and messages[-1] == "kept as v1 (now active)"
    assert versions.active(tmp_path) == "v1"
    info = versions.info(tmp_path, "v1")
    assert info["corrections"] == 48 and info["previous"] == "shipped"
    # enrichment now runs the trained model; the phrase reads as praise
    engine = local_engine("linear-v3", tmp_path)
    assert engine.startswith("trained:linear-v3:")
    [m] = Enricher(sentiment_model=engine).enrich([_mention("แอปสายฟ้าตึงมากเลยจ้า")])
    assert m.sentiment.label == "pos"
    # a second run with a strict tolerance on a tiny base is worse on the test split: not kept
    # (and an extra set, as `sadap eval train` passes the organisation's held-out messages, is
    # scored for both engines all the same: what the rejected refit would have done there)
    also = ([t for t, _ in test[:40]], [lab for _, lab in test[:40]])
    report = retrain(_corrections(), tmp_path, "linear-v3", weight=20, base=base[:200], test=test, tolerance=0.0,
                     also=also)
    assert not report.kept and "Wisesight test" in report.reason
    assert report.scores["current"]["also"]["n"] == report.scores["new"]["also"]["n"] == 40
    assert report.scores["current"]["also"] == score(get_model(local_engine("linear-v3", tmp_path)), *also)
    assert versions.versions(tmp_path) == ["v1"] and versions.active(tmp_path) == "v1"
    versions.activate(tmp_path, versions.previous(tmp_path))
    assert versions.active(tmp_path) is None and local_engine("linear-v3", tmp_path) == "linear-v3"


def test_too_few_corrections_is_one_line(tmp_path: Path, small):
    from sadap.core.errors import InputError

    with pytest.raises(InputError, match="at least 8 mentions with a corrected sentiment; there are 3"):
        retrain(_corrections()[:3], tmp_path, "linear-v3", base=small[0], test=small[1])


def _mention(text: str):
    from sadap.core.mention import RawMention, to_mention

    return to_mention(RawMention(source_kind="file", source_name="t", text=text), pseudonym_key=b"k")


CONFIG = """data_dir: data
enrich:
  sentiment_model: linear-v3
rules: []
notifiers: []
"""


def _labels(config) -> list[str]:
    from sadap.store import MentionFilter, open_store

    with open_store(config) as store:
        return [m.sentiment.label for m in store.page_by_id(MentionFilter(), limit=10)]


@pytest.mark.slow
def test_cli_list_rollback_and_reenrich_applies_the_active_version(tmp_path: Path, small):
    cfg = tmp_path / "sadap.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    config = load_config_file(cfg)
    src = tmp_path / "posts.jsonl"
    src.write_text(json.dumps({"id": "x", "text": "แอปสายฟ้าตึงมากเลยจ้า"}, ensure_ascii=False) + "\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(src), "--config", str(cfg)]).exit_code == 0
    before = _labels(config)
    # train through the library on the small slice, into this organisation's data directory
    report = retrain(_corrections(), config.data_path, "linear-v3", weight=20, base=small[0], test=small[1], tolerance=1.0)
    assert report.kept
    r = runner.invoke(main, ["train", "--list", "--config", str(cfg)])
    assert r.exit_code == 0 and "* v1" in r.output and "  shipped" in r.output, r.output
    r = runner.invoke(main, ["reenrich", "--config", str(cfg), "--json"])
    assert r.exit_code == 0, r.output
    assert _labels(config) == ["pos"] != before
    r = runner.invoke(main, ["train", "--rollback", "--config", str(cfg)])
    assert r.exit_code == 0 and "sentiment model: v1 → shipped (run sadap reenrich to apply it)" in r.output
    r = runner.invoke(main, ["train", "--rollback", "v9", "--config", str(cfg)])
    assert r.exit_code == 1 and "no trained sentiment version 'v9'; stored: v1 (or shipped)" in r.output
    r = runner.invoke(main, ["train", "--rollback", "v1", "--config", str(cfg)])
    assert r.exit_code == 0 and "sentiment model: shipped → v1" in r.output
    # with no corrections in the store, train says what to do
    r = runner.invoke(main, ["train", "--config", str(cfg)])
    assert r.exit_code == 1 and "sadap label" in r.output


# -- rollback: to the version active before, and what changed --------------------------------
def _fake_version(data: Path, name: str, previous: str | None) -> None:
    vdir = versions.root(data) / name
    vdir.mkdir(parents=True)
    (vdir / versions.model_file).write_bytes(b"")  # never loaded: only --rollback and --list read these
    info = {"corrections": 40} if previous is None else {"corrections": 40, "previous": previous}
    (vdir / "version.json").write_text(json.dumps(info), encoding="utf-8")


def test_rollback_goes_to_the_version_active_before_and_says_what_changed(tmp_path: Path):
    cfg = tmp_path / "sadap.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    data = load_config_file(cfg).data_path
    # v1 trained; v2 trained over it and rolled back (v1 again); v3 trained over v1
    _fake_version(data, "v1", "shipped")
    _fake_version(data, "v2", "v1")
    _fake_version(data, "v3", "v1")
    versions.activate(data, "v3")
    runner = CliRunner()
    r = runner.invoke(main, ["train", "--rollback", "--config", str(cfg)])
    assert r.exit_code == 0 and r.output == "sentiment model: v3 → v1 (run sadap reenrich to apply it)\n", r.output
    r = runner.invoke(main, ["train", "--rollback", "--config", str(cfg), "--json"])
    assert r.exit_code == 0 and json.loads(r.output) == {"active": "shipped", "previous": "v1", "changed": True}
    r = runner.invoke(main, ["train", "--rollback", "--config", str(cfg)])
    assert r.exit_code == 1 and "already on the shipped model; nothing to roll back" in r.output, r.output
    assert versions.active(data) is None
    r = runner.invoke(main, ["train", "--rollback", "shipped", "--config", str(cfg)])
    assert r.exit_code == 0 and r.output == "sentiment model: already shipped; nothing changed\n", r.output
    r = runner.invoke(main, ["train", "--only", "voc", "--rollback", "--config", str(cfg)])
    assert r.exit_code == 1 and "already on the shipped voice-of-customer classifier; nothing to roll back" in r.output


def test_rollback_without_a_recorded_previous_goes_to_the_next_lower_version(tmp_path: Path):
    _fake_version(tmp_path, "v1", "shipped")
    _fake_version(tmp_path, "v2", None)  # trained before `previous` was recorded
    _fake_version(tmp_path, "v4", "v3")  # v3 deleted since
    versions.activate(tmp_path, "v4")
    assert versions.previous(tmp_path) == "v2"
    versions.activate(tmp_path, "v2")
    assert versions.previous(tmp_path) == "v1"
    versions.activate(tmp_path, "v1")
    assert versions.previous(tmp_path) == "shipped"


# -- which refits run, and why one did not -----------------------------------------------------
COMPLAINTS = ["แอปสายฟ้าหมุนติ้ว{}", "สายฟ้าหมุนติ้วอีกละ{}", "โอนเงินสายฟ้าหมุนติ้ว{}"]


def _store_with_corrections(tmp_path: Path, engine: str) -> Path:
    """12 mentions: all with a corrected expectation and complaint flag, 3 with a sentiment too."""
    from sadap.app.importer import import_file
    from sadap.store import MentionFilter, open_store

    cfg = tmp_path / "sadap.yaml"
    cfg.write_text(CONFIG.replace("linear-v3", f"{engine}\n  voc: learned"), encoding="utf-8")
    texts = [p.format(e) for p in COMPLAINTS for e in ENDINGS[:4]]
    src = tmp_path / "posts.jsonl"
    src.write_text("".join(json.dumps({"id": str(i), "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts)),
                   encoding="utf-8")
    config = load_config_file(cfg)
    assert import_file(config, src)["stored"] == len(texts)
    with open_store(config) as store:
        ids = [m.id for m in store.page_by_id(MentionFilter(), limit=100)]
    runner = CliRunner()
    for n, i in enumerate(ids):
        args = ["label", i, "--config", str(cfg), "--complaint", "yes", "--expectation", "disappointed", "--by", "ploy"]
        r = runner.invoke(main, args + (["--sentiment", "neg"] if n < 3 else []))
        assert r.exit_code == 0, r.output
    return cfg


@pytest.mark.slow
def test_train_says_which_refit_it_skipped_and_why(tmp_path: Path):
    cfg = _store_with_corrections(tmp_path, "linear-v3")
    r = CliRunner().invoke(main, ["train", "--config", str(cfg)])
    assert r.exit_code == 0, r.output
    assert ("sentiment: not refitted: 3 mentions with a corrected sentiment, needs 8 (sadap label ID --sentiment …)"
            in r.stdout.splitlines()), r.stdout
    assert "expectation and complaint: " in r.stdout  # the classifier was refitted
    r = CliRunner().invoke(main, ["train", "--config", str(cfg), "--json"])
    out = json.loads(r.stdout)
    assert out["sentiment"] is None and out["voc"] is not None
    assert out["skipped"] == {"sentiment": "sentiment: not refitted: 3 mentions with a corrected sentiment, needs 8 "
                                           "(sadap label ID --sentiment …)"}


@pytest.mark.slow
def test_an_engine_that_cannot_be_retrained_leaves_the_classifier_refit(tmp_path: Path):
    cfg = _store_with_corrections(tmp_path, "linear-v1")
    r = CliRunner().invoke(main, ["train", "--config", str(cfg), "--json"])
    assert r.exit_code == 0, r.output
    assert r.stderr.splitlines() == ["sentiment: not refitted: the configured engine 'linear-v1' cannot be retrained "
                                     "(sadap train refits linear-v3 or ensemble-v4 or ensemble-v3)"], r.stderr
    out = json.loads(r.stdout)
    assert out["sentiment"] is None and out["voc"]["corrections"] == 12 and "sentiment" in out["skipped"]
    r = CliRunner().invoke(main, ["train", "--only", "sentiment", "--config", str(cfg)])
    assert r.exit_code == 1 and "the configured engine is 'linear-v1' (use --only voc" in r.output, r.output
