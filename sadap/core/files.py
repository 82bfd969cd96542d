"""Files that hold personal data: folders 0700, files 0600 (PDPA), whatever the umask."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TextIO, cast

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: str | Path) -> Path:
    """Create ``path`` (and missing parents) readable only by its owner; tighten it if it exists."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    try:
        if path.stat().st_mode & 0o777 != DIR_MODE:
            os.chmod(path, DIR_MODE)
    except PermissionError:  # not ours (e.g. /tmp): leave it
        pass
    return path


def private_file(path: str | Path) -> Path:
    """Make sure ``path`` exists with mode 0600 in a private folder (SQLite then creates its
    -wal and -shm files with the same mode)."""
    path = Path(path)
    if not path.parent.exists():  # an existing folder is the operator's (see private_dir)
        private_dir(path.parent)
    if not path.exists():
        # Only when it is new: closing any descriptor of a SQLite file releases every POSIX lock
        # this process holds on it, so a store already open here (a second store in one process,
        # as `sadap worker` has for its crawl reports) would write unlocked beside other processes
        # and corrupt the file (SQLite's "How To Corrupt", 2.2).
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
        os.close(fd)
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if p.exists() and p.stat().st_mode & 0o777 != FILE_MODE:
                os.chmod(p, FILE_MODE)
        except PermissionError:
            pass
    return path


def open_private(path: str | Path, mode: str = "w", encoding: str = "utf-8") -> TextIO:
    """Open a text file for writing (``w``) or appending (``a``), created 0600."""
    path = Path(path)
    if not path.parent.exists():
        private_dir(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    return cast(TextIO, os.fdopen(fd, mode, encoding=encoding))


def secret_once(path: str | Path) -> bytes:
    """The secret kept in ``path`` (its folder must exist), made on first use: 32 random bytes
    in hex, mode 0600. Processes starting together (workers on one data folder) all get the one
    that is there first: the new secret is written whole to a private file of its own and linked
    into place, which fails if another process's is there already, so no process reads a file
    still being written or keeps a secret another replaced."""
    path = Path(path)
    if path.exists():
        return path.read_bytes().strip()
    key = secrets.token_hex(32).encode("ascii")
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        try:
            os.link(draft, path)
        except FileExistsError:  # another process made it first
            return path.read_bytes().strip()
    finally:
        draft.unlink()
    return key


def not_utf8(path: str | Path, data: bytes, err: UnicodeDecodeError) -> str:
    """One line for a file that is not UTF-8: its line and column, and what to do (Thai files
    are often TIS-620 or Windows-874, as older Thai Windows programs save them)."""
    line_start = data.rfind(b"\n", 0, err.start) + 1
    line = data.count(b"\n", 0, err.start) + 1
    column = len(data[line_start:err.start].decode("utf-8", "replace")) + 1
    return (f"{path}:{line}: not UTF-8 text (column {column}); save the file as UTF-8 "
            "(Thai text saved as TIS-620 or Windows-874 must be converted)")
