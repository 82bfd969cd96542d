"""A spool on local disk for mentions that could not reach Elasticsearch.

Each batch that fails because the cluster is unreachable is appended (and fsynced) as JSON
lines to ``spool_dir/mentions-<time>-<pid>.jsonl`` (``spool_dir/<worker id>/…`` for a worker of
several: each worker writes and replays its own folder; a spool opened on ``spool_dir`` itself, as
``sadap es replay`` and the privacy commands do, also sees the workers' folders). Replaying claims a file by renaming it
(atomic, so two processes never replay the same file), stores its mentions and deletes it
only after every mention was accepted; on failure the file is put back.
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


class Spool:
    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def files(self) -> list[Path]:
        """Unclaimed spool files here and in the workers' folders below, oldest first."""
        if not self.folder.is_dir():
            return []
        found = [*self.folder.glob("mentions-*" + SUFFIX), *self.folder.glob("*/mentions-*" + SUFFIX)]
        return sorted(found, key=lambda p: (p.name, str(p)))

    def pending(self) -> int:
        """Mentions waiting (lines in unclaimed spool files)."""
        total = 0
        for path in self.files():
            with path.open("rb") as fh:
                total += sum(1 for line in fh if line.strip())
        return total

    def write(self, mentions: Sequence[Mention]) -> Path:
        private_dir(self.folder)
        name = f"mentions-{time.time_ns():020d}-{os.getpid()}{SUFFIX}"
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
        claimed = [*self.folder.glob("mentions-*" + SUFFIX + CLAIMED), *self.folder.glob("*/mentions-*" + SUFFIX + CLAIMED)]
        for p in claimed:
            if now - p.stat().st_mtime > older_than_s:
                os.replace(p, p.with_name(p.name[: -len(CLAIMED)]))

    @staticmethod
    def _read(path: Path) -> Iterator[Mention]:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield Mention.model_validate_json(line)

    def replay(self, store_batch: Callable[[list[Mention]], object], batch_size: int = 500) -> int:
        """Store every spooled mention with ``store_batch``; returns how many were replayed.

        Stops at the first file that fails (the exception propagates) and keeps that file.
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
                        store_batch(batch)
                        done += len(batch)
                        batch = []
                if batch:
                    store_batch(batch)
                    done += len(batch)
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
        for path in self.files():
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
        """Every mention waiting in unclaimed spool files (for export and reports)."""
        for path in self.files():
            try:
                yield from self._read(path)
            except FileNotFoundError:  # replayed meanwhile
                continue
