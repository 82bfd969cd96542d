"""Playwright for Python driving Debian's Chromium (`apt-get install -y chromium`); Playwright's
own browser download is never used."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


@contextmanager
def served_workspace(demo_store_dir: Path, workdir: Path,
                     prepare: Callable[[Any], None] | None = None) -> Iterator[tuple[str, Any]]:
    """A real uvicorn server on a copy of the demo store: yields (base URL, store)."""
    from sadap.app.config import load_config_file
    from sadap.app.web import Console
    from sadap.store import open_store
    from tests.web_support import workspace_copy

    config = load_config_file(workspace_copy(demo_store_dir, workdir / "ws"))
    store = open_store(config)
    if prepare is not None:
        prepare(store)
    console = Console(config, "127.0.0.1", 0, store)
    console.start()
    try:
        yield console.url, store
    finally:
        console.stop()
        store.close()
