"""What `sadap backup restore` makes sure of before it writes: no Sadap process uses the data folder
(`sadap run`, `serve`, `worker`, crawls and the other long-running writers hold its shared lock, :mod:`sadap.core.datalock`), and
no scheduler holds the lease, neither in the SQLite store (a scheduler of an older Sadap, which
took no lock) nor in Redis (``distributed.redis_url``: a scheduler on another machine)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sadap.app.config import Config
from sadap.app.distributed import redis_lease_holder
from sadap.core.datalock import Held, exclusive
from sadap.core.errors import StoreError

ROLE = "sadap backup restore"


def _store_lease(store_path: Path) -> tuple[str, float] | None:
    if not store_path.exists():
        return None
    db = sqlite3.connect(f"{store_path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'scheduler_lease'").fetchone():
            return None
        now = time.time()
        row = db.execute("SELECT holder, expires FROM scheduler_lease WHERE expires > ?", (now,)).fetchone()
        return (str(row[0]), float(row[1]) - now) if row else None
    except sqlite3.OperationalError as err:  # locked, unreadable: a scheduler may hold it
        raise StoreError(f"{store_path}: cannot read whether a scheduler runs on this store ({err}); stop `sadap "
                         "run` and restore again") from None
    except sqlite3.DatabaseError:  # damaged (what a restore is for): no scheduler runs on it
        return None
    finally:
        db.close()


def _no_scheduler(config: Config) -> None:
    if config.store.backend == "sqlite":
        held = _store_lease(config.store_path)
        if held:
            raise StoreError(f"{config.store_path}: a scheduler ({held[0]}) is running on this store; stop `sadap run` "
                             f"first (the lease of one stopped just now ends within {held[1]:.0f} s)")
    if config.distributed.redis_url:
        try:
            held = redis_lease_holder(config)
        except StoreError as err:
            raise StoreError(f"{err}; a restore asks it whether a scheduler is running: start Redis (or fix the "
                             "URL), then restore again") from None
        if held:
            raise StoreError(f"a scheduler ({held[0]}) holds the lease in Redis ({config.distributed.redis_url}); stop "
                             f"`sadap run` there first (the lease of one stopped just now ends within {held[1]:.0f} s)")


def quiet(config: Config) -> Held:
    """The data folder locked for the restore alone (release it when done); raises StoreError
    naming what still runs."""
    held = exclusive(config.data_path, ROLE)
    try:
        _no_scheduler(config)
    except BaseException:
        held.release()
        raise
    return held
