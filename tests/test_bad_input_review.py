"""Bad input found by a review of the entry points a user feeds (the CLI run as a user runs it):
each gets one clear line naming the file and line or the option, and nothing accepted is lost.

A malformed link in an imported line, a long post in CSV, a stakeholder CSV with an unterminated
quote or a long cell, a duration option without its name, a Buddhist-era year in a date option,
a key given twice on one line of YAML."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sadap.app.cli import main
from sadap.app.config import load_config_file
from sadap.core.errors import ConfigError
from sadap.store import MentionFilter, open_store

ROOT = Path(__file__).resolve().parents[1]
CONFIG = "data_dir: data\nwatch:\n  - name: ธนาคารแสงทอง\n    aliases: [แสงทอง]\nrules: []\nnotifiers: []\n"


def sadap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sadap", *args], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "sadap.yaml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def _stored(folder: Path) -> list[str]:
    with open_store(load_config_file(folder / "sadap.yaml")) as store:
        return sorted(m.native_id or "" for m in store.page_by_id(MentionFilter(), limit=1000))


def _one_line(done: subprocess.CompletedProcess[str] | object, *parts: str) -> str:
    code = getattr(done, "returncode", getattr(done, "exit_code", None))
    err = getattr(done, "stderr", None) if hasattr(done, "returncode") else getattr(done, "output", "")
    assert code == 1, err
    lines = [line for line in str(err).splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in str(err), err
    for part in parts:
        assert part in lines[0], (part, lines[0])
    return lines[0]


# -- sadap ingest ---------------------------------------------------------------------------------
@pytest.mark.parametrize("link", ["http://[สาขา", "https://saengthong.example:99999/app"])
def test_a_link_that_cannot_be_parsed_does_not_stop_the_import(folder, link):
    # Once a traceback, and the good lines of the batch lost with it; without an id the link
    # is what the mention's id is made from.
    rows = [{"id": "1", "text": "แอปแสงทองโอนเงินไม่ได้"}, {"text": "แอปแสงทองล่มอีกแล้ว", "url": link},
            {"id": "3", "text": "สาขาแสงทองบริการดีมาก", "url": link}, {"id": "4", "text": "แสงทองคืนเงินแล้ว ขอบคุณ"}]
    (folder / "m.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    done = sadap("ingest", "m.jsonl", "--workers", "1", "--json", cwd=folder)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert json.loads(done.stdout)["stored"] == 4
    with open_store(load_config_file(folder / "sadap.yaml")) as store:
        kept = store.page_by_id(MentionFilter(), limit=10)
    assert len(kept) == 4 and all(m.url is None for m in kept)  # never stored as a link


def test_a_long_post_in_csv_is_read_as_in_jsonl(folder):
    # csv's field limit (131,072 characters) rejected it as "bad CSV quoting"; JSON lines took it.
    long_post = "แอปแสงทองโอนเงินไม่ได้ " * 8000
    (folder / "m.csv").write_text(f'id,text\n1,สวัสดี\n2,"{long_post}"\n3,{long_post}\n4,ลาก่อน\n', encoding="utf-8")
    done = sadap("ingest", "m.csv", "--workers", "1", "--json", cwd=folder)
    report = json.loads(done.stdout)
    assert report["rejected"] == [] and report["stored"] == 4, report
    assert _stored(folder) == ["1", "2", "3", "4"]


# -- sadap stakeholders import (CSV) --------------------------------------------------------------------
HEADER = "id,name,status,group\n"


def test_stakeholder_csv_unterminated_quote_names_its_line_and_keeps_the_rows_after_it(folder):
    # The open quote took every row after it as one value: those rows were lost, and the one
    # problem line named the last line with "status: got ''".
    (folder / "s.csv").write_text(
        HEADER + "bot,ธนาคารแห่งประเทศไทย,government,regulators\n"
        'bad,"ชุมชนริมคลอง,community,community\n'
        "khlong-toei,ชุมชนคลองเตย,community,community\n"
        "press,สมาคมนักข่าว,media,media\n", encoding="utf-8")
    done = sadap("stakeholders", "import", "s.csv", "--no-retag", cwd=folder)
    line = _one_line(done, "s.csv:3:", "quote")
    assert "status" not in line
    assert "imported 3 stakeholder(s), 1 problem(s)" in done.stdout
    with open_store(load_config_file(folder / "sadap.yaml")) as store:
        assert sorted(s.id for s in store.list_stakeholders()) == ["bot", "khlong-toei", "press"]
    # Closed only on a later row: that row is a row again; a note over two lines is still one cell.
    (folder / "later.csv").write_text(
        "id,name,status,group,notes\n" 'ngo-river,มูลนิธิรักษ์น้ำ,ngo,society,"ประชุมทุกเดือน\nตกลงกันแล้ว, ดี"\n'
        'bad,"ชุมชน,community,community,\n' 'sellers,ร้านค้าออนไลน์,private_company,customers,เปิดใหม่"\n',
        encoding="utf-8")
    done = sadap("stakeholders", "import", "later.csv", "--no-retag", cwd=folder)
    _one_line(done, "later.csv:4:", "closes only on line 5")
    with open_store(load_config_file(folder / "sadap.yaml")) as store:
        assert {"ngo-river", "sellers"} <= {s.id for s in store.list_stakeholders()}
        assert store.get_stakeholder("ngo-river").notes == "ประชุมทุกเดือน\nตกลงกันแล้ว, ดี"


def test_stakeholder_csv_with_a_long_cell_is_read(folder):
    notes = "ประชุมร่วมกับชุมชนทุกเดือน " * 6000  # past csv's 131,072-character field limit: a traceback
    (folder / "s.csv").write_text("id,name,status,group,notes\nbot,ธปท,government,regulators,\n"
                                  f'khlong-toei,ชุมชนคลองเตย,community,community,"{notes}"\n', encoding="utf-8")
    done = sadap("stakeholders", "import", "s.csv", "--no-retag", cwd=folder)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "imported 2 stakeholder(s), 0 problem(s)" in done.stdout


# -- options of the CLI -------------------------------------------------------------------------------
@pytest.mark.parametrize("args, option", [
    (["search", "แสงทอง", "--since", "7"], "--since"),
    (["mentions", "export", "--since", "สัปดาห์"], "--since"),
    (["reenrich", "--since", "abc", "--dry-run"], "--since"),
    (["stakeholders", "retag", "--since", "abc"], "--since"),
    (["playbooks", "test", "service-outage", "--since", "abc"], "--since"),
    (["playbooks", "test", "service-outage", "--since", "7d", "--step", "x"], "--step"),
])
def test_a_duration_option_names_itself(folder, args, option):
    done = CliRunner().invoke(main, [*args, "--config", str(folder / "sadap.yaml")])
    _one_line(done, f"{option}: ", "15m, 24h, 7d")


@pytest.mark.parametrize("args", [
    ["report", "responses", "--since", "2569-01-01"],
    ["report", "responses", "--until", "2569-10-01"],
    ["complaints", "causes", "--since", "2569-01-01T09:00"],
    ["alerts", "check", "--at", "2569-12-01T09:00", "--dry-run"],
])
def test_a_buddhist_era_year_in_a_date_option_is_refused_with_the_common_era_year(folder, args):
    # 2569-01-01 read as the year 2569 CE: an empty report, or rules evaluated 543 years ahead.
    done = CliRunner().invoke(main, [*args, "--config", str(folder / "sadap.yaml")])
    _one_line(done, args[-2] if args[-1] == "--dry-run" else args[-2], "Buddhist", "2026")


# -- YAML --------------------------------------------------------------------------------------------
def test_a_key_given_twice_on_one_line_is_refused(tmp_path):
    # `{name: x, name: y}` kept the second silently: only keys on different lines were compared.
    path = tmp_path / "sadap.yaml"
    path.write_text("watch:\n  - {name: ธนาคารแสงทอง, kind: brand, name: แสงทอง}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config_file(path)
    [line] = str(err.value).splitlines()
    assert line.startswith(f"{path}:2: watch[0].name: duplicate key 'name'") and "column" in line


# -- files that are not UTF-8 text ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["mentions.jsonl", "mentions.csv"])
def test_a_spreadsheet_workbook_given_to_ingest_is_one_line_saying_to_save_it_as_csv(folder, name):
    # An Excel file was read as JSON lines: "line 1: not valid JSON", exit 0.
    (folder / name).write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 64 + "[Content_Types].xml".encode())
    _one_line(sadap("ingest", name, "--workers", "1", cwd=folder), f"{name}: ", "workbook", "CSV UTF-8")


def test_a_config_in_thai_windows_encoding_names_its_line_and_the_encoding_to_use(tmp_path):
    path = tmp_path / "sadap.yaml"
    path.write_bytes("data_dir: data\nwatch:\n  - name: ธนาคารแสงทอง\n".encode("cp874"))
    with pytest.raises(ConfigError) as err:
        load_config_file(path)
    assert str(err.value).startswith(f"{path}:3: not UTF-8 text (column 11)") and "save the file as UTF-8" in str(err.value)


# -- a second review: empty text, lists where a name goes, links dropped, watch names, snooze reasons ----
@pytest.mark.parametrize("text", ["", "   "])
def test_enrich_with_no_text_is_one_line_and_a_failure(folder, text):
    # Exited 0, printing a language and a sentiment for nothing.
    done = CliRunner().invoke(main, ["enrich", text, "--config", str(folder / "sadap.yaml")])
    _one_line(done, "TEXT", "ไม่มีข้อความ")


@pytest.mark.parametrize("field, value", [("id", ["x"]), ("author", {"name": "สมศรี"}), ("source", ["line", "x"]),
                                          ("id", True)])
def test_a_list_or_object_where_a_name_goes_is_refused_on_its_line(folder, field, value):
    # Stored as the text "['x']" (an id, an author's pseudonym, a source name nobody configured).
    rows = [{"id": "1", "text": "แอปแสงทองโอนเงินไม่ได้"}, {"id": "2", "text": "แสงทองล่มอีกแล้ว", field: value},
            {"id": "3", "text": "แสงทองคืนเงินแล้ว ขอบคุณ", "author": 42}]
    (folder / "m.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    done = sadap("ingest", "m.jsonl", "--workers", "1", cwd=folder)
    problems = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 0 and len(problems) == 1, done.stderr
    assert problems[0].startswith(f"m.jsonl:2: `{field}`: ") and "a string or number" in problems[0], problems
    assert _stored(folder) == ["1", "3"]


def test_links_that_are_dropped_are_counted_in_the_summary(folder):
    # A javascript: link or one that cannot be parsed was dropped without a word.
    rows = [{"id": "1", "text": "แอปแสงทองโอนเงินไม่ได้", "url": "javascript:alert(1)"},
            {"id": "2", "text": "แสงทองล่มอีกแล้ว", "url": "http://[สาขา"},
            {"id": "3", "text": "แสงทองคืนเงินแล้ว", "url": "https://saengthong.example/a"},
            {"id": "4", "text": "แสงทองตอบเร็ว", "url": "www.saengthong.example/b"}]
    (folder / "m.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    done = sadap("ingest", "m.jsonl", "--workers", "1", "--json", cwd=folder)
    report = json.loads(done.stdout)
    assert report["stored"] == 4 and report["urls_dropped"] == 2 and report["rejected"] == [], report
    (folder / "again.jsonl").write_text((folder / "m.jsonl").read_text(encoding="utf-8").replace('"id": "', '"id": "b'),
                                        encoding="utf-8")
    done = sadap("ingest", "again.jsonl", "--workers", "1", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "ตัดลิงก์ที่ใช้ไม่ได้ 2 ·" in done.stdout, done.stdout
    assert "again.jsonl:1, 2: url dropped" in done.stderr, done.stderr


@pytest.mark.parametrize("watch, where", [
    ("  - name: ธนาคารแสงทอง\n  - name: แสงทอง\n  - name: ธนาคารแสงทอง\n", ":4: watch[2].name: duplicate watched name"),
    ("  - name: ธนาคารแสงทอง\n  - name: ''\n", ":3: watch[1].name: empty"),
    ("  - name: ธนาคารแสงทอง\n  - name: '   '\n", ":3: watch[1].name: empty"),
])
def test_a_watched_name_given_twice_or_empty_is_refused(tmp_path, watch, where):
    path = tmp_path / "sadap.yaml"
    path.write_text("watch:\n" + watch, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config_file(path)
    [line] = str(err.value).splitlines()
    assert line.startswith(f"{path}{where}"), line


def test_a_snooze_reason_is_masked_like_a_staff_note(folder):
    (folder / "sadap.yaml").write_text(CONFIG.replace("rules: []", "rules:\n  - {id: outage, type: threshold, title: แอปล่ม, "
                                                      "query: ล่ม, limit: 5, window: 1h}"), encoding="utf-8")
    done = CliRunner().invoke(main, ["alerts", "snooze", "outage", "--for", "2h", "--by", "somsri", "--reason",
                                     "ลูกค้าโทรจาก 081-234-5678 อีเมล somsri@example.com แจ้งว่าแก้แล้ว",
                                     "--config", str(folder / "sadap.yaml")])
    assert done.exit_code == 0, done.output
    with open_store(load_config_file(folder / "sadap.yaml")) as store:
        [snooze] = store.snoozes()
    assert "081-234-5678" not in snooze["reason"] and "somsri@example.com" not in snooze["reason"]
    assert "[โทร]" in snooze["reason"] and "[อีเมล]" in snooze["reason"]
