"""Backups of a data folder: one archive holding a consistent copy of the SQLite store, taken
while the service runs, and every other file of the folder (the pseudonym key, crawl state, the
spool, trained models, the privacy audit log). Restore checks the archive before writing anything
and sets aside what it replaces; nothing is deleted. It refuses while a Sadap process uses the
data folder (:mod:`sadap.app.restore_guard`) and ends every web session
(:mod:`sadap.app.restore_accounts`). Archive names: :mod:`sadap.app.backup_names`.

An archive is a ``.tar.gz`` with ``manifest.json`` (what, when, which schema, each file's SHA-256),
``store.db`` (SQLite stores) and ``data/`` (the folder's other files, as they were).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sadap.app import erasure_register, restore_accounts, restore_guard
from sadap.app.backup_names import SUFFIX, claim
from sadap.app.config import Config
from sadap.app.privacy import AUDIT_FILE, Selection, archives, audit, erase, purge
from sadap.app.restore_accounts import AccountChange
from sadap.core.datalock import LOCK_DIR, alive, hold
from sadap.core.errors import InputError, StoreError
from sadap.core.files import FILE_MODE, private_dir
from sadap.core.timeutil import now_utc, parse_iso, to_bangkok
from sadap.store import open_store
from sadap.store.es_spool import Spool
from sadap.store.sqlite import SCHEMA_VERSION

__all__ = ["COUNT_NAMES", "AccountChange", "BackupResult", "RestoreResult", "archives", "backup", "default_folder", "due",
           "list_backups", "parse_iso", "prune", "read_manifest", "restore"]

FORMAT = 1
MANIFEST = "manifest.json"
STORE_MEMBER = "store.db"
DATA_PREFIX = "data/"
# Tables counted in the manifest and in what backup and restore print (those that exist).
COUNTED = ("mentions", "incidents", "complaint_cases", "responses", "stakeholders", "users")
COUNT_NAMES: dict[str, tuple[str, str]] = {
    "mentions": ("ข้อความ", "mentions"), "incidents": ("เหตุการณ์", "incidents"),
    "complaint_cases": ("เรื่องร้องเรียน", "complaint cases"), "responses": ("การตอบกลับ", "responses"),
    "stakeholders": ("ผู้มีส่วนได้ส่วนเสีย", "stakeholders"), "users": ("ผู้ใช้", "users"),
}
_SQLITE_SIDE = ("-wal", "-shm", "-journal")
STALE_AFTER_S = 3600

Progress = Callable[[str], None]


@dataclass
class BackupResult:
    path: Path
    size: int
    counts: dict[str, int]
    files: int
    key_in_environment: bool
    links: list[Path]  # links in the data folder, left out: what they point to is not in the archive
    seconds: float


@dataclass
class RestoreResult:
    created_at: datetime
    counts: dict[str, int]
    files: int
    set_aside: list[Path] = field(default_factory=list)
    later_erasures: list[dict[str, Any]] = field(default_factory=list)
    # Web accounts that differ from those of the store set aside (None: no store was there to compare).
    accounts: list[AccountChange] | None = None
    tokens_revoked: list[str] = field(default_factory=list)  # API tokens revoked since the backup, kept revoked
    # What erasures made after the backup removed again (the erasure register): the erase's counts, or None.
    erased_again: dict[str, Any] | None = None
    purged: int = 0  # mentions past `privacy.retention_days` in the restored store, erased


def default_folder(config: Config) -> Path:
    """``backup.folder`` (``backups/`` beside the config file unless set)."""
    return config.backup_path


def due(config: Config, now: datetime) -> bool:
    """Whether a scheduled backup is due: ``backup.every`` set and no archive in the folder as recent."""
    every = config.backup.every
    if every is None:
        return False
    folder = default_folder(config)
    newest = archives(folder)[:1]
    return not newest or now.timestamp() - newest[0].stat().st_mtime >= every.total_seconds()


def _sadap_version() -> str:
    try:
        return version("sadap")
    except PackageNotFoundError:
        return "unknown"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _counts(db: sqlite3.Connection) -> dict[str, int]:
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {t: int(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in COUNTED if t in tables}


def _read_only(path: Path) -> str:
    """A SQLite URI opening ``path`` read-only (percent-encoded: a ``?`` or ``#`` in a folder name is no query)."""
    return f"{path.resolve().as_uri()}?mode=ro"


def _temp_dir(parent: Path, kind: str) -> tempfile.TemporaryDirectory[str]:
    """A private work folder ``.<kind>-<pid>-…`` in ``parent``, once those of dead processes are gone."""
    _clear_stale(parent, kind)
    return tempfile.TemporaryDirectory(dir=parent, prefix=f".{kind}-{os.getpid()}-")


def _clear_stale(parent: Path, kind: str) -> None:
    """Remove the work folders of a backup or restore whose process died mid-way (killed, the
    machine stopped): each may hold a whole copy of the store, which nothing else would delete.
    Only those an hour old: a folder shared by two machines (``--to`` a NAS) holds the other's
    work folder under a process id this machine does not know."""
    for stale in parent.glob(f".{kind}-*-*"):
        pid = stale.name.split("-")[1]
        try:
            old = time.time() - stale.stat().st_mtime > STALE_AFTER_S
        except FileNotFoundError:  # its own process removed it meanwhile
            continue
        if old and stale.is_dir() and pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def _new_dir(base: Path) -> Path:
    """``base`` made new (0700), or ``base-2``, ``base-3``…: never into a folder set aside before."""
    n, path = 1, base
    while True:
        try:
            path.mkdir(mode=0o700)
            return private_dir(path)
        except FileExistsError:
            n += 1
            path = base.with_name(f"{base.name}-{n}")


def _copy_store(source: Path, target: Path) -> tuple[dict[str, int], int]:
    """Copy the store with SQLite's online backup in one step: one read transaction, so the copy
    is consistent while `sadap run` writes (WAL lets the writer go on). Never opens the file
    other than through SQLite (closing a plain descriptor would drop this process's locks)."""
    if not source.exists():
        raise StoreError(f"{source}: no SQLite store here (is `data_dir` or `store.path` right?)")
    src = sqlite3.connect(_read_only(source), uri=True, timeout=30)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.close(fd)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
        # A copy holds no running scheduler: a lease row would keep a restored service waiting.
        if dst.execute("SELECT 1 FROM sqlite_master WHERE name = 'scheduler_lease'").fetchone():
            dst.execute("DELETE FROM scheduler_lease")
            dst.commit()
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise StoreError(f"{source}: the copy fails SQLite's check ({check}); run `sqlite3 {source} 'PRAGMA integrity_check'`")
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file in the archive
        # The copy's own schema (a store not yet opened by this Sadap is older, one from a newer Sadap newer).
        return _counts(dst), int(dst.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as err:
        raise StoreError(f"{source}: cannot copy the store into {target.parent.parent}: {err}") from err
    finally:
        dst.close()
        src.close()


def _data_files(config: Config, skip: set[Path], links: list[Path]) -> Iterator[Path]:
    """The data folder's files; the links in it are not followed (one may lead anywhere, or back
    into the folder) but added to ``links``, for the operator to back up what they point to."""
    root = config.data_path
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        links.extend(here / d for d in sorted(dirnames) if (here / d).is_symlink() and (here / d).resolve() not in skip)
        dirnames[:] = sorted(d for d in dirnames if (here / d).resolve() not in skip and not (here / d).is_symlink())
        for name in sorted(filenames):
            path = here / name
            if path.resolve() in skip:
                continue
            if path.is_symlink():
                links.append(path)
            elif path.is_file():
                yield path


def _snapshot(root: Path, paths: list[Path], into: Path) -> dict[str, Path]:
    """Copy each file under ``into/data/`` first, then checksum and archive the copies: a file that
    `sadap run` appends to meanwhile (the audit log, the spool) is archived as checksummed. A file
    gone since the folder was listed (a spool file sent) is left out."""
    out: dict[str, Path] = {}
    for path in paths:
        name = DATA_PREFIX + path.relative_to(root).as_posix()
        copy = into / name
        private_dir(copy.parent)
        try:
            shutil.copy2(path, copy)
        except FileNotFoundError as err:
            if err.filename is not None and Path(err.filename) == path:
                continue
            raise
        out[name] = copy
    return out


def backup(config: Config, folder: Path | None = None, progress: Progress = lambda _: None, actor: str = "") -> BackupResult:
    """Write ``sadap-backup-<Bangkok time>.tar.gz`` into ``folder`` (0600) and return what it holds.
    Holds the data folder's shared lock meanwhile: never while a restore rewrites the folder (it
    would archive a half-restored folder and the restore's work folder), and none starts under it."""
    with hold(config.data_path, "sadap backup create"):
        return _backup(config, folder, progress, actor)


def _backup(config: Config, folder: Path | None, progress: Progress, actor: str) -> BackupResult:
    started = time.monotonic()
    if folder is None or not Path(folder).is_dir():
        folder = private_dir(default_folder(config) if folder is None else folder)
    # else a folder given with --to keeps its mode (it may be /tmp or a shared mount); the archive is 0600 there
    folder = Path(folder)
    created = now_utc()
    stamp = to_bangkok(created).strftime("%Y%m%d-%H%M%S")
    sqlite = config.store.backend == "sqlite"
    store_path = config.store_path
    # Neither this folder nor `backup.folder` goes in (archives inside archives).
    skip = {folder.resolve(), default_folder(config).resolve(), (config.data_path / LOCK_DIR).resolve()}
    if sqlite:
        skip |= {Path(str(store_path) + s).resolve() for s in ("", *_SQLITE_SIDE)}
    files: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    schema: int | None = None
    with _temp_dir(folder, "backup") as tmp:
        try:
            if sqlite:
                size = store_path.stat().st_size if store_path.exists() else 0
                progress(f"copying the store {store_path} ({size / 1e6:,.1f} MB) …")
                copy = Path(tmp) / STORE_MEMBER
                counts, schema = _copy_store(store_path, copy)
                files[STORE_MEMBER] = {"sha256": _sha256(copy), "size": copy.stat().st_size}
            links: list[Path] = []
            data = list(_data_files(config, skip, links))
            progress(f"adding {len(data)} files from {config.data_path} …")
            snapshot = _snapshot(config.data_path, data, Path(tmp))
            for name, copy in snapshot.items():
                files[name] = {"sha256": _sha256(copy), "size": copy.stat().st_size}
            manifest = {
                "format": FORMAT,
                "sadap_version": _sadap_version(),
                "created_at": created.isoformat(),
                "backend": config.store.backend,
                "schema_version": schema,
                "counts": counts,
                "files": files,
            }
            partial = Path(tmp) / f"archive{SUFFIX}"
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            # gzip level 6 (its own default): on an 80 MB store half the time of level 9, a 1 % larger file.
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
                body = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = len(body), FILE_MODE, int(created.timestamp())
                tar.addfile(info, io.BytesIO(body))
                if sqlite:
                    tar.add(Path(tmp) / STORE_MEMBER, arcname=STORE_MEMBER)
                for name, copy in snapshot.items():
                    tar.add(copy, arcname=name, recursive=False)
            target = claim(partial, folder, stamp)
        except OSError as err:
            if isinstance(err, PermissionError | FileNotFoundError | NotADirectoryError) and err.filename is not None:
                raise
            raise StoreError(f"{folder}: the backup could not be written ({err.strerror or err}); nothing was left "
                             "there: free some space, or choose another folder with --to") from err
    audit(config, {"action": "backup", "archive": str(target), "mentions": counts.get("mentions"), "actor": actor})
    return BackupResult(path=target, size=target.stat().st_size, counts=counts, files=len(snapshot),
                        key_in_environment=bool(os.environ.get(config.privacy.pseudonym_key_env)), links=links,
                        seconds=time.monotonic() - started)


def read_manifest(archive: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest: dict[str, Any] = json.loads(member.read().decode("utf-8"))
    except FileNotFoundError:
        raise
    except (tarfile.TarError, OSError, EOFError) as err:
        raise InputError(f"{archive}: not a Sadap backup (not a readable .tar.gz: {err})") from err
    except KeyError:
        raise InputError(f"{archive}: not a Sadap backup (no {MANIFEST} inside)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"{archive}: {MANIFEST} is not valid JSON ({err})") from err
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise InputError(f"{archive}: backup format {found!r}; this Sadap reads format {FORMAT}")
    try:  # `backup list`, the backups page and restore all read it
        parse_iso(str(manifest.get("created_at", "")))
    except (ValueError, InputError):
        raise InputError(f"{archive}: {MANIFEST} has no valid created_at (the archive was not made by `sadap backup`)") from None
    if not isinstance(manifest.get("files"), dict):
        raise InputError(f"{archive}: {MANIFEST} has no list of files (the archive was not made by `sadap backup`)")
    return manifest


def _check_members(archive: Path, manifest: dict[str, Any], into: Path) -> None:
    """Extract every listed member into ``into`` and check its SHA-256; refuse anything else."""
    files: dict[str, Any] = manifest.get("files") or {}
    seen: set[str] = set()
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            if member.name == MANIFEST:
                continue
            if member.name not in files:
                raise InputError(f"{archive}: holds {member.name!r}, which its manifest does not list")
            if not (member.name == STORE_MEMBER or member.name.startswith(DATA_PREFIX)):
                raise InputError(f"{archive}: holds {member.name!r}; a backup holds only {STORE_MEMBER} and {DATA_PREFIX}…")
            if not member.isfile():
                raise InputError(f"{archive}: {member.name!r} is not a plain file")
            try:
                tar.extract(member, into, filter="data")
            except tarfile.FilterError as err:
                raise InputError(f"{archive}: {member.name!r} would be written outside the data folder ({err})") from err
            if _sha256(into / member.name) != files[member.name]["sha256"]:
                raise InputError(f"{archive}: {member.name} does not match its checksum (the archive is damaged)")
            seen.add(member.name)
    for folder in into.rglob("*"):  # tar made subfolders by the umask (0755): private, as the data folder
        if folder.is_dir() and not folder.is_symlink():
            os.chmod(folder, 0o700)
    missing = sorted(set(files) - seen)
    if missing:
        raise InputError(f"{archive}: {len(missing)} listed file(s) missing, first {missing[0]!r} (the archive is cut short)")


def _erasures_since(audit: Path, since: datetime) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if not audit.exists():
        return out
    with audit.open(encoding="utf-8", errors="replace") as fh:  # line by line: the log only grows
        for line in fh:
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or record.get("action") != "erase":
                    continue
                at = parse_iso(str(record.get("at", "")))
            except (ValueError, InputError):  # a line written by hand, or cut short
                continue
            if at > since:
                out.append(record)
    return out


def _kept(config: Config) -> set[Path]:
    """Entries of the data folder a restore leaves as they are: the config file and the backups
    folder, when they live in it (the demo keeps its sadap.yaml there), and the lock of the
    processes using the folder (held by the restore itself)."""
    kept = {default_folder(config).resolve(), (config.data_path / LOCK_DIR).resolve()}
    if config.path is not None:
        kept.add(config.path.resolve())
    return kept


def restore(config: Config, archive: Path, *, replace: bool = False, progress: Progress = lambda _: None,
            actor: str = "") -> RestoreResult:
    """Put an archive's store and files back where ``config`` keeps them. Everything is checked
    first; with ``replace``, what is there now moves to ``<data folder>.before-restore-<time>``."""
    manifest = read_manifest(archive)
    backend = manifest.get("backend")
    if backend != config.store.backend:
        raise InputError(f"{archive}: a backup of a {backend} store; this config's store is {config.store.backend}")
    schema = manifest.get("schema_version")
    if isinstance(schema, int) and schema > SCHEMA_VERSION:
        raise InputError(f"{archive}: made by Sadap {manifest.get('sadap_version')} (store schema {schema}); "
                         f"this Sadap reads schema {SCHEMA_VERSION} or older: upgrade Sadap first")
    private_dir(config.data_path)
    # Held to the end: no `sadap run`, `serve` or `worker` uses the folder, and none starts meanwhile.
    with restore_guard.quiet(config):
        return _restore(config, archive, manifest, replace, progress, actor)


def _restore(config: Config, archive: Path, manifest: dict[str, Any], replace: bool, progress: Progress,
             actor: str) -> RestoreResult:
    created = parse_iso(str(manifest.get("created_at")))
    data_path, store_path = config.data_path, config.store_path
    sqlite = manifest.get("backend") == "sqlite"
    kept = _kept(config)
    if data_path.is_dir():
        _clear_stale(data_path, "restore")
    present = sorted(p for p in data_path.iterdir() if p.resolve() not in kept) if data_path.is_dir() else []
    outside = [Path(str(store_path) + s) for s in ("", *_SQLITE_SIDE)] if sqlite and not store_path.is_relative_to(data_path) else []
    outside = [p for p in outside if p.exists()]
    if (present or outside) and not replace:
        raise InputError(f"{(present + outside)[0]}: already holds data; restore with --replace to set it aside "
                         f"(moved to *.before-restore-<time>, nothing deleted), or point --config at an empty folder")
    audit_path = data_path / AUDIT_FILE
    later = _erasures_since(audit_path, created)
    stamp = to_bangkok(now_utc()).strftime("%Y%m%d-%H%M%S")
    accounts_now = restore_accounts.read(store_path) if sqlite else None
    # Staged inside the data folder: on its disk, so the files are renamed into place (the folder
    # may be a mount point or a link to another disk), and as private as the folder.
    with _temp_dir(data_path, "restore") as tmp:
        staging = Path(tmp)
        kept_audit = staging / "audit-now.jsonl"  # beside "data/" and "store.db", never an archive member
        register_path = erasure_register.path_in(data_path)
        kept_register = staging / "erased-now.jsonl"  # the same: the current register wins, as the audit log
        progress(f"checking {archive} ({archive.stat().st_size / 1e6:,.1f} MB) …")
        try:
            if audit_path.exists():
                shutil.copyfile(audit_path, kept_audit)
            if register_path.exists():
                shutil.copyfile(register_path, kept_register)
            _check_members(archive, manifest, staging)
        except OSError as err:
            if isinstance(err, PermissionError | FileNotFoundError | NotADirectoryError) and err.filename is not None:
                raise
            raise StoreError(f"{data_path}: cannot unpack {archive.name} there ({err.strerror or err}); nothing was "
                             "changed: free some space (the archive unpacked needs about the store's size)") from err
        counts: dict[str, int] = {}
        accounts: list[AccountChange] | None = None
        revoked: list[str] = []
        (staging / DATA_PREFIX / restore_accounts.SESSION_KEY).unlink(missing_ok=True)  # every session ends
        if sqlite:
            db = sqlite3.connect(str(staging / STORE_MEMBER))
            try:
                counts = _counts(db)
            finally:
                db.close()
            revoked = restore_accounts.end_sessions(staging / STORE_MEMBER, accounts_now)
            if accounts_now is not None:
                accounts = restore_accounts.compare(accounts_now, restore_accounts.read(staging / STORE_MEMBER)
                                                    or restore_accounts.Accounts())
        set_aside: list[Path] = []
        try:
            if present or outside:
                aside = _new_dir(data_path.with_name(f"{data_path.name}.before-restore-{stamp}"))
                set_aside.append(aside)
                for p in present:
                    shutil.move(p, aside / p.name)
                # A store kept outside the data folder goes in a folder of its own: the data folder may
                # hold a file of its name (the store before it was moved out).
                store_aside = _new_dir(aside / "store") if outside else aside
                for p in outside:
                    shutil.move(p, store_aside / p.name)  # the store may sit on another disk than the data folder
            progress(f"writing {data_path} …")
            restored = staging / "data"
            for entry in sorted(restored.iterdir()) if restored.is_dir() else []:
                destination = data_path / entry.name
                if destination.resolve() in kept and destination.exists():
                    continue  # this config and these backups stay as they are
                os.replace(entry, destination)
            if sqlite:
                private_dir(store_path.parent)
                shutil.move(staging / STORE_MEMBER, store_path)
                os.chmod(store_path, FILE_MODE)
            if kept_audit.exists():
                # The audit log records what was done, and newest wins: the backup's older copy would lose entries.
                os.chmod(kept_audit, FILE_MODE)
                os.replace(kept_audit, audit_path)
            if kept_register.exists():
                # What was erased since the backup, erased again below: the archive's register is older.
                os.chmod(kept_register, FILE_MODE)
                os.replace(kept_register, register_path)
        except OSError as err:
            held = f"what it held is in {set_aside[0]}" if set_aside else "nothing was set aside"
            raise StoreError(f"{data_path}: the restore stopped part-way ({err.strerror or err}); {held}: "
                             "free some space and restore again with --replace") from err
    audit(config, {"action": "restore", "backup_created_at": created.isoformat(), "archive": archive.name,
                   "mentions": counts.get("mentions"), "actor": actor})
    erased_again, purged = _erase_again(config, actor)
    return RestoreResult(created_at=created, counts=counts, files=len(manifest.get("files") or {}) - (1 if sqlite else 0),
                         set_aside=set_aside, later_erasures=later, accounts=accounts, tokens_revoked=revoked,
                         erased_again=erased_again, purged=purged)


def _erase_again(config: Config, actor: str) -> tuple[dict[str, Any] | None, int]:
    """Erase from the restored data what the erasure register says was erased (PDPA: an erasure
    must survive a restore of a backup taken before it), and apply the retention limit. SQLite:
    the store's mentions of an erased id or pseudonym, with the same cascade as ``sadap privacy
    erase``, and alert keys that are an erased handle; Elasticsearch (the cluster is not in the
    archive): the restored spool's mentions. Returns the erase's counts (None: nothing to erase)
    and the mentions purged by retention."""
    register = erasure_register.load(config.data_path) or erasure_register.Register(b"")
    if config.store.backend != "sqlite":
        es = config.store.elasticsearch
        folder = Path(es.spool_dir) if Path(es.spool_dir).is_absolute() else config.data_path / es.spool_dir
        removed = 0
        if register:
            removed, _ = Spool(folder).remove(lambda m: not (register.has_id(m.id) or register.has_id(m.duplicate_of)
                                                             or register.has_author(m.author_id)))
        if not removed:
            return None, 0
        audit(config, {"action": "erase", "basis": "restore", "actor": actor, "backend": config.store.backend,
                       "mentions": 0, "spool_entries": removed})
        return {"mentions": 0, "spool_entries": removed}, 0
    with open_store(config) as store:
        again: dict[str, Any] | None = None
        if register:
            ids, keys = _registered(config.store_path, register)
            if ids or keys:
                again = erase(config, store, Selection(ids=ids, names=keys), actor=actor, basis="restore",
                              reference="restore", register=False)
        purged = purge(config, store, actor=actor, compact=True)["mentions"] if config.privacy.retention_days else 0
    return again, purged


def _registered(store: Path, register: erasure_register.Register) -> tuple[list[str], list[str]]:
    """The mention ids in the SQLite ``store`` whose id or author the register holds, and the
    alert, incident, snooze and notification keys that are an erased handle (as stored)."""
    db = sqlite3.connect(_read_only(store), uri=True)
    try:
        ids = [i for i, author in db.execute("SELECT id, author_id FROM mentions")
               if register.has_id(i) or register.has_author(author)]
        keys: set[str] = set()
        for sql in ("SELECT key FROM incidents", "SELECT key FROM alerts", "SELECT key FROM snoozes",
                    "SELECT key FROM rule_state", "SELECT json_extract(doc, '$.payload.key') FROM outbox"):
            try:
                keys.update(k for (k,) in db.execute(sql) if isinstance(k, str) and k.strip() and register.has_key(k))
            except sqlite3.OperationalError:  # a table an older schema lacks
                continue
    finally:
        db.close()
    return ids, sorted(keys)


def list_backups(folder: Path) -> list[tuple[Path, dict[str, Any] | str]]:
    """The archives in ``folder``, newest first, each with its manifest or why it cannot be read."""
    out: list[tuple[Path, dict[str, Any] | str]] = []
    if not folder.is_dir():
        return out
    for path in archives(folder):
        try:
            out.append((path, read_manifest(path)))
        except FileNotFoundError:  # deleted since the folder was listed (a --keep)
            continue
        except InputError as err:
            out.append((path, str(err)))
    return out


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives in ``folder``; return those deleted."""
    removed: list[Path] = []
    for path in archives(folder)[keep:]:
        try:
            path.unlink()
        except FileNotFoundError:  # another backup's --keep, at the same time, deleted it
            continue
        removed.append(path)
    return removed
