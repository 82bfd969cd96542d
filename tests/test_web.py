"""The web workspace without a browser: sign-in, roles, CSRF, Host, headers, bad input, pages and
the JSON API, on a copy of the real demo store (Starlette's test client, and a real uvicorn server
for raw-socket cases)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys

import pytest

from tests.web_support import PASSWORD, csrf_of, open_workspace, sign_in, workspace_copy

starlette_testclient = pytest.importorskip("starlette.testclient")


@pytest.fixture(scope="module")
def setup(demo_store_dir, tmp_path_factory):
    config, store = open_workspace(demo_store_dir, tmp_path_factory.mktemp("web") / "ws")
    yield config, store
    store.close()


def client_for(setup, base_url: str = "http://127.0.0.1", config=None):
    from sadap.app.web import create_app

    cfg, store = setup
    return starlette_testclient.TestClient(create_app(config or cfg, store), base_url=base_url)


def signed_in(setup, role: str):
    client = client_for(setup)
    assert sign_in(client, role).status_code == 303
    return client


def open_incident(store, state: str = "open"):
    return next(i for i in store.list_incidents() if i.state == state)


# -- sign-in and sessions -----------------------------------------------------------------------
def test_nothing_readable_without_sign_in(setup):
    client = client_for(setup)
    for path in ("/", "/mentions", "/incidents", "/complaints", "/playbooks", "/rules", "/sources", "/admin/users"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin?next="), path
    for path in ("/api/incidents", "/api/summary", "/api/mentions?q=x"):
        r = client.get(path)
        assert r.status_code == 401 and "error" in r.json(), path
    incident = open_incident(setup[1])
    assert client.get(f"/api/incidents/{incident.id}").status_code == 401


def test_public_read_lets_anonymous_readers_in_but_not_writers(setup):
    cfg, store = setup
    public = cfg.model_copy(update={"console": cfg.console.model_copy(update={"public_read": True})})
    client = client_for(setup, config=public)
    assert client.get("/").status_code == 200
    assert client.get("/api/incidents").status_code == 200
    page = client.get("/incidents")
    incident = open_incident(store)
    r = client.post(f"/incidents/{incident.id}/ack", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 401
    assert client.get("/admin/users").status_code == 401 or client.get("/admin/users", follow_redirects=False).status_code == 303


def test_sign_in_sets_a_safe_session_cookie_and_sign_out_ends_it(setup):
    client = client_for(setup)
    r = sign_in(client, "viewer")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert PASSWORD not in r.headers["set-cookie"]
    page = client.get("/")
    assert page.status_code == 200 and "viewer · viewer" in page.text
    session = client.cookies.get("sadap_session")
    assert session
    client.post("/signout", data={"csrf_token": csrf_of(page.text)})
    assert client.get("/", follow_redirects=False).status_code == 303
    # a copy of the cookie (another tab, or taken before sign-out) no longer works either
    copy = client_for(setup)
    copy.cookies.set("sadap_session", session)
    assert copy.get("/", follow_redirects=False).status_code == 303
    assert sign_in(client_for(setup), "viewer").status_code == 303  # signing in again works


def test_cookie_is_secure_behind_tls(setup):
    client = client_for(setup, base_url="https://127.0.0.1")
    r = sign_in(client, "viewer")
    assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower()
    assert r.headers["strict-transport-security"].startswith("max-age=")


def test_wrong_password_and_sign_in_rate_limit(setup):
    client = client_for(setup)
    assert sign_in(client, "viewer", "wrong password!").status_code == 401
    assert sign_in(client, "nobody", "wrong password!").status_code == 401
    for _ in range(5):
        sign_in(client, "planner", "not the password")
    r = sign_in(client, "planner")  # the right password, but too many failures just now
    assert r.status_code == 429 and "15" in r.text


def test_password_change_and_disable_end_sessions_and_tokens(setup):
    from sadap.app.web.auth import add_user, new_api_token, set_disabled, set_password

    _, store = setup
    add_user(store, "temp", "responder", PASSWORD)
    client = signed_in(setup, "temp")
    token, _ = new_api_token(store, "temp", "ci")
    api = client_for(setup)
    assert api.get("/api/incidents", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    set_password(store, "temp", "another long password")
    assert client.get("/", follow_redirects=False).status_code == 303
    set_disabled(store, "temp")
    assert api.get("/api/incidents", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert sign_in(client_for(setup), "temp", "another long password").status_code == 401


def test_passwords_are_argon2_hashes_and_tokens_stored_hashed(setup):
    from sadap.app.web.auth import new_api_token

    _, store = setup
    user = store.get_user("admin")
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    token, record = new_api_token(store, "admin", "hashed?")
    stored = store.find_api_token(record.token_hash)
    assert stored is not None and token not in stored.model_dump_json() and stored.prefix == token[:10]


# -- CSRF, Origin, Host, headers ----------------------------------------------------------------------
def test_state_changes_need_the_csrf_token(setup):
    _, store = setup
    client = signed_in(setup, "responder")
    incident = open_incident(store)
    before = len(store.events(incident.id))
    r = client.post(f"/incidents/{incident.id}/ack", data={"text": "no token"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post(f"/incidents/{incident.id}/ack", content=b"csrf_token=x", headers={"content-type": "text/plain"})
    assert r.status_code == 403
    page = client.get(f"/incidents/{incident.id}")
    r = client.post(f"/incidents/{incident.id}/note", data={"csrf_token": csrf_of(page.text), "text": "x"},
                    headers={"origin": "http://evil.example"})
    assert r.status_code == 403 and "cross-origin" in r.text
    assert len(store.events(incident.id)) == before


def test_changes_are_recorded_as_the_signed_in_user(setup):
    _, store = setup
    client = signed_in(setup, "responder")
    incident = open_incident(store)
    page = client.get(f"/incidents/{incident.id}")
    r = client.post(f"/incidents/{incident.id}/ack", data={"csrf_token": csrf_of(page.text), "by": "mallory",
                                                           "actor": "mallory", "text": "รับทราบ"}, follow_redirects=False)
    assert r.status_code == 303
    event = store.events(incident.id)[-1]
    assert event.kind == "acknowledged" and event.actor == "responder" and event.text == "รับทราบ"
    assert store.get_incident(incident.id).state == "acknowledged"


def test_host_allow_list(setup):
    client = client_for(setup)
    assert client.get("/signin", headers={"host": "evil.example"}).status_code == 400
    assert client.get("/api/incidents", headers={"host": "evil.example"}).json()["error"].startswith("host not allowed")
    assert client.get("/signin", headers={"host": "localhost:8470"}).status_code == 200
    assert client.get("/signin", headers={"host": "[::1]:8470"}).status_code == 400  # well formed, not allowed
    # a port that is not a number, or user info, is not a Host header: refused, not read as localhost
    for host in ("localhost:evil.example", "127.0.0.1:1@evil.example", "localhost:80:80", "localhost/x"):
        assert client.get("/signin", headers={"host": host}).status_code == 400, host


def test_non_ascii_in_tokens_and_numbers_gets_4xx_not_a_dead_handler(setup):
    client = client_for(setup, base_url="http://localhost")
    page = client.get("/signin")
    r = client.post("/signin", data={"username": "viewer", "password": PASSWORD, "csrf_token": "ค่ะ" + csrf_of(page.text)},
                    follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    viewer = signed_in(setup, "viewer")
    for path in ("/mentions?limit=%C2%B2", "/api/mentions?limit=%C2%B2", "/complaints?days=%C2%B2&page=%E0%B9%92"):
        assert viewer.get(path).status_code == 200, path


def test_security_headers_on_every_response(setup):
    client = client_for(setup)
    for path in ("/signin", "/static/app.js", "/api/incidents", "/no-such-page"):
        r = client.get(path)
        assert "script-src 'self'" in r.headers["content-security-policy"], path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "same-origin"
    assert "<script>" not in client.get("/signin").text  # no inline scripts: the CSP needs none


# -- roles ---------------------------------------------------------------------------------------------
def test_roles(setup):
    _, store = setup
    incident = open_incident(store)
    viewer = signed_in(setup, "viewer")
    page = viewer.get(f"/incidents/{incident.id}")
    assert page.status_code == 200 and 'id="btn-ack"' not in page.text
    r = viewer.post(f"/incidents/{incident.id}/ack", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 403
    assert viewer.get("/admin/users").status_code == 403
    assert viewer.get("/backtest/service-outage").status_code == 403
    responder = signed_in(setup, "responder")
    page = responder.get("/playbooks/service-outage")
    r = responder.post("/playbooks/service-outage", data={"csrf_token": csrf_of(page.text), "yaml": "x: 1", "do": "validate"})
    assert r.status_code == 403
    r = responder.post("/rules/outage-keywords/snooze", data={"csrf_token": csrf_of(page.text), "duration": "1h"})
    assert r.status_code == 403
    planner = signed_in(setup, "planner")
    assert planner.get("/admin/users").status_code == 403
    page = planner.get("/rules")
    r = planner.post("/rules/outage-keywords/snooze", data={"csrf_token": csrf_of(page.text), "duration": "1h", "key": "*"},
                     follow_redirects=False)
    assert r.status_code == 303 and store.snoozed_until("outage-keywords", "x") is not None
    assert "outage-keywords" in planner.get("/rules").text
    planner.post("/rules/outage-keywords/unsnooze", data={"csrf_token": csrf_of(page.text), "key": "*"})
    from sadap.core.timeutil import now_utc

    assert store.snoozed_until("outage-keywords", "x") <= now_utc()
    assert signed_in(setup, "admin").get("/admin/users").status_code == 200


def test_snooze_key_is_read_as_the_rule_stores_it(setup):
    """The web's snooze uses the CLI's reading of the key (sadap/app/snooze_keys.py)."""
    _, store = setup
    planner = signed_in(setup, "planner")
    page = planner.get("/rules")
    csrf = csrf_of(page.text)
    r = planner.post("/rules/outage-keywords/snooze", data={"csrf_token": csrf, "duration": "1h", "key": "แสงทอง"},
                     follow_redirects=False)
    assert r.status_code == 303 and ("outage-keywords", "ธนาคารแสงทอง") in {(s["rule_id"], s["key"]) for s in store.snoozes()}
    assert "ธนาคารแสงทอง:" in planner.get("/rules").text  # shown under the rule as stored
    r = planner.post("/rules/outage-keywords/snooze", data={"csrf_token": csrf, "duration": "1h", "key": "ธนาคารไม่มีจริง"},
                     follow_redirects=False)
    assert r.status_code == 400 and "not a watched name or alias; allowed: ธนาคารแสงทอง" in r.text
    assert not any(s["key"] == "ธนาคารไม่มีจริง" for s in store.snoozes())
    r = planner.post("/rules/source-silent/snooze", data={"csrf_token": csrf, "duration": "1h", "key": "no-such-source"},
                     follow_redirects=False)
    assert r.status_code == 200 and 'id="snooze-notice"' in r.text and "no stored mention has source" in r.text
    viewer = signed_in(setup, "viewer")
    r = viewer.post("/rules/outage-keywords/snooze", data={"csrf_token": csrf_of(viewer.get("/rules").text),
                                                           "duration": "1h", "key": "แสงทอง"})
    assert r.status_code == 403
    for rule, key in (("outage-keywords", "ธนาคารแสงทอง"), ("source-silent", "no-such-source")):
        planner.post(f"/rules/{rule}/unsnooze", data={"csrf_token": csrf, "key": key})


# -- the JSON API with tokens -------------------------------------------------------------------------------
def test_api_token_acts_as_its_user_never_the_body(setup):
    from sadap.app.web.auth import new_api_token

    _, store = setup
    token, _ = new_api_token(store, "responder", "bot")
    api = client_for(setup)
    auth = {"Authorization": f"Bearer {token}"}
    incident = next(i for i in store.list_incidents() if i.state in ("open", "acknowledged"))
    r = api.post(f"/api/incidents/{incident.id}/note", json={"by": "mallory", "text": "จากบอท"}, headers=auth)
    assert r.status_code == 200, r.text
    event = store.events(incident.id)[-1]
    assert event.actor == "responder" and event.text == "จากบอท"
    assert api.post(f"/api/incidents/{incident.id}/frobnicate", json={}, headers=auth).status_code == 404
    assert api.post("/api/incidents/INC-NOPE/resolve", json={}, headers=auth).status_code == 404
    assert api.post(f"/api/incidents/{incident.id}/note", content=b"{not json", headers={**auth, "content-type": "application/json"}).status_code == 400
    detail = api.get(f"/api/incidents/{incident.id}", headers=auth).json()
    assert detail["timeline"][-1]["actor"] == "responder"
    viewer_token, _ = new_api_token(store, "viewer")
    r = api.post(f"/api/incidents/{incident.id}/note", json={"text": "x"}, headers={"Authorization": f"Bearer {viewer_token}"})
    assert r.status_code == 403


def test_bad_tokens_get_401(setup):
    api = client_for(setup)
    for value in (b"Bearer sdp_wrongwrongwrongwrongwrong", b"Basic abc", b"Bearer", "Bearer ค่ะ".encode("utf-8"),
                  b"Bearer \xff\xfe"):
        r = api.get("/api/incidents", headers={"Authorization": value})
        assert r.status_code == 401, value


def test_api_mentions_and_summary(setup):
    from sadap.store import MentionFilter
    from sadap.store.query import parse_query

    cfg, store = setup
    api = signed_in(setup, "viewer")
    body = api.get("/api/mentions", params={"q": "แอป ล่ม", "limit": "5", "copies": "1"}).json()
    assert body["total"] == store.count(MentionFilter(query=parse_query("แอป ล่ม", tuple(cfg.custom_words()))))
    assert body["total"] > 0 and len(body["mentions"]) == 5
    assert api.get("/api/summary").json()["total"] == 235
    assert api.get("/api/mentions", params={"since": "yesterday"}).status_code == 400


# -- pages ------------------------------------------------------------------------------------------------
def test_pages_render_in_thai_and_english(setup):
    client = signed_in(setup, "admin")
    incident = setup[1].list_incidents()[0]
    for path in ("/", "/mentions", "/incidents", f"/incidents/{incident.id}", f"/incidents/{incident.id}/live",
                 "/complaints", "/playbooks", "/playbooks/service-outage", "/rules", "/sources", "/admin/users",
                 "/backtest/service-outage?since=7d"):
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:300])
    home = client.get("/")
    assert "ภาพรวม" in home.text and "ปริมาณข้อความตามความรู้สึก" in home.text
    charts = json.loads(home.text.split('id="chart-data">', 1)[1].split("</script>", 1)[0])
    assert {c["id"] for c in charts} >= {"volume", "expectation", "category", "complaint_type", "share", "sources",
                                         "authors", "terms", "hashtags"}
    volume = charts[0]
    assert sum(sum(s["data"]) for s in volume["series"]) == 235 or sum(sum(s["data"]) for s in volume["series"]) > 0
    assert all(url.startswith("/mentions?") for row in volume["links"] for url in row)
    client.post("/lang", data={"csrf_token": csrf_of(home.text), "lang": "en", "next": "/"})
    assert "Volume by sentiment" in client.get("/").text


def test_mentions_search_filters_and_csv(setup):
    from sadap.store import MentionFilter
    from sadap.store.query import parse_query

    cfg, store = setup
    client = signed_in(setup, "viewer")
    q = "แอป ล่ม"
    expected = store.count(MentionFilter(query=parse_query(q, tuple(cfg.custom_words())), sentiment=("neg",),
                                         include_duplicates=False))
    page = client.get("/mentions", params={"q": q, "sentiment": "neg"})
    assert page.status_code == 200 and f'id="found-count">{expected}<' in page.text
    csv_text = client.get("/mentions.csv", params={"q": q, "sentiment": "neg"}).text
    rows = csv_text.strip().splitlines()
    assert rows[0].lstrip("\ufeff").startswith("id,published_at") and len(rows) >= 2
    bad = client.get("/mentions", params={"since": "2026-13-45"})
    assert bad.status_code == 400 and "since" in bad.text
    assert client.get("/mentions", params={"max_spam": "7"}).status_code == 400


def test_mentions_filter_by_complaint_type_language_and_author_page_and_api(setup):
    """The mentions page and /api/mentions take complaint_type, language and author (the stored
    pseudonym): each shows exactly the stored mentions that match, combined with the others."""
    from sadap.store import MentionFilter

    _, store = setup
    every = store.search(MentionFilter(), 1000)
    kind = max({m.complaint.type for m in every if m.complaint.type},
               key=lambda t: sum(1 for m in every if m.complaint.type == t))
    author = max({m.author_id for m in every if m.author_id}, key=lambda a: sum(1 for m in every if m.author_id == a))
    language = next(lang for lang in sorted({m.language for m in every if m.language}) if lang != "th") if any(
        m.language not in (None, "th") for m in every) else "th"
    api = signed_in(setup, "viewer")
    for params, wanted in (
        ({"complaint_type": kind}, {m.id for m in every if m.complaint.type == kind}),
        ({"language": language}, {m.id for m in every if m.language == language}),
        ({"author": author}, {m.id for m in every if m.author_id == author}),
        ({"author": author, "sentiment": "neg"}, {m.id for m in every if m.author_id == author and m.sentiment.label == "neg"}),
        ({"complaint_type": kind, "language": "th"}, {m.id for m in every if m.complaint.type == kind and m.language == "th"}),
    ):
        body = api.get("/api/mentions", params={**params, "copies": "1", "limit": "1000"}).json()
        assert {m["id"] for m in body["mentions"]} == wanted and body["total"] == len(wanted), params
        assert body["more"] is False
        page = api.get("/mentions", params={**params, "copies": "1", "limit": "500"})
        assert page.status_code == 200 and f'id="found-count">{len(wanted)}<' in page.text, params
    assert len({m.id for m in every if m.complaint.type == kind}) > 1  # the filters really narrow something
    page = api.get("/mentions", params={"complaint_type": kind})
    assert f'<option value="{kind}" selected>' in page.text and 'name="author"' in page.text
    for bad, field, status in (({"complaint_type": "made_up"}, "complaint_type", 422), ({"language": "<script>"}, "language", 400)):
        r = api.get("/api/mentions", params=bad)
        assert r.status_code == status and r.json()["error"].startswith(field + ":")
        page = api.get("/mentions", params=bad)
        assert page.status_code == status and "'<script>'" not in page.text
    # the overview's complaint-type and author bars open exactly those filters
    home = api.get("/")
    charts = {c["id"]: c for c in json.loads(home.text.split('id="chart-data">', 1)[1].split("</script>", 1)[0])}
    assert all("complaint_type=" in url for url in charts["complaint_type"]["links"][0])
    assert all("author=" in url for url in charts["authors"]["links"][0])


def test_api_count_is_capped_unless_exact(setup, monkeypatch):
    from sadap.app.web import routes
    from sadap.store import MentionFilter

    _, store = setup
    api = signed_in(setup, "viewer")
    monkeypatch.setattr(routes, "COUNT_CAP", 20)
    body = api.get("/api/mentions", params={"copies": "1", "limit": "5"}).json()
    assert body["total"] == 20 and body["more"] is True and len(body["mentions"]) == 5
    exact = api.get("/api/mentions", params={"copies": "1", "limit": "5", "count": "exact"}).json()
    assert exact["total"] == store.count(MentionFilter()) == 235 and exact["more"] is False
    page = api.get("/mentions", params={"copies": "1"})
    assert 'id="found-count">20</b>+' in page.text


def test_sources_page_shows_each_sources_last_crawl_and_its_first_error(setup):
    from datetime import timedelta

    from sadap.app.crawl_reports import load_reports, save_report
    from sadap.core.timeutil import now_utc

    cfg, store = setup
    demo = load_reports(store)  # `sadap demo` crawled its sources: each left a report in the store
    assert demo and all(r["errors"] == 0 and r["items"] > 0 for r in demo.values())
    name = next(iter(demo))
    at = now_utc()
    save_report(store, name, started=at - timedelta(minutes=2), finished=at, items=5, new=1, errors=3,
                first_error="เชื่อมต่อไม่ได้ <b>Connection refused</b> https://news.example/rss.xml")
    page = signed_in(setup, "viewer").get("/sources")
    assert page.status_code == 200
    row = page.text.split(f'<a href="/mentions?source={name}">', 1)[1].split("</tr>", 1)[0]
    assert "3 — เชื่อมต่อไม่ได้ &lt;b&gt;Connection refused&lt;/b&gt;" in row and "<b>Connection" not in row
    assert 'class="late"' in row and "ใหม่ 1" in row
    others = [n for n in demo if n != name]
    for other in others:
        row = page.text.split(f'<a href="/mentions?source={other}">', 1)[1].split("</tr>", 1)[0]
        assert f"รายการ {demo[other]['items']}" in row
    save_report(store, name, **{k: demo[name][k] for k in ("items", "new", "errors", "first_error")},
                started=demo[name]["started_at"], finished=demo[name]["finished_at"])


def test_only_http_links_and_csv_formulas_escaped(setup):
    from datetime import timedelta

    from sadap.core.mention import Mention
    from sadap.core.timeutil import now_utc

    _, store = setup
    now = now_utc()
    bad = Mention(id="evil-1", source_kind="forum", source_name="forum-x", url="javascript:alert(document.cookie)",
                  published_at=now - timedelta(minutes=5), collected_at=now, text="=HYPERLINK(\"http://x\") ลองลิงก์")
    store.upsert([bad])
    client = signed_in(setup, "viewer")
    page = client.get("/mentions/evil-1").text
    assert "javascript:alert" in page and 'href="javascript' not in page.lower()
    listing = client.get("/mentions", params={"source": "forum-x"}).text
    assert 'href="javascript' not in listing.lower()
    csv_text = client.get("/mentions.csv", params={"source": "forum-x"}).text
    assert "'=HYPERLINK" in csv_text


def test_incident_workflow_and_steps(setup):
    _, store = setup
    client = signed_in(setup, "responder")
    incident = next(i for i in store.list_incidents() if i.playbook == "service-outage")
    page = client.get(f"/incidents/{incident.id}")
    token = csrf_of(page.text)
    assert 'id="step-1"' in page.text and "hx-get" in page.text
    assert client.post(f"/incidents/{incident.id}/step", data={"csrf_token": token, "step": "1"}).status_code == 200
    assert client.post(f"/incidents/{incident.id}/step", data={"csrf_token": token, "step": "99"}).status_code == 400
    live = client.get(f"/incidents/{incident.id}/live").text
    assert "✓" in live
    if store.get_incident(incident.id).state == "open":
        client.post(f"/incidents/{incident.id}/ack", data={"csrf_token": token})
    client.post(f"/incidents/{incident.id}/resolve", data={"csrf_token": token})
    assert store.get_incident(incident.id).state == "resolved"
    r = client.post(f"/incidents/{incident.id}/resolve", data={"csrf_token": token})
    assert r.status_code == 409
    kinds = [e.kind for e in store.events(incident.id)]
    assert "step_done" in kinds and kinds[-1] == "resolved"


def test_complaint_response_stops_the_clock(setup):
    from sadap.store import MentionFilter

    _, store = setup
    client = signed_in(setup, "responder")
    page = client.get("/complaints", params={"days": "90"})
    # The queue shows complaint cases; answering the case's first complaint stops the case's clock.
    unanswered = set(store.ids(MentionFilter(complaint=True, responded=False, include_duplicates=False), 1000))
    case = next(c for c in store.list_cases(("open",)) if set(c.mention_ids) <= unanswered)
    target = store.get(case.mention_ids[0])
    assert f'id="c-{case.id}" class="' in page.text
    row = page.text.split(f'id="c-{case.id}"', 1)[1].split("</tr>", 1)[0]
    assert f'/mentions/{target.id}' in row
    assert "answered" not in row.split(">", 1)[0]
    r = client.post(f"/cases/{case.id}/assign", data={"csrf_token": csrf_of(page.text), "assignee": "responder"},
                    follow_redirects=False)
    assert r.status_code == 303 and store.get_case(case.id).assignee == "responder"
    client.post(f"/mentions/{target.id}/respond", data={"csrf_token": csrf_of(page.text), "text": "ขออภัยค่ะ",
                                                        "channel": "forum"})
    after = client.get("/complaints", params={"days": "90"}).text
    row = after.split(f'id="c-{case.id}"', 1)[1].split("</tr>", 1)[0]
    assert 'class="answered"' in row and "✓" in row
    assert store.responses(target.id)[0]["actor"] == "responder"
    r = client.post(f"/cases/{case.id}/assign", data={"csrf_token": csrf_of(page.text), "assignee": "ghost"})
    assert r.status_code == 422 and store.get_case(case.id).assignee == "responder"


def test_playbook_errors_are_those_of_sadap_playbooks_validate(setup, tmp_path):
    cfg, store = setup
    client = signed_in(setup, "planner")
    page = client.get("/playbooks/service-outage")
    text = page.text.split('spellcheck="false">', 1)[1].split("</textarea>", 1)[0]
    import html as htmlmod

    yaml_text = htmlmod.unescape(text)
    import re

    broken = re.sub(r"(?m)^severity: P\d", "severity: P9", yaml_text, count=1).replace("owner: ", "owner: nobody-", 1)
    assert broken.count("P9") == 1
    r = client.post("/playbooks/service-outage", data={"csrf_token": csrf_of(page.text), "yaml": broken, "do": "validate"})
    assert r.status_code == 422
    shown = [htmlmod.unescape(x) for x in r.text.split('id="problems"', 1)[1].split("</ul>", 1)[0].split("<li>")[1:]]
    shown = [x.split("</li>", 1)[0] for x in shown]
    # the CLI on the same text at the same path
    source = next(p for p in __import__("sadap.app.alerting", fromlist=["x"]).configured_playbooks(cfg)
                  if p.id == "service-outage").source
    folder = tmp_path / "same"
    target = folder / source.lstrip("/")
    target.parent.mkdir(parents=True)
    target.write_text(broken, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "sadap", "playbooks", "validate", str(target), "--config", str(cfg.path)],
                          capture_output=True, text=True)
    cli = [line.removeprefix("sadap: ").replace(str(target), source) for line in done.stderr.strip().splitlines()]
    assert done.returncode == 1 and len(shown) >= 2 and shown == cli
    assert 'class="bad"' in r.text  # the lines are marked in the editor
    ok = client.post("/playbooks/service-outage", data={"csrf_token": csrf_of(page.text), "yaml": yaml_text, "do": "validate"})
    assert ok.status_code == 200 and 'id="valid"' in ok.text
    r = client.post("/playbooks/service-outage", data={"csrf_token": csrf_of(page.text), "yaml": yaml_text, "do": "save"})
    assert r.status_code == 403  # shipped: validate only


def test_admin_manages_users_and_tokens(setup):
    _, store = setup
    admin = signed_in(setup, "admin")
    page = admin.get("/admin/users")
    token = csrf_of(page.text)
    r = admin.post("/admin/users/add", data={"csrf_token": token, "username": "somsri", "role": "responder",
                                             "password": "short"})
    assert r.status_code == 400 and "too short" in r.text
    admin.post("/admin/users/add", data={"csrf_token": token, "username": "somsri", "role": "responder",
                                         "password": "long enough password"})
    assert store.get_user("somsri").role == "responder"
    r = admin.post("/admin/users/token", data={"csrf_token": token, "username": "somsri", "name": "line bot"})
    new = r.text.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert new.startswith("sdp_")
    api = client_for(setup)
    assert api.get("/api/incidents", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    hashed = next(t.token_hash for t in store.list_api_tokens("somsri"))
    admin.post("/admin/users/revoke", data={"csrf_token": token, "token_hash": hashed})
    assert api.get("/api/incidents", headers={"Authorization": f"Bearer {new}"}).status_code == 401
    assert admin.post("/admin/users/disable", data={"csrf_token": token, "username": "admin"}).status_code == 400


def test_open_redirects_refused(setup):
    client = client_for(setup)
    page = client.get("/signin")
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        r = client.post("/signin", data={"username": "viewer", "password": PASSWORD, "csrf_token": csrf_of(page.text),
                                         "next": target}, follow_redirects=False)
        assert r.headers["location"] == "/", target


# -- a real server: raw bad requests never kill a handler -----------------------------------------------------
def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(request)
        chunks = []
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                chunks.append(data)
                if b"\r\n\r\n" in b"".join(chunks) and len(b"".join(chunks)) > 50:
                    break
        except TimeoutError:
            pass
    return b"".join(chunks)


def test_real_server_answers_bad_headers_and_bodies_with_4xx(setup):
    from sadap.app.web import Console

    cfg, store = setup
    console = Console(cfg, "127.0.0.1", 0, store)
    console.start()
    try:
        port = console.port
        huge = _raw(port, b"POST /api/incidents/x/ack HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n")
        assert huge.startswith(b"HTTP/1.1 413"), huge[:80]
        thai = _raw(port, "GET /api/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ค่ะ\r\nConnection: close\r\n\r\n".encode("utf-8"))
        assert thai.startswith(b"HTTP/1.1 401"), thai[:80]
        bad_len = _raw(port, b"POST /signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\nConnection: close\r\n\r\n")
        assert bad_len[:12] in (b"HTTP/1.1 400", b"HTTP/1.1 413") or bad_len.startswith(b"HTTP/1.1 4"), bad_len[:80]
        evil = _raw(port, b"GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
        assert evil.startswith(b"HTTP/1.1 400")
        big_body = b"x" * (cfg.console.max_body_bytes + 10)
        chunked = _raw(port, b"POST /signin HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
                             b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
                             + f"{len(big_body):x}\r\n".encode() + big_body + b"\r\n0\r\n\r\n")
        assert chunked.startswith(b"HTTP/1.1 413"), chunked[:80]
        # still serving
        ok = _raw(port, b"GET /signin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert ok.startswith(b"HTTP/1.1 200")
    finally:
        console.stop()


# -- the command line ------------------------------------------------------------------------------------------
def test_users_cli(setup, monkeypatch):
    from click.testing import CliRunner

    from sadap.app.cli import main

    cfg, store = setup
    runner = CliRunner()
    monkeypatch.setenv("NEW_PW", "a long new password")
    args = ["--config", str(cfg.path)]
    r = runner.invoke(main, ["users", "add", "kasem", "--role", "planner", "--password-env", "NEW_PW", *args])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["users", "add", "kasem", "--password-env", "NEW_PW", *args])
    assert r.exit_code == 1 and "already exists" in r.output
    r = runner.invoke(main, ["users", "add", "Bad Name!", "--password-env", "NEW_PW", *args])
    assert r.exit_code == 1 and "user name" in r.output
    # no terminal and no --password-env (a script, a pipe): one line, not getpass's warning and "Aborted!"
    r = runner.invoke(main, ["users", "add", "somsri", *args])
    assert r.exit_code == 1 and r.output.strip().splitlines() == [
        "sadap: no terminal to type the password at: put it in an environment variable and name it with "
        "--password-env VAR"], r.output
    r = runner.invoke(main, ["users", "list", "--json", *args])
    rows = json.loads(r.output)
    assert {"username": "kasem", "role": "planner"}.items() <= next(x for x in rows if x["username"] == "kasem").items()
    assert "argon2" not in r.output
    monkeypatch.setenv("NEW_PW", "yet another password")
    assert runner.invoke(main, ["users", "passwd", "kasem", "--password-env", "NEW_PW", *args]).exit_code == 0
    assert sign_in(client_for(setup), "kasem", "yet another password").status_code == 303
    r = runner.invoke(main, ["users", "token", "kasem", "--name", "ci", *args])
    assert r.exit_code == 0 and r.output.startswith("sdp_")
    assert runner.invoke(main, ["users", "disable", "kasem", *args]).exit_code == 0
    assert store.get_user("kasem").disabled
    assert runner.invoke(main, ["users", "disable", "ghost", *args]).exit_code == 1
    r = runner.invoke(main, ["users", "role", "kasem", "admin", *args])
    assert r.exit_code == 0 and r.output.strip() == "kasem: admin" and store.get_user("kasem").role == "admin"
    assert runner.invoke(main, ["users", "role", "ghost", "admin", *args]).exit_code == 1
    r = runner.invoke(main, ["users", "role", "kasem", "root", *args])
    assert r.exit_code == 2 and "viewer" in r.output and store.get_user("kasem").role == "admin"


def test_demo_serve_workspace_has_a_demo_user(setup):
    """`sadap demo --serve` starts the workspace with user `demo` and prints a fresh password."""
    from sadap.app.demo.run import serve_workspace

    cfg, store = setup
    url, user, password = serve_workspace(cfg, 0)
    assert user == "demo" and len(password) >= 12 and store.get_user("demo").role == "admin"
    import httpx

    with httpx.Client(base_url=url, follow_redirects=True) as client:
        page = client.get("/signin")
        r = client.post("/signin", data={"username": "demo", "password": password, "csrf_token": csrf_of(page.text),
                                         "next": "/"})
        assert r.status_code == 200 and "demo · admin" in r.text
    _, _, again = serve_workspace(cfg, 0)
    assert again != password  # a new password each time


def test_sadap_serve_command(setup):
    import httpx

    cfg, _ = setup
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "sadap", "serve", "--config", str(cfg.path), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        while line and "workspace:" not in line:
            line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line
        assert httpx.get(f"http://127.0.0.1:{port}/signin").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/api/incidents").status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_mentions_page_count_is_capped(setup, monkeypatch):
    from sadap.app.web import routes

    client = signed_in(setup, "viewer")
    monkeypatch.setattr(routes, "COUNT_CAP", 5)
    page = client.get("/mentions", params={"copies": "1"}).text
    assert 'id="found-count">5</b>+' in page
    page = client.get("/mentions", params={"cluster": "no-such-cluster"}).text
    assert 'id="found-count">0</b> ' in page


def test_incident_page_lists_the_mentions_behind_each_alert_and_folds_failed_deliveries(setup):
    """Each alert on the timeline with its own mentions: links to the mention pages, only
    http/https links out, authors as stored (the pseudonym, never a display name); a delivery
    that failed three times is one timeline line with ×3."""
    from datetime import timedelta

    from sadap.core.incident import Incident, IncidentEvent
    from sadap.core.mention import Mention
    from sadap.core.timeutil import now_utc

    _, store = setup
    now = now_utc()

    def post(i: int, url: str) -> Mention:
        return Mention(id=f"alert-m{i}", source_kind="forum", source_name="forum-alerts", url=url, author_id=f"p{i:04x}a",
                       author_name="สมชาย ใจดี", published_at=now - timedelta(minutes=30 - i), collected_at=now,
                       text=f"แอปแสงทองล่ม โอนเงินไม่ได้ รายที่ {i}")

    first = [post(1, "https://pantip.example/topic/1"), post(2, "javascript:alert(1)")]
    later = [post(3, "http://forum.example/t/3"), post(4, "data:text/html,hi")]
    store.upsert(first + later)
    incident = Incident(playbook="service-outage", rule="outage", severity="P2", title="แอปล่ม", opened_at=now,
                        updated_at=now, mention_ids=[m.id for m in first + later])
    store.save_incident(incident)
    store.add_event(incident.id, IncidentEvent(at=now, kind="opened", text="เปิด",
                                               data={"rule": "outage", "count": 2, "mentions": [m.id for m in first]}))
    store.add_event(incident.id, IncidentEvent(at=now + timedelta(minutes=5), kind="alert", text="อีกครั้ง",
                                               data={"rule": "outage", "count": 3,
                                                     "mentions": [m.id for m in later] + ["erased-since"]}))
    for n in range(3):
        store.fold_event(incident.id, IncidentEvent(at=now + timedelta(minutes=n), kind="notify_failed", text=f"HTTP 50{n}",
                                                    data={"delivery": "d-1", "attempts": n + 1}), same="delivery")
    page = signed_in(setup, "viewer").get(f"/incidents/{incident.id}").text
    section = page.split('id="alerts">', 1)[1].split("</ol>", 1)[0]
    opened, again = section.split("<li class=\"ev-alert\">", 1)
    assert 'href="/mentions/alert-m1"' in opened and 'href="/mentions/alert-m2"' in opened
    assert "alert-m3" not in opened and 'href="/mentions/alert-m3"' in again and 'href="/mentions/alert-m4"' in again
    assert 'href="https://pantip.example/topic/1"' in opened and 'href="http://forum.example/t/3"' in again
    assert 'href="javascript' not in section.lower() and 'href="data:' not in section.lower()
    assert "p0001a" in opened and "สมชาย" not in section  # the pseudonym, never the display name
    assert "3 ข้อความ" in again  # the alert's own count, though one of its mentions is gone
    timeline = page.split('id="timeline">', 1)[1].split("</ul>", 1)[0]
    failed = "<b>ส่งการแจ้งเตือนไม่สำเร็จ</b>"  # notify_failed, in Thai
    assert timeline.count(failed) == 1 and "×3" in timeline and "×" not in timeline.split(failed)[0] and "HTTP 502" in timeline


def test_backtest_page_warns_when_its_step_outruns_a_rule_window(setup):
    planner = signed_in(setup, "admin")
    plain = planner.get("/backtest/service-outage", params={"since": "1d"})
    assert plain.status_code == 200 and 'class="notice"' not in plain.text  # the default step fits every window
    coarse = planner.get("/backtest/service-outage", params={"since": "2d", "step": "12h"})
    assert coarse.status_code == 200
    assert 'class="notice"' in coarse.text and "--step 12h is longer than the" in coarse.text


def test_incident_page_counts_accounts_for_a_coordinated_alert(demo_store_dir, tmp_path):
    from datetime import timedelta

    from alerts.incidents import open_or_update
    from sadap.app.config import configured_playbooks
    from sadap.core.alert import FiredAlert
    from sadap.core.timeutil import now_utc

    config, store = open_workspace(demo_store_dir, tmp_path / "ws")  # its own copy: a new incident
    setup = (config, store)
    playbook = next(p for p in configured_playbooks(config) if p.id == "rumour-fake-news")
    at = now_utc()
    alert = FiredAlert(rule="copied-text", rule_type="coordinated", title_th="ข้อความเดียวกันจากหลายบัญชี",
                       title_en="Same text from many accounts", severity="P2", key="บัญชีอวตาร", count=7,
                       window_start=at - timedelta(hours=1), window_end=at)
    incident, opened = open_or_update(store, alert, playbook, at)
    assert opened and any(e.data.get("accounts") is True for e in store.events(incident.id))
    page = signed_in(setup, "admin").get(f"/incidents/{incident.id}").text
    assert "copied-text · 7 บัญชี" in page and "copied-text · 7 ข้อความ" not in page
    store.close()


def test_incident_ready_made_replies_fill_every_variable(setup):
    """The ready-made replies on an incident's page are filled as its escalation messages are:
    no ``{name}`` left, and {count} is the mentions behind the latest alert (not the alert count)."""
    import html as html_lib

    from sadap.app.config import configured_playbooks

    _, store = setup
    playbooks = {p.id: p for p in configured_playbooks(setup[0], check_references=False)}
    incident = next(i for i in store.list_incidents()  # one the demo opened (other tests add more)
                    if i.mention_count > 1 and i.mention_count != i.alert_count
                    and i.playbook in playbooks and any("{count}" in r.template and "{top_terms}" in r.template
                                                       and "{window}" in r.template for r in playbooks[i.playbook].responses))
    page = signed_in(setup, "viewer").get(f"/incidents/{incident.id}")
    texts = [html_lib.unescape(t) for t in re.findall(r'<div class="template">.*?<pre>(.*?)</pre>', page.text, re.S)]
    assert len(texts) == len(playbooks[incident.playbook].responses)
    assert [t for t in texts if re.search(r"\{\w+\}", t)] == []
    counted = [t for t in texts if "ข้อความเกี่ยวกับ" in t]
    assert counted and all(f" {incident.mention_count} ข้อความเกี่ยวกับ" in t for t in counted), counted
    assert all(re.search(r"คำที่พบบ่อย: \S", t) for t in counted), counted


def _showing(text: str) -> str:
    import html as html_lib

    match = re.search(r'id="showing">([^<]*)<', text)
    return html_lib.unescape(match.group(1)) if match else ""


def _rows(text: str) -> list[str]:
    return re.findall(r'<td class="nowrap"><a href="/mentions/([^"]+)">', text)


def _pager_link(text: str, rel: str) -> str | None:
    import html as html_lib

    match = re.search(rf'<a rel="{rel}" href="([^"]+)"', text)
    return html_lib.unescape(match.group(1)) if match else None


def test_mentions_page_by_page_keeping_every_filter(demo_store_dir, tmp_path):
    """Older/newer links walk every mention of a filter (by key: a mention that arrives
    meanwhile neither repeats nor skips a row), keep the filters and say "แสดง 21–40 จาก N"."""
    from datetime import timedelta

    from sadap.app.config import load_config_file
    from sadap.core.mention import Mention
    from sadap.core.timeutil import now_utc
    from sadap.store import MentionFilter, open_store

    config = load_config_file(workspace_copy(demo_store_dir, tmp_path / "ws"))
    with open_store(config) as store:
        client = signed_in((config, store), "viewer")
        flt = MentionFilter(source_kinds=("forum",), max_spam_score=0.9, include_duplicates=False)
        expected = [m.id for m in store.search(flt, 1000)]
        assert len(expected) > 45
        url: str | None = "/mentions?kind=forum&max_spam=0.9&limit=20"
        seen: list[str] = []
        pages: list[str] = []
        while url:
            assert "kind=forum" in url and "max_spam=0.9" in url and "limit=20" in url
            page = client.get(url)
            assert page.status_code == 200
            rows = _rows(page.text)
            start = len(seen) + 1
            total = len(expected) + (1 if pages else 0)  # the count includes the late arrival
            assert _showing(page.text) == f"แสดง {start}–{start + len(rows) - 1} จาก {total}"
            seen.extend(rows)
            pages.append(url)
            if len(pages) == 1:  # a new forum post arrives while the person reads page 1
                now = now_utc()
                store.upsert([Mention(id="late-arrival", source_kind="forum", source_name="forum-x", text="เพิ่งโพสต์",
                                      published_at=now - timedelta(seconds=1), collected_at=now)])
                assert _pager_link(page.text, "prev") is None
            url = _pager_link(page.text, "next")
        assert seen == expected
        # newer: back from the last page to the one before it
        back = client.get(_pager_link(page.text, "prev") or "")
        assert _rows(back.text) == expected[20 * (len(pages) - 2):20 * (len(pages) - 1)]
        assert "kind=forum" in (_pager_link(back.text, "next") or "")
        # the first page again shows the new post
        assert "late-arrival" in _rows(client.get(pages[0]).text)
        assert client.get("/mentions?after=not-a-key").status_code == 400


def test_api_mentions_pages_with_next(setup):
    from sadap.store import MentionFilter

    _, store = setup
    client = signed_in(setup, "viewer")
    body = client.get("/api/mentions", params={"sentiment": "neg", "limit": 7}).json()
    seen = [m["id"] for m in body["mentions"]]
    while body["next"]:
        body = client.get("/api/mentions", params={"sentiment": "neg", "limit": 7, "after": body["next"]}).json()
        assert len(body["mentions"]) <= 7
        seen.extend(m["id"] for m in body["mentions"])
    assert seen == [m.id for m in store.search(MentionFilter(sentiment=("neg",), include_duplicates=False), 1000)]
    assert len(seen) > 14 and body["total"] == len(seen)


def test_mentions_search_that_cannot_be_read_keeps_the_page_and_filters(setup):
    client = signed_in(setup, "viewer")
    page = client.get("/mentions", params={"q": '"โอนเงิน ไม่ได้', "sentiment": "neg", "kind": "forum"})
    assert page.status_code == 400
    assert 'id="mention-filters"' in page.text  # the page, not a bare error
    assert '<option value="neg" selected>' in page.text and '<option value="forum" selected>' in page.text
    assert 'value="&#34;โอนเงิน ไม่ได้"' in page.text  # the search as typed, to fix it
    problem = re.search(r'id="filter-problem"[^>]*>(.*?)</p>', page.text, re.S)
    assert problem and "อ่านคำค้นไม่ได้" in problem.group(1) and "unbalanced double quote" in problem.group(1)
    assert 'id="found-count"' not in page.text
