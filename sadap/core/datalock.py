"""Which Sadap processes use a data folder. Each long-running one (`sadap run`, `serve`, `worker`,
a crawl, an ingest, reenrich, train or purge, the demo, a backup while it copies) holds a shared lock on ``<data folder>/.running/lock`` for its lifetime and leaves a note
beside it (``<pid>-….json``: its process id, role and host); a restore takes the lock exclusively,
so it fails while any of them runs and none starts while it works. The kernel drops a lock when
its process ends, however it ends (``kill -9`` too): a note left by a killed process means
nothing, and the next restore removes it. The lock file itself is never deleted (a process that
opened it before would lock a file nobody else sees)."""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from sadap.core.errors import StoreError
from sadap.core.files import FILE_MODE, open_private, private_dir
from sadap.core.timeutil import now_utc

LOCK_DIR = ".running"  # in the data folder: never archived, never set aside by a restore
LOCK_FILE = "lock"


@dataclass(frozen=True)
class Running:
    pid: int
    role: str
    host: str

    def __str__(self) -> str:
        where = "" if self.host == _host() else f" on {self.host}"
        return f"`{self.role}` (pid {self.pid}{where})"


class Held:
    """A lock on a data folder, held until :meth:`release` (or the end of a ``with`` block)."""

    def __init__(self, fd: int, note: Path) -> None:
        self.fd, self.note = fd, note

    def release(self) -> None:
        if self.fd < 0:
            return
        self.note.unlink(missing_ok=True)
        os.close(self.fd)  # the lock goes with the last descriptor
        self.fd = -1

    def __enter__(self) -> Held:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


def _host() -> str:
    return socket.gethostname()


def _open(folder: Path) -> int:
    where = private_dir(folder / LOCK_DIR)
    return os.open(where / LOCK_FILE, os.O_RDWR | os.O_CREAT, FILE_MODE)


def _lock(fd: int, how: int) -> bool:
    try:
        fcntl.flock(fd, how | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    return True


def _note(folder: Path, role: str) -> Path:
    note = folder / LOCK_DIR / f"{os.getpid()}-{secrets.token_hex(4)}.json"
    with open_private(note) as fh:
        json.dump({"pid": os.getpid(), "role": role, "host": _host(), "since": now_utc().isoformat()}, fh)
    return note


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def running(folder: Path) -> list[Running]:
    """The processes whose notes are in ``folder``, those of this host that have died left out."""
    out: list[Running] = []
    for note in sorted((folder / LOCK_DIR).glob("*.json")):
        try:
            doc = json.loads(note.read_text(encoding="utf-8"))
            found = Running(pid=int(doc["pid"]), role=str(doc["role"]), host=str(doc["host"]))
        except (OSError, ValueError, KeyError, TypeError):  # gone meanwhile, or being written
            continue
        if found.host != _host() or alive(found.pid):
            out.append(found)
    return out


def _named(folder: Path) -> str:
    found = running(folder)
    return ", ".join(map(str, found)) if found else "another Sadap process (it left no note)"


def hold(folder: Path, role: str) -> Held:
    """Mark this process as using the data folder ``folder`` as ``role`` (shared with the other
    Sadap processes); raises StoreError while a restore works on it."""
    fd = _open(folder)
    if not _lock(fd, fcntl.LOCK_SH):
        raise StoreError(f"{folder}: {_named(folder)} is working on this data folder; start `{role}` again "
                         "when it has finished")
    return Held(fd, _note(folder, role))


def exclusive(folder: Path, role: str) -> Held:
    """The data folder ``folder`` for this process alone (as ``role``, e.g. a restore); raises
    StoreError naming the Sadap processes that use it."""
    fd = _open(folder)
    if not _lock(fd, fcntl.LOCK_EX):
        raise StoreError(f"{folder}: in use by {_named(folder)}; stop it first (Ctrl-C, or `systemctl stop` / "
                         f"`docker compose stop` for a service), then run `{role}` again")
    for stale in (folder / LOCK_DIR).glob("*.json"):  # no process holds the lock: every note is a dead one's
        stale.unlink(missing_ok=True)
    return Held(fd, _note(folder, role))
