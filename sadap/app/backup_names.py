"""The names of backup archives: ``sadap-backup-<Bangkok time to the second>.tar.gz``, then
``…-2``, ``…-3`` for more of the same second, each claimed by one backup only. Listed by
:func:`sadap.app.privacy.archives`, newest first."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

from sadap.core.files import FILE_MODE

SUFFIX = ".tar.gz"
GLOB = f"sadap-backup-*{SUFFIX}"
_NAME = re.compile(r"sadap-backup-(?P<stamp>\d{8}-\d{6})(?:-(?P<n>\d+))?\.tar\.gz")
# What link() answers on a file system without hard links (some FUSE and SMB mounts).
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}


def order(path: Path, written_ns: int) -> tuple[int, str, int, str]:
    """Sorts archives by when each was written, and for one time (a file system that keeps whole
    seconds) by name: ``…-10`` was made after ``…-2``, which came after the one without a number."""
    named = _NAME.fullmatch(path.name)
    stamp, n = (named["stamp"], int(named["n"] or 1)) if named else ("", 0)
    return written_ns, stamp, n, path.name


def claim(partial: Path, folder: Path, stamp: str) -> Path:
    """Give the whole archive ``partial`` (in a work folder of ``folder``) the first of
    ``sadap-backup-<stamp>.tar.gz``, ``…-2``, ``…-3``… that no file holds, taken in one step: a
    hard link fails when the name exists, so two backups of one second (two processes, or two
    machines on one NAS folder) never share a name or replace each other's archive, and no name
    ever shows a half-written file."""
    n = 1
    while True:
        target = folder / f"sadap-backup-{stamp}{'' if n == 1 else f'-{n}'}{SUFFIX}"
        try:
            os.link(partial, target)
            return target
        except FileExistsError:
            n += 1
        except OSError as err:
            if err.errno not in _NO_LINKS:
                raise
            try:  # no hard links here: the name claimed empty (O_EXCL), then filled in one step
                os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
            except FileExistsError:
                n += 1
                continue
            os.replace(partial, target)
            return target
