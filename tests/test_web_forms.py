"""The workspace's forms when something is wrong, its times and its words: the complaint queue's
"not assigned" choice, a refused form shown again with what was typed and a Thai message next to
the field, times in Bangkok time (pages and the CSV export), the language switch keeping the
page's query string, and the Thai words on pages that once showed English ones."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from sadap.app import complaints as complaint_cases
from sadap.core.complaint_case import ComplaintCase
from sadap.core.errors import InputError
from sadap.core.mention import Complaint, Mention, Sentiment, mention_id
from tests.web_support import csrf_of, open_workspace, signed_in_client

starlette_testclient = pytest.importorskip("starlette.testclient")


@pytest.fixture(scope="module")
def setup(demo_store_dir, tmp_path_factory):
    config, store = open_workspace(demo_store_dir, tmp_path_factory.mktemp("web-forms") / "ws")
    yield config, store
    store.close()


def signed_in(setup, role: str):
    return signed_in_client(*setup, role)


def _row(html: str, case_id: str) -> str:
    return html.split(f'id="c-{case_id}"', 1)[1].split("</tr>", 1)[0]


def _selected(select_html: str) -> list[str]:
    return re.findall(r'<option value="([^"]*)" selected', select_html)


def _field(html: str, form_id: str) -> str:
    return html.split(f'id="{form_id}"', 1)[1].split("</form>", 1)[0]


# -- 1: the complaint queue's assignee ------------------------------------------------------------------
def test_complaint_queue_shows_unassigned_cases_as_not_assigned_and_refuses_an_empty_choice(setup):
    _, store = setup
    client = signed_in(setup, "responder")
    queue = client.get("/complaints", params={"days": "30"})
    free = [c for c in store.list_cases(("open",)) if not c.assignee and f'id="c-{c.id}"' in queue.text
            and not store.assignments(c.mention_ids[:1])]
    assert len(free) >= 2
    for case in free:
        row = _row(queue.text, case.id)
        assert "— ยังไม่มอบหมาย —" in row
        assert _selected(row) == [""], row  # not the first user ("admin")
    case = free[0]
    token = csrf_of(queue.text)
    # "not assigned" is refused (there is no unassign): the queue again, the problem on the row
    r = client.post(f"/cases/{case.id}/assign", data={"csrf_token": token, "assignee": "", "next": "/complaints?days=30"})
    assert r.status_code == 422
    assert "โปรดเลือกผู้รับเรื่องก่อนกดมอบหมาย" in _row(r.text, case.id)
    assert 'id="assign-problem"' in r.text and store.get_case(case.id).assignee is None
    r = client.post(f"/cases/{case.id}/assign", data={"csrf_token": token, "assignee": "nobody", "next": "/complaints"})
    assert r.status_code == 422 and "ไม่พบผู้ใช้นี้" in _row(r.text, case.id) and store.get_case(case.id).assignee is None
    r = client.post(f"/cases/{case.id}/assign", data={"csrf_token": token, "assignee": "planner",
                                                      "next": "/complaints?days=30"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/complaints?days=30"
    row = _row(client.get("/complaints", params={"days": "30"}).text, case.id)
    assert _selected(row) == ["planner"]  # the current assignee
    assert _selected(_row(client.get("/complaints", params={"days": "30"}).text, free[1].id)) == [""]


def _complaint(n: int, text: str, author: str, hours_ago: float) -> Mention:
    now = datetime.now(UTC)
    return Mention(id=mention_id("facebook", f"assign-{n}"), source_kind="facebook", source_name="fb-page",
                   native_id=f"assign-{n}", author_id=author, published_at=now - timedelta(hours=hours_ago),
                   collected_at=now, text=text, sentiment=Sentiment(label="neg", score=0.9),
                   complaint=Complaint(is_complaint=True, type="digital_outage"))


def test_the_queue_assigns_the_case_not_its_first_complaint(setup):
    """The queue's assign form gives the case to someone: the case's assignee, an `assigned` event
    on its timeline (who, when, from, to), nothing on its first complaint; the case keeps it when
    that complaint is moved to another case, and a case whose first complaint was erased can be
    assigned too. Only a responder may."""
    _, store = setup
    first = _complaint(1, "แอปแสงทองโอนเงินไม่ได้ตั้งแต่เช้า เงินหายไปไหน", "a_ป้าแดงมอบหมาย", 3)
    again = _complaint(2, "ยังโอนไม่ได้อยู่ดี ค่าเทอมลูกต้องจ่ายวันนี้", "a_ป้าแดงมอบหมาย", 2)
    elsewhere = _complaint(3, "บัตรถูกระงับโดยไม่แจ้ง ไม่มีใครตอบ", "a_ลุงหมานมอบหมาย", 1)
    store.upsert([first, again, elsewhere])
    made = {c.author_id: c for c in complaint_cases.assign(store, [first, again, elsewhere])}
    case, other = made["a_ป้าแดงมอบหมาย"], made["a_ลุงหมานมอบหมาย"]
    erased = ComplaintCase(received_at=first.published_at, updated_at=first.published_at, channel="facebook",
                           source_name="fb-page", mention_ids=["erased-since"])
    store.save_case(erased)
    client = signed_in(setup, "responder")
    queue = client.get("/complaints", params={"days": "30"})
    token = csrf_of(queue.text)
    for c in (case, erased):
        form = re.search(r'<form method="post" action="([^"]*/assign)"', _row(queue.text, c.id))
        assert form is not None and form.group(1) == f"/cases/{c.id}/assign", c.id  # the case's, not a mention's
    r = client.post(f"/cases/{case.id}/assign", data={"csrf_token": token, "assignee": "planner",
                                                      "next": "/complaints?days=30"}, follow_redirects=False)
    assert r.status_code == 303
    stored = store.get_case(case.id)
    assert stored.assignee == "planner" and store.assignments(stored.mention_ids) == {}
    [given] = [e for e in stored.events if e.kind == "assigned"]
    assert given.actor == "responder" and given.data == {"from": None, "to": "planner"}
    client.post(f"/cases/{case.id}/assign", data={"csrf_token": token, "assignee": "responder"})
    assert [e.data for e in store.get_case(case.id).events if e.kind == "assigned"][-1] == {"from": "planner", "to": "responder"}
    page = client.get(f"/cases/{case.id}").text
    assert '<td class="assignee">responder</td>' in page and "planner → responder" in page  # and on the timeline

    complaint_cases.link(store, other.id, first.id, "somsri")  # its first complaint moved by hand
    queue = client.get("/complaints", params={"days": "30"}).text
    assert _selected(_row(queue, case.id)) == ["responder"] and _selected(_row(queue, other.id)) == [""]

    r = client.post(f"/cases/{erased.id}/assign", data={"csrf_token": token, "assignee": "planner"}, follow_redirects=False)
    assert r.status_code == 303 and store.get_case(erased.id).assignee == "planner"

    viewer = signed_in(setup, "viewer")
    seen = viewer.get("/complaints", params={"days": "30"})
    assert f'action="/cases/{other.id}/assign"' not in seen.text  # no form for a viewer
    r = viewer.post(f"/cases/{other.id}/assign", data={"csrf_token": csrf_of(seen.text), "assignee": "planner"})
    assert r.status_code == 403 and store.get_case(other.id).assignee is None
    assert client.post("/cases/CASE-00000000/assign", data={"csrf_token": token, "assignee": "planner"}).status_code == 404



def test_a_case_is_never_given_to_a_viewer_who_cannot_answer_it(setup):
    """The queue offers responders and above only (a viewer cannot log a response); a form written
    by hand, or an API call, that names a viewer is refused in the same way, on the case's row."""
    _, store = setup
    case = _complaint(20, "แอปแสงทองค้าง กดโอนแล้วหมุนอยู่อย่างนั้น", "a_ป้าแดงผู้ชม", 2)
    store.upsert([case])
    [made] = complaint_cases.assign(store, [case])
    client = signed_in(setup, "responder")
    queue = client.get("/complaints", params={"days": "30"})
    assert '<option value="viewer"' not in _row(queue.text, made.id)  # not offered
    r = client.post(f"/cases/{made.id}/assign", data={"csrf_token": csrf_of(queue.text), "assignee": "viewer",
                                                      "next": "/complaints?days=30"})
    assert r.status_code == 422 and "ผู้ชม (viewer) ตอบเรื่องไม่ได้" in _row(r.text, made.id)
    assert store.get_case(made.id).assignee is None
    with pytest.raises(InputError, match=r"^assignee: 'viewer' is a viewer, who cannot answer"):
        complaint_cases.assign_case(store, made.id, "viewer", "responder")

# -- 2: a refused form comes back with what was typed ----------------------------------------------------
def test_adding_a_stakeholder_with_a_taken_id_keeps_the_form_and_says_why_in_thai(setup):
    _, store = setup
    client = signed_in(setup, "responder")
    page = client.get("/stakeholders")
    form = {"csrf_token": csrf_of(page.text), "id": "bot", "name": "สมาคมผู้บริโภคจังหวัดน่าน", "status": "ngo",
            "group": "community", "role": "ตัวแทนผู้บริโภคในพื้นที่", "contacts": "คุณสมศรี|line|@somsri|ประธาน",
            "aliases": "สมาคมผู้บริโภคน่าน"}
    r = client.post("/stakeholders/new", data=form)
    assert r.status_code == 422
    assert "ผิดพลาด 400" not in r.text and "ไม่พบหน้านี้" not in r.text
    html = _field(r.text, "stakeholder-form")
    assert 'name="id" required pattern="[a-z0-9][a-z0-9-]*" size="20" value="bot" aria-invalid="true">' in html
    problem = html.split('value="bot"', 1)[1].split("</label>", 1)[0]
    assert "รหัสนี้มีอยู่แล้ว" in problem and "exists already" in unescape(problem)  # Thai, with the English detail
    for typed in ("สมาคมผู้บริโภคจังหวัดน่าน", "ตัวแทนผู้บริโภคในพื้นที่", "คุณสมศรี|line|@somsri|ประธาน", "สมาคมผู้บริโภคน่าน"):
        assert typed in html, typed
    assert _selected(html.split('name="group"', 1)[1].split("</select>", 1)[0]) == ["community"]
    assert 'id="form-problem"' in r.text  # the top of the page points to the form
    assert store.get_stakeholder("bot").name == "ธนาคารแห่งประเทศไทย"

    # editing: a bad value is named next to its field, the rest of what was typed kept
    page = client.get("/stakeholders/staff")
    r = client.post("/stakeholders/staff/edit", data={"csrf_token": csrf_of(page.text), "name": "พนักงานสาขา (แก้)",
                                                       "status": "club", "group": "employees", "role": "บทบาทใหม่"})
    assert r.status_code == 422
    html = _field(r.text, "stakeholder-form")
    assert "พนักงานสาขา (แก้)" in html and "บทบาทใหม่" in html
    status = html.split('name="status"', 1)[1].split("</label>", 1)[0]
    assert "ค่าที่เลือกใช้ไม่ได้ในช่องนี้" in status and "club" in unescape(status)
    assert store.get_stakeholder("staff").role != "บทบาทใหม่"


def test_label_form_with_nothing_chosen_or_a_bad_pair_says_so_on_the_mention_page(setup):
    from sadap.store import MentionFilter

    _, store = setup
    m = next(m for m in store.search(MentionFilter(sentiment=("pos",)), 200) if m.corrected is None)
    client = signed_in(setup, "responder")
    page = client.get(f"/mentions/{m.id}")
    r = client.post(f"/mentions/{m.id}/label", data={"csrf_token": csrf_of(page.text), "sentiment": "", "category": ""})
    assert r.status_code == 422
    html = _field(r.text, "label-form")
    assert "ยังไม่ได้เลือกป้ายกำกับที่จะแก้" in html
    assert "--sentiment" not in r.text and "ผิดพลาด" not in r.text  # web words, not the command line's
    assert m.text[:40] in r.text  # the mention's page, not an error page
    r = client.post(f"/mentions/{m.id}/label", data={"csrf_token": csrf_of(page.text), "sentiment": "neg",
                                                      "complaint": "no", "type": "digital_outage"})
    assert r.status_code == 422
    html = _field(r.text, "label-form")
    assert _selected(html.split('name="sentiment"', 1)[1].split("</select>", 1)[0]) == ["neg"]
    assert _selected(html.split('name="complaint"', 1)[1].split("</select>", 1)[0]) == ["no"]
    near_type = html.split('name="type"', 1)[1].split("</label>", 1)[0]
    assert "ข้อความที่ไม่ใช่ข้อร้องเรียนจะมีประเภทข้อร้องเรียนไม่ได้" in near_type and "--" not in near_type
    assert store.get(m.id).corrected is None
    api = signed_in(setup, "responder")  # the JSON API keeps its JSON errors
    from sadap.app.web.auth import new_api_token

    token, _ = new_api_token(store, "responder", "forms-test")
    bad = api.post(f"/api/mentions/{m.id}/label", json={}, headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400 and "nothing to correct" in bad.json()["error"]


def test_case_link_with_a_mistyped_mention_id_is_422_on_the_case_page(setup):
    _, store = setup
    case = store.list_cases(("open",))[0]
    client = signed_in(setup, "responder")
    page = client.get(f"/cases/{case.id}")
    r = client.post(f"/cases/{case.id}/link", data={"csrf_token": csrf_of(page.text), "mention_id": "abc123"})
    assert r.status_code == 422 and "ไม่พบหน้านี้" not in r.text
    html = _field(r.text, "case-link")
    assert 'value="abc123"' in html and "ไม่พบข้อความรหัสนี้" in html and "no mention" in unescape(html)
    r = client.post(f"/cases/{case.id}/close", data={"csrf_token": csrf_of(page.text), "reason": "whatever",
                                                      "text": "ข้อความที่พิมพ์ไว้"})
    assert r.status_code == 422
    html = _field(r.text, "case-close")
    assert 'value="ข้อความที่พิมพ์ไว้"' in html and "ค่าที่เลือกใช้ไม่ได้ในช่องนี้" in html
    assert store.get_case(case.id).state == "open"
    assert client.post("/cases/CASE-NOPE/link", data={"csrf_token": csrf_of(page.text), "mention_id": "x"}).status_code == 404


# -- 3: Bangkok time ---------------------------------------------------------------------------------
def test_times_are_bangkok_time_on_pages_and_in_the_csv(setup, monkeypatch):
    from datetime import datetime

    from sadap.app import responses
    from sadap.core.timeutil import show
    from sadap.store import MentionFilter

    cfg, store = setup
    tagged = store.search(MentionFilter(stakeholders=("sme-sellers",)), 5)
    assert tagged
    responses.record(store, cfg, tagged[0].id, "responder", "line", "ตอบผู้ค้าแล้ว เวลาไทย")
    at = store.responses(tagged[0].id)[-1]["at"]
    at = datetime.fromisoformat(at) if isinstance(at, str) else at
    client = signed_in(setup, "planner")
    page = client.get("/stakeholders/sme-sellers").text
    contacts = page.split('class="timeline contacts"', 1)[1].split("</ul>", 1)[0]
    assert f"<time>{show(at)}</time>" in contacts and "+00:00" not in contacts

    from sadap.app.web import routes

    real = routes.run_backtest

    def with_a_late_evening_incident(*args):  # 17:05 UTC is past midnight in Bangkok
        report = real(*args)
        report["incidents"] = [{"id": "INC-T", "playbook": "service-outage", "rule": "outage-keywords", "key": "k",
                                "severity": "P2", "opened_at": "2026-12-07T17:05:38.420750+00:00", "alerts": 1}]
        return report

    monkeypatch.setattr(routes, "run_backtest", with_a_late_evening_incident)
    bt = client.get("/backtest/service-outage", params={"since": "7d"}).text
    opened = re.findall(r'<tr><td class="nowrap">([^<]*)</td>', bt)
    assert opened == ["2026-12-08 00:05"], bt[bt.find("<table"):][:800]

    r = client.get("/mentions.csv")
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows and all(row["published_at"].endswith("+07:00") for row in rows)
    first = store.get(rows[0]["id"])
    assert datetime.fromisoformat(rows[0]["published_at"]) == first.published_at  # the same instant, ISO 8601


# -- 4: the language switch and the Thai words ---------------------------------------------------------
def test_language_switch_keeps_the_query_string_but_stays_on_this_site(setup):
    client = signed_in(setup, "responder")
    page = client.get("/mentions", params={"q": "แอป ล่ม", "sentiment": "neg"})
    nxt = unescape(page.text.split('action="/lang"', 1)[1].split('name="next" value="', 1)[1].split('"', 1)[0])
    assert nxt.startswith("/mentions?") and "sentiment=neg" in nxt
    r = client.post("/lang", data={"csrf_token": csrf_of(page.text), "lang": "en", "next": nxt}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == nxt
    for evil in ("//evil.example/?a=1", "https://evil.example/?q=x", "/\\evil.example?x=1"):
        r = client.post("/lang", data={"csrf_token": csrf_of(page.text), "lang": "th", "next": evil},
                        follow_redirects=False)
        assert r.headers["location"] == "/", evil


def test_thai_pages_show_thai_words(setup):
    from sadap.store import MentionFilter

    _, store = setup
    client = signed_in(setup, "planner")
    incident = next(i for i in store.list_incidents() if store.events(i.id))
    page = client.get(f"/incidents/{incident.id}").text
    assert f"{incident.alert_count} alerts" not in page and f"{incident.alert_count} การแจ้งเตือน" in page
    timeline = page.split('id="timeline"', 1)[1].split("</ul>", 1)[0]
    assert "<b>เปิดเหตุการณ์</b>" in timeline and "<b>opened</b>" not in timeline
    for kind in ("opened", "queued", "notified", "acknowledged", "step_done", "note", "alert"):
        assert f"<b>{kind}</b>" not in page, kind
    assert "<b>แจ้งเตือน</b>" in page.split('id="alerts"', 1)[1] or "<b>เปิดเหตุการณ์</b>" in page.split('id="alerts"', 1)[1]
    assert ">เรื่องที่ปิดภายใน (วัน) <input" in client.get("/complaints").text
    m = next(m for m in store.search(MentionFilter(), 50) if m.language)
    page = client.get(f"/mentions/{m.id}").text
    assert "<th>lang</th>" not in page and "<th>spam</th>" not in page and "<th>คะแนนสแปม</th>" in page
    bt = client.get("/backtest/service-outage", params={"since": "7d"}).text
    assert "<th>rule</th>" not in bt and "<th>กฎ</th>" in bt and "<th>การแจ้งเตือน</th>" in bt and "· alerts " not in bt
    # a correction's history in words, not field=value
    r = client.post(f"/mentions/{m.id}/label", data={"csrf_token": csrf_of(page), "sentiment": "neg", "complaint": "yes"},
                    follow_redirects=False)
    assert r.status_code == 303
    history = client.get(f"/mentions/{m.id}").text.split('id="corrections"', 1)[1].split("</ul>", 1)[0]
    assert "sentiment=" not in history and "ความรู้สึก: เชิงลบ" in history and "เป็นข้อร้องเรียน: ใช่" in history
    client.post("/lang", data={"csrf_token": csrf_of(page), "lang": "en", "next": "/"})
    history = client.get(f"/mentions/{m.id}").text.split('id="corrections"', 1)[1].split("</ul>", 1)[0]
    assert "sentiment: " in history and "complaint: yes" in history


def test_the_case_page_assigns_the_case_as_the_queue_row_does(setup):
    """The case page has the queue row's assign form (responder and up, CSRF): it gives the case
    to someone and comes back to the case page; "not assigned" is refused there (422, the message
    next to the form, nothing changed). A viewer sees the assignee, no form. A case assigned
    before cases had an assignee (on its first complaint) shows that assignee here too."""
    _, store = setup
    first = _complaint(11, "สมัครบัตรเครดิตแสงทองแล้วไม่มีใครโทรกลับเลย", "a_พี่ต่ายหน้าเคส", 5)
    store.upsert([first])
    [case] = complaint_cases.assign(store, [first])
    client = signed_in(setup, "responder")
    page = client.get(f"/cases/{case.id}")
    assert page.status_code == 200 and 'id="case-assign"' in page.text
    form = _field(page.text, "case-assign")
    assert f'action="/cases/{case.id}/assign"' in page.text.split('id="case-assign"', 1)[0].rsplit("<form", 1)[1]
    assert f'name="next" value="/cases/{case.id}"' in form and 'name="csrf_token"' in form
    assert _selected(form) == [""] and '<option value="planner"' in form and '<option value="viewer"' not in form
    token = csrf_of(page.text)

    r = client.post(f"/cases/{case.id}/assign", data={"csrf_token": token, "assignee": "", "next": f"/cases/{case.id}"})
    assert r.status_code == 422 and f"{case.id}" in r.text.split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert "โปรดเลือกผู้รับเรื่องก่อนกดมอบหมาย" in _field(r.text, "case-assign")
    assert 'aria-invalid="true"' in _field(r.text, "case-assign") and store.get_case(case.id).assignee is None
    r = client.post(f"/cases/{case.id}/assign", data={"csrf_token": "forged", "assignee": "planner", "next": f"/cases/{case.id}"})
    assert r.status_code == 403 and store.get_case(case.id).assignee is None

    r = client.post(f"/cases/{case.id}/assign", data={"csrf_token": token, "assignee": "planner", "next": f"/cases/{case.id}"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{case.id}"
    page = client.get(f"/cases/{case.id}").text
    assert '<td class="assignee">planner</td>' in page and _selected(_field(page, "case-assign")) == ["planner"]
    [given] = [e for e in store.get_case(case.id).events if e.kind == "assigned"]
    assert given.actor == "responder" and given.data == {"from": None, "to": "planner"}

    viewer = signed_in(setup, "viewer")
    seen = viewer.get(f"/cases/{case.id}").text
    assert '<td class="assignee">planner</td>' in seen and 'id="case-assign"' not in seen and "/assign" not in seen

    legacy = _complaint(12, "ถอนเงินตู้แล้วเงินไม่ออกแต่ยอดถูกตัด", "a_ลุงชัยหน้าเคส", 4)
    store.upsert([legacy])
    [old] = complaint_cases.assign(store, [legacy])
    store.assign(legacy.id, "responder", "somsri", datetime.now(UTC))  # the queue's way before cases had an assignee
    page = client.get(f"/cases/{old.id}").text
    assert '<td class="assignee">responder</td>' in page and _selected(_field(page, "case-assign")) == ["responder"]
    read_out = client.get(f"/cases/{old.id.removeprefix('CASE-').lower()}")  # as `sadap complaints` takes it
    assert read_out.status_code == 200 and '<td class="assignee">responder</td>' in read_out.text
