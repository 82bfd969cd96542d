"""Helpers for the web workspace tests: a copy of the demo store, users of each role, sign-in."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

PASSWORD = "ลองรหัสผ่านยาว-2026"
ROLES = ("viewer", "responder", "planner", "admin")


def workspace_copy(demo_dir: Path, target: Path, extra_yaml: str = "") -> Path:
    """A private copy of the demo data with one user per role (name = role); returns its config path."""
    from sadap.app.config import load_config_file
    from sadap.app.web.auth import add_user
    from sadap.store import open_store

    shutil.copytree(demo_dir, target)
    config_path = target / "sadap.yaml"
    if extra_yaml:
        config_path.write_text(config_path.read_text(encoding="utf-8") + "\n" + extra_yaml, encoding="utf-8")
    with open_store(load_config_file(config_path)) as store:
        for role in ROLES:
            add_user(store, role, role, PASSWORD)
    return config_path


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client, username: str, password: str = PASSWORD):
    page = client.get("/signin")
    return client.post("/signin", data={"username": username, "password": password, "csrf_token": csrf_of(page.text),
                                        "next": "/"}, follow_redirects=False)


def open_workspace(demo_dir: Path, target: Path):
    """A copy of the demo workspace at ``target``: (its config, its store open). Close the store."""
    from sadap.app.config import load_config_file
    from sadap.store import open_store

    config = load_config_file(workspace_copy(demo_dir, target))
    return config, open_store(config)


def signed_in_client(config, store, role: str, base_url: str = "http://127.0.0.1"):
    """A test client of the workspace app, signed in as ``role`` (the demo's users are named by role)."""
    from starlette.testclient import TestClient

    from sadap.app.web import create_app

    client = TestClient(create_app(config, store), base_url=base_url)
    assert sign_in(client, role).status_code == 303
    return client
