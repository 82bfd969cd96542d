"""Attacks on Sadap's PDPA promises by a reviewer who did not write them: personal data written
to dodge the masks (full-width digits, zero-width spaces, Unicode dashes, an ID number split over
a line break, ``(+66)``), and an erasure undone by restoring an older backup. A real SQLite file,
the real CLI, real Thai text."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from enrich.privacy import mask_personal_data
from sadap.app import backup as backups
from sadap.app import erasure_register
from sadap.app.cli import main
from sadap.app.config import load_config_file
from sadap.app.ingest import IngestPipeline
from sadap.core.mention import Mention, RawMention, mention_id
from sadap.core.timeutil import now_utc
from sadap.store import MentionFilter, open_store
from sadap.store.es_spool import Spool

NAME = "somchai_jaidee"
SECRET_TEXT = "ร้านขนมปังลุงทองหล่อซอยเจ็ดปิดถาวรแล้วหรือครับ"
OTHER = "พนักงานสาขาขอนแก่นบริการดีมาก ประทับใจค่ะ"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("โทร ０８１-２３４-５６７８ นะคะ", "โทร [โทร] นะคะ"),  # full-width digits (a Thai IME's)
        ("โทร 081\u200b234\u200b5678 นะคะ", "โทร [โทร] นะคะ"),  # zero-width spaces inside the number
        ("โทร 081\u2010234\u20105678", "โทร [โทร]"),  # Unicode hyphen
        ("โทร 081\u2212234\u22125678", "โทร [โทร]"),  # minus sign
        ("โทร (+66) 81-234-5678 ค่ะ", "โทร [โทร] ค่ะ"),
        ("บัตร １１０１７００２３０７０８", "บัตร [เลขบัตร]"),
        ("บัตร 1\u200b1017\u200b00230\u200b70\u200b8", "บัตร [เลขบัตร]"),
        ("บัตร 1-1017-\n00230-70-8 ค่ะ", "บัตร [เลขบัตร] ค่ะ"),  # split over a line break
        ("บัตร 1101700\n230708 ค่ะ", "บัตร [เลขบัตร] ค่ะ"),
        ("บัตร 1.1017.00230.70.8", "บัตร [เลขบัตร]"),
        ("เมล ｓｏｍｃｈａｉ＠ｇｍａｉｌ．ｃｏｍ ครับ", "เมล [อีเมล] ครับ"),
        ("เมล somchai@gmail\u200b.com", "เมล [อีเมล]"),
        ("ไลน์ ＠somchai_k", "ไลน์ [@]"),
    ],
)
def test_personal_data_written_to_dodge_the_masks_is_masked(text, expected):
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ราคา ๑,๒๙๙ บาท ส่งฟรี",
        "ข้อ 1\n2 ข้อ",  # a list over lines is no ID number
        "ครอบครัว 👨\u200d👩\u200d👧 มาเที่ยว",  # emoji joined by a zero-width joiner stay joined
        "ปี 2566\u20132567",  # a range of years with an en dash
        "เลขพัสดุ 1101700\n230709",  # 13 digits over a line break, wrong check digit
    ],
)
def test_folding_leaves_ordinary_text_alone(text):
    assert mask_personal_data(text) == text


def _config(tmp_path: Path):
    (tmp_path / "sadap.yaml").write_text(
        "data_dir: data\nrules: []\nnotifiers: []\nprivacy:\n  keep_author_names: true\n", encoding="utf-8")
    return load_config_file(tmp_path / "sadap.yaml")


def _run(config, *args: str):
    return CliRunner().invoke(main, [*args, "--config", str(config.path)])


def _file_bytes(config) -> bytes:
    db = config.store_path
    return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def test_restoring_an_older_backup_does_not_bring_erased_data_back(tmp_path):
    config = _config(tmp_path)
    pipeline = IngestPipeline(config, alerts=False)
    pipeline.process([
        RawMention(source_kind="file", source_name="social", native_id="p1", text=SECRET_TEXT, author=NAME),
        RawMention(source_kind="file", source_name="social", native_id="p2", text="ทองหล่อซอยเจ็ดเปิดกี่โมงคะ", author="malee"),
        RawMention(source_kind="file", source_name="social", native_id="o1", text=OTHER, author="user1"),
    ])
    pipeline.close()
    with open_store(config) as store:
        # a new_term rule fired on the person's handle: a snooze keyed by it
        store.snooze("new-tag", NAME, now_utc() + timedelta(days=1), "oncall", f"เฝ้าดู {NAME} แล้ว")
    archive = backups.backup(config).path
    by_author = _run(config, "privacy", "erase", "--author", NAME, "--reference", "PDPA-2569-101")
    assert by_author.exit_code == 0, by_author.output
    by_id = _run(config, "privacy", "erase", "--mention", mention_id("social", "p2"), "--reference", "PDPA-2569-102")
    assert by_id.exit_code == 0, by_id.output

    result = _run(config, "backup", "restore", str(archive), "--replace")
    assert result.exit_code == 0, result.output
    with open_store(config) as store:
        left = {m.native_id for m in store.search(MentionFilter(), limit=100)}
        snoozed = [s["key"] for s in store.snoozes()]
    assert left == {"o1"}, result.output
    assert snoozed == []
    data = _file_bytes(config)
    assert SECRET_TEXT.encode() not in data and "ทองหล่อ".encode() not in data and NAME.encode() not in data
    assert OTHER.encode() in data
    assert "ลบซ้ำแล้ว: ข้อความ 2" in result.output  # the restore says it erased them again
    # the register that made it possible names nobody and no mention
    register = b"".join(p.read_bytes() for p in config.data_path.glob("privacy-erase*"))
    assert register and NAME.encode() not in register and b"p1" not in register and b"p2" not in register
    audit = [json.loads(line) for line in (config.data_path / "privacy-audit.jsonl").read_text().splitlines()]
    assert [r["action"] for r in audit][-2:] == ["restore", "erase"] and audit[-1]["basis"] == "restore"


def test_personal_data_in_a_mentions_link_query_is_masked_in_the_store(tmp_path):
    """A review imported with its page's link: the shop put the reviewer's e-mail address and
    phone number in the query string. The text is masked; the link must be too."""
    config = _config(tmp_path)
    url = "https://shop.example.co.th/review?item=55&email=somchai%40gmail.com&tel=081-234-5678&page=2"
    pipeline = IngestPipeline(config, alerts=False)
    pipeline.process([RawMention(source_kind="file", source_name="reviews", native_id="r1", url=url,
                                 text="ส่งของช้ามาก โทรไปก็ไม่มีคนรับ", author="somchai")])
    pipeline.close()
    with open_store(config) as store:
        [stored] = store.search(MentionFilter(), limit=10)
    assert stored.url is not None and "somchai" not in stored.url and "5678" not in stored.url, stored.url
    assert "item=55" in stored.url and "page=2" in stored.url  # the rest of the link still opens the page
    data = _file_bytes(config)
    assert b"somchai%40gmail.com" not in data and b"081-234-5678" not in data


def test_restoring_an_older_backup_on_elasticsearch_does_not_put_erased_mentions_back_in_the_spool(tmp_path):
    """On Elasticsearch the archive holds the spool (mentions waiting for the cluster): an older
    one would replay an erased person's posts into the cluster."""
    (tmp_path / "sadap.yaml").write_text("data_dir: data\nnotifiers: []\nstore:\n  backend: elasticsearch\n",
                                         encoding="utf-8")
    config = load_config_file(tmp_path / "sadap.yaml")
    config.pseudonym_key()
    now = now_utc()
    waiting = [Mention(id=mention_id("social", n), source_kind="file", source_name="social", native_id=n, author_id=a,
                       published_at=now, collected_at=now, text=t)
               for n, a, t in (("p1", "a_1111111111111111", SECRET_TEXT), ("o1", "a_2222222222222222", OTHER))]
    spool = Spool(config.data_path / config.store.elasticsearch.spool_dir)
    spool.write(waiting)
    archive = backups.backup(config).path
    # what `sadap privacy erase --author` does to the spool (the cluster is not needed for it)
    erasure_register.record(config.data_path, ids=[], authors=["a_1111111111111111"])
    spool.remove(lambda m: m.author_id != "a_1111111111111111")
    result = backups.restore(config, archive, replace=True)
    assert [m.native_id for m in spool.mentions()] == ["o1"]
    assert result.erased_again is not None and result.erased_again["spool_entries"] == 1
