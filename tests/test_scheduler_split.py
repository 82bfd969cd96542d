"""Never two active schedulers: when Redis stops answering one scheduler (the connection stays
open, nothing comes back), that scheduler pauses before its lease can run out, and only then does
the standby take over (found by a review: a renewal waited 30 s for an answer, past a 15 s lease).
A real redis-server, one scheduler reaching it through a local proxy the test can stall. Also: a
lease store that is locked at start is a failed try, not a crash."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time

import pytest

from sadap.app.distributed import RedisLease, SqliteLease, answer_within
from sadap.app.service import LeaderLoop
from tests.redis_support import free_port, redis_server, redis_url  # noqa: F401 (fixtures)

TTL = 1.5


class StallingProxy:
    """Forwards TCP to ``target``; while ``stalled``, holds what either side sends."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.port = free_port()
        self.stalled = threading.Event()
        self.server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                while self.stalled.is_set():
                    time.sleep(0.01)
                dst.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.server.close()


class Jobs:
    """What LeaderLoop drives: resumed while active, paused otherwise."""

    def __init__(self) -> None:
        self.running = False

    def get_jobs(self) -> list:
        return []

    def resume(self) -> None:
        self.running = True

    def pause(self) -> None:
        self.running = False


def lease_client(url: str):
    """The client ``scheduler_lease`` makes for ``url`` (its timeout and its one try)."""
    from sadap.app.config import Config
    from sadap.app.distributed import redis_client

    config = Config.model_validate({"distributed": {"redis_url": url}})
    return redis_client(config, answer_within(TTL), retries=False)


def test_a_scheduler_cut_off_from_redis_pauses_before_the_standby_takes_over(redis_server):  # noqa: F811
    proxy = StallingProxy(redis_server.port)
    slow = lease_client(f"redis://127.0.0.1:{proxy.port}/0")
    fast = lease_client(redis_server.url)
    name = "sadap:test:split:lease"
    fast.delete(name)
    a_jobs, b_jobs = Jobs(), Jobs()
    a = LeaderLoop(a_jobs, RedisLease(slow, name, TTL, holder="a"), TTL)  # type: ignore[arg-type]
    b = LeaderLoop(b_jobs, RedisLease(fast, name, TTL, holder="b"), TTL)  # type: ignore[arg-type]
    a.step()
    assert a_jobs.running
    threads = [threading.Thread(target=loop.run, daemon=True) for loop in (a, b)]
    for t in threads:
        t.start()
    both = 0
    b_took_over = None
    try:
        time.sleep(TTL)
        assert a_jobs.running and not b_jobs.running  # a renews; b stands by
        proxy.stalled.set()  # Redis stops answering a; the connection stays open
        stalled_at = time.monotonic()
        while time.monotonic() - stalled_at < 4 * TTL:
            both += a_jobs.running and b_jobs.running
            if b_jobs.running and b_took_over is None:
                b_took_over = time.monotonic() - stalled_at
            time.sleep(0.01)
    finally:
        a.stop.set()
        b.stop.set()
        proxy.stalled.clear()
        proxy.close()
    assert both == 0, "both schedulers were active at once"
    assert not a_jobs.running and b_jobs.running and b_took_over is not None and b_took_over < 3 * TTL
    assert a.failing is not None and "Timeout" in a.failing


def test_a_locked_lease_file_at_start_is_a_failed_try_not_a_crash(tmp_path):
    path = str(tmp_path / "sadap.db")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing for a long time
    lease = SqliteLease(path, "scheduler", 0.6, holder="a")  # no table made yet: nothing raised
    jobs = Jobs()
    loop = LeaderLoop(jobs, lease, 0.6)  # type: ignore[arg-type]
    started = time.monotonic()
    loop.step()
    assert time.monotonic() - started < 1.0  # it waited a third of the lease, not 30 s
    assert not jobs.running and loop.failing is not None and "locked" in loop.failing
    holder.execute("COMMIT")
    loop.step()
    assert jobs.running and loop.failing is None


@pytest.fixture(autouse=True)
def _quiet_lease_logs(caplog):
    caplog.set_level("CRITICAL", logger="sadap.service")
