"""Command: label (correct a mention's labels by hand)."""

from __future__ import annotations

import getpass

import click

from sadap.app.cli.common import _dump, _load, config_option, handled, resolve_mention_id
from sadap.app.corrections import correct
from sadap.core.errors import InputError
from sadap.core.labels import EXPECTATION, SENTIMENT, th
from sadap.core.mention import Mention
from sadap.core.timeutil import show
from sadap.store import open_store


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _shown(m: Mention) -> str:
    sentiment = th(SENTIMENT, m.sentiment.label if m.sentiment else None)
    complaint = (m.complaint.type or "other") if m.complaint.is_complaint else "-"
    return (f"{m.id}  ความรู้สึก {sentiment} · ความคาดหวัง {th(EXPECTATION, m.expectation)} · "
            f"หมวด {m.category or '-'} · ข้อร้องเรียน {complaint}")


@click.command()
@click.argument("mention_id")
@config_option
@click.option("--sentiment", default=None, help="pos, neu, neg or q.")
@click.option("--expectation", default=None, help="delighted, satisfied, disappointed or none.")
@click.option("--category", default=None, help="A category of the lexicons (shipped, configured, or other).")
@click.option("--complaint", default=None, help="yes or no.")
@click.option("--type", "complaint_type", default=None, help="A complaint type of the lexicons (implies --complaint yes).")
@click.option("--by", default=None, help="Who corrects (default: cli:<login name>).")
@click.option("--json", "as_json", is_flag=True, help="Print the corrected mention's labels and history as JSON.")
@handled
def label(mention_id: str, config_path: str | None, sentiment: str | None, expectation: str | None,
          category: str | None, complaint: str | None, complaint_type: str | None, by: str | None,
          as_json: bool) -> None:
    """Correct a mention's labels by hand; without options, show its labels and corrections.

    The corrected labels show at once, stay through `sadap reenrich`, and teach `sadap train`.
    MENTION_ID may be the start of an id that no other mention shares (`sadap search` shows the
    first 12 characters). Example: sadap label 3f2a9c01b7e4 --sentiment neg --complaint yes --type digital_outage
    """
    config = _load(config_path)
    values = {"sentiment": sentiment, "expectation": expectation, "category": category,
              "complaint": complaint, "type": complaint_type}
    with open_store(config) as store:
        mention_id = resolve_mention_id(store, mention_id)
        if any(v is not None for v in values.values()):
            m = correct(store, config, mention_id, values, by or _who())
        else:
            found = store.get(mention_id)
            if found is None:
                raise InputError(f"no mention {mention_id!r}")
            m = found
        history = store.corrections(mention_id)
    if as_json:
        _dump({"id": m.id, "sentiment": m.sentiment.label if m.sentiment else None, "expectation": m.expectation,
               "category": m.category, "is_complaint": m.complaint.is_complaint, "complaint_type": m.complaint.type,
               "corrected": m.corrected.model_dump(mode="json") if m.corrected else None,
               "history": [{**h, "at": h["at"].isoformat()} for h in history]})
        return
    click.echo(_shown(m))
    for h in history:
        fields = ", ".join(f"{k}={v}" for k, v in h["fields"].items())
        click.echo(f"  {show(h['at'])}  {h['actor']}: {fields}")
