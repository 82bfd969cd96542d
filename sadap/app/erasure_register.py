"""The erasure register (PDPA): what each erasure removed, kept so that a restore of an older
backup erases it again (:func:`sadap.app.backup.restore`). Without it, restoring an archive
taken before an erasure would bring the person's posts back into the store.

``data_dir/privacy-erased.jsonl`` (0600). Its first line holds a random salt; each erasure
appends one line with keyed hashes (HMAC-SHA256 under that salt) of the erased mention ids, of
the person's pseudonyms, and of their handle in the forms an alert key takes. So the register
names nobody and no post: it can only answer "was this id, pseudonym or key erased?". A restore
keeps the folder's current register, as it keeps the audit log (the archive's own copy is older).

The ingest reads it too (:func:`current`): a mention whose id, or whose author's pseudonym, was
erased is not stored again when it is collected again (the person asked to be erased).

On several machines (``distributed.redis_url``) an erase hashes under a salt every machine derives
from the pseudonym key (:func:`shared_salt`) instead of the folder's own, so its line means the same
on every machine; :mod:`sadap.app.erasure_share` passes it on through Redis. Such a line names its
salt (``"salt"``); a line without one is under the first line's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sadap.core.files import open_private
from sadap.core.timeutil import now_utc

REGISTER_FILE = "privacy-erased.jsonl"
_DIGEST_CHARS = 32  # 128 bits: no two erased ids collide in practice


@dataclass
class Register:
    """What the register holds, as hashes; ``has_*`` answers for a value in clear."""

    salt: bytes
    ids: set[str] = field(default_factory=set)
    authors: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)
    #: Lines hashed under another salt (the one machines share), by salt.
    under: dict[bytes, Register] = field(default_factory=dict)

    def digest(self, value: str) -> str:
        return _digest(self.salt, value)

    def group(self, salt: bytes) -> Register:
        """The hashes under ``salt`` (made empty when there are none yet)."""
        if salt == self.salt:
            return self
        return self.under.setdefault(salt, Register(salt))

    def has_id(self, mention_id: str | None) -> bool:
        return self._holds("ids", mention_id)

    def has_author(self, pseudonym: str | None) -> bool:
        return self._holds("authors", pseudonym)

    def has_key(self, key: str) -> bool:
        """Whether an alert's, incident's or snooze's key is an erased person's handle (the
        key compared as :func:`sadap.store.erasure.names_person` compares it)."""
        return self._holds("keys", key.strip().lstrip("#@").strip().lower())

    def _holds(self, name: str, value: str | None) -> bool:
        """Whether the hashes ``name`` (ids, authors, keys), under any salt, hold ``value``'s."""
        if not value:
            return False
        if not self.under:  # one machine, one salt: the ingest asks this of every mention
            held: set[str] = getattr(self, name)
            return bool(held) and self.digest(value) in held
        return any(getattr(g, name) and g.digest(value) in getattr(g, name) for g in self._groups())

    def knows(self, line: dict[str, Any]) -> bool:
        """Whether every hash of ``line`` (under ``salt``, its ``"salt"``) is held already."""
        group = self.under.get(bytes.fromhex(line["salt"])) if "salt" in line else self
        if group is None:
            return False
        return all(set(line.get(name) or ()) <= getattr(group, name) for name in ("ids", "authors", "keys"))

    def _groups(self) -> list[Register]:
        return [self, *self.under.values()] if self.under else [self]

    def __bool__(self) -> bool:
        return any(g.ids or g.authors or g.keys for g in self._groups())


def _digest(salt: bytes, value: str) -> str:
    return hmac.new(salt, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:_DIGEST_CHARS]


def shared_salt(pseudonym_key: bytes) -> bytes:
    """The salt every machine of a deployment derives alike from the pseudonym key they share
    (``$SADAP_PSEUDONYM_KEY``): their register lines compare; Redis never sees it or the key."""
    return hmac.new(pseudonym_key, b"sadap erasure register: shared salt", hashlib.sha256).digest()[:16]


def salt_id(salt: bytes) -> str:
    """A short name for ``salt`` that gives it away no more than a hash does: lines in Redis carry
    it, so a machine under another pseudonym key can tell that they are not its own."""
    return _digest(salt, "sadap erasure register: salt id")[:12]


def path_in(data_dir: Path) -> Path:
    return data_dir / REGISTER_FILE


def load(data_dir: Path) -> Register | None:
    """The register of ``data_dir`` (None if there is none, or its salt line is unreadable)."""
    path = path_in(data_dir)
    if not path.exists():
        return None
    register: Register | None = None
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:  # a line cut short by a full disk
                continue
            if not isinstance(record, dict):
                continue
            if register is None:  # the salt's line comes first
                salt = record.get("salt")
                if isinstance(salt, str):
                    register = Register(bytes.fromhex(salt))
                continue
            group = register
            if isinstance(record.get("salt"), str):  # a line hashed under the machines' shared salt
                try:
                    group = register.group(bytes.fromhex(record["salt"]))
                except ValueError:
                    continue
            for name in ("ids", "authors", "keys"):
                values = record.get(name)
                if isinstance(values, list):
                    getattr(group, name).update(v for v in values if isinstance(v, str))
    return register


#: Per register file: what identified the file when it was read ((inode, size, mtime), None: no
#: file), and what it held.
_read: dict[Path, tuple[tuple[int, int, int] | None, Register | None]] = {}
_read_lock = threading.Lock()  # the web server's threads ingest too (LINE inbound)


def current(data_dir: Path) -> Register | None:
    """:func:`load`, read once per process and again only once the file changed (an erase from
    the CLI while `sadap run` or `sadap worker` goes on; a restore that replaced the folder):
    one ``stat`` a call otherwise."""
    path = path_in(data_dir)
    try:
        st = path.stat()
        seen: tuple[int, int, int] | None = (st.st_ino, st.st_size, st.st_mtime_ns)
    except FileNotFoundError:
        seen = None
    with _read_lock:
        cached = _read.get(path)
        if cached is not None and cached[0] == seen:
            return cached[1]
        # Appended to between the stat and the read: read again at the next call, no harm.
        register = load(data_dir) if seen is not None else None
        _read[path] = (seen, register)
        return register


def record(data_dir: Path, *, ids: Iterable[str], authors: Iterable[str] = (), keys: Iterable[str] = (),
           salt: bytes | None = None) -> dict[str, Any]:
    """Append one erasure to ``data_dir``'s register (made, with its salt, on first use), hashed
    under the folder's salt or (several machines) ``salt``, :func:`shared_salt`; returns the line."""
    line: dict[str, Any] = {"at": now_utc().isoformat(), **({"salt": salt.hex()} if salt is not None else {})}
    with open_private(path_in(data_dir), "a") as fh:
        register = load(data_dir)
        if register is None:
            register = Register(_new_salt(fh))
        for name, values in (("ids", ids), ("authors", authors), ("keys", keys)):
            line[name] = sorted({_digest(salt or register.salt, v) for v in values if v})
        fh.write(json.dumps(line) + "\n")
    return line


def _new_salt(fh: IO[str]) -> bytes:
    """Start a register file (``fh``, empty): its first line, a new random salt."""
    salt = secrets.token_bytes(16)
    fh.write(json.dumps({"salt": salt.hex(), "created_at": now_utc().isoformat()}) + "\n")
    return salt


def merge(data_dir: Path, lines: Iterable[dict[str, Any]]) -> int:
    """Append to ``data_dir``'s register the lines (each naming its salt) that hold a hash it does not
    hold yet: lines made on another machine, kept here so that they outlive the Redis they came by."""
    register = load(data_dir)
    new = [line for line in lines if register is None or not register.knows(line)]
    if not new:
        return 0
    with open_private(path_in(data_dir), "a") as fh:
        if register is None:
            _new_salt(fh)
        fh.write("".join(json.dumps(line) + "\n" for line in new))
    return len(new)
