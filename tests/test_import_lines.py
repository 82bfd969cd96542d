"""Records split only at real line ends (``\\n``, ``\\r\\n``), whatever Unicode separators the text
holds; a CSV header naming a column twice is refused; a stakeholder CSV row with more values than
the header is reported, not half-imported. Texts are real Thai social posts (wisesight-sentiment)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sadap.app import stakeholders as registry
from sadap.app.cli import main
from sadap.app.importer import import_file
from sadap.core.errors import InputError
from sadap.store import MentionFilter, open_store
from tests.test_ingest import config  # noqa: F401  (the config fixture)

# U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR, U+0085 NEXT LINE, form feed, group separator:
# str.splitlines() breaks at each; json.dumps(ensure_ascii=False) writes the first three raw.
LS, PS, NEL = "\u2028", "\u2029", "\u0085"


def stored_texts(config) -> dict[str, str]:  # noqa: F811
    with open_store(config) as store:
        return {m.native_id: m.text for m in store.search(MentionFilter(), limit=50)}


def test_jsonl_unicode_separators_stay_inside_their_line(config, tmp_path):  # noqa: F811
    rows = [
        {"id": "j1", "text": f"อยากให้ดันเรื่องให้ผ่านไวๆจังครับ{LS}ตอนนี้รู้สึกอึดอัดมาก"},
        {"id": "j2", "text": f"ได้เลย ที่รัก{NEL}รองดูไว้ก่อนเลย 💕"},
        {"id": "j3", "text": f"นัดต่อไป เรือต่อ2เม็ดฯ{PS}เล่น เบียร์สิงห์ 2หลัง\x0cจบ\x1dนะ"},
    ]
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    assert LS in lines[0] and NEL in lines[1]  # written raw, as the auditor found
    lines.append('{"id": "j4", "text": "ไม่ได้อยากกินเลยจริงๆ')  # physical line 4: really broken
    lines.append(json.dumps({"id": "j5", "text": "ถ้าจะจับบุหรี่ไฟฟ้า ไปจับหวยก่อน"}, ensure_ascii=False) + LS)
    lines.append(json.dumps({"id": "j6", "text": "2 วันสุดท้าย ยังไงคะลูกสาว"}, ensure_ascii=False))
    path = tmp_path / "social.jsonl"
    path.write_bytes(("\n".join(lines[:3]) + "\r\n" + "\n".join(lines[3:]) + "\n").encode("utf-8"))

    report = import_file(config, path)

    assert report["read"] == 6 and report["stored"] == 5
    [bad] = report["rejected"]
    assert bad["line"] == 4  # the physical line, as `wc -l` and editors count
    assert bad["error"].startswith("not valid JSON: Unterminated string")
    texts = stored_texts(config)
    assert texts == {
        "j1": rows[0]["text"], "j2": rows[1]["text"], "j3": rows[2]["text"],
        "j5": "ถ้าจะจับบุหรี่ไฟฟ้า ไปจับหวยก่อน", "j6": "2 วันสุดท้าย ยังไงคะลูกสาว",
    }


def test_csv_quoted_value_with_line_separator_is_one_mention(config, tmp_path):  # noqa: F811
    path = tmp_path / "complaints.csv"
    first = f"เบียร์ช้างบูด{LS}หัวใจต๊ะติ๊งโหน่ง, เค้าบอกให้ tag 1 คน 🤣{NEL}จบ"
    path.write_text(
        "id,text,published_at\r\n"
        f'c1,"{first}",2026-11-20 08:00\r\n'
        f"c2,ผ่อนบาทเดือนละ1400ไจ่ก่อ{PS}ครับ,2026-11-20 09:00\r\n"
        "c3,,2026-11-20 09:30\r\n",
        encoding="utf-8", newline="",
    )
    report = import_file(config, path)
    assert report["read"] == 3 and report["stored"] == 2
    assert [(r["line"], r["error"][:14]) for r in report["rejected"]] == [(4, "missing `text`")]
    assert stored_texts(config) == {"c1": first, "c2": f"ผ่อนบาทเดือนละ1400ไจ่ก่อ{PS}ครับ"}


def test_csv_header_with_a_column_twice_is_refused(config, tmp_path):  # noqa: F811
    path = tmp_path / "twice.csv"
    path.write_text("id,text,text\nd1,บัตรสมาชิกลดได้อีกไหมคับ,ไม่ได้อยากกินเลยจริงๆ\n", encoding="utf-8")
    message = (f"{path}:1: CSV header names column `text` 2 times (columns 2, 3); "
               "column names must be unique: rename or remove the extra one")
    with pytest.raises(InputError) as err:
        import_file(config, path)
    assert str(err.value) == message
    with open_store(config) as store:
        assert store.count(MentionFilter()) == 0

    r = CliRunner().invoke(main, ["ingest", str(path), "--config", str(config.path)])
    assert r.exit_code == 1 and r.stderr.splitlines() == [f"sadap: {message}"]
    with open_store(config) as store:
        assert store.count(MentionFilter()) == 0


def test_csv_blank_header_names_are_not_duplicates(config, tmp_path):  # noqa: F811
    path = tmp_path / "excel.csv"
    path.write_text("id,text,,\ne1,เหมาะกะมึงที่สัสคะ เอ้ย สุด,,\n", encoding="utf-8")
    report = import_file(config, path)
    assert report["stored"] == 1 and report["rejected"] == []


def test_stakeholder_csv_row_with_extra_values_is_reported_and_skipped(config, tmp_path):  # noqa: F811
    path = tmp_path / "stakeholders.csv"
    path.write_text(
        "id,name,status,group,notes\n"
        "huai-phueng,ชุมชนบ้านห้วยผึ้ง,community,community,อยากให้ดันเรื่องให้ผ่านไวๆจังครับ\n"
        "netnathee,สำนักข่าวเนตรนที,media,media,ได้เลย ที่รัก, รองดูไว้ก่อนเลย\n"
        "sellers,ร้านค้าออนไลน์,private_company,customers,บัตรสมาชิกลดได้อีกไหมคับ\n",
        encoding="utf-8",
    )
    problem = (f"{path}:3: 6 values but the header has 5 columns; remove the extra values "
               "(a value holding a comma must be quoted) — row skipped")
    found, problems = registry.read_file(path, "somsri")
    assert [s.id for s in found] == ["huai-phueng", "sellers"]
    assert found[0].notes == "อยากให้ดันเรื่องให้ผ่านไวๆจังครับ"
    assert problems == [problem]

    r = CliRunner().invoke(main, ["stakeholders", "import", str(path), "--by", "somsri", "--config", str(config.path)])
    assert r.exit_code == 1 and "imported 2 stakeholder(s), 1 problem(s)" in r.stdout
    assert r.stderr.splitlines() == [f"sadap: {problem}"]
    with open_store(config) as store:
        assert sorted(s.id for s in store.list_stakeholders()) == ["huai-phueng", "sellers"]


def test_stakeholder_csv_column_twice_is_refused_and_problems_name_csv_columns(tmp_path):
    twice = tmp_path / "twice.csv"
    twice.write_text("id,name,status,group,name\nhuai-phueng,ชุมชนบ้านห้วยผึ้ง,community,community,ห้วยผึ้ง\n",
                     encoding="utf-8")
    with pytest.raises(InputError) as err:
        registry.read_file(twice, "somsri")
    assert str(err.value) == f"{twice}:1: column 'name' appears 2 times; column names must be unique: remove the extra one"
    unsigned = tmp_path / "unsigned.csv"
    unsigned.write_text("id,name,status,group,relationship,relationship_by\n"
                        "huai-phueng,ชุมชนบ้านห้วยผึ้ง,community,community,good,\n", encoding="utf-8")
    found, problems = registry.read_file(unsigned, "somsri")
    assert found == [] and len(problems) == 1
    assert problems[0].startswith(f"{unsigned}:2: relationship_by: ")  # the CSV column, not relationship.set_by
