"""A person erased on request stays erased: a post of theirs collected again, or (erased by
author) a new one, is not stored again — through `sadap ingest` and through a writer that was
already running when the erase was made. A real SQLite file, the real CLI, real Thai text."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from click.testing import CliRunner

from sadap.app import erasure_register
from sadap.app.cli import main
from sadap.app.config import load_config_file
from sadap.app.ingest import IngestPipeline
from sadap.core.mention import RawMention, mention_id, pseudonymise
from sadap.store import MentionFilter, open_store

NAME = "somchai_jaidee"
SECRET_TEXT = "ร้านขนมปังลุงทองหล่อซอยเจ็ดปิดถาวรแล้วหรือครับ"
MALEE_TEXT = "สาขาบางนาคิวยาวมาก รอเกือบชั่วโมงค่ะ"


def _config(tmp_path: Path):
    (tmp_path / "sadap.yaml").write_text("data_dir: data\nrules: []\nnotifiers: []\n", encoding="utf-8")
    return load_config_file(tmp_path / "sadap.yaml")


def _run(config, *args: str):
    result = CliRunner().invoke(main, [*args, "--config", str(config.path)])
    assert result.exit_code == 0, result.output
    return result


def _jsonl(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text("".join(json.dumps({"id": i, "source": "social", "author": a, "text": t}, ensure_ascii=False) + "\n"
                            for i, a, t in rows), encoding="utf-8")
    return path


def _stored(config) -> set[str]:
    with open_store(config) as store:
        return {m.native_id or "" for m in store.search(MentionFilter(), limit=100)}


FIRST = [("p1", NAME, SECRET_TEXT), ("m1", "malee", MALEE_TEXT), ("o1", "user1", "พนักงานสาขาขอนแก่นบริการดีมาก ประทับใจค่ะ")]
AGAIN = [
    ("p1", NAME, SECRET_TEXT),  # the erased post, collected again
    ("p9", NAME, "วันนี้ไปกินก๋วยเตี๋ยวเรือที่อยุธยามา อร่อยมาก"),  # a new post by the author erased by name
    ("m1", "malee", MALEE_TEXT),  # erased by mention id, collected again
    ("m2", "malee", "แอปโอนเงินใช้ง่ายขึ้นเยอะเลยค่ะ"),  # hers, but only one post of hers was erased: stored
    ("n1", "wichai", "ดอกเบี้ยเงินฝากประจำปีนี้เท่าไหร่ครับ"),  # someone else
]


def test_ingest_does_not_store_again_what_was_erased(tmp_path, caplog):
    config = _config(tmp_path)
    _run(config, "ingest", str(_jsonl(tmp_path / "first.jsonl", FIRST)))
    _run(config, "privacy", "erase", "--author", NAME, "--reference", "PDPA-2569-201")
    _run(config, "privacy", "erase", "--mention", mention_id("social", "m1"), "--reference", "PDPA-2569-202")
    assert _stored(config) == {"o1"}

    with caplog.at_level(logging.INFO, logger="sadap.app.ingest"):
        result = _run(config, "ingest", str(_jsonl(tmp_path / "again.jsonl", AGAIN)))
    assert _stored(config) == {"o1", "m2", "n1"}
    assert "บันทึกใหม่ 2" in result.output and "ซ้ำ 0" in result.output
    assert "ข้ามโพสต์ที่ถูกลบตามคำขอ 3 รายการ (erased on request)" in result.output
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "sadap.app.ingest")
    assert "3 mention(s) not stored: erased on request" in logged
    pseudonym = pseudonymise(NAME, "social", config.pseudonym_key())
    for personal in (NAME, pseudonym, mention_id("social", "p1"), mention_id("social", "m1"), "p1", "ทองหล่อ"):
        assert personal not in logged

    report = _run(config, "ingest", str(tmp_path / "again.jsonl"), "--json")
    assert json.loads(report.output)["erased"] == 3  # and again, each time it comes


def test_a_writer_running_before_the_erase_picks_it_up(tmp_path):
    """`sadap run` / `sadap worker` keep one ingest open for hours: an erase from the CLI
    meanwhile must reach it (the register is re-read once the file changed)."""
    config = _config(tmp_path)
    pipeline = IngestPipeline(config, alerts=False)
    try:
        raws = [RawMention(source_kind="file", source_name="social", native_id=i, author=a, text=t) for i, a, t in FIRST]
        assert pipeline.process(raws).stored == 3
        _run(config, "privacy", "erase", "--author", NAME)
        _run(config, "privacy", "erase", "--mention", mention_id("social", "m1"))
        again = [RawMention(source_kind="file", source_name="social", native_id=i, author=a, text=t) for i, a, t in AGAIN]
        result = pipeline.process(again)
        assert (result.stored, result.erased, result.duplicates) == (2, 3, 0)
    finally:
        pipeline.close()
    assert _stored(config) == {"o1", "m2", "n1"}


def test_the_register_is_read_once_and_again_when_it_changes(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    assert erasure_register.current(data) is None
    erasure_register.record(data, ids=["x1"])
    first = erasure_register.current(data)
    assert first is not None and first.has_id("x1") and not first.has_author("a_0000000000000000")
    assert erasure_register.current(data) is first  # unchanged: not read again
    erasure_register.record(data, ids=[], authors=["a_0000000000000000"])
    second = erasure_register.current(data)
    assert second is not first and second is not None and second.has_id("x1") and second.has_author("a_0000000000000000")
