"""Web accounts across a restore. The backup's store brings back its accounts as they were (role,
disabled, password hash, ``session_version``) and its ``session.key``: a session cookie signed
before a sign-out, a password change or a disable that came after the backup would work again.
So a restore ends every web session (the restored key is dropped, a new one is made on the next
start, and every account's ``session_version`` goes past both its restored and its current value
by a random step of at least :data:`SESSION_STEP_MIN`, which also covers a key set in the
environment, even restoring into a new folder on a new machine while the old one still signs
cookies with that key), never gives back access taken away since the
backup (an API token revoked stays revoked, an account disabled stays disabled, a role lowered
stays lowered), and names the accounts whose state differs from the data it set aside, for an
admin to redo what was granted since the backup."""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sadap.core.users import ROLES

SESSION_KEY = "session.key"  # Config.session_secret's file in the data folder
#: How far a restore moves each account's session counter past both the restored and the current
#: value: a random step, not one. Restoring into a new folder there is no current value, and the
#: old machine, signing with the same key from the environment, may have moved its counter on since
#: the backup (one sign-out makes it the backup's + 1); it would take tens of thousands of sign-outs
#: there to reach the restored value, and then only by luck. Two restores of one backup (two new
#: machines) draw different steps. Below 2**31 after a hundred restores (a counter in 32 bits).
SESSION_STEP_MIN = 2**16
SESSION_STEP_SPAN = 2**24

Docs = dict[str, dict[str, Any]]


@dataclass
class Accounts:
    users: Docs = field(default_factory=dict)  # by user name
    tokens: Docs = field(default_factory=dict)  # by token hash


@dataclass(frozen=True)
class AccountChange:
    """``what``: ``gone`` (made after the backup: not in it), ``back`` (in the backup, not in the
    data set aside), ``role`` (raised after the backup: the restore keeps the lower), ``disabled``
    (enabled after the backup, disabled in it), ``enabled`` (the reverse: never after
    :func:`end_sessions`, which keeps a disable), ``password`` (the backup's password is back) or
    ``token`` (an API token made after the backup, not in it: ``before`` its prefix, ``after`` its name)."""

    username: str
    what: str
    before: str = ""  # in the data set aside
    after: str = ""  # restored


def _docs(db: sqlite3.Connection, table: str, key: str) -> Docs:
    if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone():
        return {}  # a store older than web accounts
    out: Docs = {}
    for name, doc in db.execute(f"SELECT {key}, doc FROM {table}"):
        loaded = json.loads(doc)
        if isinstance(loaded, dict):
            out[str(name)] = loaded
    return out


def read(store_path: Path) -> Accounts | None:
    """The accounts and API tokens of the store at ``store_path`` (read-only); None when there is
    no store there or it cannot be read (then nothing is compared)."""
    if not store_path.is_file():
        return None
    try:
        db = sqlite3.connect(f"{store_path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            return Accounts(_docs(db, "users", "username"), _docs(db, "api_tokens", "token_hash"))
        finally:
            db.close()
    except (sqlite3.DatabaseError, ValueError):
        return None


def compare(before: Accounts, after: Accounts) -> list[AccountChange]:
    """What differs between the accounts set aside (``before``) and those restored (``after``)."""
    changes: list[AccountChange] = []
    for name in sorted(set(before.users) | set(after.users)):
        old, new = before.users.get(name), after.users.get(name)
        if old is None:
            changes.append(AccountChange(name, "back", after=str((new or {}).get("role"))))
            continue
        if new is None:
            changes.append(AccountChange(name, "gone", before=str(old.get("role"))))
            continue
        if old.get("role") != new.get("role"):
            changes.append(AccountChange(name, "role", str(old.get("role")), str(new.get("role"))))
        if bool(old.get("disabled")) != bool(new.get("disabled")):
            changes.append(AccountChange(name, "disabled" if new.get("disabled") else "enabled"))
        if old.get("password_hash") != new.get("password_hash"):
            changes.append(AccountChange(name, "password"))
    for hashed, token in sorted(before.tokens.items(), key=lambda t: (str(t[1].get("username")), t[0])):
        if hashed not in after.tokens and not token.get("revoked"):
            changes.append(AccountChange(str(token.get("username")), "token", str(token.get("prefix", "")),
                                         str(token.get("name", ""))))
    return changes


def _lower(role: Any, other: Any) -> Any:
    """The less privileged of two roles (an unknown one counts as the least)."""
    rank = {name: n for n, name in enumerate(ROLES)}
    return min(role, other, key=lambda r: rank.get(r, -1))


def end_sessions(staged: Path, before: Accounts | None) -> list[str]:
    """In the restored store ``staged`` (not yet in place): every account's ``session_version``
    past its restored and its current one by a random step (:data:`SESSION_STEP_MIN`); an account disabled in ``before`` disabled, its role
    the lower of the two; each API token revoked in ``before`` revoked here too. Returns the
    prefixes of the tokens revoked again."""
    db = sqlite3.connect(str(staged))
    try:
        with db:
            restored = Accounts(_docs(db, "users", "username"), _docs(db, "api_tokens", "token_hash"))
            now = before or Accounts()
            for name, doc in restored.users.items():
                current = now.users.get(name) or {}
                doc["session_version"] = max(int(doc.get("session_version") or 0), int(
                    current.get("session_version") or 0)) + SESSION_STEP_MIN + secrets.randbelow(SESSION_STEP_SPAN)
                if current.get("disabled"):
                    doc["disabled"] = True
                if "role" in current and "role" in doc:
                    doc["role"] = _lower(doc["role"], current["role"])
                db.execute("UPDATE users SET doc = ? WHERE username = ?", (_dump(doc), name))
            revoked: list[str] = []
            for hashed, doc in restored.tokens.items():
                if (now.tokens.get(hashed) or {}).get("revoked") and not doc.get("revoked"):
                    doc["revoked"] = True
                    db.execute("UPDATE api_tokens SET doc = ? WHERE token_hash = ?", (_dump(doc), hashed))
                    revoked.append(str(doc.get("prefix", "")))
            return revoked
    finally:
        db.close()


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
