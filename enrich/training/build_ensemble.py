"""Build a sentiment ensemble engine from shipped engines.

    python -m enrich.training.build_ensemble [--name ensemble-v2] [--members linear-v2 mini-bert-v2]
        [--bias-classes q pos neg] [--constrained] [--procedure-cv] [--data-dir ../shared/data/wisesight-sentiment]

The default engine ``ensemble-v2`` is ``linear-v2`` + ``mini-bert-v2``, built with these defaults
(``--procedure-cv`` adds the check below to the log); the retired ``ensemble-v1`` was built
with ``--name ensemble-v1 --members linear-v1 mini-bert-v1``. The first member is the cheap one the gate asks.
Every member is scored through the shipped runtime (what Sadap will run). On the *valid* split:

1. the weight of each member (summing to 1, over a grid of 0.05 for two members and 0.1 for more)
   and a bias for each of ``--bias-classes`` (coordinate ascent over a coarse grid, two rounds)
   are chosen to maximise accuracy + macro-F1 (the two figures the issue asks for, equally
   weighted); ``--constrained`` keeps only choices that beat the first member alone on *both*;
2. a temperature is fitted by negative log-likelihood, so the stored probability is calibrated
   (expected calibration error before/after is logged);
3. the gate: the lowest confidence of the first member above which its own answer is kept and the
   others skipped, such that accuracy + macro-F1 on valid stays within ``GATE_TOLERANCE`` of
   the full ensemble's (the transformer is most of the cost; this is what makes the default fast).

The search's own valid score is optimistic (valid has only 42 questions). ``--procedure-cv``
estimates what each procedure — biases or not, constrained or not — is worth on data it was not
tuned on: choose on one half of valid, score on the other, both ways, four times. The defaults
are the procedure with the best held-out accuracy + macro-F1 (see ``procedure_cv`` in the log).

The test split is scored at the end — each member alone and the ensemble, four and three
classes — for the log and the model card.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment"
MODELS = ROOT / "enrich" / "models"
DEFAULT_NAME = "ensemble-v2"
DEFAULT_MEMBERS = ("linear-v2", "mini-bert-v2")
MEMBERS: tuple[str, ...] = DEFAULT_MEMBERS  # set by main
BIAS_GRID = [round(-1.0 + 0.125 * i, 3) for i in range(21)]  # -1 … +1.5
GATE_GRID = [round(0.5 + 0.025 * i, 3) for i in range(20)]  # 0.5 … 0.975
GATE_TOLERANCE = 0.002


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def read(data_dir: Path, name: str):
    from enrich.normalize import normalize
    from enrich.tokenize import tokenize

    texts, gold = [], []
    with (data_dir / f"{name}.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts.append(normalize(row["text"]))
            gold.append(row["label"])
    return texts, [tokenize(t) for t in texts], gold


def member_proba(texts, tokens):
    from enrich.sentiment import get_model

    return {name: get_model(name).proba(texts, tokens) for name in MEMBERS}


def combine(probas, weights, bias, temperature=1.0):
    """The runtime's combination (:class:`EnsembleSentiment`) with these parameters."""
    from enrich.sentiment import get_model
    from enrich.sentiment.ensemble import EnsembleSentiment

    model = EnsembleSentiment(members=[(name, weights[name]) for name in MEMBERS], bias=list(bias),
                              temperature=temperature, resolve=get_model)
    return model.combine(probas)[0]


def gated(probas, p_ensemble, gate):
    """The cascade's probabilities: the first member's where it is at least ``gate`` sure."""
    import numpy as np

    from enrich.sentiment.ensemble import sure

    if gate is None:
        return p_ensemble, 0.0
    p_first = probas[MEMBERS[0]][0]
    keep = sure(p_first, gate)
    return np.where(keep[:, None], p_first, p_ensemble), float(keep.mean())


def figures(gold, p) -> dict:
    from enrich.evaluate import fold_questions, metrics
    from enrich.sentiment.common import LABELS

    pred = [LABELS[i] for i in p.argmax(axis=1)]
    four = metrics(gold, pred, labels=LABELS)
    three = metrics(fold_questions(gold), fold_questions(pred))
    return {
        "accuracy": round(four["accuracy"], 4), "macro_f1": round(four["macro_f1"], 4),
        "per_class_f1": {k: round(v["f1"], 4) for k, v in four["per_class"].items()},
        "accuracy_3class": round(three["accuracy"], 4), "macro_f1_3class": round(three["macro_f1"], 4),
    }


def objective(gold, p, floor: dict | None = None) -> float:
    """Accuracy + macro-F1; far below any feasible score where the ensemble does not beat
    ``floor`` (the first member alone) on both figures: the other members must earn their place."""
    f = figures(gold, p)
    score = f["accuracy"] + f["macro_f1"]
    if floor is not None and (f["accuracy"] <= floor["accuracy"] or f["macro_f1"] <= floor["macro_f1"]):
        score -= 10.0
    return score


def weight_grid(n: int) -> list[tuple[float, ...]]:
    """Every weight vector of ``n`` members on the simplex, 0.05 apart for two members, 0.1 for more."""
    steps = 20 if n <= 2 else 10
    out: list[tuple[float, ...]] = []

    def rec(prefix: tuple[int, ...], left: int) -> None:
        if len(prefix) == n - 1:
            out.append(tuple(round(v / steps, 2) for v in (*prefix, left)))
            return
        for v in range(left + 1):
            rec((*prefix, v), left - v)

    rec((), steps)
    return out


def search(gold, probas, floor: dict | None = None, bias_classes: tuple[str, ...] = ()):
    from enrich.sentiment.common import LABELS

    best = (-100.0, None, None)
    for w in weight_grid(len(MEMBERS)):
        weights = dict(zip(MEMBERS, w))
        bias = [0.0] * len(LABELS)
        score = objective(gold, combine(probas, weights, bias), floor)
        for _ in range(2 if bias_classes else 0):
            for k in (LABELS.index(c) for c in bias_classes):
                for b in BIAS_GRID:
                    trial = list(bias)
                    trial[k] = b
                    s = objective(gold, combine(probas, weights, trial), floor)
                    if s > score + 1e-9:
                        score, bias = s, trial
        if score > best[0]:
            best = (score, weights, bias)
    return best


def procedure_cv(gold, probas, bias_classes, constrained: bool, repeats: int = 4) -> dict:
    """Held-out figures of the selection procedure and its alternatives: valid is split in two
    halves (stratified by nothing but a fixed seed), the weights (and biases) chosen on one half
    are scored on the other, both ways, ``repeats`` times. The search's own valid score is
    optimistic; this is what tells an over-fitted procedure (e.g. a bias for the 42 valid
    questions) from one that carries over."""
    import numpy as np

    rng = np.random.default_rng(0)
    gold = np.asarray(gold)
    first = MEMBERS[0]
    procedures = {"chosen": (bias_classes, constrained)}
    for alt in ((), ("pos", "neg"), ("q", "pos", "neg")):
        for cons in (True, False):
            procedures.setdefault(f"bias {'+'.join(alt) or 'none'}, {'constrained' if cons else 'free'}", (alt, cons))
    scores: dict[str, list] = {name: [] for name in [f"{first} alone", *procedures]}
    for _ in range(repeats):
        order = rng.permutation(len(gold))
        halves = (order[: len(order) // 2], order[len(order) // 2 :])
        for fit_idx, held_idx in (halves, halves[::-1]):
            fit_p = {k: (p[fit_idx], ev[fit_idx]) for k, (p, ev) in probas.items()}
            held_p = {k: (p[held_idx], ev[held_idx]) for k, (p, ev) in probas.items()}
            floor = figures(list(gold[fit_idx]), fit_p[first][0])
            scores[f"{first} alone"].append(figures(list(gold[held_idx]), held_p[first][0]))
            for name, (classes, cons) in procedures.items():
                _, weights, bias = search(list(gold[fit_idx]), fit_p, floor if cons else None, classes)
                scores[name].append(figures(list(gold[held_idx]), combine(held_p, weights, bias)))
    out = {}
    for name, runs in scores.items():
        acc = float(np.mean([r["accuracy"] for r in runs]))
        f1 = float(np.mean([r["macro_f1"] for r in runs]))
        out[name] = {"accuracy": round(acc, 4), "macro_f1": round(f1, 4)}
        log(f"procedure check, held-out halves of valid: {name}: accuracy {acc:.4f}, macro-F1 {f1:.4f}")
    return out


def fit_temperature(gold, probas, weights, bias) -> float:
    import numpy as np

    from enrich.sentiment.common import LABELS

    y = np.asarray([LABELS.index(g) for g in gold])

    def nll(t: float) -> float:
        p = combine(probas, weights, bias, t)
        return float(-np.log(np.maximum(p[np.arange(len(y)), y], 1e-12)).mean())

    lo, hi = math.log(0.2), math.log(5.0)
    for _ in range(60):  # golden-section search on log T
        a = hi - (hi - lo) / 1.618
        b = lo + (hi - lo) / 1.618
        if nll(math.exp(a)) < nll(math.exp(b)):
            hi = b
        else:
            lo = a
    return math.exp((lo + hi) / 2)


def calibration_error(gold, p, bins: int = 10) -> float:
    import numpy as np

    from enrich.sentiment.common import LABELS

    conf = p.max(axis=1)
    right = p.argmax(axis=1) == np.asarray([LABELS.index(g) for g in gold])
    edges = np.linspace(0, 1, bins + 1)
    err = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            err += sel.mean() * abs(conf[sel].mean() - right[sel].mean())
    return round(float(err), 4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--name", default=DEFAULT_NAME, help="engine name (the file is sentiment-NAME.json)")
    parser.add_argument("--members", nargs="+", default=list(DEFAULT_MEMBERS),
                        help="shipped engines to combine; the first is the cheap one the gate asks")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-test", action="store_true")
    parser.add_argument("--bias-classes", nargs="*", default=["q", "pos", "neg"], choices=["pos", "neu", "neg", "q"],
                        help="classes that get a bias of their own, searched on valid (default: q pos neg)")
    parser.add_argument("--procedure-cv", action="store_true",
                        help="also estimate, by repeated 2-fold cross-validation on valid, how this "
                             "procedure and its alternatives do on data they were not tuned on (logged)")
    parser.add_argument("--constrained", action="store_true",
                        help="only weights and biases that beat the first member alone on valid on both "
                             "accuracy and macro-F1")
    args = parser.parse_args(argv)
    global MEMBERS
    MEMBERS = tuple(args.members)
    args.out = args.out or MODELS / f"sentiment-{args.name}.json"

    from enrich.sentiment.common import LABELS
    from enrich.sentiment.ensemble import FORMAT

    log(f"scoring the valid split with {', '.join(MEMBERS)}")
    v_texts, v_tokens, v_gold = read(args.data_dir, "valid")
    v_probas = member_proba(v_texts, v_tokens)
    floor = None
    if args.constrained:
        floor = figures(v_gold, v_probas[MEMBERS[0]][0])
        log(f"{MEMBERS[0]} alone on valid: accuracy {floor['accuracy']}, macro-F1 {floor['macro_f1']} "
            "(the ensemble must beat both)")
    bias_classes = tuple(args.bias_classes)
    if args.procedure_cv:
        report_cv = procedure_cv(v_gold, v_probas, bias_classes, args.constrained)
    score, weights, bias = search(v_gold, v_probas, floor, bias_classes)
    if score < 0:
        raise SystemExit(f"no weights and biases beat {MEMBERS[0]} alone on valid; drop --constrained")
    log(f"weights {weights}, bias {dict(zip(LABELS, bias))}, valid accuracy + macro-F1 {score:.4f}")
    temperature = fit_temperature(v_gold, v_probas, weights, bias)
    p_valid = combine(v_probas, weights, bias, temperature)
    log(f"temperature {temperature:.3f}")
    full = objective(v_gold, p_valid, floor)
    gate = None
    for g in GATE_GRID:
        if objective(v_gold, gated(v_probas, p_valid, g)[0], floor) >= full - GATE_TOLERANCE:
            gate = g
            break
    p_valid_gated, skipped = gated(v_probas, p_valid, gate)
    log(f"gate {gate}: {', '.join(MEMBERS[1:])} skipped for {skipped:.0%} of valid")
    spec = {
        "format": FORMAT,
        "engine": args.name,
        "members": [{"engine": name, "weight": weights[name]} for name in MEMBERS],
        "bias": dict(zip(LABELS, bias)),
        "temperature": round(temperature, 4),
        "gate": gate,
    }
    args.out.write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
    report: dict = {
        "spec": spec,
        "objective": "accuracy + macro-F1 on valid"
        + (f", beating {MEMBERS[0]} alone on both" if args.constrained else ""),
        "valid": {
            **{name: figures(v_gold, v_probas[name][0]) for name in MEMBERS},
            args.name: figures(v_gold, p_valid_gated),
            "ensemble_without_gate": figures(v_gold, p_valid),
            "gate_skips": round(skipped, 4),
            "ece_before_temperature": calibration_error(v_gold, combine(v_probas, weights, bias)),
            "ece_after_temperature": calibration_error(v_gold, p_valid),
        },
    }
    if not args.no_test:
        log("scoring the test split once (reported, never used for a choice)")
        t_texts, t_tokens, t_gold = read(args.data_dir, "test")
        t_probas = member_proba(t_texts, t_tokens)
        p_test = combine(t_probas, weights, bias, temperature)
        p_test_gated, t_skipped = gated(t_probas, p_test, gate)
        report["test"] = {
            "n": len(t_gold),
            **{name: figures(t_gold, t_probas[name][0]) for name in MEMBERS},
            args.name: figures(t_gold, p_test_gated),
            "ensemble_without_gate": figures(t_gold, p_test),
            "gate_skips": round(t_skipped, 4),
            "ensemble_ece": calibration_error(t_gold, p_test_gated),
        }
        for name in (*MEMBERS, "ensemble_without_gate", args.name):
            log(f"test {name}: {report['test'][name]}")
    if args.procedure_cv:
        report["procedure_cv"] = report_cv
    report["command"] = (f"python -m enrich.training.build_ensemble --name {args.name} --members {' '.join(MEMBERS)}"
                         + (f" --bias-classes {' '.join(bias_classes)}" if bias_classes else "")
                         + (" --constrained" if args.constrained else "")
                         + (" --procedure-cv" if args.procedure_cv else ""))
    log_path = args.out.with_suffix(".log.json")
    log_path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {args.out} and {log_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
