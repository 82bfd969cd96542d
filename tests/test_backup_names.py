"""Backups started together (a cron job and `sadap run`'s schedule, an admin's button, two machines
on one NAS folder) each get an archive of their own, claimed whole under a name no other backup
holds; the listing and `--keep` stay right while others write and delete beside them."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

from sadap.app import backup as backups
from sadap.app.privacy import archives
from tests.test_backup import _config, _ids, config  # noqa: F401 (fixture)

TOGETHER = 4


def _together(work, n: int = TOGETHER) -> tuple[list, list[BaseException]]:
    """``work()`` in ``n`` threads released at once; what each returned, and what each raised."""
    start = threading.Barrier(n)
    done: list = []
    failed: list[BaseException] = []
    lock = threading.Lock()

    def one() -> None:
        start.wait()
        try:
            out = work()
        except BaseException as err:  # noqa: BLE001 (reported by the test)
            with lock:
                failed.append(err)
        else:
            with lock:
                done.append(out)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return done, failed


def test_backups_in_the_same_second_each_keep_their_own_archive(config, tmp_path, monkeypatch):
    moment = backups.now_utc()
    monkeypatch.setattr(backups, "now_utc", lambda: moment)  # one second for all: the name they would share
    made, failed = _together(lambda: backups.backup(config).path)
    assert not failed, failed
    names = sorted(p.name for p in made)
    stamp = backups.to_bangkok(moment).strftime("%Y%m%d-%H%M%S")
    assert names == sorted([f"sadap-backup-{stamp}.tar.gz"] + [f"sadap-backup-{stamp}-{n}.tar.gz"
                                                               for n in range(2, TOGETHER + 1)])
    folder = backups.default_folder(config)
    assert sorted(p.name for p in folder.iterdir()) == names  # no work folder or half-written file left
    listed = archives(folder)
    assert sorted(listed) == sorted(made)
    assert [p.stat().st_mtime_ns for p in listed] == sorted((p.stat().st_mtime_ns for p in listed), reverse=True)
    for n, archive in enumerate(made):
        assert archive.stat().st_mode & 0o777 == 0o600
        fresh = _config(tmp_path / f"fresh{n}")
        assert backups.restore(fresh, archive).counts["mentions"] == 300
        assert _ids(fresh) == _ids(config)


def test_without_hard_links_the_name_is_still_claimed_once(config, tmp_path, monkeypatch):
    # Some FUSE and SMB mounts refuse link(): the name is then claimed empty (O_EXCL) and filled.
    def refused(src: object, dst: object, **_: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted", str(src))

    moment = backups.now_utc()
    monkeypatch.setattr(backups, "now_utc", lambda: moment)
    monkeypatch.setattr(os, "link", refused)
    made, failed = _together(lambda: backups.backup(config).path)
    assert not failed, failed
    assert len({p.name for p in made}) == TOGETHER
    assert sorted(archives(backups.default_folder(config))) == sorted(made)
    for n, archive in enumerate(made):
        assert backups.restore(_config(tmp_path / f"fresh{n}"), archive).counts["mentions"] == 300


def test_keep_run_by_backups_together_leaves_the_newest(config, monkeypatch):
    moment = backups.now_utc()
    monkeypatch.setattr(backups, "now_utc", lambda: moment)
    made, failed = _together(lambda: backups.backup(config).path)
    assert not failed and len(made) == TOGETHER
    folder = backups.default_folder(config)
    newest = archives(folder)[:2]
    removed, failed = _together(lambda: backups.prune(folder, 2))  # each run's --keep 2, at once
    assert not failed, failed
    assert sorted(archives(folder)) == sorted(newest)
    gone = [p for each in removed for p in each]
    assert sorted(gone) == sorted(set(made) - set(newest))  # each deletion reported once, by whoever made it


def test_an_archive_deleted_while_the_folder_is_listed_is_left_out(config):
    # Another backup's --keep deletes an archive between the listing of the folder and the look at
    # its time; a dangling link stands for it (listed by name, gone when looked at).
    archive = backups.backup(config).path
    folder = archive.parent
    gone = folder / "sadap-backup-20260101-020000.tar.gz"
    os.symlink(folder / "deleted-meanwhile.tar.gz", gone)
    assert archives(folder) == [archive]
    assert backups.prune(folder, 1) == []
    assert [p for p, _ in backups.list_backups(folder)] == [archive]


def test_two_archives_of_one_time_list_in_the_order_they_were_made(tmp_path):
    # A NAS that keeps times to the second (or two) gives both the same one: the suffix decides.
    folder = tmp_path / "nas"
    folder.mkdir()
    first, second, tenth = (folder / f"sadap-backup-20261208-020000{s}.tar.gz" for s in ("", "-2", "-10"))
    for p in (first, second, tenth):
        p.write_bytes(b"x")
        os.utime(p, ns=(1_765_000_000_000_000_000,) * 2)
    assert archives(folder) == [tenth, second, first]
    assert archives(Path(tmp_path / "none")) == []
