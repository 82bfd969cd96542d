"""Inputs that must not stop the work (issue 16): each bad input gets one clear line and
nothing accepted is lost. Import files, config files, Elasticsearch unreachable."""

from __future__ import annotations

import codecs
import json
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from sadap.app.config import load_config_file
from sadap.app.importer import import_file
from sadap.app.ingest import IngestPipeline
from sadap.core.errors import ConfigError
from sadap.core.mention import RawMention
from sadap.core.timeutil import now_utc
from sadap.store import MentionFilter, open_store
from sadap.store.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def config(tmp_path):
    (tmp_path / "sadap.yaml").write_text("data_dir: data\nrules: []\nnotifiers: []\n", encoding="utf-8")
    return load_config_file(tmp_path / "sadap.yaml")


def _row(i: int, **extra) -> dict:
    return {"id": str(i), "text": f"แอปแสงทองโอนเงินไม่ได้ ครั้งที่ {i}", "published_at": "2026-11-20T09:00:00+07:00", **extra}


def _jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _stored(config) -> int:
    with open_store(config) as store:
        return store.count(MentionFilter())


# -- import ----------------------------------------------------------------------------
@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00", "1900-01-01T00:00:00+07:00"])
def test_out_of_range_date_rejects_its_line_only(config, tmp_path, when):
    rows = [_row(i) for i in range(5)] + [_row(5, published_at=when)] + [_row(i) for i in range(6, 9)]
    report = import_file(config, _jsonl(tmp_path / "dates.jsonl", rows), batch_size=100)
    assert report["stored"] == 8 and _stored(config) == 8  # the lines before it (same batch) are kept
    [bad] = report["rejected"]
    assert bad["line"] == 6 and "published_at" in bad["error"]
    assert "out of range" in bad["error"] or "before 1970" in bad["error"]


def test_far_future_published_time_is_rejected(config, tmp_path):
    future = (now_utc() + timedelta(days=30)).isoformat()
    soon = (now_utc() + timedelta(hours=2)).isoformat()  # clock skew: accepted
    report = import_file(config, _jsonl(tmp_path / "f.jsonl", [_row(1, published_at=future), _row(2, published_at=soon)]))
    assert report["stored"] == 1
    assert report["rejected"][0]["line"] == 1 and "in the future" in report["rejected"][0]["error"]
    assert "Buddhist-era" not in report["rejected"][0]["error"]


def test_buddhist_era_year_in_an_iso_date_gets_a_hint(config, tmp_path):
    be = now_utc().year + 543  # this year, written as Thai calendars do
    report = import_file(config, _jsonl(tmp_path / "be.jsonl", [_row(1, published_at=f"{be}-01-01T10:30:00+07:00")]))
    [bad] = report["rejected"]
    assert "in the future" in bad["error"]
    assert f"{be} looks like a Buddhist-era year: ISO dates take the Common Era year ({be - 543})" in bad["error"]


def test_csv_unterminated_quote_is_reported_and_following_rows_kept(config, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(
        "id,text\n"
        "1,แอปล่มอีกแล้ว\n"
        '2,"ลูกค้าโทรมาบอกว่า โอนไม่ได้\n'
        "3,บริการดีมาก\n"
        "4,สาขานี้คิวยาวมาก\n",
        encoding="utf-8",
    )
    report = import_file(config, path)
    assert [r["line"] for r in report["rejected"]] == [3]
    assert "unterminated quote" in report["rejected"][0]["error"]
    assert report["stored"] == 3  # rows 1, 3 and 4; before, row 2 swallowed 3 and 4 silently


def test_csv_quote_closed_much_later_reports_the_row_and_keeps_the_rows_it_took(config, tmp_path):
    """A quote opened on line 3 and closed only on line 7: read as CSV, lines 3–7 are one row
    whose text holds rows 4–6 (silently, before). Now line 3 is rejected with one line naming
    where the quote closed and the rows it took; those rows are stored as rows."""
    path = tmp_path / "late.csv"
    path.write_text(
        "id,text,author,published_at\n"
        "1,แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้,somchai,2026-11-20T09:00:00+07:00\n"
        '2,"ลูกค้าโทรมาบอกว่า โอนไม่ได้ตั้งแต่เช้า,somsri,2026-11-20T09:05:00+07:00\n'
        "3,พนักงานสาขาขอนแก่นบริการดีมาก ประทับใจค่ะ,nok,2026-11-20T09:10:00+07:00\n"
        "4,ดอกเบี้ยเงินฝากประจำปีนี้เท่าไหร่คะ,lek,20/11/2569 09:15\n"
        "5,สาขาสีลมคิวยาวมาก รอชั่วโมงกว่า,ploy,2026-11-20T09:20:00+07:00\n"
        '6,แอปเด้งออกตอนสแกนจ่าย",mai,2026-11-20T09:25:00+07:00\n'
        "7,ขอบคุณที่แก้ไขให้เร็วค่ะ,fon,2026-11-20T09:30:00+07:00\n",
        encoding="utf-8",
    )
    report = import_file(config, path)
    [bad] = report["rejected"]
    assert bad["line"] == 3
    assert "\n" not in bad["error"]
    assert "closes only on line 7" in bad["error"] and "4, 5, 6" in bad["error"]
    assert report["stored"] == 6  # 1, 3, 4, 5, 6 (its stray quote kept as text) and 7
    with open_store(config) as store:
        texts = sorted(m.text for m in store.search(MentionFilter(), 20))
    assert "พนักงานสาขาขอนแก่นบริการดีมาก ประทับใจค่ะ" in texts
    assert "ดอกเบี้ยเงินฝากประจำปีนี้เท่าไหร่คะ" in texts
    assert not any("\n" in t for t in texts)  # no row holds another row


def test_csv_long_post_with_line_breaks_and_commas_is_one_row(config, tmp_path):
    """A real multi-line value (a forum post with commas in its lines) is not taken for rows."""
    path = tmp_path / "post.csv"
    path.write_text(
        "id,text,author\n"
        '1,"เรื่องเล่าจากสาขา, ตอนที 1\nวันนี้ไปโอนเงิน, รอคิว 2 ชั่วโมง, เหนื่อยมาก\nสรุป, ไม่ประทับใจ",ต่าย\n'
        "2,ปกติดี,นก\n",
        encoding="utf-8",
    )
    report = import_file(config, path)
    assert report["rejected"] == [] and report["stored"] == 2


def test_csv_quoted_newlines_still_work(config, tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text('id,text\n1,"สองบรรทัด\nต่อกัน"\n2,ปกติ\n', encoding="utf-8")
    report = import_file(config, path)
    assert report["stored"] == 2 and report["rejected"] == []


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_utf16_with_bom_is_read(config, tmp_path, bom, codec):
    text = "".join(json.dumps(_row(i), ensure_ascii=False) + "\r\n" for i in range(3))
    path = tmp_path / "u16.jsonl"
    path.write_bytes(bom + text.encode(codec))
    report = import_file(config, path)
    assert report["stored"] == 3 and report["rejected"] == [] and report["encoding"] == "utf-16"


def test_utf16_without_bom_is_refused_in_one_line(config, tmp_path):
    from sadap.core.errors import InputError

    path = tmp_path / "nobom.csv"
    path.write_bytes("id,text\n1,แอปล่ม\n".encode("utf-16-le"))
    with pytest.raises(InputError) as err:
        import_file(config, path)
    assert "\n" not in str(err.value) and "UTF-16" in str(err.value)


def test_lone_surrogates_dropped_are_counted(config, tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(
        '{"id": "1", "text": "แอปล่ม \\ud800 อีกแล้ว \\udfff"}\n{"id": "2", "text": "ปกติ"}\n', encoding="utf-8"
    )
    report = import_file(config, path)
    assert report["stored"] == 2 and report["surrogates_dropped"] == 2


def test_two_ingests_at_once_report_truthful_counts(config, tmp_path):
    """The second importer looked for existing ids before the first committed the same batch
    (the race of two `sadap ingest` on one store): what it then finds stored is a duplicate."""
    raws = [RawMention(source_kind="file", source_name="x", native_id=str(i), text=f"แอปล่ม {i}") for i in range(20)]

    class LateLookup(SQLiteStore):  # the lookup ran before the other process committed
        def existing_ids(self, ids):
            return set() if getattr(self, "race", False) else super().existing_ids(ids)

    first = IngestPipeline(config, alerts=False)
    late_store = LateLookup(config.store_path)
    second = IngestPipeline(config, store=late_store, alerts=False)
    a = first.process(raws)
    late_store.race = True
    b = second.process(raws)
    first.close(), late_store.close()
    assert (a.stored, a.duplicates) == (20, 0)
    assert (b.stored, b.duplicates) == (0, 20)  # before: stored 0, duplicates 0
    assert _stored(config) == 20


@pytest.mark.slow
def test_two_ingest_processes_on_one_store(config, tmp_path):
    path = _jsonl(tmp_path / "big.jsonl", [_row(i) for i in range(3000)])
    cmd = [sys.executable, "-m", "sadap", "ingest", str(path), "--config", str(config.path), "--json", "--batch-size", "100"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [json.loads(p.communicate(timeout=600)[0]) for p in procs]
    for out in outs:
        assert out["read"] == 3000 and out["stored"] + out["duplicates"] == 3000
    assert sum(o["stored"] for o in outs) == 3000 == _stored(config)


# -- config ----------------------------------------------------------------------------
def _load(tmp_path, text: str):
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config_file(path), path


def test_duplicate_yaml_keys_name_both_lines(tmp_path):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, "data_dir: a\nschedule:\n  alerts_every: 1m\ndata_dir: b\n")
    assert str(err.value).endswith("c.yaml:4: data_dir: duplicate key 'data_dir' (first at line 1); keep one")
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, "rules:\n  - id: r1\n    type: threshold\n    title: t\n    limit: 3\n    limit: 5\n")
    assert "c.yaml:6: rules[0].limit: duplicate key 'limit' (first at line 5)" in str(err.value)


def test_yaml_alias_bomb_fails_fast(tmp_path):
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]")
    lines.append("rules: [*j]")
    started = time.monotonic()
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, "\n".join(lines) + "\n")
    assert time.monotonic() - started < 5
    assert "\n" not in str(err.value) and "alias" in str(err.value)


def test_anchors_within_reason_still_work(tmp_path):
    config, _ = _load(
        tmp_path,
        "rules:\n  - &base\n    id: r1\n    type: threshold\n    title: t\n    limit: 3\n"
        "  - <<: *base\n    id: r2\n",
    )
    assert [r.id for r in config.alert_rules] == ["r1", "r2"]


@pytest.mark.parametrize(
    "window, message",
    [
        ("99999999999w", "rules[0].window: duration '99999999999w' is too long"),
        ("0s", "rules[0].window: must be longer than 0s"),
    ],
)
def test_bad_windows_are_clear_errors(tmp_path, window, message):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, f"rules:\n  - id: r1\n    type: threshold\n    title: t\n    limit: 3\n    window: {window}\n")
    assert str(err.value).startswith("") and f"c.yaml:6: {message}" in str(err.value)
    assert str(err.value).count("\n") == 0


@pytest.mark.parametrize(
    "setting, message",
    [
        ("window: 60", "rules[0].window: duration 60 has no unit: use a number and a unit"),
        ("cooldown: 60", "rules[0].cooldown: duration 60 has no unit: use a number and a unit"),
        ("cooldown: 1.5", "rules[0].cooldown: duration 1.5 has no unit: use a number and a unit"),
        ("query_delay: '90'", "rules[0].query_delay: duration '90' has no unit: use a number and a unit"),
        ("cooldown: 0s", "rules[0].cooldown: must be at least 1m (got '0s')"),
        ("cooldown: 30s", "rules[0].cooldown: must be at least 1m (got '30s')"),
    ],
)
def test_durations_need_a_unit_and_cooldowns_a_minute(tmp_path, setting, message):
    """A bare number was read as seconds: `cooldown: 60` re-alerted every minute."""
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, f"rules:\n  - id: r1\n    type: threshold\n    title: t\n    limit: 3\n    {setting}\n")
    assert f"c.yaml:6: {message}" in str(err.value)
    assert str(err.value).count("\n") == 0


def test_bare_numbers_are_refused_in_every_duration_setting(tmp_path):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, "schedule:\n  alerts_every: 60\nsources:\n  - {name: n, kind: rss, url: 'http://x', every: 900}\n")
    lines = sorted(str(err.value).splitlines(), key=lambda line: line.split("c.yaml:")[1])
    assert len(lines) == 2
    assert "c.yaml:2: schedule.alerts_every: duration 60 has no unit" in lines[0]
    assert "c.yaml:4: sources[0].every: duration 900 has no unit" in lines[1]


def test_a_one_minute_cooldown_and_units_are_accepted(tmp_path):
    config, _ = _load(tmp_path, "rules:\n  - {id: r1, type: threshold, title: t, limit: 3, window: 90s, cooldown: 1m}\n")
    assert config.alert_rules[0].options.cooldown == timedelta(minutes=1)
    assert config.alert_rules[0].options.window == timedelta(seconds=90)


@pytest.mark.parametrize("rule_type", ["sentiment_shift", "spike"])
@pytest.mark.parametrize(
    "periods, message",
    [
        ("window: 1d, baseline: 1d", "baseline (1d) must be at least twice the window (1d)"),
        ("window: 3h, baseline: 5h", "baseline (5h) must be at least twice the window (3h)"),
        ("window: 4d", "baseline (1w) must be at least twice the window (4d)"),  # the default baseline
    ],
)
def test_baseline_shorter_than_two_windows_is_refused(tmp_path, rule_type, periods, message):
    """Baselines are counted in whole window-wide buckets from Bangkok midnight: a shorter one
    holds none, and the rule would never fire without a word."""
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, f"rules:\n  - {{id: r1, type: {rule_type}, title: t, {periods}}}\n")
    assert f"c.yaml:2: rules[0]: {message}: it is counted in whole" in str(err.value)
    assert str(err.value).count("\n") == 0


@pytest.mark.parametrize("item, got", [("null", "None"), ("watch", "'watch'"), ("[a, b]", "['a', 'b']")])
def test_a_rule_that_is_not_a_mapping_is_one_line(tmp_path, item, got):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, f"rules:\n  - {{id: ok, type: watch, title: t}}\n  - {item}\n")
    assert str(err.value).count("\n") == 0, str(err.value)
    assert "c.yaml:3: rules[1]: a rule must be a mapping of options, such as {id: outage, type: watch" in str(err.value)
    assert str(err.value).endswith(f"(got {got})")


def test_maintenance_window_must_end_after_it_starts(tmp_path):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, "maintenance:\n  - start: 2026-12-01T03:00:00+07:00\n    end: 2026-12-01T01:00:00+07:00\n")
    assert "c.yaml:2: maintenance[0]: `end` (2026-12-01T01:00:00+07:00) must be after `start`" in str(err.value)


def test_config_errors_arrive_in_one_pass(tmp_path):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, "schedule:\n  alerts_every: soon\nrules:\n  - id: r1\n    type: threshold\n    title: t\n")
    lines = str(err.value).splitlines()
    assert any("schedule.alerts_every" in line for line in lines)  # a model error
    assert any("rules[0].limit: required but missing" in line for line in lines)  # and a rule error, together


def test_unknown_playbook_error_has_file_and_line(tmp_path):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, "rules:\n  - id: r1\n    type: threshold\n    title: t\n    limit: 3\n    playbook: x\n")
    assert str(err.value).startswith(f"{tmp_path / 'c.yaml'}:6: rule 'r1': playbook 'x' does not exist (loaded: ")


# -- Elasticsearch unreachable -----------------------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_elasticsearch_down_one_line_per_outage_and_spooled_count(tmp_path):
    port = _closed_port()
    (tmp_path / "sadap.yaml").write_text(
        "data_dir: data\nrules: []\nnotifiers: []\nstore:\n  backend: elasticsearch\n  elasticsearch:\n"
        f"    hosts: ['http://127.0.0.1:{port}']\n    max_retries: 1\n    request_timeout: 2s\n",
        encoding="utf-8",
    )
    path = _jsonl(tmp_path / "m.jsonl", [_row(i) for i in range(1200)])
    base = [sys.executable, "-m", "sadap"]
    conf = ["--config", str(tmp_path / "sadap.yaml")]
    done = subprocess.run(base + ["ingest", str(path), *conf, "--json", "--batch-size", "100"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["spooled"] == 1200 and report["stored"] == 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) <= 4, done.stderr  # 12 batches: before, thousands of lines
    assert "1200 mentions spooled" in done.stderr
    status = subprocess.run(base + ["es", "status", *conf], capture_output=True, text=True, cwd=tmp_path)
    assert status.returncode == 1 and "Traceback" not in status.stderr
    assert len(status.stderr.splitlines()) == 1 and "unreachable" in status.stderr
    assert "spooled: 1200 mentions waiting" in status.stderr
    as_json = subprocess.run(base + ["es", "status", *conf, "--json"], capture_output=True, text=True, cwd=tmp_path)
    assert json.loads(as_json.stdout)["spool_pending"] == 1200
