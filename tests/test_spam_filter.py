"""Hiding spam/bot-like mentions (``max_spam_score``): a SQLite file made before the score
had its own column, `sadap search --max-spam-score`, and alert rules that ignore spam.
Real Thai posts, scored by the real enrichment; the store contract tests (both backends)
are in tests/test_store_contract.py."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from click.testing import CliRunner

from sadap.app.alerting import build_engine
from enrich.normalize import normalize
from enrich.spam import spam_score
from sadap.app.cli import main
from sadap.app.config import Config, load_config_file
from sadap.core.errors import ConfigError
from sadap.app.importer import import_file
from sadap.store import MentionFilter
from sadap.store.sqlite import SCHEMA_VERSION, SQLiteStore
from tests.factories import ENTITY, mention
from tests.test_alerts import NOW

COMPLAINTS = [
    "แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้เลย แย่มาก",
    "เข้าแอปไม่ได้ตั้งแต่เช้า ธนาคารแสงทองช่วยด้วย",
    "โดนตัดเงินสองรอบ ติดต่อคอลเซ็นเตอร์แสงทองก็ไม่มีคนรับสาย",
    "ผิดหวังกับธนาคารแสงทองมาก ระบบแย่ทุกสิ้นเดือน",
    "รอคิวคอลเซ็นเตอร์แสงทองชั่วโมงนึงแล้วยังไม่ได้คุยกับใคร",
]
SPAM = [
    "แสงทองโปรโมชั่นราคาพิเศษ สนใจสั่งซื้อทักแชทเลย ส่งฟรี",
    "รายได้เสริม งานออนไลน์ ทำงานที่บ้าน สมัครเลย https://bit.ly/xx แสงทอง",
    "สล็อตเว็บตรง เครดิตฟรี ฝากถอนไม่มีขั้นต่ำ แอดไลน์ @slot888 #แสงทอง #สล็อต #เครดิตฟรี",
    "เงินด่วน ไม่เช็คบูโร สินเชื่อด่วน ทักไลน์ ลูกค้าแสงทองกู้ได้",
]


def scored(m):
    m.spam_score = spam_score(normalize(m.text))
    return m


# -- SQLite: the column, the migration, the plan ---------------------------------------
def test_store_made_before_the_column_gains_it_from_the_stored_documents(tmp_path):
    path = tmp_path / "old.db"
    ham = scored(mention(1, COMPLAINTS[0], "neg", NOW))
    spam = scored(mention(2, SPAM[0], "neu", NOW))
    unscored = mention(3, COMPLAINTS[1], "neg", NOW)
    assert ham.spam_score == 0.0 and spam.spam_score >= 0.7 and unscored.spam_score is None
    store = SQLiteStore(path)
    store.upsert([ham, spam, unscored])
    store.close()
    # Turn the file into what schema 1 was: the same table without the column.
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE mentions DROP COLUMN spam_score")
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()

    for _ in range(2):  # the second open finds nothing to do
        store = SQLiteStore(path)
        assert store.count(MentionFilter(max_spam_score=0.5)) == 2
        assert {m.id for m in store.search(MentionFilter(max_spam_score=0.5))} == {ham.id, unscored.id}
        store.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 11
    assert dict(db.execute("SELECT id, spam_score FROM mentions").fetchall()) == {
        ham.id: 0.0, spam.id: spam.spam_score, unscored.id: None,
    }
    db.close()


def test_spam_clause_keeps_the_time_index(tmp_path):
    store = SQLiteStore(tmp_path / "plan.db")
    store.upsert([scored(mention(i, (COMPLAINTS + SPAM)[i], "neg", NOW - timedelta(hours=i))) for i in range(9)])
    flt = MentionFilter(since=NOW - timedelta(hours=6), max_spam_score=0.5)
    where, params = store._where(flt)
    plan = " ".join(str(row) for row in store._query(f"EXPLAIN QUERY PLAN SELECT COUNT(*) FROM mentions m{where}", params))
    assert "mentions_published" in plan
    assert store.count(flt) == 5  # the five complaints; two spam posts in the window are left out
    assert store.count(MentionFilter(since=NOW - timedelta(hours=6))) == 7
    store.close()


# -- the command line -------------------------------------------------------------
@pytest.fixture
def imported(tmp_path):
    """Complaints and spam imported through the real enrichment (the fast sentiment engine),
    plus one mention stored unscored, as by an older Sadap."""
    (tmp_path / "sadap.yaml").write_text(
        "data_dir: data\nwatch:\n  - name: ธนาคารแสงทอง\n    aliases: [แสงทอง]\nrules: []\nnotifiers: []\n"
        "enrich:\n  sentiment_model: linear-v3\n",
        encoding="utf-8",
    )
    config = load_config_file(tmp_path / "sadap.yaml")
    rows = [{"id": f"c{i}", "text": t, "published_at": "2026-11-20T09:00:00"} for i, t in enumerate(COMPLAINTS[:3])]
    rows += [{"id": f"s{i}", "text": t, "published_at": "2026-11-20T10:00:00"} for i, t in enumerate(SPAM)]
    (tmp_path / "social.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    assert import_file(config, tmp_path / "social.jsonl", progress=False)["stored"] == 7
    store = SQLiteStore(config.store_path)
    store.upsert([mention(9, COMPLAINTS[3], "neg", NOW)])
    store.close()
    return config


def search(config, *args):
    return CliRunner().invoke(main, ["search", "แสงทอง OR ธนาคารแสงทอง", "--config", str(config.path), *args])


def test_search_hides_spam_above_the_score(imported):
    everything = json.loads(search(imported, "--json").output)
    assert len(everything) == 8
    scores = [m["spam_score"] for m in everything]
    assert sum(1 for x in scores if x is not None and x > 0.5) == len(SPAM) and scores.count(None) == 1
    done = search(imported, "--json", "--max-spam-score", "0.5")
    assert done.exit_code == 0, done.output
    kept = json.loads(done.output)
    assert sorted(m["text"] for m in kept) == sorted(COMPLAINTS[:4])
    assert [m["spam_score"] for m in kept if m["spam_score"] is None] == [None]  # the unscored one stays
    shown = search(imported, "--max-spam-score", "0.5")
    assert shown.exit_code == 0 and shown.output.startswith("พบ 4 ข้อความ (แสดง 4)")
    assert "โปรโมชั่น" not in shown.output and "สล็อต" not in shown.output
    assert json.loads(search(imported, "--json", "--max-spam-score", "1").output) == everything


@pytest.mark.parametrize("value", ["1.5", "-0.1", "nan", "ครึ่ง"])
def test_search_refuses_a_score_outside_0_to_1(imported, value):
    done = search(imported, "--max-spam-score", value)
    assert done.exit_code == 2
    [error] = [line for line in done.output.splitlines() if line.startswith("Error:")]
    assert "--max-spam-score" in error


# -- alert rules ------------------------------------------------------------------
SURGE = {"id": "surge", "type": "threshold", "title": "พูดถึงแสงทองมากผิดปกติ", "group_by": "entity", "window": "1h", "limit": 5}


def engine_for(store, rules):
    return build_engine(Config.model_validate({"rules": rules, "notifiers": []}), store, notifiers=[])


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore(tmp_path / "rules.db")
    yield s
    s.close()


def test_rule_with_max_spam_score_does_not_count_spam(store):
    real = [scored(mention(i, COMPLAINTS[i], "neg", NOW - timedelta(minutes=50 - i))) for i in range(3)]
    spam = [scored(mention(100 + i, SPAM[i], "neu", NOW - timedelta(minutes=30 - i))) for i in range(4)]
    store.upsert(real + spam)
    [noisy] = engine_for(store, [SURGE]).check(NOW)
    assert noisy.key == ENTITY and noisy.count == 7
    assert engine_for(store, [{**SURGE, "max_spam_score": 0.5}]).check(NOW) == []  # 3 real mentions only

    more = [mention(10 + i, COMPLAINTS[3 + i], "neg", NOW - timedelta(minutes=20 - i)) for i in range(2)]  # unscored
    store.upsert(more)
    [alert] = engine_for(store, [{**SURGE, "id": "surge-clean", "max_spam_score": 0.5}]).check(NOW)
    assert alert.count == 5
    assert set(alert.mention_ids) == {m.id for m in real + more}


def test_watch_rule_ignores_a_spam_batch_at_ingest(store):
    watch = {"id": "bank-watch", "type": "watch", "title": "มีคนพูดถึงแสงทอง", "group_by": "entity", "max_spam_score": 0.5}
    spam = [scored(mention(200 + i, SPAM[i], "neu", NOW - timedelta(minutes=5), collected=NOW - timedelta(minutes=4))) for i in range(2)]
    store.upsert(spam)
    engine = engine_for(store, [watch])
    assert engine.check(NOW, ids=[m.id for m in spam]) == []
    real = scored(mention(300, COMPLAINTS[0], "neg", NOW - timedelta(minutes=2), collected=NOW - timedelta(minutes=1)))
    store.upsert([real])
    [alert] = engine.check(NOW, ids=[real.id])
    assert alert.count == 1 and alert.mention_ids == [real.id]


def test_rule_max_spam_score_is_checked_with_its_line(tmp_path):
    path = tmp_path / "sadap.yaml"
    path.write_text(
        "rules:\n  - id: surge\n    type: threshold\n    title: t\n    limit: 5\n    max_spam_score: 1.5\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as err:
        load_config_file(path)
    assert str(err.value).startswith(f"{path}:6: rules[0].max_spam_score:")
    assert "1" in str(err.value).splitlines()[0]
