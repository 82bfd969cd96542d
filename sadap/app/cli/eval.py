"""Commands: eval sentiment and eval enrich (score the enrichment on annotated JSON lines)."""

from __future__ import annotations

from typing import Any

import click

from enrich.evaluate import evaluate
from enrich.pipeline import Enricher
from enrich.sentiment import configure, get_model
from enrich.voc_eval import (
    check_enrich_row,
    check_csr_row,
    check_sentiment_row,
    evaluate_enrich,
    read_jsonl,
    run_csr,
)
from sadap.app.cli.common import _dump, _load, config_option, handled
from sadap.core.errors import InputError


@click.group("eval")
def eval_group() -> None:
    """Score the enrichment on annotated data (JSON lines)."""


def _summary(name: str, result: dict[str, Any]) -> None:
    click.echo(f"{name}: n={result['n']} · accuracy {result['accuracy']:.3f} · macro-F1 {result['macro_f1']:.3f}")
    for label, scores in result["per_class"].items():
        click.echo(
            f"  {label:<22} P {scores['precision']:.3f}  R {scores['recall']:.3f}  F1 {scores['f1']:.3f}"
            f"  (n={scores['support']})"
        )
    three = result.get("three_class")
    if three:
        click.echo(f"  3 classes (q counted as neu): accuracy {three['accuracy']:.3f} · macro-F1 {three['macro_f1']:.3f}")


@eval_group.command("sentiment")
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False), help="JSON lines with `text` and `label` (pos, neu, neg, q).")
@click.option("--model", "model", default=None, help="Sentiment engine (default: enrich.sentiment_model).")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@handled
def eval_sentiment(data: str, model: str | None, config_path: str | None, as_json: bool) -> None:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix of a sentiment engine."""

    config = _load(config_path)
    configure(config.enrich.sentiment_label_map, config.enrich.sentiment_hub_download)
    engine = model or config.enrich.sentiment_model
    get_model(engine)  # an unknown engine fails before the file is read
    rows = [row for _, row in read_jsonl(data, {"text": str, "label": str}, check_sentiment_row)]
    if not rows:
        raise InputError(f"{data}: no rows")
    result = evaluate(rows, engine=engine)
    if as_json:
        _dump(result)
    else:
        _summary(f"sentiment ({engine})", result)


@eval_group.command("enrich")
@click.option(
    "--data", "data", required=True, type=click.Path(dir_okay=False),
    help="JSON lines with `text` and any of `expectation`, `category`, `is_complaint`, `complaint_type`.",
)
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@handled
def eval_enrich(data: str, config_path: str | None, as_json: bool) -> None:
    """Run the enrichment (as configured) and score expectation, category and complaint.

    Each field present in the data is scored on the rows that have it; complaint_type only on
    rows whose gold is_complaint is true.
    """

    config = _load(config_path)
    rows = [row for _, row in read_jsonl(data, {"text": str}, check_enrich_row)]
    if not rows:
        raise InputError(f"{data}: no rows")
    result = evaluate_enrich(rows, Enricher.from_config(config))
    if as_json:
        _dump(result)
        return
    click.echo(f"rows: {result['n']}")
    for field, scores in result["fields"].items():
        _summary(field, scores)


@eval_group.command("csr")
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False),
              help="JSON lines with `text` and `csr`: the pillars (economy, society, environment) of the CSR "
              "activity the text is about, [] for none.")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@handled
def eval_csr(data: str, config_path: str | None, as_json: bool) -> None:
    """Run the enrichment (as configured, `enrich.csr` included) and score the CSR pillars:
    precision, recall and F1 per pillar (each pillar a yes/no question on every row)."""
    config = _load(config_path)
    rows = [row for _, row in read_jsonl(data, {"text": str}, check_csr_row)]
    if not rows:
        raise InputError(f"{data}: no rows")
    result = run_csr(rows, Enricher.from_config(config))
    if as_json:
        _dump(result)
        return
    click.echo(f"csr: n={result['n']} · macro-F1 {result['macro_f1']:.3f} · micro-F1 {result['micro_f1']:.3f}"
               f" · CSR or not: accuracy {result['csr_or_not_accuracy']:.3f}")
    for pillar, s in result["per_pillar"].items():
        click.echo(f"  {pillar:<12} P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}  (n={s['support']})")

