"""Correcting a mention's labels in the workspace: a form for responders and up, the person
recorded (never the form's say-so), bad values refused with what is allowed, the page showing
the correction at once; and the same through the JSON API with a token."""

from __future__ import annotations

from sadap.store import MentionFilter
from tests.test_web import client_for, setup, signed_in  # noqa: F401  (the module's workspace fixture)
from tests.web_support import csrf_of


def _praise(store):
    return next(m for m in store.search(MentionFilter(sentiment=("pos",)), 200) if m.corrected is None)


def test_responder_corrects_labels_and_the_page_shows_them(setup):  # noqa: F811
    _, store = setup
    m = _praise(store)
    viewer = signed_in(setup, "viewer")
    page = viewer.get(f"/mentions/{m.id}")
    assert 'id="label-form"' not in page.text
    r = viewer.post(f"/mentions/{m.id}/label", data={"csrf_token": csrf_of(page.text), "sentiment": "neg"})
    assert r.status_code == 403 and store.get(m.id).corrected is None

    client = signed_in(setup, "responder")
    page = client.get(f"/mentions/{m.id}")
    assert 'id="label-form"' in page.text and 'value="digital_outage"' in page.text
    r = client.post(f"/mentions/{m.id}/label", follow_redirects=False, data={
        "csrf_token": csrf_of(page.text), "sentiment": "neg", "expectation": "disappointed", "complaint": "yes",
        "type": "digital_outage", "category": "", "by": "mallory"})
    assert r.status_code == 303 and r.headers["location"] == f"/mentions/{m.id}"
    got = store.get(m.id)
    assert got.sentiment.label == "neg" and got.expectation == "disappointed"
    assert got.complaint.is_complaint and got.complaint.type == "digital_outage"
    assert got.category == m.category  # blank: unchanged
    assert got.corrected.by == "responder"
    page = client.get(f"/mentions/{m.id}")
    assert 'id="corrected"' in page.text and "responder" in page.text and "ประเภทข้อร้องเรียน: ระบบดิจิทัลขัดข้อง" in page.text

    bad = client.post(f"/mentions/{m.id}/label", data={"csrf_token": csrf_of(page.text), "category": "weather"})
    assert bad.status_code == 422 and "category &#39;weather&#39; is not one of: transaction, customer_support" in bad.text
    assert store.get(m.id).category == m.category


def test_api_token_corrects_labels(setup):  # noqa: F811
    from sadap.app.web.auth import new_api_token

    _, store = setup
    m = _praise(store)
    token, _ = new_api_token(store, "responder", "labeller")
    api = client_for(setup)
    r = api.post(f"/api/mentions/{m.id}/label", json={"sentiment": "q"}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert r.json()["corrected"]["sentiment"] == "q" and store.get(m.id).sentiment.label == "q"
    assert store.corrections(m.id)[-1]["actor"] == "responder"


def test_the_page_credits_each_corrected_field_to_who_set_it(setup):  # noqa: F811
    import re

    _, store = setup
    m = _praise(store)
    responder = signed_in(setup, "responder")
    page = responder.get(f"/mentions/{m.id}")
    assert responder.post(f"/mentions/{m.id}/label", follow_redirects=False,
                          data={"csrf_token": csrf_of(page.text), "sentiment": "neg"}).status_code == 303
    admin = signed_in(setup, "admin")
    page = admin.get(f"/mentions/{m.id}")
    assert admin.post(f"/mentions/{m.id}/label", follow_redirects=False,
                      data={"csrf_token": csrf_of(page.text), "category": "other"}).status_code == 303
    cell = re.search(r'<td id="corrected">(.*?)</td>', admin.get(f"/mentions/{m.id}").text).group(1)
    # the latest corrector first, then the field someone else set: not all credited to the admin
    assert cell.startswith("admin (") and "ความรู้สึก: responder (" in cell, cell
