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

    def digest(self, value: str) -> str:
        return _digest(self.salt, value)

    def has_id(self, mention_id: str | None) -> bool:
        return bool(mention_id and self.ids) and self.digest(str(mention_id)) in self.ids

    def has_author(self, pseudonym: str | None) -> bool:
        return bool(pseudonym and self.authors) and self.digest(str(pseudonym)) in self.authors

    def has_key(self, key: str) -> bool:
        """Whether an alert's, incident's or snooze's key is an erased person's handle (the
        key compared as :func:`sadap.store.erasure.names_person` compares it)."""
        return self.digest(key.strip().lstrip("#@").strip().lower()) in self.keys

    def __bool__(self) -> bool:
        return bool(self.ids or self.authors or self.keys)


def _digest(salt: bytes, value: str) -> str:
    return hmac.new(salt, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:_DIGEST_CHARS]


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
            for name in ("ids", "authors", "keys"):
                values = record.get(name)
                if isinstance(values, list):
                    getattr(register, name).update(v for v in values if isinstance(v, str))
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


def record(data_dir: Path, *, ids: Iterable[str], authors: Iterable[str] = (), keys: Iterable[str] = ()) -> Path:
    """Append one erasure to ``data_dir``'s register (made, with its salt, on first use)."""
    path = path_in(data_dir)
    register = load(data_dir)
    with open_private(path, "a") as fh:
        if register is None:
            register = Register(secrets.token_bytes(16))
            fh.write(json.dumps({"salt": register.salt.hex(), "created_at": now_utc().isoformat()}) + "\n")
        line = {"at": now_utc().isoformat(),
                "ids": sorted({register.digest(i) for i in ids if i}),
                "authors": sorted({register.digest(a) for a in authors if a}),
                "keys": sorted({register.digest(k) for k in keys if k})}
        fh.write(json.dumps(line) + "\n")
    return path
