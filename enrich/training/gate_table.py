"""The cascade's gate as a speed/quality choice: what each gate costs and gives.

    python -m enrich.training.gate_table [--engine ensemble-v3] [--gates 0.5 0.55 … 0.9] [--json FILE]

For each gate on the grid, the same ensemble (members, weights, biases, temperature) is run with
that gate instead of its own, and the table gives:

* the share of messages that go past the gate to the transformer, on the shipped Wisesight train
  split (which ``linear-v3`` was fitted on; what ``benchmarks/ingest.py`` imports) and on the test
  split (which no shipped model saw);
* the engine's CPU time a message on the test split (one process, one ONNX thread, batches of 512
  as ``sadap eval sentiment`` scores them; best of ``--reps``);
* accuracy, macro-F1 and the F1 of questions on the Wisesight test split (the no-regression floor:
  0.72 / 0.60);
* sentiment accuracy, macro-F1 and the F1 of questions on the development data (the hand-annotated
  rows of ``tests/data/enrich_dev`` and ``tests/data/pr_posts``, run through the whole enrichment,
  as ``sadap eval enrich`` does).

The last line names the lowest gate down to which every gate's figures are within half a point of
the ensemble's own gate's or better (:func:`choose`). The shipped ``ensemble-v4`` is ``ensemble-v3`` with the gate
picked so (docs/enrichment.md, "The cascade's gate"). Run from a checkout: the development data is not part of the package.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from enrich.evaluate import evaluate
from enrich.normalize import normalize
from enrich.pipeline import Enricher
from enrich.sentiment import get_model, set_threads
from enrich.sentiment.ensemble import EnsembleSentiment
from enrich.tokenize import tokenize
from enrich.training.retrain import read_shipped
from enrich.voc_eval import check_enrich_row, evaluate_enrich, read_jsonl
from sadap.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
DEV_DATA = (
    ROOT / "tests" / "data" / "enrich_dev" / "enrich-dev.jsonl",
    ROOT / "tests" / "data" / "pr_posts" / "pr-posts-tune.jsonl",
    ROOT / "tests" / "data" / "pr_posts" / "pr-posts-dev.jsonl",
)
GATES = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9)
# The figures a gate must keep within TOLERANCE of the reference gate's (or better).
KEPT = ("test_accuracy", "test_macro_f1", "test_q_f1", "dev_accuracy", "dev_q_f1")
TOLERANCE = 0.005  # half a point: one row of the development data is 0.0017, one test message 0.0004


def past_gate_shares(texts: list[str], gates: tuple[float, ...]) -> dict[float, float]:
    """Share of ``texts`` (raw) on which ``linear-v3`` is less sure than each gate."""
    prepared = [normalize(t) for t in texts]
    p, _ = get_model("linear-v3").proba(prepared, [tokenize(t) for t in prepared])
    sure = p.max(axis=1)
    return {g: float((sure < g).mean()) for g in gates}


def gated(engine: str) -> EnsembleSentiment:
    """The loaded ``engine``, which must be an ensemble with a gate (else one line and exit)."""
    try:
        model = get_model(engine)
    except ConfigError as err:
        raise SystemExit(f"--engine: {err}") from None
    if not isinstance(model, EnsembleSentiment) or model.gate is None:
        raise SystemExit(f"{engine} is not a gated ensemble")
    return model


def table(engine: str, gates: tuple[float, ...], reps: int) -> list[dict[str, Any]]:
    model = gated(engine)
    own = model.gate
    train = [t for t, _ in read_shipped("train")]
    test = [{"text": t, "label": lab} for t, lab in read_shipped("test")]
    shares_train = past_gate_shares(train, gates)
    shares_test = past_gate_shares([r["text"] for r in test], gates)
    dev_rows = [row for path in DEV_DATA for _, row in read_jsonl(path, {"text": str}, check_enrich_row)]
    enricher = Enricher([], sentiment_model=engine)
    rows = []
    try:
        for g in gates:
            model.gate = g
            best = float("inf")
            for _ in range(reps):
                started = time.process_time()
                scored = evaluate(test, engine=engine)
                best = min(best, time.process_time() - started)
            dev = evaluate_enrich(dev_rows, enricher)["fields"]["sentiment"]
            row = {
                "gate": g,
                "past_gate_train": round(shares_train[g], 4),
                "past_gate_test": round(shares_test[g], 4),
                "cpu_ms_per_message_test": round(1e3 * best / len(test), 3),
                "test_accuracy": round(scored["accuracy"], 4),
                "test_macro_f1": round(scored["macro_f1"], 4),
                "test_q_f1": round(scored["per_class"]["q"]["f1"], 4),
                "dev_accuracy": round(dev["accuracy"], 4),
                "dev_macro_f1": round(dev["macro_f1"], 4),
                "dev_q_f1": round(dev["per_class"]["q"]["f1"], 4),
            }
            rows.append(row)
            print(" | ".join(f"{v}" for v in row.values()), flush=True)
    finally:
        model.gate = own
    return rows


def passes(row: dict[str, Any], ref: dict[str, Any]) -> bool:
    """Whether every figure of :data:`KEPT` is within :data:`TOLERANCE` of ``ref``'s or better."""
    return all(row[k] >= ref[k] - TOLERANCE for k in KEPT)


def choose(rows: list[dict[str, Any]], reference: float) -> float:
    """The lowest gate that passes (:func:`passes`, against the ``reference`` gate, the ensemble's
    own) together with every higher gate on the grid: the most messages spared the transformer
    without a measurable loss at that gate or on the way down to it. (A single gate can pass by
    the figures' noise with a higher one failing; such an island is not taken.)"""
    ref = next(r for r in rows if r["gate"] == reference)
    chosen = float(reference)
    for row in sorted(rows, key=lambda r: -float(r["gate"])):
        if float(row["gate"]) > reference:
            continue
        if not passes(row, ref):
            break
        chosen = float(row["gate"])
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="ensemble-v3", help="a gated ensemble engine")
    parser.add_argument("--gates", type=float, nargs="+", default=list(GATES))
    parser.add_argument("--reps", type=int, default=2, help="passes over the test split for the CPU time (best)")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    set_threads(1)
    gated(args.engine)  # one line and exit before the table's header when it is not a gated ensemble
    print("gate | past gate: train | test | CPU ms a test message | test accuracy | macro-F1 "
          "| q F1 | dev accuracy | macro-F1 | q F1", flush=True)
    rows = table(args.engine, tuple(args.gates), args.reps)
    own = gated(args.engine).gate
    if own is not None and any(r["gate"] == own for r in rows):
        print(f"lowest gate down to which every gate is within {TOLERANCE} of {own}'s figures or better: "
              f"{choose(rows, own)}")
    if args.json:
        args.json.write_text(json.dumps({"engine": args.engine, "rows": rows}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
