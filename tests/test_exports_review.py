"""Reports and exports as a review found them wanting: CSV files a spreadsheet opens safely and in
Thai (formula cells quoted, a BOM) and that import back as they were; a stakeholder level keeps
when it was set across an export and import; the quarterly report counts interactions as its
table does, says plainly when a quarter has no data and refuses one that has not begun; a partner
never gets an X author's handle in a link."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from sadap.app import stakeholders as registry
from sadap.app.cli import main
from sadap.app.config import load_config_file
from sadap.app.partners import shared_url
from sadap.app.quarterly import quarterly_report
from sadap.core.errors import InputError
from sadap.core.mention import Engagement
from sadap.core.stakeholder import Relationship, Stakeholder
from sadap.core.timeutil import UTC, now_utc
from sadap.store import MentionFilter, open_store

FORMULA = '=HYPERLINK("https://evil.example","คลิก")'


@pytest.fixture(scope="module")
def demo(demo_store_dir, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("exports") / "demo"
    shutil.copytree(demo_store_dir, target)
    return target / "sadap.yaml"


def test_mentions_csv_is_safe_in_a_spreadsheet_and_starts_with_a_bom(demo, tmp_path):
    config = load_config_file(demo)
    with open_store(config) as store:
        [m] = store.search(MentionFilter(), limit=1)
        store.upsert([m.model_copy(update={"title": FORMULA, "text": "+1 ธนาคารแสงทอง " + m.text})])
    out = tmp_path / "m.csv"
    result = CliRunner().invoke(main, ["mentions", "export", "--format", "csv", "-o", str(out), "--config", str(demo)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the Thai as UTF-8
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))}
    assert rows[m.id]["title"] == "'" + FORMULA and rows[m.id]["text"].startswith("'+1 ธนาคารแสงทอง")
    assert not any(v[:1] in "=+-@" for r in rows.values() for v in r.values() if v)


def test_stakeholder_csv_is_safe_and_round_trips_with_its_level_time(demo, tmp_path):
    config = load_config_file(demo)
    set_at = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
    with open_store(config) as store:
        registry.save(store, Stakeholder(id="formula-test", name=FORMULA, status="media", group="media",
                                         role="+ภารกิจ ดูแลข่าวเศรษฐกิจ",
                                         relationship=Relationship(level="good", set_by="somsri", reason="ร่วมงานดี",
                                                                   set_at=set_at)))
    out = tmp_path / "s.csv"
    r = CliRunner().invoke(main, ["stakeholders", "export", "--format", "csv", "-o", str(out), "--config", str(demo)])
    assert r.exit_code == 0, r.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    [row] = [x for x in csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))) if x["id"] == "formula-test"]
    assert row["name"] == "'" + FORMULA and row["role"].startswith("'+")
    r = CliRunner().invoke(main, ["stakeholders", "import", str(out), "--by", "somsri", "--config", str(demo)])
    assert r.exit_code == 0, r.output
    with open_store(config) as store:
        back = store.get_stakeholder("formula-test")
    assert back.name == FORMULA and back.role == "+ภารกิจ ดูแลข่าวเศรษฐกิจ"  # as it was
    assert back.relationship.set_at == set_at and back.relationship_history == []  # not moved to the import


def test_quarterly_interactions_are_likes_shares_and_comments(demo):
    config = load_config_file(demo)
    with open_store(config) as store:
        [m] = store.search(MentionFilter(), limit=1)
        store.upsert([m.model_copy(update={"engagement": Engagement(likes=10, shares=2, comments=3, views=50_000)})])
        report = quarterly_report(store, config, "2026Q4")
    shown = sum(report["now"]["interactions"][k] for k in ("likes", "shares", "comments"))
    assert report["now"]["interactions"]["views"] >= 50_000
    assert f"การมีส่วนร่วม (ถูกใจ แชร์ ความคิดเห็น) รวม {shown:,} ครั้ง" in report["summaries"]["engagement"]


def test_quarterly_says_when_a_quarter_is_empty_and_refuses_one_not_begun(demo):
    config = load_config_file(demo)
    with open_store(config) as store:
        report = quarterly_report(store, config, "2020Q1")  # nothing stored then, nor before
        summaries = " ".join(report["summaries"].values())
        assert "ไตรมาสนี้ไม่มีข้อมูล" in summaries and "ไม่มีข้อร้องเรียนหรือคำถามในไตรมาสนี้" in summaries
        assert "ตอบครบทุกรายการ" not in summaries
        later = now_utc() + timedelta(days=120)
        quarter = f"{later.year}Q{(later.month - 1) // 3 + 1}"
        with pytest.raises(InputError, match="has not begun yet"):
            quarterly_report(store, config, quarter)


def test_a_partner_never_gets_an_x_handle_in_a_link():
    assert shared_url("https://x.com/somchai_k/status/1865000000000000001") == "https://x.com/i/web/status/1865000000000000001"
    assert shared_url("https://mobile.twitter.com/somchai_k/status/42?s=20") == "https://x.com/i/web/status/42"
    assert shared_url("https://pantip.com/topic/43120001") == "https://pantip.com/topic/43120001"
    assert shared_url("javascript:alert(1)") is None
