"""Commands: ingest, enrich, search and reenrich."""

from __future__ import annotations

import math
from typing import Any

import click

from enrich.pipeline import Enricher
from sadap.app.cli.common import SHOWN_ID, _dump, _load, config_option, handled, since_of
from sadap.app.importer import import_file
from sadap.app.names import category_names, complaint_type_names, news_topic_names
from sadap.app.reenrich import reenrich as run
from sadap.core.datalock import hold
from sadap.core.errors import InputError
from sadap.core.labels import EXPECTATION, SENTIMENT, th
from sadap.core.mention import RawMention, to_mention
from sadap.core.timeutil import show
from sadap.store import MentionFilter, open_store
from sadap.store.query import parse_query


def _score(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and math.isnan(value):  # click.FloatRange lets nan through
        raise click.BadParameter(f"{value} is not in the range 0<=x<=1.", ctx, param)
    return value


# -- ingest / enrich / search ------------------------------------------------------
@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--batch-size", type=click.IntRange(1, 10000), default=500, show_default=True,
              help="Mentions stored (and checked by watch rules) together; an interrupted import keeps whole batches.")
@click.option(
    "--history", is_flag=True,
    help="Past data: each mention counts as collected when it was published and no alert fires; "
    "`sadap playbooks test` then replays it.",
)
@click.option(
    "--workers", type=click.IntRange(1, 256), default=None,
    help="Processes that enrich at once (default: one per CPU core; 1 enriches in this process). "
    "This process alone writes the store, in the file's order; labels are the same for any number.",
)
@handled
def ingest(file: str, config_path: str | None, as_json: bool, batch_size: int, history: bool, workers: int | None) -> None:
    """Import mentions from a JSON-lines or CSV file.

    Fields: text (required), published_at (ISO 8601, without an offset Asia/Bangkok; or a
    Thai date such as `1 ธ.ค. 2569 10:30` or `01/12/2569 10:30`, day first; or epoch
    seconds), id, source (default: the `file` source configured for this file, else the
    file name), url, author, title; other fields
    are kept as extras (personal ones dropped unless privacy.keep_author_names). Bad lines
    are reported and skipped — a published time before 1970 or more than a day in the future
    is rejected, an unterminated CSV quote rejects its row and the rows after it are still
    read; UTF-8, or UTF-16 with a byte order mark. Re-running stores nothing twice.
    """

    config = _load(config_path)
    with hold(config.data_path, "sadap ingest"):  # a restore refuses while it writes
        report = import_file(config, file, batch_size=batch_size, progress=not as_json, history=history,
                             workers=workers)
    if as_json:
        _dump(report)
        return
    spooled = f" · รอใน spool {report['spooled']}" if report.get("spooled") else ""
    if report.get("refused"):  # the warning line above names them and the file
        spooled += f" · Elasticsearch ไม่รับ {report['refused']} (เก็บไว้ใน spool refused-*.jsonl)"
    click.echo(
        f"อ่าน {report['read']} · บันทึกใหม่ {report['stored']} · ซ้ำ {report['duplicates']}{spooled} · "
        f"ข้ามบรรทัดเสีย {len(report['rejected'])} · "
        + (f"ข้ามโพสต์ที่ถูกลบตามคำขอ {report['erased']} รายการ (erased on request) · " if report.get("erased") else "")
        + (f"ตัดลิงก์ที่ใช้ไม่ได้ {report['urls_dropped']} · " if report.get("urls_dropped") else "")
        + ("ข้อมูลย้อนหลัง: ไม่แจ้งเตือน (ทดสอบด้วย `sadap playbooks test`)" if history else f"แจ้งเตือน {report['alerts']}")
    )
    if report.get("urls_dropped"):
        shown = ", ".join(map(str, report["url_dropped_lines"][:10])) + (", …" if report["urls_dropped"] > 10 else "")
        click.echo(f"  {file}:{shown}: url dropped (not http/https, or cannot be read); the mentions are kept without it",
                   err=True)
    if report.get("surrogates_dropped"):
        click.echo(f"  dropped {report['surrogates_dropped']} lone surrogate characters (invalid UTF-16 escapes)", err=True)
    for bad in report["rejected"][:20]:
        click.echo(f"  {file}:{bad['line']}: {bad['error']}", err=True)
    if len(report["rejected"]) > 20:
        click.echo(f"  … and {len(report['rejected']) - 20} more (use --json for all)", err=True)


@click.command()
@click.argument("text")
@config_option
@click.option("--kind", default="file", show_default=True,
              help="Source kind of the mention: a news kind (article, rss, news…) reads it as news.")
@click.option("--title", default=None, help="The mention's title (a news headline).")
@click.option("--json", "as_json", is_flag=True, help="Print the enriched mention as JSON.")
@handled
def enrich(text: str, config_path: str | None, kind: str, title: str | None, as_json: bool) -> None:
    """Enrich TEXT as a mention and show what Sadap hears in it."""

    if not text.strip():
        raise InputError('TEXT: ไม่มีข้อความ (empty: give the words to read, e.g. sadap enrich "แอปโอนเงินไม่ได้")')
    config = _load(config_path)
    raw = RawMention(source_kind=kind, source_name="cli", text=text, title=title)
    mention = Enricher.from_config(config).enrich([to_mention(raw, pseudonym_key=b"cli")])[0]
    if as_json:
        _dump(mention.model_dump(mode="json"))
        return
    s = mention.sentiment
    click.echo(f"ภาษา: {mention.language}")
    click.echo(f"ความรู้สึก: {th(SENTIMENT, s.label)} ({s.label}, {s.score:.2f})" if s else "ความรู้สึก: -")
    if mention.expectation:
        click.echo(f"ระดับความคาดหวัง: {th(EXPECTATION, mention.expectation)} ({mention.expectation})")
    category = mention.category
    click.echo(f"หมวดเสียงลูกค้า: {th(category_names(), category)} ({category})" if category else "หมวดเสียงลูกค้า: -")
    if mention.complaint.is_complaint:
        kind = mention.complaint.type or "other"
        click.echo(f"ข้อร้องเรียน: ใช่ — {th(complaint_type_names(), kind)} ({kind})")
    if mention.news_topic:
        click.echo(f"หมวดข่าว: {th(news_topic_names(), mention.news_topic)} ({mention.news_topic})")
    for name, tone in mention.entity_tones.items():
        click.echo(f"น้ำเสียงต่อ {name}: {th(SENTIMENT, tone)} ({tone})")
    click.echo("คำ: " + " | ".join(mention.tokens))
    if mention.entities:
        click.echo("สิ่งที่ติดตาม: " + ", ".join(mention.entities))
    if mention.hashtags:
        click.echo("แฮชแท็ก: " + ", ".join(mention.hashtags))
    if mention.spam_score is not None:
        click.echo(f"คะแนนสแปม: {mention.spam_score:.2f}")


@click.command()
@click.argument("query")
@config_option
@click.option("--since", default=None, help="Only mentions published this recently, e.g. 24h, 7d.")
@click.option("--sentiment", type=click.Choice(["pos", "neu", "neg", "q"]), multiple=True, help="Only this sentiment (repeatable).")
@click.option("--source", multiple=True, help="Only this source name (repeatable).")
@click.option(
    "--max-spam-score", type=click.FloatRange(0, 1), default=None, metavar="FLOAT", callback=_score,
    help="Hide spam/bot-like mentions scored above this (0 to 1, e.g. 0.5); unscored mentions are kept.",
)
@click.option("--limit", type=click.IntRange(1, 10000), default=20, show_default=True,
              help="Show at most this many mentions, newest first (the first line says how many matched).")
@click.option("--json", "as_json", is_flag=True, help="Print mentions as JSON.")
@handled
def search(
    query: str,
    config_path: str | None,
    since: str | None,
    sentiment: tuple[str, ...],
    source: tuple[str, ...],
    max_spam_score: float | None,
    limit: int,
    as_json: bool,
) -> None:
    """Thai full-text search over stored mentions.

    Words must all appear; `A OR B` either; "a phrase"; -word excludes. A watched
    name also finds the aliases containing it (แสงทอง: ธนาคารแสงทอง); hashtags' words
    are words (down: #SaengThongDown). A query that starts with - goes after the options
    and --:
    sadap search --since 7d -- "-โปรโมชัน แอป".
    """

    config = _load(config_path)
    flt = MentionFilter(
        query=parse_query(query, tuple(config.custom_words())),
        since=since_of(since),
        sentiment=tuple(sentiment),
        source_names=tuple(source),
        max_spam_score=max_spam_score,
    )
    with open_store(config) as store:
        total = store.count(flt)
        found = store.search(flt, limit=limit)
    if as_json:
        _dump([m.model_dump(mode="json", exclude={"tokens", "simhash"}) for m in found])
        return
    click.echo(f"พบ {total} ข้อความ (แสดง {len(found)})")
    for m in found:
        label = th(SENTIMENT, m.sentiment.label) if m.sentiment else "-"
        snippet = " ".join(m.text.split())[:140]
        click.echo(f"{m.id[:SHOWN_ID]}  {show(m.published_at)}  [{m.source_name}] ({label}) {snippet}")


@click.command()
@config_option
@click.option("--since", default=None, help="Only mentions published this recently, e.g. 24h, 7d (default: all).")
@click.option("--source", multiple=True, help="Only this source name (repeatable).")
@click.option("--batch", "batch_size", type=click.IntRange(1, 10000), default=500, show_default=True,
              help="Mentions read, enriched and written at a time.")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@handled
def reenrich(
    config_path: str | None, since: str | None, source: tuple[str, ...], batch_size: int, dry_run: bool, as_json: bool
) -> None:
    """Run enrichment again over stored mentions, without re-crawling.

    After an upgrade, or after changing `watch:`, custom words, lexicons or
    `enrich.sentiment_model`: sentiment, category, complaint, entities, hashtags,
    search words and spam score are recomputed from the stored (already masked) text.
    Ids, times, sources, authors, duplicates, responses and incidents are kept, and no
    alert notifications are sent.
    """

    config = _load(config_path)
    flt = MentionFilter(since=since_of(since), source_names=tuple(source))

    def progress(done: int, total: int) -> None:
        click.echo(f"… ปรับข้อมูลแล้ว {done}/{total}", err=True)

    with hold(config.data_path, "sadap reenrich"):  # a restore refuses while it reads and writes
        report = run(config, flt, batch_size=batch_size, dry_run=dry_run, progress=None if as_json else progress)
    if as_json:
        _dump(report.as_dict())
        return
    verb = "จะเปลี่ยน" if dry_run else "เปลี่ยน"
    click.echo(
        f"ตรวจ {report.checked} ข้อความ · {verb} {report.changed} · ความรู้สึก {report.sentiment} · "
        f"หมวด {report.category} · ข้อร้องเรียน {report.complaint} · สิ่งที่ติดตาม {report.entities}"
        + (f" · ปิดบังข้อมูลส่วนบุคคลเพิ่ม {report.masked}" if report.masked else "")
    )
    if dry_run:
        for ex in report.examples:
            changes = "; ".join(f"{k}: {_shown(v[0])} → {_shown(v[1])}" for k, v in ex.items() if k != "id")
            click.echo(f"  {ex['id']}  {changes}")
        click.echo("dry run: nothing was written")


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    return str(value or "-")
