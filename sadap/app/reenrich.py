"""``sadap reenrich``: run today's enrichment again over mentions already stored, without
re-crawling, after an upgrade (a new sentiment engine, hashtag search words, spam score,
stricter entity matching) or after ``watch:``, custom words, lexicons or
``enrich.sentiment_model`` changed in sadap.yaml.

Only what enrichment produces changes. A mention keeps its id, source, times, URL, author
pseudonym, extras, duplicate link (``duplicate_of``, hence its cluster), logged responses and
incident links. Labels a person corrected (``sadap label``, the workspace) stay as corrected.
Stored text is PDPA-masked as it was stored; masking it again changes nothing, except what an
earlier release's masks missed (an e-mail address written straight after Thai letters), which
is masked now, in the text and the search index, and a kept display name's phone number,
e-mail address or ID number. No alert rule is evaluated: re-labelling old
mentions sends no notifications."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from enrich.pipeline import Enricher
from sadap.app.stakeholders import tagger as stakeholder_tagger
from sadap.app.config import Config
from sadap.core.mention import Mention, apply_correction
from sadap.store import MentionFilter, Store, open_store

# What enrichment writes; everything else on a stored mention is kept as it was.
ENRICHED_FIELDS = (
    "text", "title", "language", "tokens", "sentiment", "expectation", "category", "complaint", "news_topic", "entity_tones",
    "entities", "hashtags", "keywords", "text_hash", "simhash", "spam_score", "extras",
    "author_name",  # a kept display name's contacts masked (one stored before that was done, too)
    "stakeholders",
)


@dataclass
class ReenrichReport:
    total: int = 0  # mentions in the filter when the run started
    checked: int = 0
    changed: int = 0  # mentions whose enrichment differs (written unless dry_run)
    sentiment: int = 0  # changed sentiment label
    category: int = 0
    complaint: int = 0  # changed complaint flag or type
    entities: int = 0  # changed set of watched entities
    masked: int = 0  # text or title masked further (personal data an earlier release's masks missed)
    dry_run: bool = False
    examples: list[dict[str, Any]] = field(default_factory=list)  # the first few changes, old → new

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _label(m: Mention) -> str | None:
    return m.sentiment.label if m.sentiment else None


def _complaint(m: Mention) -> str | None:
    """The complaint type (``other`` when untyped), None when not a complaint."""
    return (m.complaint.type or "other") if m.complaint.is_complaint else None


def reenrich(
    config: Config,
    flt: MentionFilter = MentionFilter(),
    *,
    batch_size: int = 500,
    dry_run: bool = False,
    store: Store | None = None,
    progress: Callable[[int, int], None] | None = None,
    max_examples: int = 10,
) -> ReenrichReport:
    """Re-enrich the stored mentions ``flt`` selects, ``batch_size`` at a time, with the
    enricher ``sadap ingest`` would build from ``config``. ``progress(done, total)`` is
    called after each batch."""

    enricher = Enricher.from_config(config)
    own = store is None
    store = store or open_store(config)
    report = ReenrichReport(dry_run=dry_run)
    try:
        report.total = store.count(flt)
        enricher.stakeholders = stakeholder_tagger(config, store)
        after: str | None = None
        while page := store.page_by_id(flt, after=after, limit=batch_size):
            after = page[-1].id
            fresh = enricher.enrich(page)
            write: list[Mention] = []
            for old, new in zip(page, fresh):
                # only enrichment's output moves over; identity, times, links stay as stored
                new = old.model_copy(update={f: getattr(new, f) for f in ENRICHED_FIELDS})
                new = apply_correction(new)  # a person's labels win over the model's
                if new == old:
                    continue
                write.append(new)
                report.changed += 1
                report.sentiment += _label(old) != _label(new)
                report.category += old.category != new.category
                report.complaint += _complaint(old) != _complaint(new)
                report.entities += set(old.entities) != set(new.entities)
                report.masked += old.text != new.text or old.title != new.title
                example = _example(old, new)
                if len(example) > 1 and len(report.examples) < max_examples:
                    report.examples.append(example)
            if write and not dry_run:
                store.upsert(write)
            report.checked += len(page)
            if progress is not None:
                progress(report.checked, report.total)
        if report.masked and not dry_run:
            store.compact()  # what was masked must not stay in free pages or old index segments (PDPA)
    finally:
        if own:
            store.close()
    return report


def _example(old: Mention, new: Mention) -> dict[str, Any]:
    out: dict[str, Any] = {"id": old.id}
    for name, before, after in (
        ("sentiment", _label(old), _label(new)),
        ("category", old.category, new.category),
        ("complaint", _complaint(old), _complaint(new)),
        ("entities", sorted(set(old.entities)), sorted(set(new.entities))),
    ):
        if before != after:
            out[name] = [before, after]
    return out
