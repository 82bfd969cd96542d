"""`sadap reenrich`: stored mentions re-enriched with a changed config (sentiment engine, a
newly watched entity, lexicons) in a real SQLite file; identity, times, duplicates and
responses kept; --dry-run writes nothing; --since and --source limit the set; no alerts."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from enrich.pipeline import Enricher
from enrich.tokenize import tokenize
from sadap.app.cli import main
from sadap.app.config import load_config_file
from sadap.app.importer import import_file
from sadap.core.mention import Mention
from sadap.app.reenrich import reenrich
from sadap.store import MentionFilter, open_store
from sadap.store.query import parse_query
from sadap.core.timeutil import now_utc

OLD = """data_dir: data
watch:
  - name: ธนาคารแสงทอง
    aliases: [แสงทอง]
enrich:
  sentiment_model: linear-v1
rules: []
notifiers: []
"""
# The upgrade: the fast v3 engine, a newly watched app, and a category word added.
NEW = """data_dir: data
watch:
  - name: ธนาคารแสงทอง
    aliases: [แสงทอง]
  - name: แอปแสงทองพลัส
    aliases: [ST Plus]
enrich:
  sentiment_model: linear-v3
  categories:
    account_opening: [เปิดบัญชี]
rules: []
notifiers: []
"""


def _rows():
    recent = now_utc() - timedelta(hours=2)
    old = now_utc() - timedelta(days=30)
    texts = [
        ("1", "แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้เลย แย่มาก", recent, None),
        ("2", "เปิดบัญชีออนไลน์ได้ไหมคะ", recent, None),
        ("3", "ST Plus เด้งออกตลอด โทร 081-234-5678 ไม่มีใครรับ #SaengThongDown", recent, None),
        ("4", "ค่าธรรมเนียมแพงจัง แต่ก็โอเคนะ", recent, "ถามเรื่องบัญชี"),
        ("5", "ดอกเบี้ยเงินฝากเท่าไหร่", old, None),
        ("6", "ST Plus ใช้งานง่ายดี ชอบมากค่ะ", old, None),
        ("7", "แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้เลย แย่มาก!!", recent, None),  # a near-duplicate of 1
    ]
    rows = []
    for native, text, at, title in texts:
        row = {"id": native, "text": text, "published_at": at.isoformat(), "author": f"user{native}", "channel": "line",
               "url": f"https://pantip.example/topic/{native}?utm_source=x"}
        if title:
            row["title"] = title
        rows.append(row)
    return rows


@pytest.fixture
def setup(tmp_path: Path):
    (tmp_path / "old.yaml").write_text(OLD, encoding="utf-8")
    (tmp_path / "new.yaml").write_text(NEW, encoding="utf-8")
    src = tmp_path / "social.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _rows()), encoding="utf-8")
    old = load_config_file(tmp_path / "old.yaml")
    assert import_file(old, src)["stored"] == 7
    new = load_config_file(tmp_path / "new.yaml")
    with open_store(new) as store:
        first = store.page_by_id(MentionFilter(), limit=100)[0]
        store.log_response(first.id, now_utc(), "ploy", "line", "ขออภัยค่ะ กำลังตรวจสอบ")
    return tmp_path, old, new


def _all(config) -> dict[str, Mention]:
    with open_store(config) as store:
        return {m.id: m for m in store.page_by_id(MentionFilter(), limit=1000)}


def _run(tmp_path, *args):
    return CliRunner().invoke(main, ["reenrich", "--config", str(tmp_path / "new.yaml"), *args])


def test_reenrich_updates_labels_and_keeps_identity(setup, monkeypatch):
    tmp_path, old_cfg, new_cfg = setup

    def no_alerts(*a, **k):
        raise AssertionError("reenrich must not evaluate alert rules")

    monkeypatch.setattr("alerts.engine.AlertEngine.check", no_alerts)
    monkeypatch.setattr("sadap.app.ingest.build_engine", no_alerts)
    before = _all(old_cfg)
    res = _run(tmp_path, "--batch", "2")
    assert res.exit_code == 0, res.output
    after = _all(new_cfg)
    assert after.keys() == before.keys()

    # What today's enricher says about the stored (masked) text is what is stored now.
    expected = {m.id: m for m in Enricher.from_config(new_cfg).enrich(list(before.values()))}
    for i, m in after.items():
        b, e = before[i], expected[i]
        assert m.sentiment == e.sentiment and m.category == e.category and m.complaint == e.complaint
        assert m.entities == e.entities and m.keywords == e.keywords and m.spam_score == e.spam_score
        for kept in ("id", "source_name", "source_kind", "native_id", "url", "author_id", "published_at",
                     "collected_at", "text", "title", "duplicate_of", "engagement", "text_hash", "simhash"):
            assert getattr(m, kept) == getattr(b, kept), kept
        assert m.extras["channel"] == "line"

    by_native = {m.native_id: m for m in after.values()}
    assert "แอปแสงทองพลัส" in by_native["3"].entities and "แอปแสงทองพลัส" in by_native["6"].entities
    assert "แอปแสงทองพลัส" not in {e for m in before.values() for e in m.entities}
    assert "[โทร]" in by_native["3"].text and "081" not in by_native["3"].text
    assert by_native["7"].duplicate_of == by_native["1"].id
    assert by_native["4"].extras["title_tokens"] and by_native["3"].extras["hashtag_tokens"]

    changed = [i for i in after if after[i] != before[i]]
    sentiment = sum(before[i].sentiment.label != after[i].sentiment.label for i in after)
    entities = sum(set(before[i].entities) != set(after[i].entities) for i in after)
    category = sum(before[i].category != after[i].category for i in after)
    assert sentiment >= 1 and entities == 2 and category == 1
    assert by_native["2"].category == "account_opening" and before[by_native["2"].id].category == "other"
    assert (f"ตรวจ 7 ข้อความ · เปลี่ยน {len(changed)} · ความรู้สึก {sentiment} · หมวด {category} ·") in res.stdout
    assert f"สิ่งที่ติดตาม {entities}" in res.stdout
    assert "ปรับข้อมูลแล้ว 2/7" in res.stderr and "ปรับข้อมูลแล้ว 7/7" in res.stderr

    with open_store(new_cfg) as store:
        assert store.count(MentionFilter(responded=True)) == 1  # the logged response survives
        assert store.alerts_since(now_utc() - timedelta(days=365)) == []
        assert store.count(MentionFilter(entities=("แอปแสงทองพลัส",))) == 2  # term index rewritten
    # a second run finds nothing left to change: masking and hashing again are no-ops
    again = _run(tmp_path, "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["changed"] == 0 and json.loads(again.stdout)["checked"] == 7


def test_dry_run_writes_nothing(setup):
    tmp_path, old_cfg, new_cfg = setup
    before = {i: m.model_dump_json() for i, m in _all(old_cfg).items()}
    res = _run(tmp_path, "--dry-run")
    assert res.exit_code == 0, res.output
    assert {i: m.model_dump_json() for i, m in _all(new_cfg).items()} == before
    assert "จะเปลี่ยน" in res.stdout and "dry run: nothing was written" in res.stdout
    assert "entities: - → แอปแสงทองพลัส" in res.stdout
    report = reenrich(new_cfg, dry_run=True)
    assert report.checked == 7 and report.changed == 7 and report.entities == 2 and report.category == 1
    assert report.dry_run and {m.id: m.model_dump_json() for m in _all(new_cfg).values()} == before


def test_since_and_source_limit_the_set(setup):
    tmp_path, old_cfg, new_cfg = setup
    before = _all(old_cfg)
    res = _run(tmp_path, "--since", "7d", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["checked"] == 5
    after = _all(new_cfg)
    old_ones = [i for i, m in before.items() if m.native_id in ("5", "6")]
    assert all(after[i] == before[i] for i in old_ones)  # outside --since: untouched
    assert not any("แอปแสงทองพลัส" in after[i].entities for i in old_ones)
    assert sum("แอปแสงทองพลัส" in m.entities for m in after.values()) == 1  # only the recent ST Plus post
    res = _run(tmp_path, "--source", "elsewhere", "--json")
    assert json.loads(res.stdout)["checked"] == 0
    res = _run(tmp_path, "--source", "social", "--dry-run", "--json")
    assert json.loads(res.stdout)["checked"] == 7


def test_bad_options_give_one_clear_line(setup):
    tmp_path, _, _ = setup
    res = _run(tmp_path, "--since", "lately")
    assert res.exit_code == 1
    assert res.stderr.strip().splitlines() == [res.stderr.strip()] and "cannot read duration 'lately'" in res.stderr
    res = _run(tmp_path, "--batch", "0")
    assert res.exit_code == 2 and "Invalid value for '--batch'" in res.stderr
    assert len([line for line in res.stderr.splitlines() if "Error" in line]) == 1


@pytest.mark.es
def test_reenrich_on_elasticsearch_keeps_the_responded_flag(request, tmp_path):
    from sadap.app.ingest import IngestPipeline
    from sadap.core.mention import RawMention
    from tests.es_support import drop_test_store, es_test_url, make_test_store

    url = es_test_url()
    store = make_test_store(url or request.getfixturevalue("osmem_clone").url, real=bool(url), spool_dir=tmp_path / "spool")
    try:
        (tmp_path / "old.yaml").write_text(OLD, encoding="utf-8")
        (tmp_path / "new.yaml").write_text(NEW, encoding="utf-8")
        old, new = load_config_file(tmp_path / "old.yaml"), load_config_file(tmp_path / "new.yaml")
        raws = [RawMention(source_kind="file", source_name="social", native_id=r["id"], text=r["text"]) for r in _rows()]
        pipe = IngestPipeline(old, store=store, alerts=False)
        assert pipe.process(raws).stored == 7
        before = {m.id: m for m in store.page_by_id(MentionFilter(), limit=100)}
        store.log_response(next(iter(before)), now_utc(), "ploy", "line", "ขออภัยค่ะ")
        report = reenrich(new, store=store, batch_size=3)
        assert report.checked == 7 and report.entities == 2 and report.category == 1
        after = {m.id: m for m in store.page_by_id(MentionFilter(), limit=100)}
        assert after.keys() == before.keys()
        assert all(after[i].published_at == before[i].published_at for i in after)
        assert store.count(MentionFilter(entities=("แอปแสงทองพลัส",))) == 2
        assert store.count(MentionFilter(responded=True)) == 1
        assert reenrich(new, store=store).changed == 0
    finally:
        drop_test_store(store) if url else store.close()


def test_reenrich_masks_what_an_earlier_release_left_unmasked(setup):
    """Stored text is masked as it was stored; an address an earlier release's masks missed (one
    written straight after Thai letters) is masked by `sadap reenrich`, in the text and in the
    search index."""
    tmp_path, _old_cfg, new_cfg = setup
    with open_store(new_cfg) as store:
        stored = store.page_by_id(MentionFilter(), limit=1)[0]
        text = "แจ้งปัญหาทางอีเมลsomchai.k@mail.co.th แล้วไม่มีใครตอบ"
        missed = stored.model_copy(update={"id": "missed-1", "native_id": "missed-1", "text_hash": "x",
                                           "text": text, "tokens": tokenize(text)})
        store.upsert([missed])
        assert store.search(MentionFilter(query=parse_query("somchai", ())), limit=5)
    res = _run(tmp_path)
    assert res.exit_code == 0, res.output
    assert "ปิดบังข้อมูลส่วนบุคคลเพิ่ม 1" in res.output  # and the file compacted (no free page holds it)
    assert b"somchai" not in (tmp_path / "data" / "sadap.db").read_bytes()
    with open_store(new_cfg) as store:
        text = store.get("missed-1").text
        assert "somchai" not in text and "[อีเมล]" in text, text
        assert store.search(MentionFilter(query=parse_query("somchai", ())), limit=5) == []
