"""A restore never writes under a running Sadap: `sadap serve`, `sadap run`, `sadap worker` and crawls
hold a shared lock on the data folder for their lifetime (gone with the process, kill -9 too), and a
scheduler's lease in Redis (another machine's) stops it too; nothing starts while a restore works.
Real processes, a real redis-server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sadap.app import backup as backups
from sadap.app.config import load_config_file
from sadap.app.distributed import RedisLease, key
from sadap.core import datalock
from sadap.core.errors import StoreError
from tests.redis_support import free_port, redis_server, redis_url  # noqa: F401 (fixtures)
from tests.test_backup import REPO, _ids, _run, config  # noqa: F401 (fixture)


def _sadap(config, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "sadap", *args, "--config", str(config.path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _until_running(folder: Path, *procs: subprocess.Popen[str]) -> None:
    """Until each process has left its note (it holds the lock by then)."""
    deadline = time.monotonic() + 90
    while {r.pid for r in datalock.running(folder)} < {p.pid for p in procs}:
        for p in procs:
            assert p.poll() is None, p.stdout.read() if p.stdout else p.returncode
        assert time.monotonic() < deadline, "the processes did not start"
        time.sleep(0.1)


def test_a_running_serve_and_run_stop_a_restore_until_they_end(config):
    archive = backups.backup(config).path
    serve = _sadap(config, "serve", "--port", "0")
    run = _sadap(config, "run")
    try:
        _until_running(config.data_path, serve, run)
        with pytest.raises(StoreError) as refused:
            backups.restore(config, archive, replace=True)
        message = str(refused.value)
        assert f"`sadap serve` (pid {serve.pid})" in message and f"`sadap run` (pid {run.pid})" in message
        assert message.startswith(f"{config.data_path}: in use by ") and "stop it first" in message
        result = _run(config, "backup", "restore", str(archive), "--replace")
        assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
        assert result.output.startswith("sadap: ") and f"(pid {serve.pid})" in result.output
        assert not list(config.data_path.parent.glob("data.before-restore-*"))  # nothing moved
        run.send_signal(signal.SIGTERM)  # stopped as systemd does: its lease released
        assert run.wait(timeout=60) is not None
        with pytest.raises(StoreError, match=rf"in use by `sadap serve` \(pid {serve.pid}\); stop it first"):
            backups.restore(config, archive, replace=True)
        serve.send_signal(signal.SIGKILL)  # no clean-up at all: the kernel drops its lock
        serve.wait(timeout=30)
    finally:
        for p in (serve, run):
            if p.poll() is None:
                p.kill()
                p.wait(timeout=30)
    restored = backups.restore(config, archive, replace=True)
    assert restored.counts["mentions"] == 300 and len(_ids(config)) == 300
    assert list((config.data_path / datalock.LOCK_DIR).glob("*.json")) == []  # the killed one's note is gone too


def test_nothing_starts_while_a_restore_works(config):
    config.path.write_text(config.path.read_text(encoding="utf-8") + f"sources:\n  - {{name: news, kind: rss, url: "
                           f"'http://127.0.0.1:{free_port()}/feed'}}\n", encoding="utf-8")
    with datalock.exclusive(config.data_path, "sadap backup restore"):
        serve = _sadap(config, "serve", "--port", "0")
        output, _ = serve.communicate(timeout=90)
        crawl = subprocess.run([sys.executable, "-m", "sadap", "crawl", "all", "--config", str(config.path)],
                               env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=90)
    assert serve.returncode == 1, output
    last = output.strip().splitlines()[-1]
    assert last == (f"sadap: {config.data_path}: `sadap backup restore` (pid {os.getpid()}) is working on this "
                    "data folder; start `sadap serve` again when it has finished"), output
    assert crawl.returncode == 1, crawl.stderr
    assert crawl.stderr.strip().endswith("start `sadap crawl all` again when it has finished"), crawl.stderr
    assert "Traceback" not in output + crawl.stderr


def _redis_config(config, url: str):
    config.path.write_text(config.path.read_text(encoding="utf-8") + f"distributed:\n  redis_url: {url}\n",
                           encoding="utf-8")
    return load_config_file(config.path)


def test_a_scheduler_holding_the_lease_in_redis_stops_a_restore(config, redis_server, redis_url):  # noqa: F811
    shared = _redis_config(config, redis_url)
    archive = backups.backup(shared).path
    # The active scheduler runs on another machine: no lock here, only its lease in Redis.
    lease = RedisLease(redis_server.client(), key(shared, "scheduler", "lease"), 60, holder="sadap-2:4242:a1b2")
    assert lease.acquire()
    with pytest.raises(StoreError) as refused:
        backups.restore(shared, archive, replace=True)
    assert str(refused.value).startswith(f"a scheduler (sadap-2:4242:a1b2) holds the lease in Redis ({redis_url}); "
                                         "stop `sadap run` there first")
    result = _run(shared, "backup", "restore", str(archive), "--replace")
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "holds the lease in Redis" in result.output
    lease.release()
    assert backups.restore(shared, archive, replace=True).counts["mentions"] == 300


def test_a_restore_that_cannot_ask_redis_is_one_line(config):
    unreachable = _redis_config(config, f"redis://127.0.0.1:{free_port()}/0")
    archive = backups.backup(unreachable).path
    result = _run(unreachable, "backup", "restore", str(archive), "--replace")
    assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
    assert "cannot reach Redis at" in result.output
    assert result.output.rstrip().endswith("start Redis (or fix the URL), then restore again")
    assert len(_ids(unreachable)) == 300 and not list(config.data_path.parent.glob("data.before-restore-*"))


def test_a_restore_replaces_a_store_that_is_no_longer_a_database(config):
    """The store damaged (a disk fault, a half-copied file): what a restore is for. It is not asked
    for a scheduler's lease or its accounts (it has none to give); it is set aside whole."""
    archive = backups.backup(config).path
    damaged = b"SQLite format 3\x00" + os.urandom(4096)
    config.store_path.write_bytes(damaged)
    result = _run(config, "backup", "restore", str(archive), "--replace")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and len(_ids(config)) == 300
    [aside] = config.data_path.parent.glob("data.before-restore-*")
    assert (aside / config.store_path.name).read_bytes() == damaged  # nothing deleted


def test_a_backup_waits_for_a_restore_and_a_restore_for_a_backup(config):
    """`sadap backup create` (cron, by hand) while a restore works would archive a half-restored
    folder and the restore's own work folder (a whole store): it stops with one line instead, and
    holds the folder while it copies, so a restore does not start under it."""
    with datalock.exclusive(config.data_path, "sadap backup restore"):
        made = subprocess.run([sys.executable, "-m", "sadap", "backup", "create", "--config", str(config.path)],
                              env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=120)
    assert made.returncode == 1, made.stdout + made.stderr
    assert made.stderr.strip() == (f"sadap: {config.data_path}: `sadap backup restore` (pid {os.getpid()}) is working "
                                   "on this data folder; start `sadap backup create` again when it has finished")
    assert backups.archives(backups.default_folder(config)) == []
    seen: list[list[datalock.Running]] = []
    result = backups.backup(config, progress=lambda _: seen.append(datalock.running(config.data_path)))
    assert result.path.exists() and seen and all(r.role == "sadap backup create" for r in seen[-1])


def test_commands_that_write_the_data_folder_wait_for_a_restore(config, tmp_path):
    """`sadap ingest`, `reenrich`, `train` and `privacy purge` write the store or the models for
    minutes: each holds the data folder's lock like `sadap run`, so one does not start while a
    restore works (and a restore refuses while one runs)."""
    posts = tmp_path / "posts.jsonl"
    posts.write_text('{"id": "x1", "text": "แอปแสงทองโอนเงินไม่ได้ตั้งแต่เช้า", "published_at": "2026-11-20T10:00:00"}\n',
                     encoding="utf-8")
    before = _ids(config)
    with datalock.exclusive(config.data_path, "sadap backup restore"):
        for args, role in ((("ingest", str(posts)), "sadap ingest"), (("reenrich",), "sadap reenrich"),
                           (("train",), "sadap train"), (("privacy", "purge", "--days", "1"), "sadap privacy purge")):
            result = _run(config, *args)
            assert result.exit_code == 1, (args, result.output)
            assert result.output.strip() == (f"sadap: {config.data_path}: `sadap backup restore` (pid {os.getpid()}) is "
                                             f"working on this data folder; start `{role}` again when it has finished")
    assert _ids(config) == before  # nothing written
    assert _run(config, "ingest", str(posts)).exit_code == 0  # and each works once the restore is done
    assert len(_ids(config)) == len(before) + 1


def _read_until(proc: subprocess.Popen[str], text: str, timeout: float = 300) -> str:
    """What ``proc`` printed up to the line holding ``text`` (the demo crawls first: a minute or so)."""
    seen: list[str] = []
    found = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line)
            if text in line:
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    assert found.wait(timeout), "".join(seen)
    return "".join(seen)


def _ctrl_c_stops() -> None:
    """Ctrl-C (SIGINT) as in a terminal: a test run in the background inherits it ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_a_demo_serving_its_workspace_stops_a_restore_and_a_second_demo(tmp_path):
    """`sadap demo --serve` writes its folder (the crawl, the inbox) and then serves it until Ctrl-C:
    it holds the folder's lock all that time, as `sadap serve` does."""
    folder = tmp_path / "sadap-demo"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    demo = subprocess.Popen([sys.executable, "-m", "sadap", "demo", "--serve", "--port", "0", "--data-dir", str(folder)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=_ctrl_c_stops)
    try:
        _read_until(demo, "พื้นที่ทำงานบนเว็บ (workspace)")
        config = load_config_file(folder / "sadap.yaml")
        assert [(r.pid, r.role) for r in datalock.running(folder)] == [(demo.pid, "sadap demo --serve")]
        archive = backups.backup(config, folder=tmp_path / "backups").path
        with pytest.raises(StoreError, match=rf"in use by `sadap demo --serve` \(pid {demo.pid}\); stop it first"):
            backups.restore(config, archive, replace=True)
        result = _run(config, "backup", "restore", str(archive), "--replace")
        assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
        # a second demo in the same folder would delete the one being served: it refuses, deleting nothing
        again = subprocess.run([sys.executable, "-m", "sadap", "demo", "--data-dir", str(folder)], env=env,
                               capture_output=True, text=True, timeout=120)
        assert again.returncode == 1, again.stdout + again.stderr
        assert f"in use by `sadap demo --serve` (pid {demo.pid}); stop it first" in again.stderr
        assert again.stderr.strip().endswith("then run `sadap demo` again") and "Traceback" not in again.stderr
        assert config.store_path.exists() and (folder / "sadap.yaml").exists()
        demo.send_signal(signal.SIGINT)  # Ctrl-C
        assert demo.wait(timeout=60) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(timeout=30)
    assert backups.restore(config, archive, replace=True).counts["mentions"] > 0  # the lock went with it
