"""Scoring the enrichment labels (expectation, category, complaint) against annotated rows.

Rows are JSON objects with ``text`` (and optionally ``title``) plus any of the gold fields
``sentiment`` (the label after enrichment's own rules, e.g. sarcasm read as ``neg``),
``expectation``, ``category``, ``is_complaint``, ``complaint_type``. Each field present is
scored with :func:`enrich.evaluate.metrics` on the rows that have it; ``complaint_type`` only
on rows whose gold ``is_complaint`` is true (a prediction that is not a complaint counts as
type ``none``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enrich.csr import PILLARS, evaluate_csr
from enrich.evaluate import metrics
from sadap.core.errors import InputError
from sadap.core.mention import RawMention, to_mention

if TYPE_CHECKING:
    from enrich.pipeline import Enricher

Row = dict[str, Any]  # one JSON object of a JSON-lines file

FIELDS = ("sentiment", "expectation", "category", "is_complaint", "complaint_type")
EXPECTATIONS = ("delighted", "satisfied", "disappointed", "none")
SENTIMENTS = ("pos", "neu", "neg", "q")


def read_jsonl(
    path: str | Path, required: dict[str, type], check: Callable[[Row], str | None] | None = None
) -> Iterator[tuple[int, Row]]:
    """``(line number, row)`` for each non-blank line; a bad line raises InputError naming it."""
    path = Path(path)
    try:
        fh = path.open(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror or err}") from None
    with fh:
        try:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as err:
                    raise InputError(f"{path}:{lineno}: not valid JSON ({err.msg} at column {err.colno})") from None
                if not isinstance(row, dict):
                    raise InputError(f"{path}:{lineno}: expected a JSON object, got {type(row).__name__}")
                for key, kind in required.items():
                    if key not in row:
                        raise InputError(f"{path}:{lineno}: missing {key!r}")
                    if not isinstance(row[key], kind):
                        raise InputError(f"{path}:{lineno}: {key!r} must be a {kind.__name__}, got {type(row[key]).__name__}")
                if check is not None:
                    problem = check(row)
                    if problem:
                        raise InputError(f"{path}:{lineno}: {problem}")
                yield lineno, row
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text") from None


def check_sentiment_row(row: Row) -> str | None:
    if row["label"] not in SENTIMENTS:
        return f"label {row['label']!r} is not one of {', '.join(SENTIMENTS)}"
    return None


def check_enrich_row(row: Row) -> str | None:
    if "title" in row and row["title"] is not None and not isinstance(row["title"], str):
        return "'title' must be a string"
    if not any(f in row for f in FIELDS):
        return f"no gold field: give at least one of {', '.join(FIELDS)}"
    if "sentiment" in row and row["sentiment"] not in SENTIMENTS:
        return f"sentiment {row['sentiment']!r} is not one of {', '.join(SENTIMENTS)}"
    if "expectation" in row and row["expectation"] not in EXPECTATIONS:
        return f"expectation {row['expectation']!r} is not one of {', '.join(EXPECTATIONS)}"
    if "is_complaint" in row and not isinstance(row["is_complaint"], bool):
        return f"is_complaint must be true or false, got {row['is_complaint']!r}"
    for key in ("category", "complaint_type"):
        if key in row and row[key] is not None and not isinstance(row[key], str):
            return f"{key} must be a string, got {row[key]!r}"
    return None


def evaluate_enrich(
    rows: Iterable[Row], enricher: Enricher, batch_size: int = 256, sets: Sequence[str] | None = None,
    errors: bool = False,
) -> dict[str, Any]:
    """Run ``enricher`` on the rows and score each gold field present.

    ``sets`` (one name per row, e.g. the file it came from) adds the same scores per set under
    ``"sets"``; ``errors`` lists the rows with a field read wrong under ``"errors"``.
    """

    rows = list(rows)
    if sets is not None and len(sets) != len(rows):
        raise ValueError(f"{len(rows)} rows but {len(sets)} set names")
    got_rows: list[dict[str, str]] = []
    for start in range(0, len(rows), batch_size):
        chunk = rows[start:start + batch_size]
        raws = [
            RawMention(source_kind="file", source_name="eval", native_id=str(start + i), text=r["text"], title=r.get("title"))
            for i, r in enumerate(chunk)
        ]
        enriched = enricher.enrich([to_mention(r, pseudonym_key=b"eval") for r in raws])
        for m in enriched:
            got_rows.append({
                "sentiment": m.sentiment.label if m.sentiment else "neu",
                "expectation": m.expectation or "none",
                "category": m.category or "other",
                "is_complaint": str(bool(m.complaint.is_complaint)).lower(),
                "complaint_type": (m.complaint.type or "none") if m.complaint.is_complaint else "none",
            })
    result: dict[str, Any] = {"n": len(rows), "fields": _score(rows, got_rows)}
    if sets is not None:
        names = list(dict.fromkeys(sets))
        result["sets"] = {
            name: {"n": sum(s == name for s in sets),
                   "fields": _score([r for r, s in zip(rows, sets) if s == name],
                                    [g for g, s in zip(got_rows, sets) if s == name])}
            for name in names
        }
    if errors:
        result["errors"] = [
            {"row": i, **({"set": sets[i]} if sets is not None else {}), "text": row["text"],
             **{f: {"gold": gold, "got": got[f]} for f, gold in _gold(row).items() if gold != got[f]}}
            for i, (row, got) in enumerate(zip(rows, got_rows))
            if any(gold != got[f] for f, gold in _gold(row).items())
        ]
    return result


def _gold(row: Row) -> dict[str, str]:
    """The gold fields of ``row`` as compared (booleans as ``true``/``false``; complaint_type only
    on gold complaints)."""
    out: dict[str, str] = {}
    for f in FIELDS:
        if f not in row or row[f] is None or (f == "complaint_type" and row.get("is_complaint") is not True):
            continue
        value = row[f]
        out[f] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def _score(rows: Sequence[Row], got_rows: Sequence[dict[str, str]]) -> dict[str, Any]:
    gold: dict[str, list[str]] = {f: [] for f in FIELDS}
    predicted: dict[str, list[str]] = {f: [] for f in FIELDS}
    for row, got in zip(rows, got_rows):
        for f, value in _gold(row).items():
            gold[f].append(value)
            predicted[f].append(got[f])
    return {f: metrics(gold[f], predicted[f]) for f in FIELDS if gold[f]}


def check_csr_row(row: Row) -> str | None:
    pillars = row.get("csr")
    if not isinstance(pillars, list) or any(p not in PILLARS for p in pillars):
        return f"'csr' must be a list of pillars ({', '.join(PILLARS)}; [] for no CSR activity), got {pillars!r}"
    return None


def run_csr(rows: Iterable[Row], enricher: Enricher, batch_size: int = 256) -> dict[str, Any]:
    """Run ``enricher`` on the rows and score its CSR pillars against each row's ``csr``."""
    rows = list(rows)
    predicted: list[list[str]] = []
    for start in range(0, len(rows), batch_size):
        chunk = rows[start:start + batch_size]
        raws = [
            RawMention(source_kind="file", source_name="eval", native_id=str(start + i), text=r["text"], title=r.get("title"))
            for i, r in enumerate(chunk)
        ]
        predicted += [list(m.csr) for m in enricher.enrich([to_mention(r, pseudonym_key=b"eval") for r in raws])]
    return evaluate_csr(rows, predicted)

