"""Crawl safety against a real local HTTP server: only http/https followed or stored as
links, size limits, redirect loops and timeouts as one counted error line, and the
per-source summary of ``sadap crawl``.

Each crawl runs in its own subprocess (Twisted's reactor cannot restart); they all run
together once per module.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sadap.app.sources import source_config
from sadap.core.errors import ConfigError, InputError
from sadap.core.urls import UnsafeUrlError, check_source_url, is_web_url, web_url_or_none

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_TIMEOUT=10"]
BIG_PAGE = "<html><body>" + "<p>ข้อความยาวมาก</p>" * 20000 + "</body></html>"


def _handler(log: list[str]) -> type[SimpleHTTPRequestHandler]:
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(DATA), **kwargs)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            log.append(self.path)
            if self.path in ("/loop-a", "/loop-b"):
                self.send_response(302)
                self.send_header("Location", "/loop-b" if self.path == "/loop-a" else "/loop-a")
                self.end_headers()
            elif self.path == "/slow":
                time.sleep(3)
                self._html("<html><body><p>ช้าเกินไป</p></body></html>")
            elif self.path == "/big":
                self._html(BIG_PAGE)
            else:
                super().do_GET()

        def _html(self, text: str) -> None:
            body = text.encode("utf-8")
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the crawler gave up, as it should

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    items: list[dict[str, Any]]

    def stat(self, name: str) -> int:
        match = re.search(rf"'{re.escape(name)}': (\d+)", self.stderr)
        return int(match.group(1)) if match else 0

    def errors(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if "] ERROR:" in line]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[str]]]:
    log: list[str] = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(log))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", log
    finally:
        httpd.shutdown()
        httpd.server_close()


def _spider(name: str, out: Path, *settings: str, **args: str) -> list[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", name]
    for key, value in args.items():
        command += ["-a", f"{key}={value}"]
    return command + ["-O", str(out), *FAST, *settings]


CLI_CONFIG = """\
data_dir: data
watch:
  - name: ธนาคารแสงทอง
rules: []
notifiers: []
sources:
  - {{name: khaosod, kind: article, url: "{base}/site/thainews/khaosod/index.html", follow: 'news_\\d+\\.html'}}
  - {{name: prachatai, kind: article, url: "{base}/site/thainews/prachatai/index.html"}}
  - {{name: unsafe-feed, kind: rss, url: "{base}/unsafe/feed.xml"}}
  - {{name: loop, kind: article, url: "{base}/loop-a"}}
"""


@pytest.fixture(scope="module")
def runs(server, tmp_path_factory) -> dict[str, Run]:
    base, _ = server
    tmp = tmp_path_factory.mktemp("safety")
    (tmp / "sadap.yaml").write_text(CLI_CONFIG.format(base=base), encoding="utf-8")
    commands = {
        "feed": _spider("rss", tmp / "feed.jsonl", url=f"{base}/unsafe/feed.xml", source="feed"),
        "forum": _spider("forum", tmp / "forum.jsonl", url=f"{base}/unsafe/threads.json", source="forum"),
        "loop": _spider("article", tmp / "loop.jsonl", url=f"{base}/loop-a", source="loop"),
        "slow": _spider("article", tmp / "slow.jsonl", "-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=1",
                        url=f"{base}/slow", source="slow"),
        "big": _spider("article", tmp / "big.jsonl", "-s", "DOWNLOAD_MAXSIZE=100000", url=f"{base}/big", source="big"),
        "missing": _spider("article", tmp / "missing.jsonl", url=f"{base}/site/thainews/nothing-here.html", source="gone"),
        "news_index": _spider("article", tmp / "news_index.jsonl", url=f"{base}/site/thainews/prachatai/index.html",
                              follow=r"2026-11|passwd|alert", source="prachatai"),
        "home_only": _spider("article", tmp / "home_only.jsonl", url=f"{base}/site/thainews/matichon/index.html",
                             source="matichon"),
        "cli": [sys.executable, "-m", "sadap", "crawl", "all", "--config", str(tmp / "sadap.yaml")],
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    running = {}
    for name, command in commands.items():
        out, err = (tmp / f"{name}.stdout").open("wb"), (tmp / f"{name}.stderr").open("wb")
        running[name] = (subprocess.Popen(command, cwd=tmp if name == "cli" else ROOT, env=env, stdout=out, stderr=err), out, err)
    results = {}
    for name, (process, out, err) in running.items():
        try:
            process.wait(timeout=240)
        finally:
            out.close()
            err.close()
        feed = tmp / f"{name}.jsonl"
        items = [json.loads(line) for line in feed.read_text("utf-8").splitlines() if line] if feed.exists() else []
        results[name] = Run(process.returncode, (tmp / f"{name}.stdout").read_text("utf-8"),
                            (tmp / f"{name}.stderr").read_text("utf-8"), items)
    return results


# -- the URL check itself --------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://example.com/", "https://ข่าว.example/ข่าว?id=1", "HTTPS://Example.COM:8443/x"])
def test_web_urls_pass(url: str) -> None:
    assert is_web_url(url)
    assert check_source_url(" " + url + " ") == url


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("file:///etc/passwd", "the file: scheme is not allowed"),
        ("javascript:alert(1)", "the javascript: scheme is not allowed"),
        ("ftp://example.com/x", "the ftp: scheme is not allowed"),
        ("data:text/html,<p>x</p>", "the data: scheme is not allowed"),
        ("example.com/news", "it has no scheme"),
        ("http:///etc/passwd", "it has no host"),
        ("http://example.com:port/", "it has no host or is malformed"),
    ],
)
def test_other_urls_are_refused_with_one_line(url: str, why: str) -> None:
    assert not is_web_url(url)
    assert web_url_or_none(url) is None
    with pytest.raises(UnsafeUrlError, match=why) as caught:
        check_source_url(url)
    message = str(caught.value)
    assert "\n" not in message and "use an http:// or https:// address" in message
    # Usable by pydantic validators and caught by the CLI as an input error.
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, InputError)


def test_control_characters_are_not_web_urls() -> None:
    assert not is_web_url("http://example.com/\nSet-Cookie: x")
    assert not is_web_url(None)
    assert not is_web_url("")


def test_a_file_source_url_is_a_config_error_before_anything_runs(tmp_path) -> None:
    from pydantic import ValidationError

    from sadap.app.config import load_config_file

    with pytest.raises(ValidationError, match=r"'file:///etc/passwd' cannot be crawled: the file: scheme is not allowed"):
        source_config(name="passwd", kind="article", url="file:///etc/passwd")
    path = tmp_path / "sadap.yaml"
    path.write_text('sources:\n  - {name: passwd, kind: rss, url: "file:///etc/passwd"}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config_file(path)
    assert str(err.value) == (
        f"{path}:2: sources[0].url: 'file:///etc/passwd' cannot be crawled: the file: scheme is not allowed "
        "(use an http:// or https:// address)"
    )


# -- crawls ----------------------------------------------------------------------------


def test_feed_javascript_link_is_not_stored_as_a_link(runs) -> None:
    run = runs["feed"]
    assert run.returncode == 0, run.stderr
    by_id = {item["native_id"]: item for item in run.items}
    assert set(by_id) == {"unsafe-1", "safe-1"}
    assert by_id["unsafe-1"].get("url") is None  # the entry is kept, its link is not
    assert by_id["unsafe-1"]["text"].startswith("ธนาคารแจ้งปิดปรับปรุงระบบโอนเงิน")
    assert by_id["safe-1"]["url"].startswith("http://127.0.0.1:")
    assert run.stat("sadap/skipped/unsafe_link") == 1
    assert "javascript" not in json.dumps(run.items)


def test_remote_thread_list_cannot_make_the_crawler_read_local_files(runs, server) -> None:
    run = runs["forum"]
    assert run.returncode == 0, run.stderr
    assert run.stat("sadap/skipped/unsafe_url") == 2  # file:///etc/passwd and javascript:
    refused = [line for line in run.stderr.splitlines() if "only http/https URLs are followed" in line]
    assert len(refused) == 2 and any("file:///etc/passwd" in line for line in refused)
    assert {item["native_id"] for item in run.items} == {"3", "3#31"}
    assert "root:" not in json.dumps(run.items)


def test_redirect_loop_is_one_counted_error_line(runs) -> None:
    run = runs["loop"]
    assert run.returncode == 0, run.stderr
    assert run.items == []
    [error] = run.errors()
    assert "/loop-a: redirect loop (2 redirects, back to" in error
    assert run.stat("sadap/errors/redirect_loop") == 1
    assert "Traceback" not in run.stderr


def test_timeout_is_one_counted_error_line(runs) -> None:
    run = runs["slow"]
    assert run.returncode == 0, run.stderr
    [error] = run.errors()
    assert "/slow: timed out after 1s (tried 2 times)" in error
    assert run.stat("sadap/errors/timeout") == 1
    assert "Traceback" not in run.stderr


def test_download_maxsize_cancels_a_huge_answer(runs) -> None:
    run = runs["big"]
    assert run.returncode == 0, run.stderr
    assert run.items == []
    [error] = run.errors()
    assert "/big: response larger than DOWNLOAD_MAXSIZE" in error
    assert run.stat("sadap/errors/too_large") == 1
    assert "Traceback" not in run.stderr


def test_settings_limit_sizes() -> None:
    from crawlers import settings

    assert 0 < settings.DOWNLOAD_WARNSIZE < settings.DOWNLOAD_MAXSIZE <= 64 * 1024 * 1024
    assert settings.DOWNLOAD_HANDLERS["file"] is None


def test_http_error_is_one_counted_error_line(runs) -> None:
    run = runs["missing"]
    assert run.returncode == 0, run.stderr
    [error] = run.errors()
    assert "nothing-here.html: HTTP 404" in error
    assert run.stat("sadap/errors/http_404") == 1


def test_index_page_links_are_followed_and_unsafe_ones_refused(runs) -> None:
    run = runs["news_index"]
    assert run.returncode == 0, run.stderr
    titles = sorted(item["title"] for item in run.items)
    assert titles == [
        "ชาวบ้านริมโขงยื่นหนังสือค้านเขื่อน ชี้กระทบแหล่งปลาและวิถีประมง",
        "นักศึกษาจัดเวทีถกร่างกฎหมายชุมนุม เสนอยกเลิกโทษอาญา",
    ]
    times = sorted(item["published_at"] for item in run.items)
    assert times == ["2026-11-20T07:35:12+00:00", "2026-11-21T03:05:00+00:00"]
    assert "root:" not in json.dumps(run.items)


def test_home_page_without_follow_is_skipped_with_a_reason(runs) -> None:
    run = runs["home_only"]
    assert run.returncode == 0, run.stderr
    assert run.items == []
    assert run.stat("sadap/skipped/index_page") == 1
    assert any("skipped: a list of stories" in line and "set `follow:`" in line for line in run.stderr.splitlines())


def test_sadap_crawl_prints_items_new_skipped_and_errors_per_source(runs) -> None:
    run = runs["cli"]
    assert run.returncode == 0, run.stdout + run.stderr
    lines = {line.split(":", 1)[0]: line for line in run.stdout.splitlines() if ":" in line}
    assert lines["khaosod"].startswith("khaosod: items 3 · new 3 · skipped 0 ·"), lines
    assert lines["khaosod"].endswith("errors 0")
    assert lines["prachatai"].startswith("prachatai: items 0 · new 0 · skipped 1 (index page 1)"), lines
    assert lines["unsafe-feed"].startswith("unsafe-feed: items 2 · new 2 · skipped 1 (unsafe link 1)"), lines
    assert lines["loop"].startswith("loop: items 0 · new 0 · skipped 0"), lines
    assert lines["loop"].endswith("errors 1")
    assert "Traceback" not in run.stderr
