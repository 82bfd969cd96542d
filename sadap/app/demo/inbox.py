"""The demo bank's own channels beyond the crawled site: its LINE Official Account, Facebook page,
X, Pantip threads and a regional news site (``inbox.json``, fictional Thai posts), ingested the
way a connector delivers them (the real enrichment, stakeholder tagging and complaint cases),
then answered and closed as the team did: responses at different delays per channel, some cases
closed with a reason, some posts never answered. This gives the equal-response report
(``sadap report responses --by channel`` / ``--by group``) a real spread, with the Pantip
threads and the Nan community served markedly slower, and the CSR balance all three pillars."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from sadap.app import complaints as complaint_cases
from sadap.app.config import Config
from sadap.app.ingest import IngestPipeline
from sadap.core.mention import Engagement, RawMention, mention_id
from sadap.store import Store


def load_inbox() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files("sadap.app.demo").joinpath("inbox.json").read_text(encoding="utf-8"))
    return data


def raw_mentions(inbox: dict[str, Any], anchor: datetime) -> list[RawMention]:
    """The posts as connectors deliver them, published ``hours_ago`` before ``anchor``."""
    out = []
    for post in inbox["posts"]:
        source = inbox["sources"][post["source"]]
        extras = {"thread_id": post["thread"]} if post.get("thread") else {}
        out.append(RawMention(
            source_kind=source["kind"], source_name=post["source"], native_id=post["id"], text=post["text"],
            title=post.get("title"), author=post["author"], url=source["url"] + post["id"],
            published_at=anchor - timedelta(hours=post["hours_ago"]),
            engagement=Engagement(likes=post.get("likes", 0)), extras=extras,
        ))
    return out


def answer_and_close(store: Store, inbox: dict[str, Any], anchor: datetime) -> dict[str, int]:
    """Log the team's replies and close the cases as the story says; what was done."""
    done = {"responses": 0, "closed": 0}
    cases = store.list_cases()
    for post in inbox["posts"]:
        mid = mention_id(post["source"], post["id"])
        published = anchor - timedelta(hours=post["hours_ago"])
        reply = post.get("reply")
        if reply and store.get(mid) is not None:
            channel = inbox["sources"][post["source"]]["kind"]
            store.log_response(mid, published + timedelta(hours=reply["after"]), reply["by"], channel, reply["text"])
            done["responses"] += 1
        close = post.get("close")
        case = next((c for c in cases if mid in c.mention_ids), None)
        if close and case is not None and case.state == "open":
            closed = complaint_cases.close(store, case.id, close["reason"], close["by"], close["note"],
                                           at=published + timedelta(hours=close["after"]))
            cases = [closed if c.id == closed.id else c for c in cases]
            done["closed"] += 1
    return done


def add_inbox(config: Config, anchor: datetime) -> dict[str, int]:
    """Ingest the inbox (no alerts: these are days old) and play the team's answers."""
    inbox = load_inbox()
    pipeline = IngestPipeline(config, alerts=False)
    try:
        result = pipeline.process(raw_mentions(inbox, anchor))
        done = answer_and_close(pipeline.store, inbox, anchor)
    finally:
        pipeline.close()
    return {"stored": result.stored, **done}
