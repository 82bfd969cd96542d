"""The spine end to end, through the real command line: demo, search, alerts, incidents,
the web console and `sadap run` driven by APScheduler."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def sadap(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sadap", *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=timeout,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    data = tmp_path_factory.mktemp("demo") / "sadap-demo"
    done = sadap("demo", "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    return data, done.stdout


def test_demo_crawls_enriches_stores_and_opens_incidents(demo):
    data, out = demo
    assert "ข้อความที่เก็บ: 235" in out  # 212 crawled from the demo site, 23 from the bank's own channels
    assert "เว็บบอร์ด" in out and "ฟีดข่าว" in out and "บทความข่าว" in out
    assert "เชิงลบ" in out and "แผนรับมือ" in out
    assert "ระบบบริการขัดข้อง" in out  # the outage playbook opened
    assert "ลองต่อ:" in out and "sadap incidents show INC-" in out
    assert (data / "sadap.db").exists() and (data / "sadap.yaml").exists()


def test_search_after_demo(demo):
    data, _ = demo
    done = sadap("search", "แอป ล่ม", "--config", str(data / "sadap.yaml"), "--sentiment", "neg", "--json", "--limit", "5")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert 1 <= len(found) <= 5
    assert all(m["sentiment"]["label"] == "neg" for m in found)
    assert all("ล่ม" in m["text"] or "ล่ม" in (m["title"] or "") for m in found)
    recent = json.loads(sadap("search", "ล่ม", "--config", str(data / "sadap.yaml"), "--since", "24h", "--json").stdout)
    old = json.loads(sadap("search", "สาขา", "--config", str(data / "sadap.yaml"), "--since", "1h", "--json").stdout)
    assert recent and all(m["published_at"] for m in recent) and isinstance(old, list)


def test_incidents_from_the_demo_can_be_worked(demo):
    data, _ = demo
    cfg = ["--config", str(data / "sadap.yaml")]
    incidents = json.loads(sadap("incidents", "list", *cfg, "--json").stdout)
    playbooks = {i["playbook"] for i in incidents}
    assert {"service-outage", "complaint-surge", "rumour-fake-news"} <= playbooks
    first = incidents[0]["id"]
    shown = sadap("incidents", "show", first, *cfg)
    assert shown.returncode == 0 and "ลำดับเหตุการณ์" in shown.stdout and "notified" in shown.stdout
    assert sadap("incidents", "ack", first, *cfg, "--by", "somchai").returncode == 0
    again = sadap("incidents", "ack", first, *cfg)
    assert again.returncode == 1 and again.stderr.count("\n") == 1 and "only from: open" in again.stderr
    timeline = json.loads(sadap("incidents", "show", first, *cfg, "--json").stdout)["timeline"]
    assert timeline[-1]["kind"] == "acknowledged" and timeline[-1]["actor"] == "somchai"
    step = sadap("incidents", "step", first, "1", *cfg, "--by", "somchai")
    assert step.returncode == 0 and "step 1 done" in step.stdout
    too_far = sadap("incidents", "step", first, "99", *cfg)
    assert too_far.returncode == 1 and "choose 1 to" in too_far.stderr


def test_alerts_check_json_contract_and_cooldown(demo):
    data, _ = demo
    cfg = ["--config", str(data / "sadap.yaml")]
    now = json.loads(sadap("alerts", "check", *cfg, "--json").stdout)
    assert now == []  # everything that fired is still in its cool-down
    later = json.loads(sadap("alerts", "check", *cfg, "--json", "--at", "2099-01-01T00:00:00+07:00").stdout)
    assert later == []  # nothing was published in the window before that time
    bad = sadap("alerts", "check", *cfg, "--at", "yesterday")
    assert bad.returncode == 1 and "ISO 8601" in bad.stderr


def test_alerts_check_fields(tmp_path):
    from sadap.app.demo.run import watch_block
    from sadap.app.demo.site import load_story

    (tmp_path / "sadap.yaml").write_text(
        "data_dir: .\nwatch:\n" + watch_block(load_story())
        + "rules:\n  - {id: any-neg, type: threshold, title: ลบ, sentiment: [neg], limit: 1, window: 1d, playbook: complaint-surge}\n",
        encoding="utf-8",
    )
    from datetime import timedelta

    from sadap.core.timeutil import now_utc

    published = (now_utc() - timedelta(hours=2)).isoformat()
    rows = "\n".join(
        json.dumps({"id": str(i), "text": t, "published_at": published}, ensure_ascii=False)
        for i, t in enumerate(["แอปแสงทองล่ม โอนเงินไม่ได้ แย่มาก", "ธนาคารแสงทองบริการแย่มาก ผิดหวังสุดๆ"])
    )
    (tmp_path / "in.jsonl").write_text(rows + "\n", encoding="utf-8")
    assert sadap("ingest", "in.jsonl", cwd=tmp_path).returncode == 0
    at = (now_utc() + timedelta(minutes=1)).isoformat()
    fired = json.loads(sadap("alerts", "check", "--at", at, "--json", cwd=tmp_path).stdout)
    assert len(fired) == 1
    assert set(fired[0]) == {"rule", "severity", "key", "count", "playbook", "incident", "mentions"}
    assert fired[0]["rule"] == "any-neg" and fired[0]["count"] == 2 and fired[0]["playbook"] == "complaint-surge"
    assert fired[0]["incident"].startswith("INC-") and len(fired[0]["mentions"]) == 2


def test_enrich_command_hears_thai():
    done = sadap("enrich", "แอปธนาคารล่มอีกแล้ว โอนเงินไม่ได้เลย แย่มากกกก #แอปล่ม", "--json")
    assert done.returncode == 0, done.stderr
    m = json.loads(done.stdout)
    assert m["language"] == "th" and m["sentiment"]["label"] == "neg"
    assert "ล่ม" in m["tokens"] and m["hashtags"] == ["แอปล่ม"]
    human = sadap("enrich", "พนักงานบริการดีมาก ประทับใจ")
    assert human.returncode == 0 and "ความรู้สึก: เชิงบวก" in human.stdout
    complaint = sadap("enrich", "แอปธนาคารล่มอีกแล้ว โอนเงินไม่ได้เลย แย่มากกกก")
    assert "ข้อร้องเรียน: ใช่ — ระบบดิจิทัลขัดข้อง (digital_outage)" in complaint.stdout
    assert "หมวดเสียงลูกค้า: " in complaint.stdout and "(" in complaint.stdout.split("หมวดเสียงลูกค้า: ")[1]


def test_playbooks_commands(tmp_path):
    listed = sadap("playbooks", "list", "--json")
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) >= 3
    assert sadap("playbooks", "validate").returncode == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: 1\ntitle: {th: ทดสอบ}\nseverity: P9\nsteps: []\n", encoding="utf-8")
    done = sadap("playbooks", "validate", str(bad))
    assert done.returncode == 1 and f"{bad}:4" in done.stderr
    # a playbook naming a rule that the config does not have
    (tmp_path / "sadap.yaml").write_text("rules: []\n", encoding="utf-8")
    ghost = tmp_path / "ghost.yaml"
    shipped = (ROOT / "playbooks" / "library" / "10-service-outage.yaml").read_text(encoding="utf-8")
    ghost.write_text(shipped.replace("id: service-outage", "id: my-outage").replace("when:\n", "when:\n  rules: [no-such-rule]\n", 1), encoding="utf-8")
    done = sadap("playbooks", "validate", str(ghost), cwd=tmp_path)
    assert done.returncode == 1 and "no-such-rule" in done.stderr and "does not exist" in done.stderr


def test_init_and_usage_errors(tmp_path):
    assert sadap("init", str(tmp_path)).returncode == 0
    assert (tmp_path / "sadap.yaml").exists()
    again = sadap("init", str(tmp_path))
    assert again.returncode == 1 and "already exists" in again.stderr
    assert sadap("search").returncode == 2
    assert sadap("no-such-command").returncode == 2
    broken = tmp_path / "broken.yaml"
    broken.write_text("data_dir: x\nunknown_setting: 1\n", encoding="utf-8")
    done = sadap("search", "x", "--config", str(broken))
    assert done.returncode == 1 and f"{broken}:2: unknown_setting: unknown key" in done.stderr


def test_web_console(demo):
    """`sadap serve`'s server on the demo store: pages and the JSON API for a signed-in user
    (the workspace's own tests are in test_web.py)."""
    from sadap.app.config import load_config_file
    from sadap.app.web import start_console
    from sadap.app.web.auth import add_user, new_api_token
    from sadap.store import open_store

    data, _ = demo
    config = load_config_file(data / "sadap.yaml")
    with open_store(config) as store:
        if store.get_user("e2e") is None:
            add_user(store, "e2e", "responder", "long e2e password")
        token, _ = new_api_token(store, "e2e")
    url = start_console(config, "127.0.0.1", 0)
    auth = {"Authorization": f"Bearer {token}"}

    def get(path):
        return urllib.request.urlopen(urllib.request.Request(url + path, headers=auth)).read().decode("utf-8")

    page = get("")
    assert "ภาพรวม" in page and "เหตุการณ์ที่ยังเปิดอยู่" in page and "INC-" in page
    found = get("mentions?q=" + urllib.parse.quote("ข้อมูลรั่ว"))
    assert "ข้อมูล" in found and "พบ" in found
    summary = json.loads(get("api/summary"))
    assert summary["total"] == 235 and summary["incidents"]
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(url + "api/summary")
    assert err.value.code == 401


class Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802
        type(self).received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.slow
def test_run_service_crawls_on_schedule_and_notifies(tmp_path):
    from sadap.app.demo.run import sources_block, watch_block
    from sadap.app.demo.site import DemoSite
    from sadap.app.starter import render_config

    hook = type("H", (Hook,), {"received": []})
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), hook)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    with DemoSite() as site:
        text = render_config(watch_block(site.story), sources_block(site.base_url)).replace("data_dir: sadap-data", "data_dir: .")
        text = text.replace(
            "notifiers:\n", f"notifiers:\n  - {{id: hook, type: webhook, url_env: TEST_HOOK_URL}}\n", 1
        )
        text = text.replace("alerts_every: 1m", "alerts_every: 5s")
        (tmp_path / "sadap.yaml").write_text(text, encoding="utf-8")
        env = {**os.environ, "TEST_HOOK_URL": f"http://127.0.0.1:{receiver.server_address[1]}/hook"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "sadap", "run", "--config", str(tmp_path / "sadap.yaml")],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        try:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and not any(b["rule"] == "brand-negative-surge" for b in hook.received):
                time.sleep(1)
        finally:
            proc.send_signal(signal.SIGINT)
            out = proc.communicate(timeout=60)[0]
    receiver.shutdown()
    rules = {b["rule"] for b in hook.received}
    assert {"outage-keywords", "brand-negative-surge"} <= rules, out
    assert "sadap run:" in out


def test_incident_api(demo):
    from sadap.app.config import load_config_file
    from sadap.app.web import start_console
    from sadap.app.web.auth import add_user, new_api_token
    from sadap.store import open_store

    data, _ = demo
    config = load_config_file(data / "sadap.yaml")
    with open_store(config) as store:
        if store.get_user("somsri") is None:
            add_user(store, "somsri", "responder", "long somsri password")
        token, _ = new_api_token(store, "somsri")
    url = start_console(config, "127.0.0.1", 0)
    auth = {"Authorization": f"Bearer {token}"}
    incidents = json.loads(urllib.request.urlopen(urllib.request.Request(url + "api/incidents", headers=auth)).read())
    target = next(i for i in incidents if i["state"] == "open")["id"]

    def post(path, body, token=None):
        req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})})
        try:
            with urllib.request.urlopen(req) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    assert post(f"api/incidents/{target}/ack", {"by": "somsri"})[0] == 401
    status, body = post(f"api/incidents/{target}/ack", {"by": "mallory", "text": "รับทราบ"}, token)
    assert status == 200 and body["state"] == "acknowledged"
    assert post(f"api/incidents/{target}/ack", {}, token)[0] == 409
    assert post(f"api/incidents/{target}/respond", {"text": "ชี้แจงทางเพจแล้ว", "channel": "social"}, token)[0] == 200
    assert post("api/incidents/INC-NOPE/resolve", {}, token)[0] == 404
    req = urllib.request.Request(url + f"api/incidents/{target}", headers=auth)
    detail = json.loads(urllib.request.urlopen(req).read())
    assert [e["kind"] for e in detail["timeline"]][-2:] == ["acknowledged", "response"]
    assert detail["timeline"][-2]["actor"] == "somsri"  # the token's user, never the body's "by"
