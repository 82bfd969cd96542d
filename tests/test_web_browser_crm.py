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
