"""Complaints received by phone, e-mail, letter or at the counter, imported from a file with a
`received_via` column (standard 003: many complaint channels; docs/pr-crm.md): each is stored under its
channel, so equal response compares the call centre with the counter and LINE, and a case says
where the complaint came in. A real SQLite store, real Thai complaints."""

from __future__ import annotations

import json

from click.testing import CliRunner

from sadap.app.cli import main
from sadap.app.fileimport import read_file
from sadap.app.fileimport import Rejected

CSV = """id,published_at,received_via,author,text
c1,2026-12-01T09:10:00+07:00,phone,cc-0141,โทรมาร้องเรียนว่าแอปโอนเงินไม่ได้ตั้งแต่เช้า เงินถูกตัดแต่ปลายทางไม่ได้รับ แย่มาก
c2,2026-12-01T10:25:00+07:00,walk_in,br-ลาดพร้าว,มาร้องเรียนที่สาขาว่าตู้เอทีเอ็มกลืนบัตร รอเจ้าหน้าที่นานมาก ไม่มีใครช่วยเลย
c3,2026-12-01T11:40:00+07:00,email,mail-77,ส่งอีเมลร้องเรียนเรื่องถูกหักค่าธรรมเนียมซ้ำสองครั้งในเดือนนี้ ขอคืนเงินด้วยค่ะ
c4,2026-12-01T13:05:00+07:00,,imp-9,แอปแจ้งข้อผิดพลาดทุกครั้งที่จะจ่ายบิล ใช้งานไม่ได้มาสองวันแล้ว
c5,2026-12-01T14:00:00+07:00,fax,fx-1,ส่งแฟกซ์มาร้องเรียนเรื่องดอกเบี้ย
"""


def test_a_rows_channel_is_its_kind_and_a_wrong_one_is_one_line(tmp_path):
    path = tmp_path / "complaints.csv"
    path.write_text(CSV, encoding="utf-8")
    rows = list(read_file(path))
    kinds = [item.source_kind for _, item in rows if not isinstance(item, Rejected)]
    assert kinds == ["phone", "walk_in", "email", "file"]
    [(line, rejected)] = [(n, item) for n, item in rows if isinstance(item, Rejected)]
    assert line == 6 and rejected.error == ("`received_via`: 'fax' is not a channel (allowed: phone, email, walk_in, letter, "
                                            "web_form, or empty for a plain import)")


def test_equal_response_and_cases_tell_the_channels_apart(tmp_path):
    (tmp_path / "sadap.yaml").write_text("data_dir: data\nnotifiers: []\n", encoding="utf-8")
    (tmp_path / "complaints.csv").write_text(CSV, encoding="utf-8")
    config = ["--config", str(tmp_path / "sadap.yaml")]
    runner = CliRunner()
    result = runner.invoke(main, ["ingest", str(tmp_path / "complaints.csv"), "--workers", "1", *config])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["report", "responses", "--by", "channel", "--json", *config])
    assert result.exit_code == 0, result.output
    groups = {g["group"] for g in json.loads(result.stdout)["groups"]}
    assert {"phone", "walk_in", "email"} <= groups
    shown = runner.invoke(main, ["report", "responses", "--by", "channel", *config])
    assert "โทรศัพท์ / ศูนย์บริการลูกค้า" in shown.stdout and "ติดต่อด้วยตนเอง" in shown.stdout
    cases = runner.invoke(main, ["complaints", "list", "--json", *config])
    assert cases.exit_code == 0, cases.output
    assert {"phone", "walk_in", "email"} <= {c["channel"] for c in json.loads(cases.stdout)}


def test_a_channel_written_as_people_write_it_is_read(tmp_path):
    path = tmp_path / "call-centre.csv"
    path.write_text("received_via,text\nPhone,โทรมาร้องเรียนว่าแอปโอนเงินไม่ได้\nWalk-in,มาร้องเรียนที่สาขา\n"
                    "Web Form,ส่งแบบฟอร์มร้องเรียน\n", encoding="utf-8")
    assert [item.source_kind for _, item in read_file(path)] == ["phone", "walk_in", "web_form"]
