"""Personal data under Thailand's PDPA: erase a person's data, give it to them, keep data only
as long as allowed, and report what is held where (``sadap privacy``).

* **Erase** (right to erasure): by author — the handle or name as it arrived, pseudonymised
  with this install's key for every source, so the stored pseudonym is found — or by mention
  id. Removes the mentions, their copies (mentions marked as duplicates of them: they hold the
  same text), responses logged to them, their search index entries, their spool entries
  (Elasticsearch) and their ids in incidents, incident timelines and alerts; by author, also
  their handle where it is an alert's or incident's key (masked) or a snooze's (deleted); on SQLite the file
  is then compacted (search index merged, ``VACUUM``, write-ahead log emptied) so nothing of
  them is left in the file's bytes. An audit record without personal data is appended to
  ``data_dir/privacy-audit.jsonl``.
* **Export** (right of access): the same selection as JSON, with the responses.
* **Retention**: ``privacy.retention_days`` erases mentions collected before the cut-off
  (``sadap privacy purge``, and daily in ``sadap run``).
* **Report**: what personal data is stored where, with counts, for the data protection officer.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from enrich.privacy import mask_contacts
from sadap.app import erasure_register, erasure_share
from sadap.app.backup_names import GLOB, order
from sadap.app.complaints import close_emptied
from sadap.app.config import Config
from sadap.core.errors import InputError
from sadap.core.files import open_private
from sadap.core.mention import Mention, author_forms, pseudonymise
from sadap.core.timeutil import now_utc
from sadap.store import MentionFilter, Store
from sadap.store.base import ERASE_COUNTS, KEY_COUNTS
from sadap.store.erasure import person_keys
from sadap.store.es_spool import Spool

log = logging.getLogger(__name__)

AUDIT_FILE = "privacy-audit.jsonl"
#: A stored author pseudonym (``sadap.core.mention.pseudonymise``), as the workspace shows it:
#: ``--author`` takes one as it is, for an account whose id the person cannot tell (a Facebook
#: user id) or posts stored under an older pseudonym.
PSEUDONYM = re.compile(r"a_[0-9a-f]{16}")
PURGE_BATCH = 5000


@dataclass
class Selection:
    """Whose data: mention ids found, and what identifies the person (for the spool)."""

    ids: list[str] = field(default_factory=list)
    pseudonyms: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    requested_ids: list[str] = field(default_factory=list)

    def matches(self, m: Mention) -> bool:
        if m.id in self.ids or m.id in self.requested_ids or m.duplicate_of in self.ids:
            return True
        if m.author_id and m.author_id in self.pseudonyms:
            return True
        return bool(m.author_name and m.author_name.strip().lower() in {n.strip().lower() for n in self.names})


def _spool(store: Store) -> Spool | None:
    return getattr(store, "spool", None)


def _source_names(config: Config, store: Store) -> set[str]:
    names = set(store.count_by(MentionFilter(), "source_name", limit=100_000))
    names.update(s.name for s in config.sources)
    spool = _spool(store)
    if spool is not None:
        names.update(m.source_name for m in spool.mentions())
    return names


def select(config: Config, store: Store, *, author: str | None = None, source: str | None = None,
           mention_ids: Sequence[str] = ()) -> Selection:
    """The mentions of ``author`` (as it arrived; with ``source``, only there) and/or with these ids."""
    if not author and not mention_ids:
        raise InputError("name an author (--author) or mention ids (--mention)")
    sel = Selection(requested_ids=list(dict.fromkeys(mention_ids)))
    if author is not None:
        if not author.strip():
            raise InputError("--author is empty")
        key = config.pseudonym_key()
        sources = {source} if source else _source_names(config, store)
        forms = author_forms(author)  # `somchai_k` also as `@somchai_k` (a YouTube comment's author), and back
        sel.pseudonyms = sorted({pseudonymise(f, s, key) for s in sources for f in forms}
                                | ({author.strip()} if PSEUDONYM.fullmatch(author.strip()) else set()))
        # a display name is stored with its contacts masked (enrich.mask_personal_data): found as given and so
        sel.names = list(dict.fromkeys([*forms, *(mask_contacts(f) for f in forms)]))
        sel.ids.extend(store.ids_by_author(sel.pseudonyms, sel.names))
    if mention_ids:
        sel.ids.extend(store.existing_ids(sel.requested_ids))
    sel.ids = list(dict.fromkeys(sel.ids))
    return sel


def _mentions(store: Store, ids: Sequence[str]) -> list[Mention]:
    out: list[Mention] = []
    ids = list(ids)
    for i in range(0, len(ids), 500):
        chunk = tuple(ids[i:i + 500])
        out.extend(store.search(MentionFilter(ids=chunk), limit=len(chunk)))
    return out


def audit(config: Config, record: dict[str, Any]) -> Path:
    """Append a record (counts, never personal data) to the privacy audit log (0600)."""
    path = config.data_path / AUDIT_FILE
    with open_private(path, "a") as fh:
        fh.write(json.dumps({"at": now_utc().isoformat(), **record}, ensure_ascii=False) + "\n")
    return path


def erase(config: Config, store: Store, sel: Selection, *, actor: str, reference: str = "", compact: bool = True,
          basis: str = "", register: bool = True) -> dict[str, Any]:
    """Erase the selection everywhere (see the module's doc). ``register``: add it to the erasure
    register (:mod:`sadap.app.erasure_register`), so that restoring an older backup erases it again."""
    copies = [i for i in store.copies_of(sel.ids) if i not in set(sel.ids)]
    every = sel.ids + copies
    gone = set(every)
    spool = _spool(store)

    def spooled(m: Mention) -> bool:
        return sel.matches(m) or m.id in gone or m.duplicate_of in gone

    keys = person_keys(sel.names, sel.pseudonyms) if sel.names else frozenset()
    shared: bool | None = None
    if register:  # first: an erase stopped part-way is still erased again after a restore
        waiting = [m.id for m in spool.mentions() if spooled(m)] if spool is not None else []
        # Several machines: under the salt they share, and passed on to them through Redis.
        salt = erasure_register.shared_salt(config.pseudonym_key()) if config.distributed.redis_url else None
        line = erasure_register.record(config.data_path, ids=[*every, *sel.requested_ids, *waiting],
                                       authors=sel.pseudonyms, keys=keys, salt=salt)
        shared = erasure_share.publish(config, line) if salt is not None else None
    counts = store.erase(every)
    spool_removed = 0
    if spool is not None:
        spool_removed, _ = spool.remove(lambda m: not spooled(m))
    # An alert, incident or snooze keyed by the person's handle (a hashtag or keyword that is
    # their handle) names them after their mentions are gone; an erase by mention id names nobody.
    keyed = store.erase_keys(keys) if keys else dict.fromkeys(KEY_COUNTS, 0)
    cases_closed = close_emptied(store, actor) if counts["mentions"] else 0  # no mention gone, no case emptied
    if compact:
        store.compact()
    report: dict[str, Any] = {
        "action": "erase",
        "basis": basis or ("author" if sel.pseudonyms else "mention"),
        "reference": reference,
        "actor": actor,
        "backend": config.store.backend,
        "mentions": counts["mentions"],
        "copies": len(copies),
        "responses": counts["responses"],
        "incidents_updated": counts["incidents"],
        "events_updated": counts["events"],
        "alerts_updated": counts["alerts"],
        "notifications_updated": counts["notifications"],
        "spool_entries": spool_removed,
        "keys_masked": keyed["alerts"] + keyed["incidents"] + keyed["events"] + keyed["notifications"],
        "snoozes_removed": keyed["snoozes"],
        "cases_closed_empty": cases_closed,
        "ids_not_found": len([i for i in sel.requested_ids if i not in set(sel.ids)]),
        # The registry is the organisation's own record: the handle is named, not deleted (see
        # `sadap stakeholders`); the audit log keeps how many, not which.
        "stakeholders_naming_author": _stakeholders_naming(store, sel),
        "compacted": bool(compact),
    }
    if shared is not None:  # several machines: whether Redis took it for the others
        report["register_shared"] = shared
    report["audit_log"] = str(audit(config, {k: (len(v) if isinstance(v, list) else v) for k, v in report.items()}))
    log.info("privacy erase: %d mentions, %d copies, %d spool entries", counts["mentions"], len(copies), spool_removed)
    return report


def _stakeholders_naming(store: Store, sel: Selection) -> list[str]:
    """Ids of the registered stakeholders one of whose own accounts is the erased author's handle."""
    names = {n.strip().lower() for n in sel.names if n.strip()}
    if not names:
        return []
    return sorted(s.id for s in store.list_stakeholders()
                  if any(f.lower() in names for a in s.accounts for f in author_forms(a.handle)))


def export(config: Config, store: Store, sel: Selection) -> dict[str, Any]:
    """Everything stored about the selection (right of access)."""
    mentions = _mentions(store, sel.ids)
    spool = _spool(store)
    waiting = [m for m in spool.mentions() if sel.matches(m)] if spool is not None else []

    def dump(m: Mention) -> dict[str, Any]:
        return m.model_dump(mode="json", exclude={"tokens", "simhash"})

    return {
        "exported_at": now_utc().isoformat(),
        "author_pseudonyms": sel.pseudonyms,
        "mentions": [dump(m) for m in mentions],
        "waiting_in_spool": [dump(m) for m in waiting],
        "responses": store.responses_for([m.id for m in mentions]),
        "note": "Authors are stored as a keyed pseudonym"
        + ("" if not config.privacy.keep_author_names else " and, as configured, their display name")
        + "; phone numbers, e-mail addresses and ID numbers in texts are masked before storage.",
    }


def purge(config: Config, store: Store, *, days: int | None = None, now: datetime | None = None, actor: str = "sadap",
          compact: bool = False) -> dict[str, Any]:
    """Erase mentions collected more than ``days`` (default ``privacy.retention_days``) ago."""
    days = days if days is not None else config.privacy.retention_days
    if not days:
        raise InputError("no retention set: give --days or set privacy.retention_days in the config")
    if days < 1:
        raise InputError(f"--days must be at least 1 (got {days})")
    cutoff = (now or now_utc()) - timedelta(days=days)
    totals = dict.fromkeys(ERASE_COUNTS, 0)
    while True:
        ids = store.ids_collected_before(cutoff, PURGE_BATCH)
        if not ids:
            break
        counts = store.erase(ids)
        for k in totals:
            totals[k] += counts[k]
        if counts["mentions"] == 0:  # nothing could be removed: do not loop for ever
            break
    totals_closed = close_emptied(store, actor) if totals["mentions"] else 0
    spool_removed = 0
    spool = _spool(store)
    if spool is not None:
        spool_removed, _ = spool.remove(lambda m: m.collected_at >= cutoff)
    if compact:
        store.compact()
    report = {
        "action": "purge",
        "actor": actor,
        "backend": config.store.backend,
        "retention_days": days,
        "cutoff": cutoff.isoformat(),
        "mentions": totals["mentions"],
        "responses": totals["responses"],
        "incidents_updated": totals["incidents"],
        "events_updated": totals["events"],
        "alerts_updated": totals["alerts"],
        "notifications_updated": totals["notifications"],
        "spool_entries": spool_removed,
        "cases_closed_empty": totals_closed,
    }
    if totals["mentions"] or spool_removed:
        audit(config, report)
    return report


def _mode(path: Path) -> str | None:
    try:
        return oct(path.stat().st_mode & 0o777)
    except OSError:
        return None


def archives(folder: Path) -> list[Path]:
    """The backup archives in ``folder`` (none if it does not exist), newest first, by when each
    was written (:func:`sadap.app.backup_names.order`: by name alone, a second archive of one
    second, ``…-2.tar.gz``, would sort first); one deleted meanwhile is left out. Here, not in
    :mod:`sadap.app.backup`, which imports this module."""
    if not folder.is_dir():
        return []
    found: list[tuple[tuple[int, str, int, str], Path]] = []
    for path in folder.glob(GLOB):
        try:
            found.append((order(path, path.stat().st_mtime_ns), path))
        except FileNotFoundError:  # deleted since the folder was read (another backup's --keep)
            continue
    return [path for _, path in sorted(found, reverse=True)]


def set_aside(config: Config) -> list[Path]:
    """The folders ``sadap backup restore --replace`` moved a data folder's contents to (each a
    whole store), oldest first; named beside the data folder (or the link to it), as restore does."""
    data = config.data_path
    return sorted(p for p in data.parent.glob(f"{data.name}.before-restore-*") if p.is_dir())


def report(config: Config, store: Store) -> dict[str, Any]:
    """What personal data is stored where, with counts."""
    counts = store.privacy_counts()
    places: list[dict[str, Any]] = []
    stored = {"what": "mentions, responses, incidents, alerts, complaint cases, stakeholders",
              "what_th": "ข้อความ การตอบกลับ เหตุการณ์ การแจ้งเตือน เรื่องร้องเรียน ผู้มีส่วนได้ส่วนเสีย"}
    if config.store.backend == "sqlite":
        places.append({**stored, "where": str(config.store_path), "mode": _mode(config.store_path)})
    else:
        es = config.store.elasticsearch
        places.append({**stored, "where": f"{', '.join(es.hosts)} (indices {es.index_prefix}-*)", "mode": None})
    spool = _spool(store)
    pending = spool.pending() if spool is not None else 0
    if spool is not None:
        places.append({"what": "mentions waiting for the cluster", "what_th": "ข้อความที่รอส่งเข้าคลัสเตอร์",
                       "where": str(spool.folder), "count": pending, "mode": _mode(spool.folder)})
    key_env = config.privacy.pseudonym_key_env
    key_file = config.data_path / "pseudonym.key"
    places.append({"what": "pseudonym key (links a handle to its pseudonym)",
                   "what_th": "กุญแจนามแฝง (เชื่อมชื่อบัญชีกับนามแฝง)",
                   "where": f"${key_env}" if os.environ.get(key_env) else str(key_file),
                   "mode": None if os.environ.get(key_env) else _mode(key_file)})
    audit_path = config.data_path / AUDIT_FILE
    entries = sum(1 for _ in audit_path.open(encoding="utf-8")) if audit_path.exists() else 0
    places.append({"what": "privacy audit log (no personal data)", "what_th": "บันทึกการตรวจสอบ (ไม่มีข้อมูลส่วนบุคคล)",
                   "where": str(audit_path), "count": entries, "mode": _mode(audit_path)})
    folder = config.backup_path
    held = archives(folder)[::-1]  # oldest first
    places.append({"what": "backups (the store and the pseudonym key; `sadap backup`)",
                   "what_th": "ไฟล์สำรอง (ที่เก็บข้อมูลและกุญแจนามแฝง; `sadap backup`)",
                   "where": str(folder), "count": len(held), "mode": _mode(folder) if folder.is_dir() else None,
                   "oldest": held[0].name if held else None})
    aside = set_aside(config)
    if aside:
        data = config.data_path
        places.append({"what": "data set aside by `sadap backup restore --replace` (a whole store; delete once not needed)",
                       "what_th": "ข้อมูลเดิมที่ย้ายไว้เมื่อกู้คืน (ที่เก็บข้อมูลทั้งชุด ลบทิ้งเมื่อไม่ต้องใช้แล้ว)",
                       "where": str(data.parent / f"{data.name}.before-restore-*"), "count": len(aside),
                       "mode": _mode(aside[0]), "oldest": aside[0].name})
    registry = store.list_stakeholders()
    contacts = sum(len(sh.contacts) for sh in registry)
    cases = store.list_cases()
    return {
        "data_dir": str(config.data_path),
        "data_dir_mode": _mode(config.data_path),
        "backend": config.store.backend,
        "settings": {
            "keep_author_names": config.privacy.keep_author_names,
            "mask_personal_data": config.enrich.mask_personal_data,
            "retention_days": config.privacy.retention_days,
            "retention_months": config.store.elasticsearch.retention_months if config.store.backend == "elasticsearch" else None,
        },
        "counts": {**counts, "snoozes": len(store.snoozes()), "spool_pending": pending, "stakeholders": len(registry),
                   "stakeholder_contacts": contacts, "complaint_cases": len(cases)},
        "places": places,
        "personal_data": [en for _, en in PERSONAL_DATA],
        "personal_data_th": [th for th, _ in PERSONAL_DATA],
    }


#: What personal data Sadap holds, (Thai, English), for the data protection officer's record.
PERSONAL_DATA: tuple[tuple[str, str], ...] = (
    ("นามแฝงของผู้เขียน (author_id): ค่าแฮชของชื่อบัญชีด้วยกุญแจของระบบ แยกตามแหล่งข้อมูล",
     "author pseudonym (author_id): keyed hash of the handle, per source"),
    ("ชื่อที่แสดงของผู้เขียน (author_name): เก็บเฉพาะเมื่อเปิด privacy.keep_author_names "
     "โดยปิดบังเบอร์โทร อีเมล และเลขบัตรประชาชนในชื่อ (enrich.mask_personal_data)",
     "author display name (author_name): only with privacy.keep_author_names, its phone numbers, "
     "e-mail addresses and ID numbers masked (enrich.mask_personal_data)"),
    ("ข้อความและหัวเรื่อง: ตามที่โพสต์ โดยปิดบัง URL, @บัญชี, เบอร์โทร, อีเมล และเลขบัตรประชาชน (enrich.mask_personal_data)",
     "text and title: as posted, with URLs, @handles, phone numbers, e-mail addresses and ID numbers masked "
     "(enrich.mask_personal_data)"),
    ("ฟิลด์เพิ่มเติม: ฟิลด์ส่วนบุคคล (phone, email, national_id, user_name, …) ถูกตัดทิ้ง เว้นแต่เปิด keep_author_names",
     "extra fields: personal ones (phone, email, national_id, user_name, …) dropped unless keep_author_names"),
    ("การตอบกลับและบันทึกของเจ้าหน้าที่ (ข้อความ เรื่องร้องเรียน เหตุการณ์): ปิดบังเบอร์โทร อีเมล เลขบัตร และ @บัญชี",
     "staff responses and notes (on mentions, complaint cases, incidents): phone numbers, e-mail addresses, "
     "ID numbers and @handles masked"),
    ("เหตุการณ์ การแจ้งเตือน และเรื่องร้องเรียน: รหัสข้อความและนามแฝงของผู้ร้อง การแจ้งเตือนมีคำที่พบบ่อยและข้อความที่คัดลอกกันสั้น ๆ ด้วย",
     "incidents, alerts and complaint cases: mention ids and the complainant's pseudonym; alerts also "
     "their top terms and short excerpts of copied texts"),
    ("คีย์ของการแจ้งเตือน เหตุการณ์ และการพักการแจ้งเตือน (แฮชแท็กหรือคำสำคัญ) อาจเป็นชื่อบัญชีของบุคคล "
     "การลบตามผู้เขียนปิดบังคีย์นั้นเป็น [ลบแล้ว] และลบการพักการแจ้งเตือนของคีย์นั้น",
     "alert, incident and snooze keys (a hashtag or keyword) may be a person's handle: an erasure by author "
     "masks that key as [ลบแล้ว] and deletes its snoozes"),
    ("การแจ้งเตือน (รอส่งและส่งแล้ว): ข้อความตัวอย่างสั้น ๆ พร้อมลิงก์",
     "notifications (queued and sent): excerpts of example mentions with their links"),
    ("ทะเบียนผู้มีส่วนได้ส่วนเสีย: ชื่อ ตำแหน่ง และช่องทางติดต่อ (อีเมล LINE เบอร์โทร) ของผู้แทนและผู้ประสานงาน "
     "เก็บจนกว่าจะแก้ไข การลบข้อมูลตามผู้เขียนไม่แก้ทะเบียน แต่บอกชื่อผู้มีส่วนได้ส่วนเสียที่มีบัญชีนั้น",
     "stakeholder registry: names, positions and contact addresses (e-mail, LINE, phone) of representatives and "
     "coordinators, kept until edited; an erasure by author does not change it, but names the stakeholders "
     "with that account"),
)

