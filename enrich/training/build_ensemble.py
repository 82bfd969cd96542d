"""Build a sentiment ensemble engine from shipped engines.

    python -m enrich.training.build_ensemble [--name ensemble-v3] [--members linear-v3 mini-bert-v3]
        [--oof build/oof] [--bias-classes q pos neg] [--stack] [--constrained] [--procedure-cv]
        [--data-dir ../shared/data/wisesight-sentiment]

The default engine ``ensemble-v3`` is ``linear-v3`` + ``mini-bert-v3`` (both fitted on train +
valid), built with ``--oof build/oof --procedure-cv``: every choice below is made on the members'
cross-fitted predictions over train + valid (``enrich.training.crossfit``), 24,032 messages. Without
``--oof`` the choices are made on the valid split, scored through the shipped members — right for
members fitted on train only (the retired ``ensemble-v2``: ``--name ensemble-v2 --members linear-v2
mini-bert-v2``). The first member is the cheap one the gate asks. Steps:

1. the weight of each member (summing to 1, over a grid of 0.05 for two members and 0.1 for more)
   — or, with ``--stack``, a logistic regression over all members' log-probabilities — and a bias
   for each of ``--bias-classes`` (coordinate ascent over a coarse grid, two rounds) are chosen to
   maximise accuracy + macro-F1 (the two figures the issue asks for, equally weighted);
   ``--constrained`` keeps only choices that beat the first member alone on *both*;
2. a temperature is fitted by negative log-likelihood, so the stored probability is calibrated
   (expected calibration error before/after is logged);
3. the gate: the lowest confidence of the first member above which its own answer is kept and the
   others skipped, such that accuracy + macro-F1 stays within ``GATE_TOLERANCE`` of the full
   ensemble's (the transformer is most of the cost; this is what makes the default fast).

The search's own score is optimistic (valid has only 42 questions). ``--procedure-cv`` estimates
what each procedure — weighted or stacked, which biases, constrained or not — is worth on data it
was not tuned on: with ``--oof``, choose on four folds and score on the fifth, for each fold;
without, choose on one half of valid, score on the other, both ways, four times. The defaults are
the procedure with the best held-out accuracy + macro-F1 (see ``procedure_cv`` in the log).

The test split is scored at the end — each member alone and the ensemble, four and three
classes — for the log and the model card.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from enrich.evaluate import fold_questions, metrics
from enrich.normalize import normalize
from enrich.sentiment import get_model
from enrich.sentiment.common import LABELS, softmax
from enrich.sentiment.ensemble import _FLOOR, FORMAT, EnsembleSentiment, sure
from enrich.tokenize import tokenize

if TYPE_CHECKING:
    import numpy as np

    from enrich.sentiment.common import BoolArray, FloatArray, IntArray

    # Each member's (probabilities, evidence), by engine name.
    Probas = dict[str, tuple[FloatArray, BoolArray]]
    # Gold labels, or their indices in LABELS order.
    Gold = Sequence[str] | np.ndarray
    Stack = tuple[FloatArray, FloatArray]

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment"
MODELS = ROOT / "enrich" / "models"
DEFAULT_NAME = "ensemble-v3"
DEFAULT_MEMBERS = ("linear-v3", "mini-bert-v3")
MEMBERS: tuple[str, ...] = DEFAULT_MEMBERS  # set by main
BIAS_GRID = [round(-1.0 + 0.125 * i, 3) for i in range(21)]  # -1 … +1.5
GATE_GRID = [round(0.5 + 0.025 * i, 3) for i in range(20)]  # 0.5 … 0.975
GATE_TOLERANCE = 0.002
STACK_C = 0.1  # the stacker's inverse regularisation (8 inputs, 24k rows: barely matters, 0.01–1 tie)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def read(data_dir: Path, name: str) -> tuple[list[str], list[list[str]], list[str]]:

    texts: list[str] = []
    gold: list[str] = []
    with (data_dir / f"{name}.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts.append(normalize(row["text"]))
            gold.append(row["label"])
    return texts, [tokenize(t) for t in texts], gold


def member_proba(texts: list[str], tokens: list[list[str]]) -> Probas:

    return {name: get_model(name).proba(texts, tokens) for name in MEMBERS}


def combine(
    probas: Probas,
    weights: dict[str, float],
    bias: Sequence[float],
    temperature: float = 1.0,
    stack: Stack | None = None,
) -> FloatArray:
    """The runtime's combination (:class:`EnsembleSentiment`) with these parameters."""

    model = EnsembleSentiment(members=[(name, weights[name]) for name in MEMBERS], bias=list(bias),
                              temperature=temperature, resolve=get_model, stack=stack)
    return model.combine(probas)[0]


def fit_stack(gold: Sequence[str], probas: Probas, C: float = STACK_C) -> Stack:
    """A stacked combination: multinomial logistic regression from all members' log-probabilities
    (as the runtime computes them) to the label; returns ``(A, c)`` in :data:`LABELS` order."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    X = np.hstack([np.log(np.maximum(probas[name][0], _FLOOR)) for name in MEMBERS])
    y = np.asarray([LABELS.index(g) for g in gold])
    model = LogisticRegression(C=C, max_iter=5000).fit(X, y)
    order = [list(model.classes_).index(k) for k in range(len(LABELS))]
    coef: FloatArray = model.coef_[order].astype(np.float64)
    intercept: FloatArray = model.intercept_[order].astype(np.float64)
    return coef, intercept


def gated(probas: Probas, p_ensemble: FloatArray, gate: float | None) -> tuple[FloatArray, float]:
    """The cascade's probabilities: the first member's where it is at least ``gate`` sure."""
    import numpy as np

    if gate is None:
        return p_ensemble, 0.0
    p_first = probas[MEMBERS[0]][0]
    keep = sure(p_first, gate)
    return np.where(keep[:, None], p_first, p_ensemble), float(keep.mean())


def figures(gold: Sequence[str], p: FloatArray) -> dict[str, Any]:

    pred = [LABELS[i] for i in p.argmax(axis=1)]
    four = metrics(gold, pred, labels=LABELS)
    three = metrics(fold_questions(gold), fold_questions(pred))
    return {
        "accuracy": round(four["accuracy"], 4), "macro_f1": round(four["macro_f1"], 4),
        "per_class_f1": {k: round(v["f1"], 4) for k, v in four["per_class"].items()},
        "accuracy_3class": round(three["accuracy"], 4), "macro_f1_3class": round(three["macro_f1"], 4),
    }


def accuracy_macro_f1(gold: Gold, p: FloatArray) -> dict[str, float]:
    """The two figures of :func:`figures`, from a confusion matrix in numpy (the searches call
    this thousands of times on 24k rows)."""
    import numpy as np

    k = len(LABELS)
    if isinstance(gold, np.ndarray) and gold.dtype.kind == "i":  # already label indices
        y = gold
    else:
        y = np.fromiter((LABELS.index(g) for g in gold), dtype=np.int64, count=len(gold))
    cm = np.bincount(y * k + p.argmax(axis=1), minlength=k * k).reshape(k, k)
    tp = np.diag(cm).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(cm.sum(axis=0) > 0, tp / cm.sum(axis=0), 0.0)
        recall = np.where(cm.sum(axis=1) > 0, tp / cm.sum(axis=1), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    seen = (cm.sum(axis=0) + cm.sum(axis=1)) > 0  # as metrics(): labels in gold or predicted
    return {"accuracy": round(float(tp.sum() / len(y)), 4), "macro_f1": round(float(f1[seen].mean()), 4)}


def objective(gold: Gold, p: FloatArray, floor: dict[str, Any] | None = None) -> float:
    """Accuracy + macro-F1; far below any feasible score where the ensemble does not beat
    ``floor`` (the first member alone) on both figures: the other members must earn their place."""
    f = accuracy_macro_f1(gold, p)
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


# The search's result: objective, weights by member and biases in LABELS order (None, None when
# nothing scored above the start).
SearchResult = tuple[float, "dict[str, float] | None", "list[float] | None"]


def search(
    gold: Sequence[str],
    probas: Probas,
    floor: dict[str, Any] | None = None,
    bias_classes: tuple[str, ...] = (),
    stack: Stack | None = None,
) -> SearchResult:
    """The weights (unless ``stack`` fixes the combination) and biases with the best objective."""
    import numpy as np

    indices = np.asarray([LABELS.index(g) for g in gold], dtype=np.int64)
    best: SearchResult = (-100.0, None, None)
    grid = [tuple(0.0 for _ in MEMBERS)] if stack is not None else weight_grid(len(MEMBERS))
    for w in grid:
        weights = dict(zip(MEMBERS, w))
        bias = [0.0] * len(LABELS)
        score = objective(indices, combine(probas, weights, bias, stack=stack), floor)
        for _ in range(2 if bias_classes else 0):
            for k in (LABELS.index(c) for c in bias_classes):
                for b in BIAS_GRID:
                    trial = list(bias)
                    trial[k] = b
                    s = objective(indices, combine(probas, weights, trial, stack=stack), floor)
                    if s > score + 1e-9:
                        score, bias = s, trial
        if score > best[0]:
            best = (score, weights, bias)
    return best


def oof_probas(oof_dir: Path) -> tuple[Probas, list[str], IntArray]:
    """Each member's cross-fitted probabilities over the pooled train + valid messages, computed
    the way the shipped member computes them (its own temperature, if it has one), and the gold
    labels and folds (written by ``enrich.training.crossfit``)."""
    import numpy as np

    probas: Probas = {}
    gold: IntArray | None = None
    fold: IntArray | None = None
    for name in MEMBERS:
        family = name.rsplit("-v", 1)[0]  # crossfit writes linear.npz and mini-bert.npz
        path = oof_dir / f"{name}.npz"
        path = path if path.is_file() else oof_dir / f"{family}.npz"
        if not path.is_file():
            raise SystemExit(f"{path}: missing; run python -m enrich.training.crossfit --member {family} first")
        with np.load(path) as z:
            logits, g, f = z["logits"].astype(np.float64), z["gold"], z["fold"]
        if gold is not None and (len(g) != len(gold) or (g != gold).any() or (f != fold).any()):
            raise SystemExit(f"{path}: not cross-fitted on the same rows and folds as {MEMBERS[0]}; rerun crossfit")
        gold, fold = g, f
        temperature = float(getattr(get_model(name), "temperature", 1.0))
        probas[name] = (softmax(logits / temperature), np.ones(len(g), dtype=bool))
    # MEMBERS is never empty: both are set
    return probas, [LABELS[i] for i in cast("IntArray", gold)], cast("IntArray", fold)


def procedure_cv(gold: Sequence[str], probas: Probas, bias_classes: tuple[str, ...], constrained: bool,
                 stacked: bool = False, repeats: int = 4, folds: IntArray | None = None) -> dict[str, Any]:
    """Held-out figures of the selection procedure and its alternatives: valid is split in two
    halves (stratified by nothing but a fixed seed), the weights (and biases) chosen on one half
    are scored on the other, both ways, ``repeats`` times. The search's own valid score is
    optimistic; this is what tells an over-fitted procedure (e.g. a bias for the 42 valid
    questions) from one that carries over. With ``folds`` (cross-fitted predictions), each fold
    is held out in turn instead."""
    import numpy as np

    rng = np.random.default_rng(0)
    labels = np.asarray(gold)
    first = MEMBERS[0]
    procedures = {"chosen": (bias_classes, constrained, stacked)}
    for stack_it in (False, True):
        for alt in ((), ("pos", "neg"), ("q", "pos", "neg")):
            for cons in (True, False):
                name = (f"{'stacked' if stack_it else 'weighted'}, bias {'+'.join(alt) or 'none'}, "
                        f"{'constrained' if cons else 'free'}")
                procedures.setdefault(name, (alt, cons, stack_it))
    scores: dict[str, list[dict[str, Any]]] = {name: [] for name in [f"{first} alone", *procedures]}
    if folds is not None:  # cross-fitted data: choose on all folds but one, score on that one
        splits = [(np.flatnonzero(folds != f), np.flatnonzero(folds == f)) for f in np.unique(folds)]
    else:
        splits = []
        for _ in range(repeats):
            order = rng.permutation(len(labels))
            halves = (order[: len(order) // 2], order[len(order) // 2 :])
            splits += [halves, halves[::-1]]
    for fit_idx, held_idx in splits:
        fit_p = {k: (p[fit_idx], ev[fit_idx]) for k, (p, ev) in probas.items()}
        held_p = {k: (p[held_idx], ev[held_idx]) for k, (p, ev) in probas.items()}
        floor = figures(list(labels[fit_idx]), fit_p[first][0])
        scores[f"{first} alone"].append(figures(list(labels[held_idx]), held_p[first][0]))
        stack = fit_stack(list(labels[fit_idx]), fit_p) if any(p[2] for p in procedures.values()) else None
        for name, (classes, cons, stack_it) in procedures.items():
            chosen_stack = stack if stack_it else None
            _, weights, bias = search(list(labels[fit_idx]), fit_p, floor if cons else None, classes, chosen_stack)
            if weights is None or bias is None:  # nothing beat the floor (both are None then)
                continue
            scores[name].append(figures(list(labels[held_idx]), combine(held_p, weights, bias, stack=chosen_stack)))
    out: dict[str, dict[str, Any]] = {}
    for name, runs in scores.items():
        if len(runs) < len(splits):
            out[name] = {"note": f"nothing beat {first} alone on {len(splits) - len(runs)} of {len(splits)} splits"}
            log(f"procedure check: {name}: {out[name]['note']}")
            continue
        acc = float(np.mean([r["accuracy"] for r in runs]))
        f1 = float(np.mean([r["macro_f1"] for r in runs]))
        out[name] = {"accuracy": round(acc, 4), "macro_f1": round(f1, 4)}
        where = "held-out folds" if folds is not None else "held-out halves of valid"
        log(f"procedure check, {where}: {name}: accuracy {acc:.4f}, macro-F1 {f1:.4f}")
    return out


def fit_temperature(
    gold: Sequence[str], probas: Probas, weights: dict[str, float], bias: Sequence[float], stack: Stack | None = None
) -> float:
    import numpy as np

    y = np.asarray([LABELS.index(g) for g in gold])

    def nll(t: float) -> float:
        p = combine(probas, weights, bias, t, stack)
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


def calibration_error(gold: Sequence[str], p: FloatArray, bins: int = 10) -> float:
    import numpy as np

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
    parser.add_argument("--stack", action="store_true",
                        help="combine by a logistic regression over all members' log-probabilities (fitted "
                             "where the weights would be chosen) instead of one weight per member")
    parser.add_argument("--oof", type=Path, default=None, metavar="DIR",
                        help="choose on the members' cross-fitted predictions over train + valid in DIR "
                             "(enrich.training.crossfit) instead of on valid: for members fitted on train + valid")
    args = parser.parse_args(argv)
    global MEMBERS
    MEMBERS = tuple(args.members)
    args.out = args.out or MODELS / f"sentiment-{args.name}.json"

    folds = None
    if args.oof:
        log(f"reading the cross-fitted predictions of {', '.join(MEMBERS)} in {args.oof}")
        v_probas, v_gold, folds = oof_probas(args.oof)
    else:
        log(f"scoring the valid split with {', '.join(MEMBERS)}")
        v_texts, v_tokens, v_gold = read(args.data_dir, "valid")
        v_probas = member_proba(v_texts, v_tokens)
    where = "out_of_fold" if args.oof else "valid"
    floor = None
    if args.constrained:
        floor = figures(v_gold, v_probas[MEMBERS[0]][0])
        log(f"{MEMBERS[0]} alone on {where}: accuracy {floor['accuracy']}, macro-F1 {floor['macro_f1']} "
            "(the ensemble must beat both)")
    bias_classes = tuple(args.bias_classes)
    if args.procedure_cv:
        report_cv = procedure_cv(v_gold, v_probas, bias_classes, args.constrained, args.stack, folds=folds)
    stack: Stack | None = None
    if args.stack:  # rounded as the JSON stores it, so that every figure is of the shipped file
        import numpy as np

        stack = cast("Stack", tuple(np.round(a, 6) for a in fit_stack(v_gold, v_probas)))
    score, found_weights, found_bias = search(v_gold, v_probas, floor, bias_classes, stack)
    if score < 0:
        raise SystemExit(f"no weights and biases beat {MEMBERS[0]} alone on {where}; drop --constrained")
    # a score of 0 or more comes with weights and biases
    weights, bias = cast("dict[str, float]", found_weights), cast("list[float]", found_bias)
    log(f"weights {weights}, bias {dict(zip(LABELS, bias))}, {where} accuracy + macro-F1 {score:.4f}")
    temperature = fit_temperature(v_gold, v_probas, weights, bias, stack)
    p_valid = combine(v_probas, weights, bias, temperature, stack)
    log(f"temperature {temperature:.3f}")
    full = objective(v_gold, p_valid, floor)
    gate = None
    for g in GATE_GRID:
        if objective(v_gold, gated(v_probas, p_valid, g)[0], floor) >= full - GATE_TOLERANCE:
            gate = g
            break
    p_valid_gated, skipped = gated(v_probas, p_valid, gate)
    log(f"gate {gate}: {', '.join(MEMBERS[1:])} skipped for {skipped:.0%} of {where}")
    spec = {
        "format": FORMAT,
        "engine": args.name,
        "members": [{"engine": name} if stack else {"engine": name, "weight": weights[name]} for name in MEMBERS],
        "bias": dict(zip(LABELS, bias)),
        "temperature": round(temperature, 4),
        "gate": gate,
    }
    if stack is not None:
        spec["stack"] = {"inputs": [f"log p_{name}({label})" for name in MEMBERS for label in LABELS],
                         "coef": [[round(float(v), 6) for v in row] for row in stack[0]],
                         "intercept": [round(float(v), 6) for v in stack[1]]}
    args.out.write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
    report: dict[str, Any] = {
        "spec": spec,
        "objective": "accuracy + macro-F1 on " + ("out-of-fold predictions over train + valid" if args.oof else "valid")
        + (f", beating {MEMBERS[0]} alone on both" if args.constrained else ""),
        where: {
            **{name: figures(v_gold, v_probas[name][0]) for name in MEMBERS},
            args.name: figures(v_gold, p_valid_gated),
            "ensemble_without_gate": figures(v_gold, p_valid),
            "gate_skips": round(skipped, 4),
            "ece_before_temperature": calibration_error(v_gold, combine(v_probas, weights, bias, stack=stack)),
            "ece_after_temperature": calibration_error(v_gold, p_valid),
        },
    }
    if not args.no_test:
        log("scoring the test split once (reported, never used for a choice)")
        t_texts, t_tokens, t_gold = read(args.data_dir, "test")
        t_probas = member_proba(t_texts, t_tokens)
        p_test = combine(t_probas, weights, bias, temperature, stack)
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
                         + (" --procedure-cv" if args.procedure_cv else "")
                         + (" --stack" if args.stack else "")
                         + (f" --oof {args.oof.relative_to(ROOT) if args.oof.is_relative_to(ROOT) else args.oof}"
                            if args.oof else ""))
    log_path = args.out.with_suffix(".log.json")
    log_path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {args.out} and {log_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
