"""What a complaint handler meets on a case (docs/pr-crm.md, "Complaint cases"): `complaints show
--json` gives the clock's true/false as JSON booleans and the time left in seconds (negative past due); `complaints
causes` refuses a period that ends before it starts in one line that says what was given; the
case page says a case closed without an answer was closed unanswered, as `complaints show` does,
and opens from an id read out in lower case. A real SQLite store, real Thai complaints."""

from __future__ import annotations

import json

from sadap.app.web.app import LANG_COOKIE
from sadap.app.web.auth import add_user
from sadap.store import open_store
from tests.test_complaints_cli import _case_of, _run, config  # noqa: F401  (the fixture: three Thai complaints, sla 4h)
from tests.web_support import PASSWORD, signed_in_client


def test_show_json_gives_the_clock_as_json_booleans_and_seconds(config):  # noqa: F811
    late, fresh = _case_of(config, "p1"), _case_of(config, "p2")  # six hours old and one, four allowed
    clock = json.loads(_run(config, "complaints", "show", late, "--json").output)["clock"]
    assert clock["overdue"] is True and clock["in_time"] is False and -3 * 3600 <= clock["left_s"] <= -2 * 3600  # past due
    assert clock["answered"] is None and clock["follow_up"] is None
    clock = json.loads(_run(config, "complaints", "show", fresh, "--json").output)["clock"]
    assert clock["overdue"] is False and 2 * 3600 < clock["left_s"] <= 3 * 3600
    listed = {r["id"]: r for r in json.loads(_run(config, "complaints", "list", "--json").output)}
    assert listed[late]["overdue"] is True and listed[late]["in_time"] is False  # as `list --json` gives them


def test_a_period_ending_before_it_starts_names_what_was_given(config):  # noqa: F811
    ahead = _run(config, "complaints", "causes", "--since", "2099-01-01")
    assert ahead.exit_code == 1
    assert ahead.output.strip() == "sadap: --until (now): not after --since '2099-01-01'"


def test_the_case_page_says_closed_unanswered_and_opens_from_a_lower_case_id(config):  # noqa: F811
    case_id = _case_of(config, "p2")
    assert _run(config, "complaints", "close", case_id, "--reason", "no_contact", "--by", "somsri").exit_code == 0
    assert "ปิดโดยไม่ได้ตอบ" in _run(config, "complaints", "show", case_id).output.splitlines()[1]
    with open_store(config) as store:
        add_user(store, "responder", "responder", PASSWORD)
        client = signed_in_client(config, store, "responder")
        page = client.get(f"/cases/{case_id}")
        assert page.status_code == 200
        due_row = page.text.split('<td class="clock">', 1)[1].split("</td>", 1)[0]
        assert "ปิดโดยไม่ได้ตอบ" in due_row
        client.cookies.set(LANG_COOKIE, "en")
        assert "closed, not answered" in client.get(f"/cases/{case_id}").text
        read_out = client.get(f"/cases/{case_id.lower()}")  # as `complaints show` takes it
        assert read_out.status_code == 200 and case_id in read_out.text
        other = _case_of(config, "p3")
        page = client.get(f"/cases/{other}")
        noted = client.post(f"/cases/{other.lower()}/note", data={"text": "โทรกลับลูกค้าแล้ว",
                            "csrf_token": page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]},
                            follow_redirects=True)
        assert noted.status_code == 200 and "โทรกลับลูกค้าแล้ว" in noted.text


def test_a_case_whose_every_mention_is_erased_is_closed_not_overdue_for_ever(config):  # noqa: F811
    from datetime import timedelta

    from sadap.app import privacy
    from sadap.core.mention import mention_id
    from sadap.core.timeutil import now_utc

    emptied = _case_of(config, "p1")
    erased = _run(config, "privacy", "erase", "--mention", mention_id("pantip", "p1"))
    assert erased.exit_code == 0 and "1 complaint case(s) left with no mention closed" in erased.output
    with open_store(config) as store:
        case = store.get_case(emptied)
        assert (case.state, case.close_reason, case.mention_ids) == ("closed", "erased", [])
        assert [c.state for c in store.list_cases() if c.id != emptied] == ["open", "open"]
    shown = json.loads(_run(config, "complaints", "list", "--json").stdout)
    assert emptied not in [c["id"] for c in shown if c["overdue"]]
    shown = _run(config, "complaints", "show", emptied).output
    assert "ข้อความถูกลบทั้งหมด (PDPA)" in shown
    with open_store(config) as store:  # retention removing the rest closes their cases the same way
        report = privacy.purge(config, store, days=1, now=now_utc() + timedelta(days=3))
        assert report["cases_closed_empty"] == 2
        assert {c.close_reason for c in store.list_cases()} == {"erased"}
