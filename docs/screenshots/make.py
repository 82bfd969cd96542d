"""Screenshots of each workspace page for docs/workspace.md, on the demo store, in Debian's Chromium.

    python docs/screenshots/make.py [--data-dir DIR]   # DIR: an existing `sadap demo` folder (else one is made)
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))


def main() -> None:
    from playwright.sync_api import sync_playwright

    from sadap.app.config import load_config_file
    from sadap.app.web import Console
    from sadap.app.web.auth import add_user
    from sadap.store import MentionFilter, open_store
    from tests.browser_support import launch, sign_in_page

    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    data = Path(args.data_dir) if args.data_dir else Path(tmp.name) / "demo"
    if not (data / "sadap.yaml").exists():
        subprocess.run([sys.executable, "-m", "sadap", "demo", "--data-dir", str(data)], check=True, capture_output=True)
    config = load_config_file(data / "sadap.yaml")
    store = open_store(config)
    if store.get_user("shots") is None:
        add_user(store, "shots", "admin", "screenshot password")
    incident = next(i for i in store.list_incidents() if i.playbook == "service-outage")
    mention = store.search(MentionFilter(complaint=True, include_duplicates=False), 1)[0]
    case = max(store.list_cases(), key=lambda c: len(c.mention_ids))
    stakeholder = store.list_stakeholders()[0]
    console = Console(config, "127.0.0.1", 0, store)
    base = console.start()
    pages = {
        "overview": "", "mentions": "mentions?q=แอป+ล่ม", "mention": f"mentions/{mention.id}",
        "incident": f"incidents/{incident.id}", "complaints": "complaints?days=30",
        "playbook": "playbooks/service-outage", "backtest": "backtest/service-outage?since=7d", "rules": "rules",
        "sources": "sources", "stakeholders": "stakeholders", "stakeholder": f"stakeholders/{stakeholder.id}",
        "case": f"cases/{case.id}", "responses": "responses", "partners": "partners",
    }
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        sign_in_page(page, base, "shots", "screenshot password")
        for name, path in pages.items():
            page.goto(base + path)
            if name in ("overview", "backtest"):
                page.wait_for_selector("[data-drawn='1']")
            if name == "playbook":  # show an error inline
                text = page.input_value("textarea[name=yaml]")
                page.fill("textarea[name=yaml]", re.sub(r"(?m)^severity: P\d", "severity: P9", text, count=1))
                page.click("#playbook-editor button[value=validate]")
                page.wait_for_load_state("load")
            page.screenshot(path=str(HERE / f"{name}.png"))
            print(f"wrote {HERE / f'{name}.png'}")
        browser.close()
    console.stop()
    store.close()


if __name__ == "__main__":
    main()
