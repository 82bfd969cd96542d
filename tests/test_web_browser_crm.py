"""The stakeholder page and a complaint case's page in a real browser (Playwright driving Debian's
Chromium against a real uvicorn server on a copy of the demo store)."""

from __future__ import annotations

import os

import pytest

from tests.browser_support import chromium_missing, served_workspace, sign_in_page
from tests.web_support import PASSWORD

pytestmark = pytest.mark.browser

_missing = chromium_missing()
if _missing and not os.environ.get("CI"):
    pytest.skip(_missing, allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(demo_store_dir, tmp_path_factory):
    with served_workspace(demo_store_dir, tmp_path_factory.mktemp("browser-crm")) as served:
        yield served


def test_stakeholder_page_and_editing_the_relationship(server, page):
    base, store = server
    sign_in_page(page, base, "responder", PASSWORD)
    page.click("nav >> text=ผู้มีส่วนได้ส่วนเสีย")
    page.wait_for_load_state("load")
    assert page.url.endswith("/stakeholders")
    page.click("#s-sme-sellers a")
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text().startswith("ร้านค้าและผู้ค้าออนไลน์")
    assert page.locator("table.mentions tbody tr").count() >= 3  # their own posts on the forum
    assert page.locator("table.trend tbody tr").count() == 8  # eight weeks of sentiment and expectation
    assert page.locator("ul.cases li a").count() >= 1
    page.select_option("#stakeholder-form select[name=level]", "strained")
    page.fill("#stakeholder-form input[name=reason]", "ร้องเรียนเรื่องตัดเงินซ้ำหลายราย")
    page.click("#stakeholder-form button[type=submit]")
    page.wait_for_load_state("load")
    assert "ตึงเครียด" in page.locator("td.relationship").inner_text()
    assert "responder" in page.locator("td.relationship").inner_text()
    s = store.get_stakeholder("sme-sellers")
    assert s.relationship.level == "strained" and s.relationship.set_by == "responder"
    # the level it replaced stays on the page, with who set it and why
    earlier = page.locator("ul.relationship-history li").first.inner_text()
    assert "ปกติ" in earlier and "somsri" in earlier and "ร้องเรียนเพิ่มขึ้นหลังระบบขัดข้อง" in earlier
    assert [h.level for h in s.relationship_history] == ["neutral"]
    assert not page.errors, page.errors


def test_equal_response_page_by_channel_and_by_stakeholder_group(server, page):
    base, _ = server
    sign_in_page(page, base, "viewer", PASSWORD)
    page.click("nav >> text=ตอบสนองเท่าเทียม")
    page.wait_for_load_state("load")
    assert page.url.split("?")[0].endswith("/responses")
    pantip = page.locator("#responses tbody tr", has_text="พันทิป")
    assert pantip.count() == 1 and "flagged" in (pantip.get_attribute("class") or "")
    assert "ช้ากว่ากลุ่มอื่นอย่างชัดเจน" in pantip.inner_text() and "แก้ไขเสร็จช้ากว่า" in pantip.inner_text()
    heads = page.locator("#responses thead th").all_inner_texts()
    assert any("แก้ไขเสร็จ" in h for h in heads) and "ยังไม่เสร็จสิ้น" in heads
    page.select_option("select[name=by]", "group")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("load")
    assert "by=group" in page.url
    community = page.locator("#responses tbody tr", has_text="ชุมชน")
    assert community.count() == 1 and "slower-resolution" in community.inner_html()
    assert page.locator("#responses tbody tr", has_text="ลูกค้า").count() == 1
    assert not page.errors, page.errors


def test_case_page_timeline_and_closing(server, page):
    base, store = server
    sign_in_page(page, base, "responder", PASSWORD)
    page.goto(base + "complaints?days=30")
    multi = max(store.list_cases(("open",)), key=lambda c: len(c.mention_ids))
    page.click(f"#c-{multi.id} a[href='/cases/{multi.id}']")
    page.wait_for_load_state("load")
    assert multi.id in page.locator("h1").inner_text()
    assert page.locator("ol.case-timeline li.ev-complaint").count() >= len(multi.mention_ids)
    assert page.locator("ol.recovery li").count() >= 1
    page.fill("#case-note textarea[name=text]", "โทรหาผู้ร้องเรียนแล้ว แจ้งว่าจะคืนเงินภายใน 24 ชั่วโมง")
    page.click("#case-note button[type=submit]")
    page.wait_for_load_state("load")
    assert "โทรหาผู้ร้องเรียนแล้ว" in page.locator("ol.case-timeline li.ev-note").last.inner_text()
    page.select_option("#case-close select[name=reason]", "compensated")
    page.click("#case-close button[type=submit]")
    page.wait_for_load_state("load")
    assert "เยียวยาแล้ว" in page.locator("h1").inner_text()
    assert store.get_case(multi.id).state == "closed"
    assert not page.errors, page.errors


def test_case_page_records_and_changes_the_cause(server, page):
    base, store = server
    sign_in_page(page, base, "responder", PASSWORD)
    case = next(c for c in store.list_cases(("open",)) if c.cause is None)
    page.goto(base + f"cases/{case.id}")
    assert "ยังไม่ได้บันทึก" in page.locator("td.cause").inner_text()
    page.select_option("#case-cause select[name=cause]", "communication")
    page.fill("#case-cause input[name=cause_note]", "หน้าแอปไม่บอกว่าการโอนต่างธนาคารใช้เวลาถึงสองชั่วโมง")
    page.click("#case-cause button[type=submit]")
    page.wait_for_load_state("load")
    shown = page.locator("td.cause").inner_text()
    assert "การสื่อสารหรือข้อมูลไม่ชัดเจน" in shown and "ใช้เวลาถึงสองชั่วโมง" in shown and "responder" in shown
    # the form shows what is recorded; a new cause replaces it and the old one stays on the timeline
    assert page.locator("#case-cause select[name=cause]").input_value() == "communication"
    page.select_option("#case-cause select[name=cause]", "system_failure")
    page.fill("#case-cause input[name=cause_note]", "ระบบโอนต่างธนาคารค้างจริง ตามบันทึกของฝ่ายไอที")
    page.click("#case-cause button[type=submit]")
    page.wait_for_load_state("load")
    assert "ระบบขัดข้อง" in page.locator("td.cause").inner_text()
    changes = page.locator("ol.case-timeline li.ev-cause").all_inner_texts()
    assert len(changes) == 2 and "การสื่อสารหรือข้อมูลไม่ชัดเจน → ระบบขัดข้อง: ระบบโอนต่างธนาคารค้างจริง" in changes[1]
    assert "สาเหตุของปัญหา" in changes[0] and "- → การสื่อสารหรือข้อมูลไม่ชัดเจน" in changes[0]
    saved = store.get_case(case.id)
    assert saved.cause == "system_failure" and [e.data["from"] for e in saved.events if e.kind == "cause"] == [
        None, "communication"]
    assert not page.errors, page.errors


def test_backups_page_for_admins_only_and_backing_up_now(server, page):
    import json
    from pathlib import Path

    from sadap.store import MentionFilter

    base, store = server
    sign_in_page(page, base, "planner", PASSWORD)
    assert page.locator("nav >> text=สำรองข้อมูล").count() == 0
    assert page.request.get(base + "backups").status == 403
    token = page.get_attribute("body", "data-csrf")
    assert page.request.post(base + "backups", form={"csrf_token": token}).status == 403
    page.context.clear_cookies()
    sign_in_page(page, base, "admin", PASSWORD)
    page.click("nav >> text=สำรองข้อมูล")
    page.wait_for_load_state("load")
    assert page.locator("#backup-none").count() == 1 and "ยังไม่ได้ตั้งสำรองอัตโนมัติ" in page.content()
    page.click("#backup-form button[type=submit]")
    page.wait_for_load_state("load")
    made = page.locator("#backup-made").inner_text()
    assert made.startswith("สำรองข้อมูลแล้ว: sadap-backup-")
    row = page.locator("#backups tbody tr")
    assert row.count() == 1 and f"ข้อความ {store.count(MentionFilter()):,}" in row.inner_text()
    archive = Path(store.path).parent / "backups" / made.split(": ", 1)[1]
    assert archive.exists() and archive.stat().st_mode & 0o777 == 0o600
    audit = [json.loads(line) for line in (archive.parent.parent / "privacy-audit.jsonl").read_text().splitlines()]
    assert audit[-1]["action"] == "backup" and audit[-1]["actor"] == "admin"
    assert not page.errors, page.errors


def test_the_queue_assigns_the_case(server, page):
    """Choosing someone in a queue row and pressing Assign gives the case to them: the row shows
    them, the case's page names them, its timeline says who gave it."""
    base, store = server
    sign_in_page(page, base, "responder", PASSWORD)
    page.goto(base + "complaints?days=30")
    case = next(c for c in store.list_cases(("open",)) if not c.assignee and page.locator(f"#c-{c.id}").count())
    row = page.locator(f"#c-{case.id}")
    row.locator("form.assign select[name=assignee]").select_option("planner")
    row.locator("form.assign button").click()
    page.wait_for_load_state("load")
    assert page.locator(f"#c-{case.id} form.assign select[name=assignee]").input_value() == "planner"
    assert store.get_case(case.id).assignee == "planner"
    page.click(f"#c-{case.id} a[href='/cases/{case.id}']")
    page.wait_for_load_state("load")
    assert page.locator("td.assignee").inner_text() == "planner"
    given = page.locator("ol.case-timeline li.ev-assigned").last.inner_text()
    assert "มอบหมาย" in given and "responder" in given and "planner" in given
    assert not page.errors, page.errors


def test_the_case_page_assigns_the_case(server, page):
    """On a case's page, choosing someone in its assign form and pressing Assign gives the case to
    them and comes back to the case page, which names them and says on the timeline who gave it;
    pressing Assign with "not assigned" chosen is refused next to the form."""
    base, store = server
    case = next(c for c in store.list_cases(("open",)) if not c.assignee and not store.assignments(c.mention_ids[:1]))
    sign_in_page(page, base, "responder", PASSWORD)
    page.goto(base + f"cases/{case.id}")
    form = page.locator("#case-assign")
    assert form.locator("select[name=assignee]").input_value() == ""
    form.locator("button").click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/cases/{case.id}/assign")  # the refused form's answer, the case page again
    assert "โปรดเลือกผู้รับเรื่อง" in page.locator("#case-assign .problem").inner_text()
    assert store.get_case(case.id).assignee is None
    page.locator("#case-assign select[name=assignee]").select_option("planner")
    page.locator("#case-assign button").click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/cases/{case.id}")
    assert page.locator("td.assignee").inner_text() == "planner"
    assert page.locator("#case-assign select[name=assignee]").input_value() == "planner"
    assert page.locator("#case-assign .problem").count() == 0
    given = page.locator("ol.case-timeline li.ev-assigned").last.inner_text()
    assert "มอบหมาย" in given and "responder" in given and "planner" in given
    assert store.get_case(case.id).assignee == "planner"
    # the refused form's answer is logged by the browser as a 422; nothing else went wrong
    assert [e for e in page.errors if "status of 422" not in e] == [] and len(page.errors) == 1, page.errors
