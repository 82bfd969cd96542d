"""Command: train (refit the fast sentiment engine and the voice-of-customer classifier on the
organisation's corrections; versions)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import click

from enrich.model_versions import SHIPPED, ModelVersions
from enrich.pipeline import Enricher
from enrich.sentiment import RETRAINABLE
from enrich.sentiment.versions import VERSIONS as SENTIMENT_VERSIONS
from enrich.voc_versions import VERSIONS as VOC_VERSIONS
from sadap.app.cli.common import _dump, _load, config_option, handled
from sadap.app.config import Config
from sadap.core.datalock import hold
from sadap.core.errors import InputError
from sadap.store import open_store


def _say(msg: str) -> None:
    click.echo(f"[{time.strftime('%H:%M:%S')}] {msg}", err=True)


@dataclass(frozen=True)
class _Kind:
    """What `--list` and `--rollback` say about one kind of trained model."""

    versions: ModelVersions
    score_key: str  # the second figure a version records next to the held-out corrections
    shipped_line: str
    model_line: str  # the model's name in a rollback's line
    shipped_noun: str  # "already on the shipped …"

    def scores(self, new: dict[str, Any]) -> str:
        if self.score_key == "test":
            test = new.get("test") or {}
            return f"test acc {test.get('accuracy', '-')} macro-F1 {test.get('macro_f1', '-')}"
        shipped = new.get("shipped") or {}
        return (f"shipped rows: expectation {shipped.get('expectation_accuracy', '-')} "
                f"complaint {shipped.get('complaint_accuracy', '-')}")


_KINDS = {
    "sentiment": _Kind(SENTIMENT_VERSIONS, "test", "the models that came with Sadap", "sentiment model", "model"),
    "voc": _Kind(VOC_VERSIONS, "shipped", "the classifier that came with Sadap", "voice-of-customer classifier",
                 "voice-of-customer classifier"),
}


def _rollback(config: Config, kind: _Kind, target: str, as_json: bool) -> None:
    """Make ``target`` (empty: the version active before the active one) active and say what
    changed. Already on the shipped model with no version given: one line, exit 1."""
    versions = kind.versions
    before = versions.active(config.data_path) or SHIPPED
    if not target and before == SHIPPED:
        raise InputError(f"already on the shipped {kind.shipped_noun}; nothing to roll back")
    versions.activate(config.data_path, target or versions.previous(config.data_path))
    after = versions.active(config.data_path) or SHIPPED
    if as_json:
        _dump({"active": after, "previous": before, "changed": after != before})
    elif after == before:
        click.echo(f"{kind.model_line}: already {after}; nothing changed")
    else:
        click.echo(f"{kind.model_line}: {before} → {after} (run sadap reenrich to apply it)")


def _list(config: Config, as_json: bool, kind: _Kind) -> None:
    store = kind.versions
    current = store.active(config.data_path)
    rows: list[dict[str, Any]] = [{"version": SHIPPED, "active": current is None}]
    for v in store.versions(config.data_path):
        data = store.info(config.data_path, v)
        new = data.get("scores", {}).get("new", {})
        rows.append({"version": v, "active": v == current, "created_at": data.get("created_at"),
                     "corrections": data.get("corrections"), "held_out": new.get("held_out"),
                     kind.score_key: new.get(kind.score_key)})
    if as_json:
        _dump(rows)
        return
    for r in rows:
        mark = "*" if r["active"] else " "
        if r["version"] == SHIPPED:
            click.echo(f"{mark} {SHIPPED}  {kind.shipped_line}")
            continue
        held = r.get("held_out") or {}
        click.echo(f"{mark} {r['version']}  {r.get('created_at') or '-'}  corrections {r.get('corrections')}  "
                   f"held-out acc {held.get('accuracy', '-')}  {kind.scores(r)}")


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
@click.option("--voc-weight", type=click.FloatRange(min=1.0), default=3.0, show_default=True,
              help="How many shipped training rows one expectation/complaint correction counts as.")
@click.option("--only", type=click.Choice(["sentiment", "voc"]), default=None,
              help="Refit only the sentiment engine or only the voice-of-customer classifier; with --list and "
                   "--rollback, which of the two (default: sentiment).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@handled
def train(config_path: str | None, list_versions: bool, rollback: str | None, weight: float, holdout: float,
          tolerance: float, voc_weight: float, only: str | None, as_json: bool) -> None:
    """Refit the fast sentiment engine and the voice-of-customer classifier (expectation and
    complaint) on the shipped data plus your corrections (`sadap label`).

    Each new model is checked on a held-out share of the corrections and on shipped data (the
    Wisesight test split for sentiment, the classifier's training rows for expectation and
    complaint), and kept (versioned in the data directory and made active) only if it is not worse
    on either. A model is refitted when at least 8 mentions have that kind of correction.
    `sadap reenrich` then applies them to stored mentions; new mentions get them as soon as they
    are enriched. The sentiment refit needs scikit-learn and takes a minute or two on two cores;
    the classifier, numpy only, well under a minute.
    """
    config = _load(config_path)
    kind = _KINDS[only or "sentiment"]
    if list_versions:
        _list(config, as_json, kind)
        return
    if rollback is not None:
        _rollback(config, kind, rollback, as_json)
        return
    from enrich.training.retrain import MIN_CORRECTIONS, Example, retrain
    from enrich.training.retrain_voc import MIN_CORRECTIONS as MIN_VOC
    from enrich.training.retrain_voc import Correction, retrain_voc

    # it writes models to the data folder: a restore waits for it (released as the command ends)
    click.get_current_context().call_on_close(hold(config.data_path, "sadap train").release)
    with open_store(config) as store:
        examples: list[Example] = []
        voc: list[Correction] = []
        for mid in store.corrected_ids():
            m = store.get(mid)
            if m is None or m.corrected is None:
                continue
            c = m.corrected
            if c.sentiment is not None:
                examples.append(Example(m.id, m.text, c.sentiment))
            if c.expectation is not None or c.is_complaint is not None:
                voc.append(Correction(m.id, m.text, c.expectation, c.is_complaint))
    engine = config.enrich.sentiment_model
    retrainable = engine in RETRAINABLE
    if only == "sentiment" and not retrainable:
        raise InputError(f"sadap train refits {' or '.join(RETRAINABLE)}; the configured engine is {engine!r} "
                         "(use --only voc to refit the voice-of-customer classifier alone)")
    do_sentiment = only != "voc" and retrainable and (only == "sentiment" or len(examples) >= MIN_CORRECTIONS)
    do_voc = only != "sentiment" and (only == "voc" or len(voc) >= MIN_VOC)
    # Why a kind is not refitted when --only does not name one (the line `sadap train` prints).
    skipped: dict[str, str] = {}
    if only is None and not retrainable:
        skipped["sentiment"] = (f"sentiment: not refitted: the configured engine {engine!r} cannot be retrained "
                                f"(sadap train refits {' or '.join(RETRAINABLE)})")
    elif only is None and not do_sentiment:
        skipped["sentiment"] = (f"sentiment: not refitted: {len(examples)} mentions with a corrected sentiment, "
                                f"needs {MIN_CORRECTIONS} (sadap label ID --sentiment …)")
    if only is None and not do_voc:
        skipped["voc"] = (f"expectation and complaint: not refitted: {len(voc)} mentions with a corrected expectation "
                          f"or complaint flag, needs {MIN_VOC} (sadap label ID --expectation … --complaint yes|no)")
    if not do_sentiment and not do_voc:
        if not retrainable:
            raise InputError(f"{skipped['sentiment']}; and {skipped['voc']}")
        raise InputError(f"sadap train needs at least {MIN_CORRECTIONS} mentions with a corrected sentiment, or "
                         f"{MIN_VOC} with a corrected expectation or complaint flag; there are {len(examples)} and "
                         f"{len(voc)} (correct some with `sadap label ID --sentiment … --expectation … --complaint …`)")
    say = (lambda msg: None) if as_json else _say
    out: dict[str, Any] = {"sentiment": None, "voc": None, "skipped": skipped}
    if "sentiment" in skipped and not retrainable:
        # not a count that more corrections will change: a note on stderr, the run goes on
        click.echo(skipped["sentiment"], err=True)
    elif "sentiment" in skipped and not as_json:
        click.echo(skipped["sentiment"])
    if "voc" in skipped and not as_json:
        click.echo(skipped["voc"])
    if do_sentiment:
        try:
            import sklearn  # noqa: F401
        except ImportError:
            raise InputError("refitting the sentiment engine needs scikit-learn: pip install scikit-learn "
                             "(or `sadap train --only voc`)") from None
        report = retrain(examples, config.data_path, engine, weight=weight, holdout=holdout,
                         tolerance=tolerance, progress=say)
        out["sentiment"] = report.as_dict()
        if not as_json:
            cur, new = report.scores["current"], report.scores["new"]
            click.echo(
                f"sentiment: {'kept ' + str(report.version) if report.kept else 'not kept'} ({report.reason}) · "
                f"held-out corrections {cur['held_out']['accuracy']:.3f} → {new['held_out']['accuracy']:.3f} · "
                f"Wisesight test {cur['test']['accuracy']:.3f}/{cur['test']['macro_f1']:.3f} → "
                f"{new['test']['accuracy']:.3f}/{new['test']['macro_f1']:.3f} · {report.seconds:.0f} s"
            )
    if do_voc:
        # after the sentiment refit: the classifier reads the sentiment engine enrichment now runs
        vreport = retrain_voc(voc, config.data_path, Enricher.from_config(config), weight=voc_weight,
                              holdout=holdout, progress=say)
        out["voc"] = vreport.as_dict()
        if vreport.kept and config.enrich.voc != "learned":
            say("enrich.voc is `rules`: set `enrich: {voc: learned}` in sadap.yaml for enrichment to use it")
        if not as_json:
            cur, new = vreport.scores["current"], vreport.scores["new"]
            click.echo(
                f"expectation and complaint: {'kept ' + str(vreport.version) if vreport.kept else 'not kept'} "
                f"({vreport.reason}) · held-out corrections {cur['held_out']['accuracy']:.3f} → "
                f"{new['held_out']['accuracy']:.3f} · shipped rows expectation "
                f"{cur['shipped']['expectation_accuracy']:.3f} → {new['shipped']['expectation_accuracy']:.3f}, complaint "
                f"{cur['shipped']['complaint_accuracy']:.3f} → {new['shipped']['complaint_accuracy']:.3f} · "
                f"{vreport.seconds:.0f} s")
    if as_json:
        _dump(out)
        return
    if (out["sentiment"] or {}).get("kept") or (out["voc"] or {}).get("kept"):
        click.echo("run `sadap reenrich` to apply it to stored mentions")
