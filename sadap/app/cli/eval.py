"""Commands: eval sentiment, eval enrich and eval news (score the enrichment on annotated JSON lines)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import click

from enrich.evaluate import evaluate
from enrich.news_eval import check_news_row, evaluate_news
from enrich.normalize import normalize
from enrich.pipeline import Enricher
from enrich.sentiment import configure, get_model, load_trained, local_engine
from enrich.sentiment.versions import VERSIONS as SENTIMENT_VERSIONS
from enrich.tokenize import tokenize
from enrich.voc import Lexicons
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
    engine = model or local_engine(config.enrich.sentiment_model, config.data_path)  # what enrichment runs
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
    "--data", "data", required=True, multiple=True, type=click.Path(dir_okay=False),
    help="JSON lines with `text` and any of `sentiment`, `expectation`, `category`, `is_complaint`, "
    "`complaint_type`. Repeat to score several files together; each file is also scored on its own.",
)
@config_option
@click.option("--voc", "voc", type=click.Choice(["rules", "learned"]), default=None,
              help="How expectation and the complaint flag are decided (default: enrich.voc).")
@click.option("--voc-model", "voc_model", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A learned classifier's .npz to score instead of the current one (implies --voc learned), "
              "e.g. one written by `python -m enrich.training.train_voc --out FILE`.")
@click.option("--errors", "show_errors", is_flag=True, help="Also list the rows with a field read wrong.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@handled
def eval_enrich(data: tuple[str, ...], config_path: str | None, voc: str | None, voc_model: Path | None,
                show_errors: bool, as_json: bool) -> None:
    """Run the enrichment (as configured) and score sentiment, expectation, category and complaint.

    Each field present in the data is scored on the rows that have it; complaint_type only on
    rows whose gold is_complaint is true. With several --data files the scores are of all their
    rows together, then of each file (under "sets" in the JSON).
    """

    config = _load(config_path)
    rows: list[dict[str, Any]] = []
    names: list[str] = []
    where: list[str] = []
    for path in data:
        found = list(read_jsonl(path, {"text": str}, check_enrich_row))
        if not found:
            raise InputError(f"{path}: no rows")
        rows += [row for _, row in found]
        names += [path] * len(found)
        where += [f"{path}:{lineno}" for lineno, _ in found]
    enricher = Enricher.from_config(config)
    if voc is not None:
        enricher.voc = voc
    if voc_model is not None:
        if voc == "rules":
            raise InputError("--voc-model scores a learned classifier: leave out --voc rules")
        enricher.voc = "learned"
        enricher.voc_model_path = voc_model
    result = evaluate_enrich(rows, enricher, sets=names if len(data) > 1 else None, errors=show_errors)
    for e in result.get("errors", []):
        e["where"] = where[e.pop("row")]
        e.pop("set", None)
    result["voc"] = enricher.voc
    if as_json:
        _dump(result)
        return
    click.echo(f"rows: {result['n']}" + (f" ({len(data)} files together)" if len(data) > 1 else "")
               + f" · expectation and complaint: {enricher.voc}")
    for field, scores in result["fields"].items():
        _summary(field, scores)
    for name, part in result.get("sets", {}).items():
        click.echo(f"\n{name}: rows: {part['n']}")
        for field, scores in part["fields"].items():
            click.echo(f"  {field}: accuracy {scores['accuracy']:.3f} · macro-F1 {scores['macro_f1']:.3f}")
    for e in result.get("errors", []):
        wrong = ", ".join(f"{k} {v['gold']}→{v['got']}" for k, v in e.items() if isinstance(v, dict))
        click.echo(f"  {e['where']}: {wrong} · {e['text'][:80]}")


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

@eval_group.command("train")
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False),
              help="JSON lines with `text`, `label` and `split`: `corrections` (what the organisation corrected) "
                   "or `held_out` (its messages kept aside to measure on).")
@click.option("--weight", type=click.FloatRange(min=1.0), default=10.0, show_default=True,
              help="How many shipped messages one correction counts as.")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@handled
def eval_train(data: str, weight: float, config_path: str | None, as_json: bool) -> None:
    """Simulate `sadap train` for an organisation: its corrections, then accuracy on its held-out
    messages and on the Wisesight test split, before and after (in a temporary data directory;
    your own data directory is not touched).

    The organisation's messages are new to a deployed model, so every message of the file is
    first taken out of the shipped training data and the fast engine refitted without them: that
    is the "before" model; "after" is `sadap train` on top of the same data with the corrections.
    """
    import numpy as np

    from enrich.training.retrain import Example, fit_linear, read_shipped, retrain, score

    def check(row: dict[str, Any]) -> str | None:
        if row.get("split") not in ("corrections", "held_out"):
            return "split must be corrections or held_out"
        return check_sentiment_row(row)

    config = _load(config_path)
    engine = config.enrich.sentiment_model
    rows = [row for _, row in read_jsonl(data, {"text": str, "label": str, "split": str}, check)]
    corrections = [Example(str(r.get("id", i)), r["text"], r["label"]) for i, r in enumerate(rows)
                   if r["split"] == "corrections"]
    held = [r for r in rows if r["split"] == "held_out"]
    if not held:
        raise InputError(f"{data}: no held_out rows to measure on")
    def say(msg: str) -> None:
        if not as_json:
            click.echo(f"  {msg}", err=True)

    texts, gold = [r["text"] for r in held], [r["label"] for r in held]
    domain = {normalize(r["text"]) for r in rows}
    base = [(t, lab) for t, lab in read_shipped("train") + read_shipped("valid") if normalize(t) not in domain]
    shipped = score(get_model(engine), texts, gold)
    with tempfile.TemporaryDirectory(prefix="sadap-train-") as tmp:
        say(f"the before model: {engine} refitted on {len(base):,} shipped messages without the file's …")
        norm = [normalize(t) for t, _ in base]
        baseline = Path(tmp) / "before"
        baseline.mkdir()
        fit_linear(norm, [tokenize(t) for t in norm], [lab for _, lab in base], np.ones(len(base)),
                   baseline / SENTIMENT_VERSIONS.model_file, "wisesight-sentiment train + valid without the organisation's messages")
        current = load_trained(engine, baseline)
        report = retrain(corrections, Path(tmp), engine, weight=weight, base=base, current=current,
                         also=(texts, gold), progress=say)
    before, refit = report.scores["current"]["also"], report.scores["new"]["also"]
    after = refit if report.kept else before
    result = {"engine": engine, "corrections": len(corrections),
              "domain_held_out": {"shipped": shipped, "before": before, "after": after, "refit": refit},
              "train": report.as_dict()}
    if as_json:
        _dump(result)
        return
    cur, new = report.scores["current"], report.scores["new"]
    click.echo(f"{engine} · {len(corrections)} corrections (weight {weight:g}) · "
               f"{'kept' if report.kept else 'not kept: ' + report.reason} · {report.seconds:.0f} s")
    click.echo(f"  domain held-out (n={before['n']}): accuracy {before['accuracy']:.3f} → {after['accuracy']:.3f} · "
               f"macro-F1 {before['macro_f1']:.3f} → {after['macro_f1']:.3f} "
               f"(shipped model, which saw these texts in training: {shipped['accuracy']:.3f})")
    if not report.kept:
        click.echo(f"  the refit, not kept, would have scored there: accuracy {refit['accuracy']:.3f} · "
                   f"macro-F1 {refit['macro_f1']:.3f}")
    click.echo(f"  held-out corrections (n={cur['held_out']['n']}): accuracy {cur['held_out']['accuracy']:.3f} → "
               f"{new['held_out']['accuracy']:.3f}")
    click.echo(f"  Wisesight test (n={cur['test']['n']}): accuracy {cur['test']['accuracy']:.3f} → "
               f"{new['test']['accuracy']:.3f} · macro-F1 {cur['test']['macro_f1']:.3f} → {new['test']['macro_f1']:.3f}")

@eval_group.command("news")
@click.option(
    "--data", "data", required=True, type=click.Path(dir_okay=False),
    help="JSON lines with `text` (and `title`) and any of `tone`, `topic`, `is_complaint` "
    "(e.g. tests/data/news_eval/news-test.jsonl).",
)
@config_option
@click.option("--as-posts", is_flag=True, help="Read the rows as short posts (news reading off), for comparison.")
@click.option("--errors", "show_errors", is_flag=True, help="Also list the rows read wrong.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@handled
def eval_news(data: str, config_path: str | None, as_posts: bool, show_errors: bool, as_json: bool) -> None:
    """Read annotated articles as news and score the tone, the news topic and the complaint flag.

    Also reports the share of articles read with no voice-of-customer labels (expectation none,
    no category, no complaint) among those not annotated as reporting a customer complaint.
    """

    config = _load(config_path)
    rows = [row for _, row in read_jsonl(data, {"text": str}, check_news_row)]
    if not rows:
        raise InputError(f"{data}: no rows")
    news = config.enrich.news.model_copy(update={"enabled": False}) if as_posts else config.enrich.news
    result = evaluate_news(rows, Lexicons.from_config(config.enrich), news, config.enrich.custom_words)
    if as_json:
        _dump(result)
        return
    click.echo(f"rows: {result['n']}")
    for field, scores in result["fields"].items():
        _summary(field, scores)
    if "voc_none" in result:
        click.echo(f"no VOC labels: {result['voc_none']['share']:.3f} of {result['voc_none']['n']}")
    if show_errors:
        for e in result["errors"]:
            wrong = ", ".join(f"{k} {v['gold']}→{v['got']}" for k, v in e.items() if isinstance(v, dict))
            click.echo(f"  {e['id']}: {wrong} · {(e.get('title') or '')[:70]}")
