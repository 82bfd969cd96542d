"""Web accounts across a restore: every web session ends (a cookie signed before a sign-out that
came after the backup must not work again, whether the signing key is the data folder's or the
environment's), API tokens revoked since the backup stay revoked, and the accounts that differ
from the data set aside are named for an admin to redo. The real workspace app, a real store."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from sadap.app import backup as backups
from sadap.app.restore_accounts import SESSION_KEY, AccountChange
from sadap.app.web import create_app
from sadap.app.web.app import SESSION_COOKIE
from sadap.app.web.auth import (add_user, end_sessions, new_api_token, revoke_api_token, set_disabled, set_password,
                                set_role)
from sadap.store import open_store
from tests.test_backup import _config, _run, config  # noqa: F401 (fixture)
from tests.web_support import PASSWORD, sign_in


def _signed_in(config, username: str) -> str:
    """A session cookie from signing in through the workspace's own form."""
    with open_store(config) as store:
        client = TestClient(create_app(config, store), base_url="http://127.0.0.1")
        assert sign_in(client, username).status_code == 303
        return str(client.cookies[SESSION_COOKIE])


def _answers(config, *, cookie: str = "", token: str = "") -> int:
    headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"} if cookie else {"Authorization": f"Bearer {token}"}
    with open_store(config) as store:
        client = TestClient(create_app(config, store), base_url="http://127.0.0.1")
        return client.get("/api/incidents", headers=headers).status_code


@pytest.mark.parametrize("key_from", ["data folder", "environment"])
def test_a_restore_ends_every_web_session(config, monkeypatch, key_from):
    if key_from == "environment":
        monkeypatch.setenv(config.console.session_secret_env, "กุญแจลงนามคุกกี้-ทดสอบ-0123456789abcdef")
    with open_store(config) as store:
        add_user(store, "somchai", "admin", PASSWORD)
        add_user(store, "malee", "viewer", PASSWORD)
    before = _signed_in(config, "somchai")  # signed in before the backup
    archive = backups.backup(config).path
    with open_store(config) as store:
        end_sessions(store, "somchai")  # signed out everywhere after it (a lost phone)
    after = _signed_in(config, "malee")
    assert _answers(config, cookie=before) == 401 and _answers(config, cookie=after) == 200
    restored = backups.restore(config, archive, replace=True)
    assert _answers(config, cookie=before) == 401  # the backup's session_version must not let it back in
    assert _answers(config, cookie=after) == 401  # everyone signs in again
    assert _answers(config, cookie=_signed_in(config, "somchai")) == 200
    if key_from == "data folder":
        [aside] = restored.set_aside
        assert (aside / SESSION_KEY).exists() and (config.data_path / SESSION_KEY).read_bytes() != (
            aside / SESSION_KEY).read_bytes()  # a new key, made at the first start after the restore


def test_a_restore_into_a_new_folder_ends_the_old_machines_sessions_with_the_same_env_key(config, monkeypatch,
                                                                                          tmp_path):
    """Moving to a new machine: the key in the environment is the same on both, and the new folder
    has no accounts to go past; a cookie the old machine signed after a sign-out that came after
    the backup (its counter one past the backup's) must not work on the restored one either."""
    monkeypatch.setenv(config.console.session_secret_env, "กุญแจลงนามคุกกี้-ทดสอบ-0123456789abcdef")
    with open_store(config) as store:
        add_user(store, "somchai", "admin", PASSWORD)
        add_user(store, "malee", "viewer", PASSWORD)
    before = _signed_in(config, "somchai")
    archive = backups.backup(config).path
    with open_store(config) as store:
        end_sessions(store, "somchai")  # signed out everywhere after the backup, on the old machine
    newest = _signed_in(config, "somchai")  # and signed in again there
    kept = _signed_in(config, "malee")  # never signed out: the backup's counter
    assert _answers(config, cookie=newest) == 200 and _answers(config, cookie=kept) == 200
    new = _config(tmp_path / "new-machine")
    restored = _run(new, "backup", "restore", str(archive))
    assert restored.exit_code == 0 and "ทุกคนต้องลงชื่อเข้าใช้ใหม่" in restored.stdout, restored.output
    for cookie in (before, newest, kept):
        assert _answers(new, cookie=cookie) == 401
    signed_here = _signed_in(new, "somchai")
    assert _answers(new, cookie=signed_here) == 200
    # the same backup restored on a third machine: the second one's sessions end there too
    third = _config(tmp_path / "third-machine")
    backups.restore(third, archive)
    assert _answers(third, cookie=signed_here) == 401 and _answers(third, cookie=newest) == 401


def test_a_restore_names_the_accounts_that_differ_from_the_data_set_aside(config, tmp_path):
    with open_store(config) as store:
        for name, role in (("somchai", "admin"), ("malee", "viewer"), ("kanya", "responder"), ("dao", "planner")):
            add_user(store, name, role, PASSWORD)
        set_disabled(store, "dao")
        token, record = new_api_token(store, "kanya", "ระบบรายงาน")
    archive = backups.backup(config).path
    with open_store(config) as store:  # what admins changed after the backup
        add_user(store, "preecha", "planner", PASSWORD)
        set_role(store, "malee", "admin")
        set_disabled(store, "kanya")
        set_disabled(store, "dao", False)
        set_password(store, "somchai", "รหัสผ่านใหม่หลังสำรอง-2569")
        revoke_api_token(store, record.token_hash)
        set_disabled(store, "kanya", False)  # enabled again: only the token stays revoked
        later, later_record = new_api_token(store, "somchai", "แดชบอร์ดสาขา")  # made after the backup
    result = _run(config, "backup", "restore", str(archive), "--replace")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "  การลงชื่อเข้าใช้เว็บทั้งหมดสิ้นสุดแล้ว: ทุกคนต้องลงชื่อเข้าใช้ใหม่" in lines
    start = lines.index("  บัญชีเว็บที่ต่างจากข้อมูลที่ย้ายไว้ (ทำซ้ำสิ่งที่เปลี่ยนหลังการสำรอง):")
    assert lines[start + 1:start + 6] == [
        "    dao: เปิดใช้งานหลังการสำรอง ตอนนี้ปิดใช้งาน: `sadap users enable dao`",
        "    malee: บทบาท admin → viewer: `sadap users role malee admin`",
        "    preecha: สร้างหลังการสำรอง ไม่มีในข้อมูลที่กู้คืน: `sadap users add preecha --role planner`",
        "    somchai: รหัสผ่านที่เปลี่ยนหลังการสำรองกลับเป็นรหัสเดิม: `sadap users passwd somchai`",
        f"    somchai: โทเค็น API {later_record.prefix}… (แดชบอร์ดสาขา) สร้างหลังการสำรอง ไม่มีในข้อมูลที่กู้คืน: "
        "`sadap users token somchai` แล้วเปลี่ยนในระบบที่ใช้",
    ]
    assert "  โทเค็น API ที่เพิกถอนหลังการสำรองยังถูกเพิกถอน: sdp_" in result.stdout
    assert _answers(config, token=token) == 401  # not back from the backup
    assert _answers(config, token=later) == 401  # not in the backup: named above, to make again
    with open_store(config) as store:
        malee = store.get_user("malee")
        assert store.get_user("preecha") is None and malee is not None and malee.role == "viewer"
    # Into a new folder there is nothing to compare: the sessions still end, no account list.
    fresh = _config(tmp_path / "fresh")
    plain = _run(fresh, "backup", "restore", str(archive))
    assert plain.exit_code == 0 and "ทุกคนต้องลงชื่อเข้าใช้ใหม่" in plain.stdout and "บัญชีเว็บ" not in plain.stdout
    # Over a store without those accounts, each is named as back from the backup.
    other = _config(tmp_path / "other")
    with open_store(other) as store:
        add_user(store, "somchai", "admin", PASSWORD)
    changes = backups.restore(other, archive, replace=True).accounts
    assert changes == [AccountChange("dao", "back", after="planner"), AccountChange("kanya", "back", after="responder"),
                       AccountChange("malee", "back", after="viewer"), AccountChange("somchai", "password")]


def test_a_restore_never_gives_back_access_taken_away_since_the_backup(config):
    """An account disabled since the backup (someone who left) stays disabled, with its API
    tokens; one whose role was lowered keeps the lower role: as a revoked token, access taken
    away is never given back by a restore. Access granted since the backup is what an admin redoes."""
    with open_store(config) as store:
        add_user(store, "anan", "responder", PASSWORD)
        add_user(store, "wichai", "admin", PASSWORD)
        add_user(store, "malee", "viewer", PASSWORD)
        token, _ = new_api_token(store, "anan", "สคริปต์ของอนันต์")
    archive = backups.backup(config).path
    with open_store(config) as store:
        set_disabled(store, "anan")  # left the company
        set_role(store, "wichai", "viewer")  # moved to another team
        set_role(store, "malee", "planner")  # promoted
    result = backups.restore(config, archive, replace=True)
    with open_store(config) as store:
        anan, wichai, malee = store.get_user("anan"), store.get_user("wichai"), store.get_user("malee")
    assert anan is not None and anan.disabled and _answers(config, token=token) == 401
    assert wichai is not None and wichai.role == "viewer"
    assert malee is not None and malee.role == "viewer"  # the backup's: the promotion is redone by an admin
    assert result.accounts == [AccountChange("malee", "role", "planner", "viewer")]
