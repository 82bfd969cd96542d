"""A spool on local disk for mentions that could not reach Elasticsearch.

Each batch that fails because the cluster is unreachable is appended (and fsynced) as JSON
lines to ``spool_dir/mentions-<time>-<pid>.jsonl`` (``spool_dir/<worker id>/…`` for a worker of
several: each worker writes and replays its own folder; a spool opened on ``spool_dir`` itself, as
``sadap es replay`` and the privacy commands do, also sees the workers' folders). Replaying claims a file by renaming it
(atomic, so two processes never replay the same file), stores its mentions and deletes it
only after every mention was accepted; on failure the file is put back. Mentions the cluster
refuses for good on replay (a mapping error) are kept in ``refused-<time>-<pid>.jsonl`` beside
them, never replayed by themselves (rename one to ``mentions-….jsonl`` to try again), so one such
mention cannot hold back the rest; erasure and exports see both kinds of file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from sadap.core.files import open_private, private_dir
from sadap.core.mention import Mention

SUFFIX = ".jsonl"
CLAIMED = ".replaying"
PENDING = "mentions-"
REFUSED = "refused-"


class Spool:
    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def files(self, prefix: str = PENDING) -> list[Path]:
        """Unclaimed spool files here and in the workers' folders below, oldest first
        (``prefix`` ``REFUSED``: the files of refused mentions)."""
        if not self.folder.is_dir():
            return []
        found = [*self.folder.glob(prefix + "*" + SUFFIX), *self.folder.glob("*/" + prefix + "*" + SUFFIX)]
        return sorted(found, key=lambda p: (p.name, str(p)))

    def _every_file(self) -> list[Path]:
        return self.files() + self.files(REFUSED)

    def refused(self) -> int:
        """Mentions the cluster refused on replay, kept in ``refused-*`` files."""
        return sum(self._lines(p) for p in self.files(REFUSED))

    @staticmethod
    def _lines(path: Path) -> int:
        try:
            with path.open("rb") as fh:
                return sum(1 for line in fh if line.strip())
        except FileNotFoundError:  # replayed meanwhile
            return 0

    def pending(self) -> int:
        """Mentions waiting (lines in unclaimed spool files)."""
        return sum(self._lines(p) for p in self.files())

    def write(self, mentions: Sequence[Mention], prefix: str = PENDING) -> Path:
        private_dir(self.folder)
        name = f"{prefix}{time.time_ns():020d}-{os.getpid()}{SUFFIX}"
        tmp = self.folder / (name + ".part")
        with open_private(tmp) as fh:
            for m in mentions:
                fh.write(m.model_dump_json() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        path = self.folder / name
        os.replace(tmp, path)  # a reader never sees half a file
        return path

    def _claim(self, path: Path) -> Path | None:
        claimed = path.with_name(path.name + CLAIMED)
        try:
            os.replace(path, claimed)
        except FileNotFoundError:
            return None  # another process took it
        return claimed

    def recover_stale(self, older_than_s: float = 3600) -> None:
        """Put back files claimed by a process that died while replaying them."""
        if not self.folder.is_dir():
            return
        now = time.time()
        claimed = [p for prefix in (PENDING, REFUSED) for pattern in (prefix, "*/" + prefix)
                   for p in self.folder.glob(pattern + "*" + SUFFIX + CLAIMED)]
        for p in claimed:
            if now - p.stat().st_mtime > older_than_s:
                os.replace(p, p.with_name(p.name[: -len(CLAIMED)]))

    @staticmethod
    def _read(path: Path) -> Iterator[Mention]:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield Mention.model_validate_json(line)

    def replay(self, store_batch: Callable[[list[Mention]], int | None], batch_size: int = 500) -> int:
        """Store every spooled mention with ``store_batch``; returns how many were replayed
        (``store_batch`` may return how many of its batch it stored; None: all).

        Stops at the first file that fails (the exception propagates) and keeps that file.
        ``store_batch`` keeps what the cluster refuses for good itself (:meth:`write` with
        ``REFUSED``), so that the file can go.
        """
        done = 0
        self.recover_stale()
        for path in self.files():
            claimed = self._claim(path)
            if claimed is None:
                continue
            try:
                batch: list[Mention] = []
                for m in self._read(claimed):
                    batch.append(m)
                    if len(batch) >= batch_size:
                        stored = store_batch(batch)
                        done += len(batch) if stored is None else stored
                        batch = []
                if batch:
                    stored = store_batch(batch)
                    done += len(batch) if stored is None else stored
            except BaseException:
                os.replace(claimed, path)  # try again later; upserts are idempotent
                raise
            claimed.unlink()
        return done

    def remove(self, keep: Callable[[Mention], bool]) -> tuple[int, int]:
        """Rewrite unclaimed spool files without the mentions ``keep`` rejects (PDPA erase and
        retention). Returns (mentions removed, files rewritten). A file another process has
        claimed for replay is left alone (its mentions reach the store and are erased there)."""
        removed = files = 0
        for path in self._every_file():
            claimed = self._claim(path)
            if claimed is None:
                continue
            try:
                lines = claimed.read_text(encoding="utf-8").splitlines()
                kept = [line for line in lines if line.strip() and keep(Mention.model_validate_json(line))]
                dropped = sum(1 for line in lines if line.strip()) - len(kept)
                if dropped:
                    files += 1
                    removed += dropped
                    if kept:
                        tmp = path.with_name(path.name + ".part")
                        with open_private(tmp) as fh:
                            fh.write("".join(line + "\n" for line in kept))
                            fh.flush()
                            os.fsync(fh.fileno())
                        os.replace(tmp, claimed)
                    else:
                        claimed.unlink()
                        continue
            except BaseException:
                os.replace(claimed, path)
                raise
            os.replace(claimed, path)
        return removed, files

    def mentions(self) -> Iterator[Mention]:
        """Every mention waiting in unclaimed spool files, refused ones too (for export and reports)."""
        for path in self._every_file():
            try:
                yield from self._read(path)
            except FileNotFoundError:  # replayed meanwhile
                continue
