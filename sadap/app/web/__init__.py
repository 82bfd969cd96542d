"""The web workspace (`sadap serve`, `sadap run --port`, `sadap demo --serve`).

``create_app`` builds the ASGI app; ``start_console`` serves it from a background thread
(uvicorn) and returns its URL; ``serve_forever`` serves until interrupted."""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

from sadap.core.datalock import hold
from sadap.store import open_store

log = logging.getLogger("sadap.web")

__all__ = ["create_app", "start_console", "serve_forever", "Console"]


def create_app(config: Any, store: Any = None, extra_hosts: list[str] | None = None) -> Any:
    from sadap.app.web.app import create_app as build

    return build(config, store, extra_hosts)


class Console:
    """A running workspace server (uvicorn in a daemon thread)."""

    def __init__(self, config: Any, host: str | None = None, port: int | None = None, store: Any = None):
        import uvicorn

        console = config.console
        self.host = host or console.bind
        port = console.port if port is None else port
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this: no 40 ms Nagle/delayed-ACK stall between a response's
        # headers and body.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.bind((self.host, port))
        self.port = self.sock.getsockname()[1]
        extra = [self.host] if self.host not in ("0.0.0.0", "::") else []
        self.app = create_app(config, store, extra)
        self.server = uvicorn.Server(uvicorn.Config(
            self.app, log_level="warning", access_log=False, proxy_headers=True,
            forwarded_allow_ips=",".join(console.trusted_proxies) or "127.0.0.1", server_header=False,
            timeout_keep_alive=5, limit_concurrency=200, h11_max_incomplete_event_size=64 * 1024,
        ))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       name="sadap-workspace", daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.url

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_console(config: Any, host: str | None = None, port: int | None = None, store: Any = None) -> str:
    """Serve the workspace in a daemon thread; returns its URL."""
    return Console(config, host, port, store).start()


def serve_forever(config: Any, host: str | None = None, port: int | None = None, role: str = "sadap serve") -> None:
    """Serve until the process ends, holding the data folder's lock as ``role`` (a restore waits for it)."""
    with hold(config.data_path, role):
        store = open_store(config)
        url = start_console(config, host, port, store)
        if not store.list_users():
            log.warning("no users yet: add one with `sadap users add NAME --role admin`")
            print("no users yet: add one with `sadap users add NAME --role admin`", flush=True)
        print(f"workspace: {url} (Ctrl-C to stop)", flush=True)
        threading.Event().wait()
