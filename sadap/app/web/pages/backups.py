"""Backups (admins): the archives ``sadap backup`` and the scheduler wrote, the schedule, whether
the newest is overdue, and a button to back up now (``sadap.app.backup``). Restoring stays on the
command line: it needs the service stopped."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sadap.app import backup as backups
from sadap.app.web.app import Workspace, in_thread
from sadap.core.timeutil import format_duration, now_utc

NAV: tuple[str, str, str] | None = ("/backups", "backups", "admin")
WORDS: dict[str, tuple[str, str]] = {
    "backups": ("สำรองข้อมูล", "Backups"),
    "backup_now": ("สำรองข้อมูลตอนนี้", "Back up now"),
    "backup_made": ("สำรองข้อมูลแล้ว", "Backed up"),
    "backup_folder": ("โฟลเดอร์ไฟล์สำรอง", "Backup folder"),
    "backup_every": ("สำรองอัตโนมัติทุก", "Scheduled every"),
    "backup_keep": ("เก็บไว้", "keeping"),
    "backup_unscheduled": ("ยังไม่ได้ตั้งสำรองอัตโนมัติ: ใส่ backup.every (เช่น 1d) ใน sadap.yaml",
                           "No scheduled backups: set backup.every (e.g. 1d) in sadap.yaml"),
    "backup_none": ("ยังไม่มีไฟล์สำรอง", "No backup yet"),
    "backup_overdue": ("ไฟล์สำรองล่าสุดเก่ากว่ากำหนด: ตรวจสอบว่า sadap run ทำงานอยู่และดูบันทึกของระบบ",
                       "The newest backup is overdue: check that sadap run is running, and its log"),
    "backup_unreadable": ("อ่านไม่ได้", "unreadable"),
    "backup_personal": ("ไฟล์สำรองมีข้อมูลส่วนบุคคลและกุญแจนามแฝง เก็บอย่างปลอดภัยเท่ากับโฟลเดอร์ข้อมูล "
                        "การกู้คืนทำด้วยคำสั่ง sadap backup restore เมื่อหยุดระบบแล้ว",
                        "Backups hold personal data and the pseudonym key: keep them as safe as the data folder. "
                        "Restore with `sadap backup restore` once the service is stopped"),
    "backup_size": ("ขนาด", "Size"),
    "backup_holds": ("มีข้อมูล", "Holds"),
}


def _rows(ws: Workspace) -> dict[str, Any]:
    found = backups.list_backups(backups.default_folder(ws.config))
    rows: list[dict[str, Any]] = []
    for path, manifest in found:
        if isinstance(manifest, str):
            rows.append({"name": path.name, "problem": manifest})
            continue
        rows.append({"name": path.name, "at": backups.parse_iso(str(manifest["created_at"])), "size": path.stat().st_size,
                     "holds": [(backups.COUNT_NAMES.get(k, (k, k)), v) for k, v in (manifest.get("counts") or {}).items()], "version": manifest.get("sadap_version")})
    every = ws.config.backup.every
    newest = next((r["at"] for r in rows if "at" in r), None)
    # Overdue: twice the schedule with nothing newer (one missed run may be a machine asleep).
    overdue = every is not None and (newest is None or now_utc() - newest > 2 * every + timedelta(minutes=10))
    return {"rows": rows, "every": format_duration(every) if every else None, "keep": ws.config.backup.keep, "overdue": overdue,
            "folder": str(backups.default_folder(ws.config))}


async def backups_page(ws: Workspace, request: Request) -> Response:
    user = ws.need(request, "admin")
    data = await in_thread(lambda: _rows(ws))
    return ws.render(request, "backups.html", user=user, made=request.query_params.get("made"), **data)


async def backup_now(ws: Workspace, request: Request) -> Response:
    user, _ = await ws.form(request, "admin")
    result = await in_thread(lambda: backups.backup(ws.config, actor=user.username))
    return RedirectResponse(f"/backups?made={result.path.name}", status_code=303)


ROUTES: list[tuple[str, Any, list[str]]] = [
    ("/backups", backups_page, ["GET"]),
    ("/backups", backup_now, ["POST"]),
]
