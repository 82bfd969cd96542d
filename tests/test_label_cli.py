"""`sadap label`: a person's labels on a stored mention (real SQLite file), checked against the
label registries (configured lexicon names included), shown at once, kept by `sadap reenrich`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sadap.app.cli import main
from sadap.app.config import load_config_file
from sadap.app.importer import import_file
from sadap.store import MentionFilter, open_store

CONFIG = """data_dir: data
watch:
  - name: ธนาคารแสงทอง
    aliases: [แสงทอง]
enrich:
  sentiment_model: linear-v3
  categories:
    account_opening: [เปิดบัญชี]
rules: []
notifiers: []
"""
ROWS = [
    "เก่งมากเลยค่ะแสงทอง ล่มทุกวันเงินเดือนออก",
    "แอปแสงทองใช้ง่ายดี",
]


@pytest.fixture
def env(tmp_path: Path):
    cfg = tmp_path / "sadap.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    src = tmp_path / "posts.jsonl"
    src.write_text("".join(json.dumps({"id": str(i), "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(ROWS)),
                   encoding="utf-8")
    config = load_config_file(cfg)
    assert import_file(config, src)["stored"] == 2
    with open_store(config) as store:
        ids = {m.text: m.id for m in store.page_by_id(MentionFilter(), limit=10)}
    return cfg, config, ids


def test_label_corrects_shows_and_survives_reenrich(env):
    cfg, config, ids = env
    sarcasm = ids[ROWS[0]]
    runner = CliRunner()
    r = runner.invoke(main, ["label", sarcasm, "--config", str(cfg), "--sentiment", "neg", "--expectation",
                             "disappointed", "--complaint", "yes", "--type", "digital_outage", "--by", "ploy"])
    assert r.exit_code == 0, r.output
    assert "เชิงลบ" in r.output and "ผิดหวัง" in r.output and "digital_outage" in r.output and "ploy:" in r.output
    # a category the organisation added is allowed
    r = runner.invoke(main, ["label", ids[ROWS[1]], "--config", str(cfg), "--category", "account_opening",
                             "--expectation", "satisfied", "--json"])
    assert r.exit_code == 0, r.output
    shown = json.loads(r.output)
    assert shown["category"] == "account_opening" and shown["corrected"]["by"].startswith("cli")
    assert shown["history"][0]["fields"] == {"expectation": "satisfied", "category": "account_opening"}

    r = runner.invoke(main, ["reenrich", "--config", str(cfg), "--json"])
    assert r.exit_code == 0, r.output
    with open_store(config) as store:
        m = store.get(sarcasm)
        assert m.sentiment.label == "neg" and m.expectation == "disappointed"
        assert m.complaint.is_complaint and m.complaint.type == "digital_outage"
        assert m.corrected.by == "ploy"
        assert store.get(ids[ROWS[1]]).category == "account_opening"


@pytest.mark.parametrize("args, message", [
    (["--sentiment", "angry"], "sentiment 'angry' is not one of: pos, neu, neg, q"),
    (["--expectation", "happy"], "expectation 'happy' is not one of: delighted, satisfied, disappointed, none"),
    (["--category", "weather"], "category 'weather' is not one of: transaction, customer_support"),
    (["--type", "slow"], "type 'slow' is not one of:"),
    (["--complaint", "maybe"], "complaint 'maybe': use yes or no"),
    (["--complaint", "no", "--type", "price_billing"], "no complaint type"),
])
def test_bad_values_get_one_line_and_change_nothing(env, args, message):
    cfg, config, ids = env
    mid = ids[ROWS[0]]
    with open_store(config) as store:
        before = store.get(mid)
    r = CliRunner().invoke(main, ["label", mid, "--config", str(cfg), *args])
    assert r.exit_code == 1 and message in r.output and len(r.output.strip().splitlines()) == 1, r.output
    with open_store(config) as store:
        assert store.get(mid) == before and store.corrections() == []


def test_unknown_mention(env):
    cfg, _, _ = env
    r = CliRunner().invoke(main, ["label", "nope", "--config", str(cfg), "--sentiment", "neg"])
    assert r.exit_code == 1 and "no mention 'nope'" in r.output


def test_search_shows_ids_that_label_and_respond_take_by_their_start(tmp_path: Path):
    cfg = tmp_path / "sadap.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    src = tmp_path / "posts.jsonl"
    # 20 mentions: at least two ids share their first hex digit (a prefix of several)
    src.write_text("".join(json.dumps({"id": str(i), "text": f"แอปแสงทองล่มอีกแล้ว ครั้งที่ {i}"}, ensure_ascii=False) + "\n"
                           for i in range(20)), encoding="utf-8")
    config = load_config_file(cfg)
    assert import_file(config, src)["stored"] == 20
    runner = CliRunner()
    r = runner.invoke(main, ["search", "ล่ม", "--limit", "3", "--config", str(cfg)])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()[1:]
    assert len(lines) == 3
    with open_store(config) as store:
        ids = sorted(m.id for m in store.page_by_id(MentionFilter(), limit=100))
    short = lines[0].split()[0]
    assert len(short) == 12 and sum(i.startswith(short) for i in ids) == 1, lines[0]
    [full] = [i for i in ids if i.startswith(short)]

    r = runner.invoke(main, ["label", short, "--sentiment", "neg", "--by", "ploy", "--config", str(cfg)])
    assert r.exit_code == 0 and r.output.startswith(full), r.output
    r = runner.invoke(main, ["mentions", "respond", short, "ขออภัยค่ะ กำลังแก้ไข", "--by", "ploy", "--config", str(cfg)])
    assert r.exit_code == 0 and r.output == f"ok {full}\n", r.output
    with open_store(config) as store:
        assert store.get(full).corrected.by == "ploy" and len(store.responses(full)) == 1

    shared = next(a[0] for a, b in zip(ids, ids[1:]) if a[0] == b[0])
    for cmd in (lambda i: ["label", i, "--sentiment", "pos"], lambda i: ["mentions", "respond", i, "ตอบแล้ว"]):
        r = runner.invoke(main, [*cmd(shared), "--config", str(cfg)])
        assert r.exit_code == 1 and "is the start of several mention ids" in r.output, r.output
        assert len(r.output.strip().splitlines()) == 1
        r = runner.invoke(main, [*cmd("ffffzz"), "--config", str(cfg)])
        assert r.exit_code == 1 and "no mention 'ffffzz'" in r.output and len(r.output.strip().splitlines()) == 1
    with open_store(config) as store:
        assert store.corrected_ids() == [full] and len(store.responses_for(ids)) == 1
