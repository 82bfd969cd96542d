"""``sadap demo``: the whole flow on the shipped Thai sample site, offline, in about a minute."""

from __future__ import annotations

import secrets
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

from playbooks.render import first_steps
from sadap.app import complaints as complaint_cases
from sadap.app.alerting import build_engine
from sadap.app.config import Config, configured_playbooks, load_config_file
from sadap.app.crawl import crawl
from sadap.app.demo.inbox import add_inbox
from sadap.app.demo.site import DemoSite
from sadap.app.names import category_names, complaint_type_names
from sadap.app.sources import source_kinds
from sadap.app import stakeholders as stakeholder_registry
from sadap.app.stakeholders import read_file as read_stakeholders
from sadap.app.starter import render_config
from sadap.app.summary import overview
from sadap.core.datalock import LOCK_DIR, Held, exclusive, hold
from sadap.core.errors import InputError
from sadap.core.labels import EXPECTATION, INCIDENT_STATE, SENTIMENT, th
from sadap.core.timeutil import now_utc
from sadap.store import MentionFilter, open_store

MARKER = ".sadap-demo"


def command_name(argv0: str | None = None) -> str:
    """How the printed next steps call Sadap: `sadap` where that is the one on PATH, else the
    script as it was called (`.venv/bin/sadap` after the README's install, which activates no
    virtual environment)."""
    invoked = Path(sys.argv[0] if argv0 is None else argv0)
    if invoked.name != "sadap":  # python -m sadap
        return "sadap"
    found = shutil.which("sadap")
    if found and Path(found).resolve() == invoked.resolve():
        return "sadap"
    return str(invoked)


def _say(text: str = "") -> None:
    print(text, flush=True)


def _prepare(data_dir: Path, role: str) -> Held:
    """Empty the demo folder and hold its lock as ``role`` (:mod:`sadap.core.datalock`), so a
    restore refuses while the demo writes or serves it; refuses a folder another Sadap process
    (a demo still serving) uses. The lock folder itself stays: a process that opened the lock
    file before must lock the same file."""
    if data_dir.exists():
        if not (data_dir / MARKER).exists() and any(p.name != LOCK_DIR for p in data_dir.iterdir()):
            raise InputError(f"{data_dir} exists and is not a Sadap demo folder; choose another --data-dir")
        with exclusive(data_dir, role):
            for old in data_dir.iterdir():
                if old.name == LOCK_DIR:
                    continue
                if old.is_dir() and not old.is_symlink():
                    shutil.rmtree(old)
                else:
                    old.unlink()
    held = hold(data_dir, role)
    (data_dir / MARKER).write_text("made by `sadap demo`; replaced on each run\n", encoding="utf-8")
    return held


def _flow(items: list[str]) -> str:
    return "[" + ", ".join('"' + s.replace('"', '\\"') + '"' for s in items) + "]"


def watch_block(story: dict[str, Any]) -> str:
    org = story["organisation"]
    lines = [f"  - name: {org['name_th']}", "    kind: brand", f"    aliases: {_flow([org['name_en'], *org['aliases']])}"]
    for product in org.get("products", []):
        lines += [f"  - name: {product['name']}", "    kind: product", f"    aliases: {_flow(product['aliases'])}"]
    return "\n".join(lines) + "\n"


def sources_block(base: str) -> str:
    return (
        f'  - {{name: demo-wire, kind: rss, url: "{base}/feed.xml", every: 15m}}\n'
        f'  - {{name: demo-daily, kind: article, url: "{base}/news/", follow: "/news/[^/]+[.]html$", every: 30m}}\n'
        f'  - {{name: demo-forum, kind: forum, url: "{base}/forum/threads.json", every: 10m}}\n'
    )


def write_demo_config(data_dir: Path, base: str, story: dict[str, Any]) -> Path:

    path = data_dir / "sadap.yaml"
    text = render_config(watch_block(story), sources_block(base)).replace("data_dir: sadap-data", "data_dir: .", 1)
    # Replaced on each run: nothing to back up (the workspace's backups page then says none are scheduled).
    text = text.replace("  every: 1d\n", "  every: null             # the demo is replaced on each run\n", 1)
    text += PARTNERS_BLOCK
    path.write_text(text, encoding="utf-8")
    return path


DEMO_USER = "demo"
# A partner of the news network (docs/partners.md); its token is read from the environment when used.
PARTNERS_BLOCK = """
partners:
  - name: demo-media
    title: เครือข่ายสื่อพันธมิตร (ตัวอย่าง)
    token_env: SADAP_DEMO_PARTNER_TOKEN
    share: [incidents, mentions]
    min_severity: P2
"""


def serve_workspace(config: Config, port: int) -> tuple[str, str, str]:
    """Start the workspace on the demo store with a demo admin whose new random password is returned."""
    from sadap.app.web import start_console
    from sadap.app.web.auth import add_user, set_password

    password = secrets.token_urlsafe(12)
    store = open_store(config)
    if store.get_user(DEMO_USER) is None:
        add_user(store, DEMO_USER, "admin", password)
    else:
        set_password(store, DEMO_USER, password)
    url = start_console(config, "127.0.0.1", port, store)
    return url, DEMO_USER, password


def run_demo(data_dir: Path, *, serve: bool = False, port: int = 8470) -> None:
    """The demo in ``data_dir`` (emptied first), holding the folder's lock until it ends (with
    ``serve``, until Ctrl-C), as `sadap serve` does."""
    started = time.monotonic()
    data_dir = data_dir.resolve()
    with _prepare(data_dir, "sadap demo --serve" if serve else "sadap demo"):
        _demo(data_dir, serve, port, started)


def _demo(data_dir: Path, serve: bool, port: int, started: float) -> None:
    site = DemoSite()
    base = site.start()
    story = site.story
    org = story["organisation"]
    _say(f"สดับ (Sadap) demo — {org['name_th']} ({org['name_en']})")
    _say(f"เว็บตัวอย่างในเครื่อง: {base}  (ฟีดข่าว RSS, บทความ, เว็บบอร์ด · {site.mention_count} ข้อความ)")
    config = load_config_file(write_demo_config(data_dir, base, story))
    registry, _ = read_stakeholders(Path(__file__).with_name("stakeholders.yaml"), "demo")
    with open_store(config) as store:  # before the crawl, so mentions are tagged as they are stored
        for s in registry:
            stakeholder_registry.save(store, s)
    try:
        _say("\n[1/3] เก็บข้อมูลด้วย Scrapy และวิเคราะห์ภาษาไทย (กฎแบบ watch ตรวจทันทีที่บันทึก) …\n")
        stats = crawl(config, config.sources, log_level="ERROR", settings={"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0})
    finally:
        site.stop()
    # The bank's own channels (LINE OA, Facebook, X, Pantip, regional news), answered and closed as the team did.
    inbox = add_inbox(config, site.anchor)
    _say("[2/3] ประเมินกฎแจ้งเตือนตามช่วงเวลา (threshold) …\n")
    with open_store(config) as store:
        engine = build_engine(config, store)
        engine.check(now_utc())
        complaint_cases.sync(store)  # cases now know the incidents their complaints are in
        cases = store.list_cases()
        tagged = {s.id: store.count(MentionFilter(stakeholders=(s.id,))) for s in registry}
        summary = overview(store)
        incidents = store.list_incidents()
        alerts = store.alerts_since(now_utc().replace(year=2000))
    playbooks = {p.id: p for p in configured_playbooks(config, check_references=False)}

    _say("[3/3] สรุป\n")
    _say(f"ข้อความที่เก็บ: {summary['total']}  (คัดลอก/ซ้ำใกล้เคียง {summary['near_duplicates']})")
    for name, st in stats.items():
        _say(f"  {name:<12} เก็บได้ {st.get('items', 0):>3} · บันทึกใหม่ {st.get('stored', 0):>3} · ข้อผิดพลาด {st.get('errors', 0)}")
    _say("ตามประเภทแหล่งที่มา: " + " · ".join(f"{th(source_kinds(), k)} {v}" for k, v in summary["by_source_kind"].items()))
    _say("ตามความรู้สึก:       " + " · ".join(f"{th(SENTIMENT, k)} {v}" for k, v in summary["by_sentiment"].items()))
    _say("ระดับความคาดหวัง:    " + " · ".join(f"{th(EXPECTATION, k)} {v}" for k, v in summary["by_expectation"].items()))
    _say("หมวดเสียงลูกค้า:      " + " · ".join(f"{th(category_names(), k)} {v}" for k, v in summary["by_category"].items()))
    _say(f"ข้อร้องเรียน {summary['complaints']}: "
         + " · ".join(f"{th(complaint_type_names(), k)} {v}" for k, v in summary["by_complaint_type"].items()))
    if summary["by_entity"]:
        _say("สิ่งที่ติดตาม:        " + " · ".join(f"{k} {v}" for k, v in summary["by_entity"].items()))
    _say("ผู้มีส่วนได้ส่วนเสีย:  " + " · ".join(f"{s.name} {tagged[s.id]}" for s in registry if tagged[s.id]))
    _say(f"ช่องทางของธนาคาร (LINE OA, เฟซบุ๊ก, X, พันทิป, ข่าวท้องถิ่น): บันทึก {inbox['stored']} ข้อความ · "
         f"ทีมตอบ {inbox['responses']} ครั้ง · ปิดเรื่องร้องเรียน {inbox['closed']} เรื่อง")
    multi = [c for c in cases if len(c.mention_ids) > 1]
    _say(f"เรื่องร้องเรียน (case) {len(cases)} เรื่อง, {len(multi)} เรื่องมีหลายข้อความ"
         + (f" (มากสุด {max(len(c.mention_ids) for c in multi)} ข้อความ)" if multi else ""))
    _say(f"\nการแจ้งเตือน {len(alerts)} ครั้ง · เหตุการณ์ (incident) {len(incidents)} เรื่อง")
    for incident in incidents:
        _say(f"\n■ {incident.id}  {incident.severity}  {th(INCIDENT_STATE, incident.state)} — {incident.title}")
        playbook = playbooks.get(incident.playbook)
        if playbook:
            _say(f"  แผนรับมือ: {playbook.title.th} / {playbook.title.en}")
            for step in first_steps(playbook, 3, "th"):
                _say(f"    {step}")
    elapsed = time.monotonic() - started
    sadap = command_name()
    cfg = f"--config {data_dir / 'sadap.yaml'}"
    _say(f"\nเสร็จใน {elapsed:.1f} วินาที · ข้อมูลอยู่ที่ {data_dir}")
    _say("\nลองต่อ:")
    _say(f'  {sadap} search "แอป ล่ม" {cfg}')
    _say(f"  {sadap} incidents list {cfg}")
    if incidents:
        _say(f"  {sadap} incidents show {incidents[0].id} {cfg}")
    _say(f"  {sadap} alerts check {cfg} --json")
    _say(f"  {sadap} stakeholders show sme-sellers {cfg}")
    _say(f"  {sadap} complaints list {cfg}")
    _say(f"  {sadap} report responses --by channel {cfg}   (ตอบสนองเท่าเทียม: เวลาตอบและเวลาแก้ไขเสร็จ แยกช่องทาง)")
    _say(f"  {sadap} report responses --by group {cfg}")
    _say(f"  {sadap} partners feed demo-media {cfg}   (ฟีดที่พันธมิตรจะได้รับ ปิดบังข้อมูลส่วนบุคคลแล้ว)")
    _say(f"  {sadap} demo --serve   (เปิดพื้นที่ทำงานบนเว็บ)")
    _say(f"  {sadap} init           (สร้าง sadap.yaml ของคุณเอง)")
    if serve:
        url, user, password = serve_workspace(config, port)
        _say(f"\nพื้นที่ทำงานบนเว็บ (workspace): {url}  (Ctrl-C เพื่อหยุด)")
        _say(f"เข้าสู่ระบบด้วย ผู้ใช้ {user}  รหัสผ่าน {password}  (sign in as {user}, password {password})")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            _say("หยุดแล้ว")
            sys.exit(0)
