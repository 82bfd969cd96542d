"""Playwright for Python driving Debian's Chromium (`apt-get install -y chromium`); Playwright's
own browser download is never used."""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = os.environ.get("SADAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


def chromium_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)"
    return None


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def sign_in_page(page, base: str, username: str, password: str) -> None:
    page.goto(base + "signin")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form[action='/signin'] button[type=submit]")
    page.wait_for_load_state("load")
