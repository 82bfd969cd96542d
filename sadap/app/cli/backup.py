"""``sadap backup``: archive the data folder while the service runs, list archives, restore one."""

from __future__ import annotations

import os
from pathlib import Path

import click

from sadap.app import backup as backups
from sadap.app.cli.common import _dump, _load, config_option, handled
from sadap.app.cli.privacy import _actor
from sadap.core.timeutil import show

def _counts_th(counts: dict[str, int]) -> str:
    return ", ".join(f"{backups.COUNT_NAMES.get(k, (k, k))[0]} {v:,}" for k, v in counts.items()) or "ไม่มีที่เก็บ SQLite (Elasticsearch)"


def _account_th(change: backups.AccountChange) -> str:
    name = change.username
    return {
        "gone": f"สร้างหลังการสำรอง ไม่มีในข้อมูลที่กู้คืน: `sadap users add {name} --role {change.before}`",
        "back": f"มีในไฟล์สำรองแต่ไม่มีในข้อมูลที่ย้ายไว้ (บทบาท {change.after})",
        "role": f"บทบาท {change.before} → {change.after}: `sadap users role {name} {change.before}`",
        "enabled": f"ปิดใช้งานหลังการสำรอง ตอนนี้ใช้งานได้อีก: `sadap users disable {name}`",
        "disabled": f"เปิดใช้งานหลังการสำรอง ตอนนี้ปิดใช้งาน: `sadap users enable {name}`",
        "password": f"รหัสผ่านที่เปลี่ยนหลังการสำรองกลับเป็นรหัสเดิม: `sadap users passwd {name}`",
        "token": f"โทเค็น API {change.before}… ({change.after or '-'}) สร้างหลังการสำรอง ไม่มีในข้อมูลที่กู้คืน: "
                 f"`sadap users token {name}` แล้วเปลี่ยนในระบบที่ใช้",
    }[change.what]


def _progress(line: str) -> None:
    click.echo(f"… {line}", err=True)


@click.group()
def backup() -> None:
    """Back up the data folder (a consistent copy of the SQLite store, taken while `sadap run`
    works, with the pseudonym key, crawl state, models and audit log), list backups, restore one."""


@backup.command("create")
@config_option
@click.option("--to", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the archive (default: `backup.folder`, backups/ beside the config file).")
@click.option("--keep", type=click.IntRange(min=1), default=None,
              help="Then delete all but the newest KEEP archives in that folder (PDPA: backups hold personal data).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@handled
def backup_create(config_path: str | None, folder: Path | None, keep: int | None, as_json: bool) -> None:
    """Write sadap-backup-<Bangkok time>.tar.gz (mode 0600)."""
    config = _load(config_path)
    result = backups.backup(config, folder, progress=_progress, actor=_actor())
    removed = backups.prune(result.path.parent, keep) if keep else []
    if as_json:
        _dump({"archive": str(result.path), "bytes": result.size, "counts": result.counts, "files": result.files,
               "key_in_environment": result.key_in_environment, "seconds": round(result.seconds, 2),
               "links_left_out": [str(p) for p in result.links],
               "removed": [str(p) for p in removed]})
        return
    click.echo(f"สำรองข้อมูลแล้ว: {result.path} ({result.size / 1e6:,.1f} MB, {result.seconds:.1f} วินาที)")
    click.echo(f"  {_counts_th(result.counts)}; ไฟล์อื่นในโฟลเดอร์ข้อมูล {result.files}")
    if result.key_in_environment:
        click.echo(f"  กุญแจนามแฝงอยู่ใน ${config.privacy.pseudonym_key_env} ไม่ได้อยู่ในไฟล์สำรอง: เก็บไว้แยกต่างหาก")
    click.echo("  ไฟล์สำรองมีข้อมูลส่วนบุคคลและกุญแจนามแฝง: เก็บอย่างปลอดภัยเท่ากับโฟลเดอร์ข้อมูล")
    for link in result.links:
        click.echo(f"  ไม่ได้สำรอง (เป็นลิงก์ ไม่ได้ตามไป): {link} -> {os.readlink(link)}: สำรองสิ่งที่ลิงก์ชี้ไปแยกต่างหาก",
                   err=True)
    for path in removed:
        click.echo(f"  ลบไฟล์สำรองเก่า: {path}")


@backup.command("list")
@config_option
@click.option("--from", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of archives (default: `backup.folder`).")
@handled
def backup_list(config_path: str | None, folder: Path | None) -> None:
    """The archives in the folder, newest first, with when each was taken and what it holds."""
    config = _load(config_path)
    folder = folder or backups.default_folder(config)
    found = backups.list_backups(folder)
    if not found:
        click.echo(f"ไม่มีไฟล์สำรองใน {folder} (`sadap backup create` สร้างไฟล์แรก)")
        return
    for path, manifest in found:
        if isinstance(manifest, str):
            click.echo(f"{path.name}  อ่านไม่ได้: {manifest}")
            continue
        taken = show(backups.parse_iso(str(manifest["created_at"])))
        click.echo(f"{path.name}  {taken}  Sadap {manifest.get('sadap_version')}  {_counts_th(manifest.get('counts') or {})}")


@backup.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@config_option
@click.option("--replace", is_flag=True,
              help="Set aside what the data folder holds now (moved to <folder>.before-restore-<time>) and restore.")
@handled
def backup_restore(archive: Path, config_path: str | None, replace: bool) -> None:
    """Restore ARCHIVE into this config's data folder. Stop `sadap run`, `worker` and `serve` first
    (a restore refuses while any runs). The archive is checked whole before anything is written;
    nothing is deleted. Every web session ends; web accounts that differ from the data set aside
    are listed."""
    config = _load(config_path)
    result = backups.restore(config, archive, replace=replace, progress=_progress, actor=_actor())
    click.echo(f"กู้คืนแล้วจากไฟล์สำรองเมื่อ {show(result.created_at)}: {_counts_th(result.counts)}")
    for path in result.set_aside:
        click.echo(f"  ข้อมูลเดิมย้ายไปไว้ที่ {path}")
    secret_env = config.console.session_secret_env
    if config.store.backend == "elasticsearch" and os.environ.get(secret_env):
        # The accounts live in the cluster (not restored) and the key in the environment: nothing ended them.
        click.echo(f"  การลงชื่อเข้าใช้เว็บยังไม่สิ้นสุด: กุญแจลงนามมาจาก ${secret_env} และบัญชีอยู่ใน Elasticsearch "
                   f"(เปลี่ยนค่า ${secret_env} เพื่อให้ทุกคนลงชื่อเข้าใช้ใหม่)")
    else:
        click.echo("  การลงชื่อเข้าใช้เว็บทั้งหมดสิ้นสุดแล้ว: ทุกคนต้องลงชื่อเข้าใช้ใหม่")
    if result.accounts:
        click.echo("  บัญชีเว็บที่ต่างจากข้อมูลที่ย้ายไว้ (ทำซ้ำสิ่งที่เปลี่ยนหลังการสำรอง):")
        for change in result.accounts:
            click.echo(f"    {change.username}: {_account_th(change)}")
    if result.tokens_revoked:
        click.echo(f"  โทเค็น API ที่เพิกถอนหลังการสำรองยังถูกเพิกถอน: {', '.join(result.tokens_revoked)}")
    again = result.erased_again
    if again:
        click.echo(f"  PDPA: ข้อมูลที่ถูกลบหลังการสำรองไฟล์นี้ลบซ้ำแล้ว: ข้อความ {again.get('mentions', 0)}, "
                   f"ในคิว (spool) {again.get('spool_entries', 0)}, คีย์การแจ้งเตือน {again.get('keys_masked', 0)} "
                   f"(erased again from the erasure register)")
    if result.purged:
        click.echo(f"  PDPA: ลบข้อความที่เกินระยะเวลาเก็บรักษาแล้ว {result.purged} (retention)")
    if result.later_erasures:
        click.echo(f"  PDPA: มีการลบข้อมูลส่วนบุคคล {len(result.later_erasures)} ครั้งหลังจากสำรองไฟล์นี้ "
                   "(ลบซ้ำจากทะเบียนการลบ ไม่ต้องสั่งซ้ำ):")
        for record in result.later_erasures:
            at = show(backups.parse_iso(str(record.get("at"))))
            click.echo(f"    {at}  อ้างอิง {record.get('reference') or '-'}  ตาม {record.get('basis')}  "
                       f"ข้อความ {record.get('mentions', 0)}")
