"""Refit the learned voice-of-customer classifier (``enrich/voc_model.py``) on its shipped training
data plus an organisation's expectation and complaint corrections (``sadap train``), check it, and
keep it as a new version only if it is not worse. Numpy only.

1. the corrections with an expectation or a complaint flag are split by a hash of their id (the
   same split as the sentiment refit): a share is held out for checking, the rest trained on;
2. the shipped training rows whose normalised text a correction also has are dropped (the
   person's label wins); the rest plus the training corrections, each weighted ``weight`` times,
   are fitted with the shipped model's settings, the features computed by the enrichment the
   organisation runs (its sentiment engine, its lexicons);
3. the current classifier (the active version, else the shipped one) and the new one are scored
   on the held-out corrections and on the shipped training rows (expectation accuracy, complaint
   flag accuracy);
4. the new version is kept and made active only when its held-out accuracy (both fields together)
   is at least the current one's and its shipped-data figures are no more than ``tolerance`` below.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enrich.model_versions import INFO_FILE, SHIPPED
from enrich.voc_versions import VERSIONS as VOC_VERSIONS
from enrich.normalize import normalize
from enrich.training.retrain import held_out
from enrich.training.train_voc import (BALANCED, L2_COMPLAINT, L2_EXPECTATION, THRESHOLD, TRAINING_FILES,
                                       Example, features_of, fit, read_examples)
from enrich.voc_model import EXPECTATIONS, Features, VocModel, get_model
from sadap.core.errors import InputError

if TYPE_CHECKING:
    from enrich.pipeline import Enricher

MIN_CORRECTIONS = 8
DEFAULT_WEIGHT = 3.0
DEFAULT_HOLDOUT = 0.25
DEFAULT_TOLERANCE = 0.01


@dataclass
class Correction:
    """One corrected mention: its id (for the held-out split), text and the person's labels."""

    id: str
    text: str
    expectation: str | None = None
    is_complaint: bool | None = None


@dataclass
class VocTrainReport:
    version: str | None
    kept: bool
    reason: str
    corrections: int
    trained_on: int
    held_out: int
    base_examples: int
    weight: float
    seconds: float
    scores: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # {current|new: {held_out|shipped: …}}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def score(model: VocModel, rows: Sequence[Features], examples: Sequence[Example]) -> dict[str, float]:
    """Expectation and complaint-flag accuracy (and their counts) of ``model`` on labelled rows."""
    decided = model.decide(rows)
    exp = [(e.expectation, d[0]) for e, d in zip(examples, decided) if e.expectation is not None]
    comp = [(e.is_complaint, d[1]) for e, d in zip(examples, decided) if e.is_complaint is not None]
    right = sum(g == p for g, p in exp) + sum(g == p for g, p in comp)
    total = len(exp) + len(comp)
    return {"n_expectation": len(exp), "expectation_accuracy": round(sum(g == p for g, p in exp) / len(exp), 4) if exp else 0.0,
            "n_complaint": len(comp), "complaint_accuracy": round(sum(g == p for g, p in comp) / len(comp), 4) if comp else 0.0,
            "accuracy": round(right / total, 4) if total else 0.0}


def _with_features(examples: list[Example], enricher: Enricher) -> tuple[list[Features], list[Example]]:
    feats = features_of([e.text for e in examples], enricher)
    keep = [i for i, f in enumerate(feats) if f is not None]
    return [f for f in feats if f is not None], [examples[i] for i in keep]


def retrain_voc(
    corrections: Sequence[Correction],
    data_dir: Path,
    enricher: Enricher,
    *,
    weight: float = DEFAULT_WEIGHT,
    holdout: float = DEFAULT_HOLDOUT,
    tolerance: float = DEFAULT_TOLERANCE,
    base: Sequence[Example] | None = None,
    progress: Callable[[str], None] = lambda msg: None,
) -> VocTrainReport:
    """Refit, check and (when not worse) keep and activate a new classifier version in ``data_dir``.

    ``enricher`` computes the features (its sentiment engine and lexicons: what enrichment runs);
    ``base`` replaces the shipped training rows (tests, simulations)."""
    t0 = time.perf_counter()
    usable = [c for c in corrections if c.text.strip() and (c.expectation in EXPECTATIONS or c.is_complaint is not None)]
    if len(usable) < MIN_CORRECTIONS:
        raise InputError(f"refitting the voice-of-customer classifier needs at least {MIN_CORRECTIONS} mentions with a "
                         f"corrected expectation or complaint flag; there are {len(usable)} "
                         "(correct some with `sadap label ID --expectation … --complaint yes|no`)")
    as_example = [Example(c.text, c.expectation if c.expectation in EXPECTATIONS else None, c.is_complaint, weight)
                  for c in usable]
    check = [e for c, e in zip(usable, as_example) if held_out(c.id, holdout)]
    learn = [e for c, e in zip(usable, as_example) if not held_out(c.id, holdout)]
    if not check or not learn:
        raise InputError(f"the {len(usable)} voice-of-customer corrections leave nothing to "
                         f"{'check' if not check else 'learn'} on; correct a few more mentions")
    progress(f"{len(usable)} corrected expectations/complaint flags: {len(learn)} to learn from, "
             f"{len(check)} held out for checking")
    base_rows = list(base) if base is not None else read_examples(list(TRAINING_FILES))
    corrected = {normalize(c.text) for c in usable}
    base_rows = [e for e in base_rows if normalize(e.text) not in corrected]
    enricher.voc = "rules"  # features only: the rules' reading, not the current model's
    base_feats, base_rows = _with_features(base_rows, enricher)
    learn_feats, learn = _with_features(learn, enricher)
    check_feats, check = _with_features(check, enricher)
    progress(f"fitting on {len(base_rows):,} shipped rows + {len(learn)} corrections × {weight:g} …")
    meta = {"trained_on": f"the shipped training rows ({len(base_rows)}) + {len(learn)} corrections (weight {weight:g})",
            "settings": {"l2_expectation": L2_EXPECTATION, "l2_complaint": L2_COMPLAINT, "balanced": BALANCED}}
    new = fit(base_feats + learn_feats, base_rows + learn, threshold=THRESHOLD, meta=meta)
    current = get_model(enricher.voc_model_path)
    scores = {name: {"held_out": score(m, check_feats, check), "shipped": score(m, base_feats, base_rows)}
              for name, m in (("current", current), ("new", new))}
    for name in ("current", "new"):
        progress(f"{name}: held-out corrections accuracy {scores[name]['held_out']['accuracy']:.3f} · shipped rows "
                 f"expectation {scores[name]['shipped']['expectation_accuracy']:.3f}, "
                 f"complaint {scores[name]['shipped']['complaint_accuracy']:.3f}")
    worse = []
    if scores["new"]["held_out"]["accuracy"] < scores["current"]["held_out"]["accuracy"]:
        worse.append("held-out corrections accuracy")
    for key in ("expectation_accuracy", "complaint_accuracy"):
        if scores["new"]["shipped"][key] < scores["current"]["shipped"][key] - tolerance:
            worse.append(f"shipped rows {key.replace('_', ' ')}")
    kept = not worse
    version: str | None = None
    if kept:
        version, vdir = VOC_VERSIONS.new_dir(data_dir)
        new.save(vdir / VOC_VERSIONS.model_file)
    report = VocTrainReport(
        version=version, kept=kept, reason="not worse on either check" if kept else "worse on " + " and ".join(worse),
        corrections=len(usable), trained_on=len(learn), held_out=len(check), base_examples=len(base_rows),
        weight=weight, seconds=round(time.perf_counter() - t0, 1), scores=scores)
    if kept and version is not None:
        record = {**report.as_dict(), "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                  "tolerance": tolerance, "holdout": holdout,
                  "previous": VOC_VERSIONS.active(data_dir) or SHIPPED}
        (VOC_VERSIONS.root(data_dir) / version / INFO_FILE).write_text(
            json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        VOC_VERSIONS.activate(data_dir, version)
        progress(f"voice-of-customer classifier kept as {version} (now active)")
    else:
        progress(f"voice-of-customer classifier not kept: {report.reason}")
    return report

