"""`sadap backup` (docs/deploy.md, "Backup and restore on one machine"): a consistent copy of the
SQLite store taken while another process writes to it, restored into a fresh folder with the same
mentions and pseudonym key; damaged or hostile archives refused before anything is written; what a
restore replaces set aside, never deleted; erasures made after a backup named on restore (PDPA).
A real SQLite file, real Thai messages."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from enrich.pipeline import Enricher
from sadap.app import backup as backups
from sadap.app.cli import main
from sadap.app.config import load_config_file
from sadap.app.distributed import SqliteLease
from sadap.core.errors import InputError, StoreError
from sadap.core.mention import Mention, mention_id
from sadap.core.timeutil import BANGKOK, now_utc
from sadap.store import MentionFilter, open_store
from sadap.store.query import parse_query

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "wisesight-sentiment" / "train.jsonl"
REPO = Path(__file__).resolve().parents[1]


def _texts(n: int, skip: int = 0) -> list[str]:
    out: list[str] = []
    with SHARED.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= skip:
                out.append(json.loads(line)["text"])
            if len(out) == n:
                break
    return out


def _mentions(texts: list[str], prefix: str) -> list[Mention]:
    now = now_utc()
    return [Mention(id=mention_id("pantip", f"{prefix}{i}"), source_kind="pantip", source_name="pantip",
                    native_id=f"{prefix}{i}", author_id=f"a_{i % 7}", published_at=now - timedelta(minutes=i),
                    collected_at=now, text=text) for i, text in enumerate(texts)]


def _config(folder: Path, data_dir: str = "data"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sadap.yaml").write_text(f"data_dir: {data_dir}\nnotifiers: []\n", encoding="utf-8")
    return load_config_file(folder / "sadap.yaml")


@pytest.fixture
def config(tmp_path):
    config = _config(tmp_path / "site")
    with open_store(config) as store:
        store.upsert(Enricher().enrich(_mentions(_texts(300), "p")))  # tokens: the full-text index has words
    config.pseudonym_key()
    return config


def _ids(config) -> set[str]:
    with open_store(config) as store:
        return {m.id for m in store.search(MentionFilter(), limit=10_000)}


def _run(config, *args: str):
    return CliRunner().invoke(main, [*args, "--config", str(config.path)])


def test_the_copy_is_consistent_while_another_process_writes(config, tmp_path):
    # A writer process commits batches of 50 as fast as it can; the copy must hold whole batches.
    texts = tmp_path / "texts.json"
    texts.write_text(json.dumps(_texts(2_000, skip=300), ensure_ascii=False), encoding="utf-8")
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(REPO)!r}); sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_backup import _mentions
        from sadap.app.config import load_config_file
        from sadap.store import open_store
        config = load_config_file({str(config.path)!r})
        texts = json.load(open({str(texts)!r}, encoding="utf-8"))
        with open_store(config) as store:
            for start in range(0, len(texts), 50):
                store.upsert(_mentions(texts[start:start + 50], f"w{{start}}-"))
                print(start + 50, flush=True)
    """)], stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    assert writer.stdout is not None
    assert int(writer.stdout.readline()) == 50  # writing has begun
    result = backups.backup(config)
    written = [int(line) for line in writer.stdout]
    assert writer.wait(timeout=120) == 0
    assert written and written[-1] == 2_000
    with tarfile.open(result.path) as tar:
        tar.extract("store.db", tmp_path / "x", filter="data")
    copy = sqlite3.connect(tmp_path / "x" / "store.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    held = copy.execute("SELECT count(*) FROM mentions").fetchone()[0]
    assert held == result.counts["mentions"]
    assert 300 + 50 <= held <= 2_300 and (held - 300) % 50 == 0, held  # whole batches only


def test_restore_into_a_fresh_folder_gives_the_same_store_and_key(config, tmp_path):
    result = backups.backup(config)
    odd = _config(tmp_path / "ข้อมูล #1 ?ทดสอบ")  # a folder name that is no URI
    assert backups.restore(odd, result.path).counts["mentions"] == 300
    assert backups.backup(odd).counts["mentions"] == 300
    assert result.path.stat().st_mode & 0o777 == 0o600
    assert result.counts["mentions"] == 300 and result.files >= 1  # the pseudonym key at least
    fresh = _config(tmp_path / "elsewhere")
    restored = backups.restore(fresh, result.path)
    assert restored.counts["mentions"] == 300 and not restored.set_aside
    assert _ids(fresh) == _ids(config)
    assert (fresh.data_path / "pseudonym.key").read_bytes() == (config.data_path / "pseudonym.key").read_bytes()
    assert fresh.data_path.stat().st_mode & 0o777 == 0o700
    assert fresh.store_path.stat().st_mode & 0o777 == 0o600
    with open_store(fresh) as store, open_store(config) as before:  # the full-text index came too
        query = MentionFilter(query=parse_query("ชอบ", ()))
        found = [m.id for m in store.search(query, limit=50)]
        assert found and found == [m.id for m in before.search(query, limit=50)]


def test_a_folder_with_data_is_set_aside_only_when_asked(config, tmp_path):
    archive = backups.backup(config).path
    other = _config(tmp_path / "other")
    with open_store(other) as store:
        store.upsert(_mentions(["แอปโอนเงินไม่ได้ตั้งแต่เช้า"], "o"))
    with pytest.raises(InputError, match="already holds data; restore with --replace"):
        backups.restore(other, archive)
    assert len(_ids(other)) == 1  # untouched
    restored = backups.restore(other, archive, replace=True)
    assert len(_ids(other)) == 300
    [aside] = restored.set_aside
    assert aside.name.startswith("data.before-restore-")
    db = sqlite3.connect(aside / "sadap.db")
    assert db.execute("SELECT id FROM mentions").fetchall() == [(mention_id("pantip", "o0"),)]
    assert (other.path.read_text(encoding="utf-8")).startswith("data_dir: data")  # the config stays


def _tamper(archive: Path, target: Path, member: str, body: bytes, *, listed: bool = True) -> Path:
    """A copy of ``archive`` with ``member`` replaced (or added) by ``body``; the manifest lists it
    with the old checksum, or with the new one when ``listed`` is False (a hostile archive)."""
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        members = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]
    if member != "manifest.json" and (not listed or member not in manifest["files"]):
        import hashlib
        manifest["files"][member] = {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
    members[member] = body
    if member != "manifest.json":
        members["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(target, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


def test_a_damaged_archive_is_refused_before_anything_is_written(config, tmp_path):
    archive = backups.backup(config).path
    with tarfile.open(archive) as tar:
        store = bytearray(tar.extractfile("store.db").read())  # type: ignore[union-attr]
    store[len(store) // 2] ^= 0xFF
    damaged = _tamper(archive, tmp_path / "damaged.tar.gz", "store.db", bytes(store))
    fresh = _config(tmp_path / "fresh")
    with pytest.raises(InputError, match="store.db does not match its checksum"):
        backups.restore(fresh, damaged)
    assert not fresh.store_path.exists()
    result = _run(fresh, "backup", "restore", str(damaged))
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("sadap: ") and "checksum" in result.output


def test_a_member_outside_the_folder_is_refused(config, tmp_path):
    archive = backups.backup(config).path
    hostile = _tamper(archive, tmp_path / "hostile.tar.gz", "data/../../escaped.txt", b"x", listed=False)
    fresh = _config(tmp_path / "fresh")
    with pytest.raises(InputError, match="outside the data folder"):
        backups.restore(fresh, hostile)
    assert not list(tmp_path.rglob("escaped.txt"))
    assert not fresh.store_path.exists()


def test_a_backup_from_a_newer_sadap_is_refused(config, tmp_path):
    archive = backups.backup(config).path
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    manifest["schema_version"] = backups.SCHEMA_VERSION + 1
    newer = _tamper(archive, tmp_path / "newer.tar.gz", "manifest.json", json.dumps(manifest).encode())
    with pytest.raises(InputError, match="upgrade Sadap first"):
        backups.restore(_config(tmp_path / "fresh"), newer)


def test_not_an_archive_is_one_line(config, tmp_path):
    bogus = tmp_path / "notes.tar.gz"
    bogus.write_text("ไม่ใช่ไฟล์สำรอง", encoding="utf-8")
    result = _run(config, "backup", "restore", str(bogus))
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "not a Sadap backup" in result.output


def test_a_running_scheduler_stops_a_restore(config):
    archive = backups.backup(config).path
    lease = SqliteLease(str(config.store_path), "scheduler", ttl_s=60)
    assert lease.acquire()
    try:
        with pytest.raises(StoreError, match="a scheduler .* is running on this store; stop `sadap run` first"):
            backups.restore(config, archive, replace=True)
    finally:
        lease.release()
        lease.db.close()
    # the lease row is not carried into copies: a restored store starts with no scheduler
    assert backups.restore(config, backups.backup(config).path, replace=True).counts["mentions"] == 300


def test_erasures_after_the_backup_are_named_on_restore(config):
    archive = backups.backup(config).path
    erased = mention_id("pantip", "p3")
    result = _run(config, "privacy", "erase", "--mention", erased, "--reference", "PDPA-2569-041")
    assert result.exit_code == 0, result.output
    assert "1 backup(s) in" in result.output and "still hold it until rotated out" in result.output
    held = json.loads(_run(config, "privacy", "report", "--json").stdout)
    [place] = [p for p in held["places"] if p["what"].startswith("backups")]
    assert place["count"] == 1 and place["oldest"] == archive.name and held["counts"]["complaint_cases"] == 0
    result = _run(config, "backup", "restore", str(archive), "--replace")
    assert result.exit_code == 0, result.output
    assert "ลบข้อมูลส่วนบุคคล 1 ครั้งหลังจากสำรองไฟล์นี้" in result.output and "PDPA-2569-041" in result.output
    assert "ลบซ้ำแล้ว: ข้อความ 1" in result.output
    assert erased not in _ids(config) and len(_ids(config)) == 299  # erased again from the register, not back
    audit = [json.loads(line) for line in (config.data_path / "privacy-audit.jsonl").read_text().splitlines()]
    assert [r["action"] for r in audit] == ["backup", "erase", "restore", "erase"]  # the log is kept, not rolled back


def test_keep_deletes_all_but_the_newest_archives(config):
    made = []
    for _ in range(3):
        result = _run(config, "backup", "create", "--keep", "2", "--json")
        assert result.exit_code == 0, result.output
        made.append(json.loads(result.stdout)["archive"])
    left = sorted(p.name for p in backups.default_folder(config).glob("*.tar.gz"))
    assert left == sorted(Path(p).name for p in made[1:])
    listed = _run(config, "backup", "list")
    assert listed.exit_code == 0 and listed.output.count("ข้อความ 300") == 2


def test_the_backups_folder_inside_the_data_folder_is_not_archived(tmp_path):
    config = _config(tmp_path / "demo", data_dir=".")  # as `sadap demo` lays out its folder
    with open_store(config) as store:
        store.upsert(_mentions(_texts(5), "d"))
    first = backups.backup(config).path
    second = backups.backup(config).path
    with tarfile.open(second) as tar:
        names = tar.getnames()
    assert not any("backups" in n for n in names) and "data/sadap.yaml" in names
    assert first.exists() and os.path.getsize(second) < 10 * os.path.getsize(first)
    # restoring in place keeps this config and the backups folder where they are; the rest is set aside
    config.path.write_text(config.path.read_text(encoding="utf-8") + "# edited after the backup\n", encoding="utf-8")
    restored = backups.restore(config, second, replace=True)
    assert "edited after the backup" in config.path.read_text(encoding="utf-8")
    assert sorted(p.name for p in backups.default_folder(config).iterdir()) == sorted([first.name, second.name])
    [aside] = restored.set_aside
    assert (aside / "sadap.db").exists() and not (aside / "sadap.yaml").exists() and not (aside / "backups").exists()
    assert len(_ids(config)) == 5


def test_an_elasticsearch_config_archives_the_local_files_only(config, tmp_path, monkeypatch):
    es = tmp_path / "es"
    es.mkdir()
    (es / "sadap.yaml").write_text("data_dir: data\nnotifiers: []\nstore:\n  backend: elasticsearch\n", encoding="utf-8")
    es_config = load_config_file(es / "sadap.yaml")
    es_config.pseudonym_key()
    (es_config.data_path / "es-spool").mkdir()
    (es_config.data_path / "es-spool" / "mentions-1.jsonl").write_text('{"text": "รอส่งเข้าคลัสเตอร์"}\n', encoding="utf-8")
    result = backups.backup(es_config)
    assert result.counts == {} and result.files == 2
    with tarfile.open(result.path) as tar:
        assert sorted(tar.getnames()) == ["data/es-spool/mentions-1.jsonl", "data/pseudonym.key", "manifest.json"]
    with pytest.raises(InputError, match="a backup of a sqlite store; this config's store is elasticsearch"):
        backups.restore(es_config, backups.backup(config).path)
    again = tmp_path / "es2"
    again.mkdir()
    (again / "sadap.yaml").write_text((es / "sadap.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    backups.restore(load_config_file(again / "sadap.yaml"), result.path)
    assert (again / "data" / "es-spool" / "mentions-1.jsonl").read_text(encoding="utf-8").count("รอส่ง") == 1
    # The accounts are the cluster's, not restored: with the signing key from the environment no
    # session ended, and the restore says so instead of claiming it.
    for folder, secret, said in (("es3", "", "การลงชื่อเข้าใช้เว็บทั้งหมดสิ้นสุดแล้ว"),
                                 ("es4", "กุญแจลงนาม-0123456789abcdef-ทดสอบ", "การลงชื่อเข้าใช้เว็บยังไม่สิ้นสุด")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "sadap.yaml").write_text((es / "sadap.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        target = load_config_file(tmp_path / folder / "sadap.yaml")
        monkeypatch.setenv(target.console.session_secret_env, secret)
        restored = _run(target, "backup", "restore", str(result.path))
        assert restored.exit_code == 0 and said in restored.output, restored.output


def test_sadap_run_backs_up_when_the_newest_archive_is_old_enough(config):
    from apscheduler.schedulers.background import BackgroundScheduler

    from sadap.app.service import schedule
    from sadap.core.timeutil import BANGKOK

    config.path.write_text(config.path.read_text(encoding="utf-8") + "backup:\n  every: 1d\n  keep: 2\n  folder: nightly\n",
                           encoding="utf-8")
    config = load_config_file(config.path)
    scheduler = BackgroundScheduler(timezone=BANGKOK)
    with open_store(config) as store:
        schedule(scheduler, config, store, clock=now_utc, crawler=lambda cfg, name: 0)
        job = scheduler.get_job("backup")
        folder = config.base_dir / "nightly"
        job.func()
        assert len(list(folder.glob("*.tar.gz"))) == 1
        job.func()  # the newest archive is minutes old: not due
        assert len(list(folder.glob("*.tar.gz"))) == 1
        for age_days in (3, 2):  # two runs, each a day after the last archive
            for p in folder.glob("*.tar.gz"):
                os.utime(p, (time.time() - age_days * 86_400,) * 2)
            job.func()
        assert len(list(folder.glob("*.tar.gz"))) == 2  # keep: 2
    without = _config(config.base_dir / "plain")  # no backup.every: no job
    plain = BackgroundScheduler(timezone=BANGKOK)
    with open_store(without) as store:
        schedule(plain, without, store, clock=now_utc, crawler=lambda cfg, name: 0)
    assert plain.get_job("backup") is None and plain.get_job("alerts") is not None


def test_the_backups_page_says_when_the_newest_archive_is_overdue(config):
    from types import SimpleNamespace

    from sadap.app.web.pages.backups import _rows

    config.path.write_text(config.path.read_text(encoding="utf-8") + "backup:\n  every: 1d\n", encoding="utf-8")
    scheduled = load_config_file(config.path)
    ws = SimpleNamespace(config=scheduled)
    assert _rows(ws)["overdue"] and _rows(ws)["every"] == "1d"  # scheduled, and nothing yet
    archive = backups.backup(scheduled).path
    assert not _rows(ws)["overdue"]
    manifest = backups.read_manifest(archive)
    manifest["created_at"] = (now_utc() - timedelta(days=2, hours=1)).isoformat()
    _tamper(archive, archive, "manifest.json", json.dumps(manifest).encode())
    assert _rows(ws)["overdue"]  # two runs missed


def test_a_file_appended_to_during_the_backup_is_archived_as_checksummed(config, tmp_path):
    # `sadap run` appends to the audit log and the spool while a backup reads them: each file is
    # copied first, so the checksum in the manifest is that of the bytes in the archive.
    stop = tmp_path / "stop"
    log = config.data_path / "privacy-audit.jsonl"
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import json, os, time
        n = 0
        while not os.path.exists({str(stop)!r}):
            with open({str(log)!r}, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({{"at": "2026-12-01T02:00:00+00:00", "action": "export", "note": "ส่งออก " + str(n)}}, ensure_ascii=False) + "\\n")
            n += 1
            if n == 20:
                print("writing", flush=True)
            time.sleep(0.0005)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        archives = [backups.backup(config).path for _ in range(3)]
    finally:
        stop.touch()
        writer.wait(timeout=30)
    for n, archive in enumerate(archives):
        fresh = _config(tmp_path / f"fresh{n}")
        assert backups.restore(fresh, archive).counts["mentions"] == 300
        assert "ส่งออก" in (fresh.data_path / "privacy-audit.jsonl").read_text(encoding="utf-8")


def test_a_second_restore_never_moves_into_a_folder_set_aside_before(config):
    # Two restores within one second, or a folder left by an earlier one: what was set aside stays as it was.
    archive = backups.backup(config).path
    data = config.data_path
    earlier = []
    for seconds in range(-1, 6):
        stamp = (now_utc() + timedelta(seconds=seconds)).astimezone(BANGKOK).strftime("%Y%m%d-%H%M%S")
        folder = data.with_name(f"{data.name}.before-restore-{stamp}")
        folder.mkdir()
        (folder / "sadap.db").write_text("ที่เก็บเดิมก่อนกู้คืนครั้งแรก", encoding="utf-8")
        earlier.append(folder)
    first = backups.restore(config, archive, replace=True).set_aside
    second = backups.restore(config, archive, replace=True).set_aside
    for folder in earlier:
        assert [p.name for p in folder.iterdir()] == ["sadap.db"]
        assert (folder / "sadap.db").read_text(encoding="utf-8") == "ที่เก็บเดิมก่อนกู้คืนครั้งแรก"
    assert first != second and all(len(_ids_in(p[0] / "sadap.db")) == 300 for p in (first, second))
    assert first[0].stat().st_mode & 0o777 == 0o700
    places = json.loads(_run(config, "privacy", "report", "--json").stdout)["places"]
    [aside] = [p for p in places if p["what"].startswith("data set aside")]
    assert aside["count"] == len(earlier) + 2 and aside["oldest"] == earlier[0].name
    erased = _run(config, "privacy", "erase", "--mention", mention_id("pantip", "p3"), "--reference", "PDPA-2569-052")
    assert erased.exit_code == 0, erased.output
    assert f"{len(earlier) + 2} folder(s) set aside by `sadap backup restore --replace` still hold it" in erased.output


def _ids_in(db_path: Path) -> set[str]:
    db = sqlite3.connect(db_path)
    try:
        return {r[0] for r in db.execute("SELECT id FROM mentions")}
    finally:
        db.close()


def test_work_folders_of_a_killed_backup_or_restore_are_removed(config, tmp_path):
    # A backup killed mid-way (`sadap run` stopped during its nightly one) leaves a whole copy of the store.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder = backups.default_folder(config)
    folder.mkdir(mode=0o700)
    stale = folder / f".backup-{dead.pid}-k1ll3d"
    stale.mkdir()
    (stale / "store.db").write_bytes(config.store_path.read_bytes())
    running = folder / f".backup-{os.getpid()}-busy"  # a backup still running (here, in this process)
    running.mkdir()
    other_machine = folder / f".backup-{dead.pid}-fresh"  # minutes old: another machine's, on a shared folder
    other_machine.mkdir()
    hour_ago = time.time() - backups.STALE_AFTER_S - 60
    for work in (stale, running):
        os.utime(work, (hour_ago, hour_ago))
    archive = backups.backup(config).path
    assert not stale.exists() and running.exists() and other_machine.exists()
    stale_restore = config.data_path / f".restore-{dead.pid}-k1ll3d"
    stale_restore.mkdir()
    (stale_restore / "store.db").write_bytes(b"x")
    os.utime(stale_restore, (hour_ago, hour_ago))
    restored = backups.restore(config, archive, replace=True)
    assert not stale_restore.exists()
    assert not any(p.name.startswith(".restore-") for p in restored.set_aside[0].iterdir())


def test_a_full_disk_is_one_line_and_leaves_nothing(config, tmp_path):
    # RLIMIT_FSIZE stands in for a full disk: the archive (random bytes, 3 MB) cannot be written.
    (config.data_path / "model.bin").write_bytes(os.urandom(3_000_000))
    script = textwrap.dedent(f"""
        import resource, runpy, signal, sys
        sys.path.insert(0, {str(REPO)!r})
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000))
        sys.argv = ["sadap", "backup", "create", "--config", {str(config.path)!r}]
        runpy.run_module("sadap", run_name="__main__")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr and last.startswith("sadap: ") and "could not be written" in last
    assert list(backups.default_folder(config).iterdir()) == []


def test_a_full_disk_during_a_restore_is_one_line_and_changes_nothing(config, tmp_path):
    archive = backups.backup(config).path
    fresh = _config(tmp_path / "fresh")
    script = textwrap.dedent(f"""
        import resource, runpy, signal, sys
        sys.path.insert(0, {str(REPO)!r})
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = {config.store_path.stat().st_size // 2}
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        sys.argv = ["sadap", "backup", "restore", {str(archive)!r}, "--config", {str(fresh.path)!r}]
        runpy.run_module("sadap", run_name="__main__")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr and last.startswith("sadap: ") and "nothing was changed" in last
    assert [p.name for p in fresh.data_path.iterdir()] == [".running"]  # the lock the restore held


def test_an_archive_written_elsewhere_leaves_out_the_backups_folder(tmp_path):
    config = _config(tmp_path / "demo", data_dir=".")
    with open_store(config) as store:
        store.upsert(_mentions(_texts(5), "d"))
    backups.backup(config)  # into backups/, inside the data folder
    other = backups.backup(config, tmp_path / "nas").path
    with tarfile.open(other) as tar:
        names = tar.getnames()
    assert "data/sadap.yaml" in names and not any("backups" in n for n in names), names


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="needs a second file system at /dev/shm")
def test_restore_into_a_data_folder_linked_to_another_disk(config, tmp_path):
    import tempfile
    other_disk = Path(tempfile.mkdtemp(dir="/dev/shm", prefix="sadap-test-"))
    if other_disk.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("/dev/shm is on the same file system here")
    try:
        site = tmp_path / "site2"
        site.mkdir()
        (site / "data").symlink_to(other_disk)
        linked = _config(site)
        archive = backups.backup(config).path
        assert backups.restore(linked, archive).counts["mentions"] == 300
        assert _ids(linked) == _ids(config) and sorted(p.name for p in other_disk.iterdir()) == [
            ".running", "privacy-audit.jsonl", "pseudonym.key", "sadap.db"]
        assert backups.restore(linked, archive, replace=True).counts["mentions"] == 300  # the data set aside first
    finally:
        import shutil
        shutil.rmtree(other_disk)


def test_the_manifest_names_the_schema_of_the_store_copied(config, tmp_path):
    db = sqlite3.connect(config.store_path)
    db.execute(f"PRAGMA user_version={backups.SCHEMA_VERSION + 1}")  # a newer Sadap wrote it, an older one backs up
    db.close()
    archive = backups.backup(config).path
    assert backups.read_manifest(archive)["schema_version"] == backups.SCHEMA_VERSION + 1
    with pytest.raises(InputError, match="upgrade Sadap first"):
        backups.restore(_config(tmp_path / "fresh"), archive)


def test_hand_written_audit_lines_do_not_stop_a_restore(config):
    archive = backups.backup(config).path
    with (config.data_path / "privacy-audit.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"action": "erase", "note": "เพิ่มด้วยมือ ไม่มีเวลา"}\n"บันทึกด้วยมือ"\n{"action": "erase", "at": "เมื่อวาน"}\n')
    assert backups.restore(config, archive, replace=True).later_erasures == []


def test_only_the_store_and_data_members_are_restored(config, tmp_path):
    archive = backups.backup(config).path
    hostile = _tamper(archive, tmp_path / "hostile.tar.gz", "audit-now.jsonl", b'{"action": "x"}\n', listed=False)
    with pytest.raises(InputError, match="audit-now.jsonl"):
        backups.restore(_config(tmp_path / "fresh"), hostile)


def test_the_privacy_report_names_the_oldest_archive_by_when_it_was_written(config):
    made = [backups.backup(config).path for _ in range(3)]  # within a second: …-2, …-3 after the first
    for age, path in zip((300, 200, 100), made, strict=True):
        os.utime(path, (time.time() - age,) * 2)
    report = json.loads(_run(config, "privacy", "report", "--json").stdout)
    [place] = [p for p in report["places"] if p["what"].startswith("backups")]
    assert place["count"] == 3 and place["oldest"] == made[0].name


def test_a_store_outside_the_data_folder_is_set_aside_beside_what_the_folder_held(config, tmp_path):
    # The store moved to another disk (an absolute store.path); its old file still in the data folder.
    site = tmp_path / "moved"
    site.mkdir()
    (site / "sadap.yaml").write_text(f"data_dir: data\nnotifiers: []\nstore:\n  path: {tmp_path / 'fast' / 'sadap.db'}\n",
                                     encoding="utf-8")
    moved = load_config_file(site / "sadap.yaml")
    with open_store(moved) as store:
        store.upsert(_mentions(["ร้านนี้ส่งของช้ามาก"], "m"))
    (moved.data_path / "sadap.db").write_text("ที่เก็บก่อนย้ายไปดิสก์อื่น", encoding="utf-8")
    archive = backups.backup(moved).path
    assert "data/sadap.db" in backups.read_manifest(archive)["files"] and backups.read_manifest(archive)["counts"]["mentions"] == 1
    [aside] = backups.restore(moved, archive, replace=True).set_aside
    assert (aside / "sadap.db").read_text(encoding="utf-8") == "ที่เก็บก่อนย้ายไปดิสก์อื่น"
    assert _ids_in(aside / "store" / "sadap.db") == {mention_id("pantip", "m0")}
    assert _ids(moved) == {mention_id("pantip", "m0")}


def test_folders_keep_private_modes_and_a_shared_folder_keeps_its_own(config, tmp_path):
    state = config.data_path / "crawl-state" / "pantip"
    state.mkdir(parents=True, mode=0o700)
    (state / "resume.json").write_text('{"หน้า": 3}', encoding="utf-8")
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)  # like /tmp: `--to /tmp` must not lock everyone else out of it
    result = _run(config, "backup", "create", "--to", str(shared), "--json")
    assert result.exit_code == 0, result.output
    archive = Path(json.loads(result.stdout)["archive"])
    assert shared.stat().st_mode & 0o7777 == 0o1777 and archive.stat().st_mode & 0o777 == 0o600
    old = os.umask(0o022)
    try:
        fresh = _config(tmp_path / "fresh")
        backups.restore(fresh, archive)
    finally:
        os.umask(old)
    for folder in (fresh.data_path / "crawl-state", fresh.data_path / "crawl-state" / "pantip"):
        assert folder.stat().st_mode & 0o777 == 0o700, folder


def test_a_manifest_without_its_time_is_one_line_in_list_and_restore(config, tmp_path):
    folder = backups.default_folder(config)
    folder.mkdir(mode=0o700)
    made = backups.backup(config).path
    body = json.dumps({"format": 1, "backend": "sqlite", "files": {}, "note": "ทำด้วยมือ"}, ensure_ascii=False).encode()
    odd = folder / "sadap-backup-20261201-020000.tar.gz"
    with tarfile.open(odd, "w:gz") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    os.utime(odd, (time.time() - 86_400,) * 2)
    listed = _run(config, "backup", "list")
    assert listed.exit_code == 0, listed.output
    assert f"{odd.name}  อ่านไม่ได้: " in listed.output and "no valid created_at" in listed.output
    assert f"{made.name}  " in listed.output
    restored = _run(_config(tmp_path / "fresh"), "backup", "restore", str(odd))
    assert restored.exit_code == 1 and restored.output.count("\n") == 1 and "no valid created_at" in restored.output


def test_links_in_the_data_folder_are_named_as_left_out(config, tmp_path):
    models = tmp_path / "big-disk" / "models"
    models.mkdir(parents=True)
    (models / "sentiment.bin").write_bytes(b"weights")
    (config.data_path / "models").symlink_to(models)
    (config.data_path / "current.bin").symlink_to(models / "sentiment.bin")
    result = _run(config, "backup", "create")
    assert result.exit_code == 0, result.output
    for link in ("models", "current.bin"):
        assert f"ไม่ได้สำรอง (เป็นลิงก์ ไม่ได้ตามไป): {config.data_path / link} -> " in result.stderr
    made = json.loads(_run(config, "backup", "create", "--json").stdout)
    assert sorted(Path(p).name for p in made["links_left_out"]) == ["current.bin", "models"]
    with tarfile.open(made["archive"]) as tar:
        assert not any("sentiment" in n or "models" in n for n in tar.getnames())
