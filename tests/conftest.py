"""Shared fixtures."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"


@dataclass
class SiteServer:
    """A local HTTP server over saved pages, recording every path requested."""

    base_url: str
    requests: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def requested(self, path: str) -> bool:
        return any(r.split("?")[0] == path for r in self.requests)


def _handler(root: Path, log: list[str], lock: threading.Lock) -> type[SimpleHTTPRequestHandler]:
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_request(self, code="-", size="-") -> None:
            with lock:
                log.append(self.path)

        def log_message(self, format, *args) -> None:  # keep test output quiet
            pass

    return Handler


@pytest.fixture(scope="module")
def site_server() -> Iterator[SiteServer]:
    """Serves ``tests/data/site`` on 127.0.0.1 (free port) for the module's tests."""
    log: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(DATA / "site", log, threading.Lock()))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    site = SiteServer(base_url=f"http://127.0.0.1:{server.server_address[1]}", requests=log)
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


WISESIGHT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wisesight-sentiment"


@pytest.fixture(scope="session")
def wisesight_dir() -> Path:
    """The Wisesight Sentiment corpus (``../shared/data/wisesight-sentiment``); skips when absent."""
    if not all((WISESIGHT / f"{split}.jsonl").is_file() for split in ("train", "valid", "test")):
        pytest.skip(f"Wisesight Sentiment corpus not found at {WISESIGHT} (train/valid/test.jsonl)")
    return WISESIGHT


@pytest.fixture(scope="session")
def demo_store_dir(tmp_path_factory) -> Path:
    """The shipped demo crawled once per test session (``sadap demo``); copy it before changing it."""
    import subprocess
    import sys

    data = tmp_path_factory.mktemp("demo-once") / "sadap-demo"
    done = subprocess.run([sys.executable, "-m", "sadap", "demo", "--data-dir", str(data)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return data


# The browser tests' Chromium and page (tests/browser_support.py has the server and sign-in helpers).
@pytest.fixture(scope="module")
def browser():
    from playwright import sync_api

    from tests.browser_support import launch

    with sync_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh Thai-locale page; `page.errors` collects page errors and console errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="th-TH")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.errors = errors
    yield page
    context.close()
