"""The workspace's stakeholder pages, the "informed" tick on an incident, the complaint-case queue
and a case's page, on a copy of the demo store (which ships five stakeholders)."""

from __future__ import annotations

import pytest

from tests.web_support import csrf_of, open_workspace, signed_in_client

starlette_testclient = pytest.importorskip("starlette.testclient")


@pytest.fixture(scope="module")
def setup(demo_store_dir, tmp_path_factory):
    config, store = open_workspace(demo_store_dir, tmp_path_factory.mktemp("web-crm") / "ws")
    yield config, store
    store.close()


def signed_in(setup, role: str):
    return signed_in_client(*setup, role)


def test_stakeholder_list_and_page(setup):
    from sadap.store import MentionFilter

    _, store = setup
    client = signed_in(setup, "viewer")
    page = client.get("/stakeholders")
    assert page.status_code == 200
    for name in ("ธนาคารแห่งประเทศไทย", "ร้านค้าและผู้ค้าออนไลน์ที่รับเงินผ่านแสงทอง", "ชุมชนบ้านห้วยผึ้ง"):
        assert name in page.text
    assert 'id="stakeholder-form"' not in page.text  # viewers do not edit
    assert "คู่ค้าและพันธมิตร" in client.get("/stakeholders").text  # the group filter's words
    tagged = store.search(MentionFilter(stakeholders=("sme-sellers",)), 50)
    assert tagged, "the demo's sellers post on the forum"
    page = client.get("/stakeholders/sme-sellers")
    assert page.status_code == 200
    assert "ทีมลูกค้าธุรกิจรายย่อย" in page.text and "@st-sme" in page.text  # coordinator and channel
    assert f"/mentions/{tagged[0].id}" in page.text
    assert "แนวโน้มอารมณ์และความคาดหวังรายสัปดาห์" in page.text and "ประเด็นที่พบออนไลน์เดือนนี้" in page.text
    cases = [c for c in store.list_cases(("open",)) if "sme-sellers" in c.stakeholders]
    assert cases and f"/cases/{cases[0].id}" in page.text
    assert client.get("/stakeholders/nobody").status_code == 404


def test_editing_needs_a_responder_and_csrf(setup):
    _, store = setup
    viewer = signed_in(setup, "viewer")
    token = csrf_of(viewer.get("/stakeholders/bot").text)  # the top bar's sign-out form has one
    r = viewer.post("/stakeholders/bot/edit", data={"csrf_token": token, "name": "x", "status": "media", "group": "media"})
    assert r.status_code == 403 and store.get_stakeholder("bot").name == "ธนาคารแห่งประเทศไทย"
    client = signed_in(setup, "responder")
    page = client.get("/stakeholders/bot")
    assert 'id="stakeholder-form"' in page.text
    form = {"name": "ธนาคารแห่งประเทศไทย", "name_en": "Bank of Thailand", "status": "government", "group": "regulators",
            "role": "กำกับดูแลสถาบันการเงิน", "key_issues": "ความต่อเนื่องของบริการ; การคืนเงินลูกค้า",
            "contacts": "ฝ่ายกำกับความเสี่ยงด้านเทคโนโลยี|email|it-incident@example.org\nคุณวิภา|phone|02-000-0000|ผู้อำนวยการ",
            "level": "strained", "reason": "รายงานเหตุขัดข้องล่าช้ากว่ากำหนด", "aliases": "แบงก์ชาติ; ธปท.",
            "inform_as": "regulator"}
    r = client.post("/stakeholders/bot/edit", data=form, follow_redirects=False)
    assert r.status_code == 403  # no CSRF token
    r = client.post("/stakeholders/bot/edit", data={**form, "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    s = store.get_stakeholder("bot")
    assert s.relationship.level == "strained" and s.relationship.set_by == "responder"
    assert s.relationship.reason == "รายงานเหตุขัดข้องล่าช้ากว่ากำหนด" and s.updated_by == "responder"
    assert [c.name for c in s.contacts] == ["ฝ่ายกำกับความเสี่ยงด้านเทคโนโลยี", "คุณวิภา"] and s.contacts[1].title == "ผู้อำนวยการ"
    # the level it replaced is kept with who set it and why, and shown on the page
    assert [(h.level, h.set_by, h.reason) for h in s.relationship_history] == [
        ("good", "somsri", "ประชุมรายไตรมาสสม่ำเสมอ ส่งรายงานตรงเวลา")]
    shown = client.get("/stakeholders/bot").text
    assert "ระดับความสัมพันธ์ก่อนหน้า" in shown
    assert "ประชุมรายไตรมาสสม่ำเสมอ ส่งรายงานตรงเวลา" in shown.split('class="relationship-history"', 1)[1].split("</ul>", 1)[0]
    bad = client.post("/stakeholders/bot/edit", data={**form, "status": "club", "csrf_token": csrf_of(page.text)})
    assert bad.status_code == 422 and "status" in bad.text  # the page again, the problem next to the field
    assert store.get_stakeholder("bot").status == "government"


def test_incident_shows_who_to_inform_and_records_the_tick(setup):
    _, store = setup
    incident = next(i for i in store.list_incidents() if i.playbook == "service-outage")
    client = signed_in(setup, "responder")
    page = client.get(f"/incidents/{incident.id}")
    assert 'id="inform"' in page.text and "/stakeholders/staff" in page.text and "หัวหน้าศูนย์บริการลูกค้า" in page.text
    from sadap.app.config import configured_playbooks

    outage = next(p for p in configured_playbooks(setup[0], check_references=False) if p.id == "service-outage")
    entry = next(i for i, s in enumerate(outage.stakeholders) if s.role == "staff")
    r = client.post(f"/stakeholders/inform/{incident.id}", data={"csrf_token": csrf_of(page.text), "entry": str(entry),
                                                               "stakeholder": "staff"}, follow_redirects=False)
    assert r.status_code == 303
    tick = [e for e in store.events(incident.id) if e.kind == "informed"][-1]
    assert tick.actor == "responder" and tick.data["stakeholder"] == "staff"
    after = client.get(f"/incidents/{incident.id}").text
    assert "แจ้งแล้ว · responder" in after
    viewer = signed_in(setup, "viewer")
    r = viewer.post(f"/stakeholders/inform/{incident.id}", data={"csrf_token": csrf_of(after), "entry": str(entry)})
    assert r.status_code == 403


def test_complaint_queue_shows_cases_and_the_case_page_its_events(setup):
    _, store = setup
    client = signed_in(setup, "responder")
    queue = client.get("/complaints", params={"days": "30"})
    assert queue.status_code == 200
    multi = max(store.list_cases(), key=lambda c: len(c.mention_ids))
    assert len(multi.mention_ids) > 1
    assert f'id="c-{multi.id}"' in queue.text and f"×{len(multi.mention_ids)}" in queue.text
    page = client.get(f"/cases/{multi.id}")
    assert page.status_code == 200
    assert page.text.count('class="ev-complaint"') >= len(multi.mention_ids)
    assert "การแก้ไขปัญหาบริการ" in page.text  # service-recovery steps of the playbook
    token = csrf_of(page.text)
    r = client.post(f"/cases/{multi.id}/close", data={"csrf_token": token, "reason": "whatever"})
    assert r.status_code == 422 and "allowed: resolved" in r.text
    r = client.post(f"/cases/{multi.id}/note", data={"csrf_token": token, "text": "โทรกลับผู้ร้องทุกรายแล้ว"},
                    follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"/cases/{multi.id}/close", data={"csrf_token": token, "reason": "compensated",
                                                       "text": "คืนเงินที่ตัดซ้ำครบทุกราย"}, follow_redirects=False)
    assert r.status_code == 303
    case = store.get_case(multi.id)
    assert case.state == "closed" and case.close_reason == "compensated" and case.closed_by == "responder"
    page = client.get(f"/cases/{multi.id}").text
    assert "โทรกลับผู้ร้องทุกรายแล้ว" in page and "เยียวยาแล้ว" in page


def test_adding_a_stakeholder_tags_the_stored_mentions(setup):
    from sadap.store import MentionFilter

    _, store = setup
    client = signed_in(setup, "responder")
    page = client.get("/stakeholders")
    assert 'id="stakeholder-form"' in page.text
    form = {"csrf_token": csrf_of(page.text), "id": "ocpb", "name": "สำนักงานคณะกรรมการคุ้มครองผู้บริโภค",
            "status": "government", "group": "regulators", "aliases": "สคบ.; OCPB", "inform_as": "regulator",
            "contacts": "ศูนย์รับเรื่องร้องเรียน|phone|1166", "level": "neutral", "reason": "ยังไม่เคยติดต่อกันโดยตรง"}
    r = client.post("/stakeholders/new", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/stakeholders/ocpb"
    s = store.get_stakeholder("ocpb")
    assert s.relationship.set_by == "responder" and s.contacts[0].address == "1166"
    tagged = store.search(MentionFilter(stakeholders=("ocpb",)), 10)
    assert tagged and all("สคบ" in m.text for m in tagged)  # "จะร้องเรียนไปที่ไหนได้บ้างครับ สคบ. หรือแบงก์ชาติ"
    assert "bot" in tagged[0].stakeholders  # the same post names the Bank of Thailand too
    again = client.post("/stakeholders/new", data=form)
    assert again.status_code == 422 and "exists already" in again.text


def test_a_closed_unanswered_case_page_shows_no_time_left(setup):
    import re

    from sadap.app import complaints as cases

    _, store = setup
    client = signed_in(setup, "responder")
    unanswered = next(c for c in store.list_cases(("open",)) if cases.first_response(store, c) is None)
    page = client.get(f"/cases/{unanswered.id}").text
    r = client.post(f"/cases/{unanswered.id}/close", data={"csrf_token": csrf_of(page), "reason": "no_contact"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/cases/{unanswered.id}").text
    clock = re.search(r'<td class="clock">(.*?)</td>', page, re.S).group(1)
    assert "เหลือ" not in clock and "ชม." not in clock  # its clock stopped when it was closed
    again = client.post(f"/cases/{unanswered.id}/reopen", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert again.status_code == 303
    twice = client.post(f"/cases/{unanswered.id}/reopen", data={"csrf_token": csrf_of(page)})
    assert twice.status_code == 422 and "open already" in twice.text
    assert [e.kind for e in store.get_case(unanswered.id).events].count("reopened") == 1


def test_recording_a_cause_needs_a_responder_and_csrf_and_a_known_cause(setup):
    _, store = setup
    case = next(c for c in store.list_cases(("open",)) if c.cause is None)
    viewer = signed_in(setup, "viewer")
    page = viewer.get(f"/cases/{case.id}").text
    assert 'id="case-cause"' not in page and "ยังไม่ได้บันทึก" in page  # shown, not offered
    r = viewer.post(f"/cases/{case.id}/cause", data={"csrf_token": csrf_of(page), "cause": "policy"})
    assert r.status_code == 403
    client = signed_in(setup, "responder")
    page = client.get(f"/cases/{case.id}").text
    assert client.post(f"/cases/{case.id}/cause", data={"csrf_token": "x", "cause": "policy"}).status_code == 403
    bad = client.post(f"/cases/{case.id}/cause", data={"csrf_token": csrf_of(page), "cause": "bug",
                                                        "cause_note": "ยังไม่แน่ใจ"})
    assert bad.status_code == 422 and "is not a cause (allowed: system_failure" in bad.text
    assert 'value="ยังไม่แน่ใจ"' in bad.text  # what was typed is kept
    assert store.get_case(case.id).cause is None
    r = client.post(f"/cases/{case.id}/cause", data={"csrf_token": csrf_of(page), "cause": "third_party",
                                                      "cause_note": "ผู้ให้บริการเครือข่ายล่ม โทร 02-123-4567"},
                    follow_redirects=False)
    assert r.status_code == 303
    saved = store.get_case(case.id)
    assert (saved.cause, saved.cause_by, saved.cause_note) == ("third_party", "responder", "ผู้ให้บริการเครือข่ายล่ม โทร [โทร]")


def _form_fields(page: str, form_id: str) -> dict[str, str]:
    """What the browser would send for the form as drawn: inputs, textareas, selected options."""
    from html.parser import HTMLParser

    form = page[page.index(f'id="{form_id}"'):]
    form = form[:form.index("</form>")]
    fields: dict[str, str] = {}

    class Fields(HTMLParser):
        textarea: str | None = None
        select: str | None = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and a.get("name"):
                fields[a["name"]] = a.get("value") or ""
            elif tag == "textarea":
                self.textarea = a["name"]
                fields[self.textarea] = ""
            elif tag == "select":
                self.select = a["name"]
                fields.setdefault(self.select, "")
            elif tag == "option" and self.select and "selected" in a:
                fields[self.select] = a.get("value") or ""

        def handle_endtag(self, tag):
            if tag == "textarea":
                self.textarea = None
            elif tag == "select":
                self.select = None

        def handle_data(self, data):
            if self.textarea:
                fields[self.textarea] += data

    Fields().feed(form)
    return fields


def test_saving_a_profile_unchanged_keeps_values_holding_separators(setup):
    from sadap.app import stakeholders as registry
    from sadap.core.stakeholder import Stakeholder

    _, store = setup
    s = Stakeholder(id="rimkhlong", name="ชุมชนริมคลองแสนแสบ", status="community", group="community",
                    key_issues=["น้ำท่วม; ขยะในคลอง", "ค่าชดเชย"],
                    contacts=[{"name": "ผู้ใหญ่สมหมาย", "channel": "phone", "address": "081-234-5678; 02-111-2222",
                               "title": "ผู้ใหญ่บ้าน หมู่ 3"}],
                    accounts=[{"handle": "https://www.facebook.com/rimkhlong"}])
    registry.save(store, s)
    client = signed_in(setup, "responder")
    fields = _form_fields(client.get("/stakeholders/rimkhlong").text, "stakeholder-form")
    r = client.post("/stakeholders/rimkhlong/edit", data=fields, follow_redirects=False)
    assert r.status_code == 303, r.text
    saved = store.get_stakeholder("rimkhlong")
    assert saved.key_issues == s.key_issues and saved.contacts == s.contacts
    assert [(a.source, a.handle) for a in saved.accounts] == [(None, "https://www.facebook.com/rimkhlong")]
