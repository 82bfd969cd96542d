"""Snooze keys are read as the rule's alerts carry them (sadap/app/snooze_keys.py, used by
`sadap alerts snooze` and the web's rules page): a hashtag as it is written in a post, an
entity's alias, a sentiment in capitals all silence the alert they mean; a key the rule can
never produce is refused in one line, naming what is allowed; a free-text key no mention has
yet is kept with a warning."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sadap.app.alerting import build_engine
from sadap.app.config import Config
from sadap.app.snooze_keys import snooze_key
from sadap.core.errors import InputError
from sadap.store.sqlite import SQLiteStore
from tests.factories import ENTITY, mention
from tests.test_alerts import NOW

RULES = [
    {"id": "tag-volume", "type": "threshold", "title": "แฮชแท็กพุ่ง", "group_by": "hashtag", "window": "1h", "limit": 5},
    {"id": "brand-volume", "type": "threshold", "title": "พูดถึงมาก", "group_by": "entity", "window": "1h", "limit": 5},
    {"id": "negative", "type": "threshold", "title": "ลบ", "group_by": "sentiment", "window": "1h", "limit": 5},
    {"id": "everything", "type": "threshold", "title": "ทั้งหมด", "window": "1h", "limit": 5},
    {"id": "new-tags", "type": "new_term", "title": "แท็กใหม่", "field": "hashtag"},
    {"id": "topics", "type": "threshold", "title": "หมวด", "group_by": "category", "window": "1h", "limit": 5},
]


@pytest.fixture
def setup(tmp_path):
    store = SQLiteStore(tmp_path / "snooze.db")
    ms = []
    for i in range(6):
        m = mention(i, "ได้ยินว่า #SaengThongDown จริงไหม แสงทองล่มอีกแล้ว", "neg", NOW - timedelta(minutes=30 - i))
        m.hashtags = ["saengthongdown"]  # as enrich.hashtags stores it: lower-case, no '#'
        ms.append(m)
    store.upsert(ms)
    config = Config.model_validate({"rules": RULES, "notifiers": [],
                                    "watch": [{"name": ENTITY, "aliases": ["แสงทอง", "Saengthong"]}]})
    yield config, store
    store.close()


def _snooze(config, store, rule_id: str, raw: str) -> str:
    rule = next(r for r in config.alert_rules if r.id == rule_id)
    checked = snooze_key(config, store, rule, raw)
    store.snooze(rule_id, checked.key, NOW + timedelta(hours=6), "somchai", "รู้แล้ว")
    return checked.key


def test_a_hashtag_as_posted_and_an_alias_silence_their_alerts(setup):
    config, store = setup
    engine = build_engine(config, store, notifiers=[])
    assert {(a.rule, a.key) for a in engine.check(NOW, dry_run=True)} >= {
        ("tag-volume", "saengthongdown"), ("brand-volume", ENTITY), ("negative", "neg")}
    assert _snooze(config, store, "tag-volume", "#SaengThongDown") == "saengthongdown"
    assert _snooze(config, store, "brand-volume", " saengthong ") == ENTITY
    assert _snooze(config, store, "negative", "NEG") == "neg"
    fired = {a.rule for a in build_engine(config, store, notifiers=[]).check(NOW, dry_run=True)}
    assert not fired & {"tag-volume", "brand-volume", "negative"}, fired


def test_keys_are_read_the_same_whatever_the_field(setup):
    config, store = setup
    rule = {r.id: r for r in config.alert_rules}
    assert snooze_key(config, store, rule["new-tags"], "#SaengThongDown").key == "saengthongdown"  # new_term: its field
    assert snooze_key(config, store, rule["topics"], "การทำธุรกรรม").key == "transaction"  # a category's Thai name (standard 003's words)
    assert snooze_key(config, store, rule["everything"], " * ").key == "*"
    assert snooze_key(config, store, rule["brand-volume"], ENTITY).warning is None


@pytest.mark.parametrize(
    "rule_id, raw, says",
    [
        ("brand-volume", "แสงทองกรุ๊ป", f"it is not a watched name or alias; allowed: {ENTITY}, or * for every key"),
        ("negative", "angry", "it is not a sentiment value; allowed: neg, neu, pos, q, or * for every key"),
        ("everything", "#SaengThongDown", "it has no group_by, so its alerts have no key; allowed: * (every key)"),
    ],
)
def test_a_key_the_rule_cannot_produce_is_refused_in_one_line(setup, rule_id, raw, says):
    config, store = setup
    rule = next(r for r in config.alert_rules if r.id == rule_id)
    with pytest.raises(InputError) as err:
        snooze_key(config, store, rule, raw)
    text = str(err.value)
    assert "\n" not in text and text.startswith(f"กฎ {rule_id} ใช้คีย์ {raw!r} ไม่ได้") and says in text, text


def test_a_free_text_key_no_mention_has_is_kept_with_a_warning(setup):
    config, store = setup
    rule = next(r for r in config.alert_rules if r.id == "tag-volume")
    checked = snooze_key(config, store, rule, "#ThongLom")
    assert checked.key == "thonglom"
    assert checked.warning is not None and "\n" not in checked.warning
    assert checked.warning.startswith("คำเตือน:") and "no stored mention has hashtag 'thonglom' yet" in checked.warning
