"""`sadap complaints` as a complaint handler uses it (docs/pr-crm.md, "Complaint cases"): the
case clock runs on the configured ``complaint_sla`` (as the workspace's does), a closed case's
clock is stopped, reopening an open case is refused, the ids `complaints show` prints are the
ids `complaints link` takes, and `complaints assign` gives a case to someone as the workspace's
Assign does. A real SQLite store, real Thai complaints."""

from __future__ import annotations

import json
import unicodedata
from datetime import timedelta

import pytest
from click.testing import CliRunner

from sadap.app import complaints as cases
from sadap.app.cli import main
from sadap.app.config import load_config_file
from sadap.app.web.auth import add_user, set_disabled
from sadap.core.mention import Complaint, Mention, Sentiment, mention_id
from sadap.core.timeutil import now_utc
from sadap.store import open_store

COMPLAINTS = [  # (native id, author, hours ago, text)
    ("p1", "a_ชายกลางซอย", 6, "โดนตัดเงินซ้ำสองรอบ โอนค่าเช่าห้องครั้งเดียว เงินหายไป แย่มาก"),
    ("p2", "a_ป้าแดงของชำ", 1, "แอปแสงทองโอนเงินไม่ได้ตั้งแต่เช้า ลูกค้ารอหน้าร้านอยู่เลยค่ะ"),
    ("p3", "a_ลุงหมาน", 2, "ตู้เอทีเอ็มหน้าตลาดกลืนบัตร โทรคอลเซ็นเตอร์ก็ไม่มีใครรับสาย"),
]


@pytest.fixture
def config(tmp_path):
    (tmp_path / "sadap.yaml").write_text(
        "data_dir: data\nwatch:\n  - name: ธนาคารแสงทอง\n    aliases: [แสงทอง]\n"
        "rules:\n  - id: sla\n    type: complaint_sla\n    title: ข้อร้องเรียนเกิน 4 ชม.\n    sla: 4h\n"
        "notifiers: []\n", encoding="utf-8")
    config = load_config_file(tmp_path / "sadap.yaml")
    now = now_utc()
    found = [Mention(id=mention_id("pantip", native), source_kind="pantip", source_name="pantip", native_id=native,
                     author_id=author, published_at=now - timedelta(hours=ago), collected_at=now, text=text,
                     sentiment=Sentiment(label="neg", score=0.9),
                     complaint=Complaint(is_complaint=True, type="price_billing"))
             for native, author, ago, text in COMPLAINTS]
    with open_store(config) as store:
        store.upsert(found)
        cases.assign(store, found, now)
    return config


def _run(config, *args: str):
    return CliRunner().invoke(main, [*args, "--config", str(config.path)])


def _case_of(config, native: str) -> str:
    with open_store(config) as store:
        return next(c.id for c in store.list_cases() if mention_id("pantip", native) in c.mention_ids)


def test_the_case_clock_runs_on_the_configured_sla(config):
    listed = _run(config, "complaints", "list", "--json")
    assert listed.exit_code == 0, listed.output
    rows = {r["mention_ids"][0]: r for r in json.loads(listed.output)}
    late = rows[mention_id("pantip", "p1")]  # six hours old, four allowed: overdue, as the alert and the page say
    assert late["overdue"] is True
    text = _run(config, "complaints", "list").output
    line = next(x for x in text.splitlines() if x.startswith(late["id"]))
    assert "เลยกำหนด" in line and "เหลือ" not in line
    assert "เหลือ 2 ชม." in next(x for x in text.splitlines() if x.startswith(rows[mention_id("pantip", "p2")]["id"]))
    shown = _run(config, "complaints", "show", late["id"]).output
    assert "เลยกำหนด" in shown.splitlines()[1]
    with open_store(config) as store:
        case = store.get_case(late["id"])
        assert cases.case_sla(config) == timedelta(hours=4)
        assert cases.case_view(store, case, {}, sla=cases.case_sla(config))["clock"]["due"].isoformat() == late["due"]


def test_a_closed_unanswered_case_has_no_time_left(config):
    case_id = _case_of(config, "p2")
    closed = _run(config, "complaints", "close", case_id, "--reason", "no_contact", "--by", "somsri")
    assert closed.exit_code == 0, closed.output
    line = next(x for x in _run(config, "complaints", "list").output.splitlines() if x.startswith(case_id))
    assert "ปิดโดยไม่ได้ตอบ" in line and "เหลือ" not in line
    assert "ปิดโดยไม่ได้ตอบ" in _run(config, "complaints", "show", case_id).output.splitlines()[1]
    with open_store(config) as store:
        clock = cases.case_clock(store, store.get_case(case_id), now_utc() + timedelta(days=2), timedelta(hours=4))
    assert clock["left"] is None and not clock["overdue"]


def test_reopening_an_open_case_is_refused(config):
    case_id = _case_of(config, "p3")
    refused = _run(config, "complaints", "reopen", case_id)
    assert refused.exit_code == 1
    assert refused.output.strip() == f"sadap: {case_id} is open already (only a closed case can be reopened)"
    with open_store(config) as store:
        assert [e.kind for e in store.get_case(case_id).events] == ["opened"]
    assert _run(config, "complaints", "close", case_id, "--reason", "resolved").exit_code == 0
    again = _run(config, "complaints", "reopen", case_id)
    assert again.exit_code == 0 and again.output.strip() == f"{case_id}: เปิดอยู่"


def test_link_takes_the_ids_show_prints_and_a_case_id_as_read_out(config):
    target, other = _case_of(config, "p3"), _case_of(config, "p1")
    moved = mention_id("pantip", "p1")
    shown = _run(config, "complaints", "show", other).output
    assert f"({moved[:12]})" in shown  # what the handler copies from the timeline
    linked = _run(config, "complaints", "link", target.lower(), moved[:12], "--by", "somsri")
    assert linked.exit_code == 0, linked.output
    assert linked.output.strip() == f"{target}: 2 mention(s)"
    with open_store(config) as store:
        assert moved in store.get_case(target).mention_ids
        assert store.get_case(other).state == "closed" and store.get_case(other).close_reason == "duplicate"
    missing = _run(config, "complaints", "link", target, "ffff0000")
    assert missing.exit_code == 1 and "no mention 'ffff0000'" in missing.output
    bare = target.removeprefix("CASE-").lower()  # read out without its CASE-
    shown = _run(config, "complaints", "show", bare)
    assert shown.exit_code == 0 and target in shown.output
    unknown = _run(config, "complaints", "show", "ABCD")
    assert unknown.exit_code == 1 and "ids look like CASE-1A2B3C4D" in unknown.output


def test_list_and_show_read_in_thai_and_line_up(config):
    """States and timeline kinds in Thai, as `incidents list` shows them and the workspace does;
    columns line up although Thai vowels and tone marks take no column of their own."""
    listed = _run(config, "complaints", "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert len(lines) == 3 and all("เปิดอยู่" in line and " open " not in line for line in lines)
    def column(line: str, text: str) -> int:  # as a terminal shows it
        return sum(1 for ch in line[: line.index(text)] if unicodedata.category(ch) != "Mn")

    assert {"เลยกำหนด", "เหลือ"} <= {word for line in lines for word in ("เลยกำหนด", "เหลือ") if word in line}
    assert len({column(line, "พันทิป/") for line in lines}) == 1  # the channel (in Thai) starts in one column on every line
    shown = _run(config, "complaints", "show", _case_of(config, "p1"))
    assert shown.exit_code == 0 and "ร้องเรียน" in shown.output and " complaint " not in shown.output


@pytest.fixture
def people(config):
    """Workspace users on the same store: two who answer, one disabled since, one viewer."""
    with open_store(config) as store:
        for name, role in (("somsri", "responder"), ("wichai", "planner"), ("pranee", "responder"), ("nok", "viewer")):
            add_user(store, name, role, "ลองรหัสผ่านยาว-2026")
        set_disabled(store, "pranee")
    return config


def test_assign_gives_the_case_to_a_user_as_the_workspace_does(people):
    """`complaints assign CASE --to USER` is the workspace's Assign: the case's assignee, an
    `assigned` event (who, from → to) on its timeline, the id as read out; no one, someone who
    is not a user, a disabled user or a viewer is refused in one line (exit 1), the case unchanged."""
    config = people
    case_id = _case_of(config, "p1")
    given = _run(config, "complaints", "assign", case_id.removeprefix("CASE-").lower(), "--to", "somsri", "--by", "lek")
    assert given.exit_code == 0, given.output
    assert given.output.strip() == f"{case_id}: มอบหมายให้ somsri"
    again = _run(config, "complaints", "assign", case_id.lower(), "--to", "wichai", "--by", "lek")
    assert again.exit_code == 0, again.output
    with open_store(config) as store:
        case = store.get_case(case_id)
    assert case.assignee == "wichai"
    assert [(e.actor, e.data) for e in case.events if e.kind == "assigned"] == [
        ("lek", {"from": None, "to": "somsri"}), ("lek", {"from": "somsri", "to": "wichai"})]
    for to, why in (("", "assignee: required"), ("nobody", "assignee: no active user 'nobody'"),
                    ("pranee", "assignee: no active user 'pranee'"), ("nok", "assignee: 'nok' is a viewer")):
        refused = _run(config, "complaints", "assign", case_id, "--to", to)
        assert refused.exit_code == 1 and refused.output.startswith(f"sadap: {why}"), (to, refused.output)
        assert len(refused.output.strip().splitlines()) == 1
    with open_store(config) as store:
        assert store.get_case(case_id).assignee == "wichai"
    missing = _run(config, "complaints", "assign", "ABCD", "--to", "somsri")
    assert missing.exit_code == 1 and "ids look like CASE-1A2B3C4D" in missing.output
    assert _run(config, "complaints", "assign", case_id).exit_code == 2  # --to is required (click's usage error)
    shown = _run(config, "complaints", "show", case_id)
    assert "ผู้รับเรื่อง: wichai" in shown.output
    assert any("มอบหมาย" in line and "somsri → wichai" in line for line in shown.output.splitlines())


def test_list_and_show_give_the_assignee_and_list_filters_by_it(people):
    config = people
    given, legacy, free = _case_of(config, "p1"), _case_of(config, "p2"), _case_of(config, "p3")
    assert _run(config, "complaints", "assign", given, "--to", "somsri").exit_code == 0
    with open_store(config) as store:  # assigned before cases had an assignee: on its first complaint
        store.assign(mention_id("pantip", "p2"), "wichai", "lek", now_utc())
    rows = {r["id"]: r for r in json.loads(_run(config, "complaints", "list", "--json").output)}
    assert {i: r["assignee"] for i, r in rows.items()} == {given: "somsri", legacy: "wichai", free: None}
    text = _run(config, "complaints", "list").output.splitlines()
    line = {i: next(x for x in text if x.startswith(i)) for i in rows}
    assert "ผู้รับเรื่อง: somsri" in line[given] and "ผู้รับเรื่อง: wichai" in line[legacy]
    assert "ผู้รับเรื่อง" not in line[free]

    def ids(*args: str) -> list[str]:
        out = _run(config, "complaints", "list", "--json", *args)
        assert out.exit_code == 0, out.output
        return [r["id"] for r in json.loads(out.output)]

    assert ids("--assignee", "somsri") == [given] and ids("--assignee", "wichai") == [legacy]
    assert ids("--unassigned") == [free] and ids("--assignee", "nobody") == []
    both = _run(config, "complaints", "list", "--assignee", "somsri", "--unassigned")
    assert both.exit_code == 1 and both.output.strip() == "sadap: --assignee and --unassigned: choose one"

    shown = json.loads(_run(config, "complaints", "show", given, "--json").output)
    assert shown["assignee"] == "somsri" and any(i["kind"] == "assigned" for i in shown["timeline"])
    assert json.loads(_run(config, "complaints", "show", legacy, "--json").output)["assignee"] == "wichai"
    assert json.loads(_run(config, "complaints", "show", free, "--json").output)["assignee"] is None
    assert "ผู้รับเรื่อง: ยังไม่มอบหมาย" in _run(config, "complaints", "show", free).output
