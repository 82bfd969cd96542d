"""Command: train (refit the fast sentiment engine on the organisation's corrections; versions)."""

from __future__ import annotations

import time
from typing import Any

import click

from enrich.sentiment import versions
from sadap.app.cli.common import _dump, _load, config_option, handled
from sadap.app.config import Config
from sadap.core.errors import InputError
from sadap.store import open_store


def _say(msg: str) -> None:
    click.echo(f"[{time.strftime('%H:%M:%S')}] {msg}", err=True)


def _list(config: Config, as_json: bool) -> None:
    current = versions.active(config.data_path)
    rows: list[dict[str, Any]] = [{"version": versions.SHIPPED, "active": current is None}]
    for v in versions.versions(config.data_path):
        data = versions.info(config.data_path, v)
        new = data.get("scores", {}).get("new", {})
        rows.append({"version": v, "active": v == current, "created_at": data.get("created_at"),
                     "corrections": data.get("corrections"), "held_out": new.get("held_out"), "test": new.get("test")})
    if as_json:
        _dump(rows)
        return
    for r in rows:
        mark = "*" if r["active"] else " "
        if r["version"] == versions.SHIPPED:
            click.echo(f"{mark} {versions.SHIPPED}  the models that came with Sadap")
            continue
        held, test = r.get("held_out") or {}, r.get("test") or {}
        click.echo(f"{mark} {r['version']}  {r.get('created_at') or '-'}  corrections {r.get('corrections')}  "
                   f"held-out acc {held.get('accuracy', '-')}  test acc {test.get('accuracy', '-')} "
                   f"macro-F1 {test.get('macro_f1', '-')}")


@click.command()
@config_option
@click.option("--list", "list_versions", is_flag=True, help="List the trained versions (* marks the active one).")
@click.option("--rollback", "rollback", is_flag=False, flag_value="", default=None, metavar="[VERSION]",
              help="Make an earlier version active (default: the one before the active one; `shipped`: the shipped models).")
@click.option("--weight", type=click.FloatRange(min=1.0), default=10.0, show_default=True,
              help="How many shipped messages one correction counts as.")
@click.option("--holdout", type=click.FloatRange(0.05, 0.9), default=0.25, show_default=True,
              help="Share of the corrections held out to check the new model.")
@click.option("--tolerance", type=click.FloatRange(0.0, 1.0), default=0.005, show_default=True,
              help="How far below the current model's Wisesight test accuracy/macro-F1 the new one may be.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@handled
def train(config_path: str | None, list_versions: bool, rollback: str | None, weight: float, holdout: float,
          tolerance: float, as_json: bool) -> None:
    """Refit the fast sentiment engine on the shipped data plus your corrections (`sadap label`).

    The new model is checked on a held-out share of the corrections and on the shipped Wisesight
    test split, and kept (versioned in the data directory and made active) only if it is not
    worse on either. `sadap reenrich` then applies it to stored mentions; new mentions get it as
    soon as they are enriched. Needs scikit-learn. About a minute or two on two cores.
    """
    config = _load(config_path)
    if list_versions:
        _list(config, as_json)
        return
    if rollback is not None:
        target = rollback or versions.previous(config.data_path)
        versions.activate(config.data_path, target)
        if as_json:
            _dump({"active": versions.active(config.data_path) or versions.SHIPPED})
        else:
            click.echo(f"active sentiment model: {versions.active(config.data_path) or versions.SHIPPED}")
        return
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise InputError("sadap train needs scikit-learn: pip install scikit-learn") from None
    from enrich.training.retrain import Example, retrain

    with open_store(config) as store:
        examples = []
        for mid in store.corrected_ids():
            m = store.get(mid)
            if m is not None and m.corrected is not None and m.corrected.sentiment is not None:
                examples.append(Example(m.id, m.text, m.corrected.sentiment))
    report = retrain(examples, config.data_path, config.enrich.sentiment_model, weight=weight, holdout=holdout,
                     tolerance=tolerance, progress=(lambda msg: None) if as_json else _say)
    if as_json:
        _dump(report.as_dict())
        return
    cur, new = report.scores["current"], report.scores["new"]
    click.echo(
        f"{'kept ' + str(report.version) if report.kept else 'not kept'} ({report.reason}) · "
        f"held-out corrections {cur['held_out']['accuracy']:.3f} → {new['held_out']['accuracy']:.3f} · "
        f"Wisesight test {cur['test']['accuracy']:.3f}/{cur['test']['macro_f1']:.3f} → "
        f"{new['test']['accuracy']:.3f}/{new['test']['macro_f1']:.3f} · {report.seconds:.0f} s"
    )
    if report.kept:
        click.echo("run `sadap reenrich` to apply it to stored mentions")
