"""Out-of-fold ("cross-fitted") sentiment predictions over the Wisesight train and valid splits.

    python -m enrich.training.crossfit --member linear [--folds 5]
    python -m enrich.training.crossfit --member mini-bert [--folds 5] [--pretrained build/thai-mini-bert-dapt]

The pooled train + valid messages (24,032) are split into ``--folds`` stratified folds (fixed
seed). For each fold a member is fitted on the other folds with its shipped recipe and predicts
the held-out fold, so every pooled message gets a prediction from a model that never saw it.
``build_ensemble --oof`` then chooses the ensemble's weights, biases, temperature and gate on
these 24,032 predictions instead of valid's 2,404 (42 questions): ten times the data for the
choices that decide the rare classes.

* ``linear``: the ``linear-v2`` recipe, which ``linear-v3`` ships (binary word 1–3 + char_wb 1–5
  n-grams, negation marking, logistic regression C = 3, no class weights);
* ``mini-bert``: the ``mini-bert-v3`` fine-tuning recipe on the pre-trained encoder, one seed,
  the fixed number of epochs (no epoch is picked on the held-out fold).

Output: ``build/oof/<member>.npz`` with ``logits`` (rows in pooled order, columns in
:data:`enrich.sentiment.common.LABELS` order), ``gold`` (label indices) and ``fold``, plus a JSON
log of each fold's held-out figures. The test split is never read.
"""

from __future__ import annotations

import argparse
import json
import time
from argparse import Namespace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from enrich.evaluate import metrics
from enrich.normalize import normalize
from enrich.sentiment.common import LABELS

if TYPE_CHECKING:
    from enrich.training.train_sentiment import Recipe

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment"
DEFAULT_OUT = ROOT / "build" / "oof"
SEED = 20261121


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def pooled(data_dir: Path) -> tuple[list[str], np.ndarray]:
    """Train then valid messages (raw text) and their label indices."""

    texts, gold = [], []
    for split in ("train", "valid"):
        path = data_dir / f"{split}.jsonl"
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    texts.append(str(row["text"]))
                    gold.append(LABELS.index(row["label"]))
                except (ValueError, KeyError, TypeError):
                    raise ValueError(f"{path}:{n}: expected a JSON object with \"text\" and \"label\" "
                                     f"(one of {', '.join(LABELS)})") from None
    return texts, np.asarray(gold)


def stratified_folds(gold: np.ndarray, k: int, seed: int = SEED) -> np.ndarray:
    """A fold number per row; each class is dealt round-robin over the folds after a shuffle."""
    rng = np.random.default_rng(seed)
    fold = np.empty(len(gold), dtype=np.int64)
    offset = 0
    for label in np.unique(gold):
        rows = rng.permutation(np.flatnonzero(gold == label))
        fold[rows] = (np.arange(len(rows)) + offset) % k
        offset += len(rows)
    return fold


def linear_oof(texts: list[str], gold: np.ndarray, fold: np.ndarray, jobs: int) -> np.ndarray:
    from joblib import Parallel, delayed

    from enrich.training import train_sentiment as ts

    norm, tok = ts.prepare(texts)
    log(f"normalised and tokenised {len(texts):,} messages")
    out = np.zeros((len(texts), 4))
    results = Parallel(n_jobs=jobs)(
        delayed(_linear_fold)(norm, tok, gold, fold, f, ts.RECIPES["linear-v3"]) for f in range(int(fold.max()) + 1)
    )
    for f, logits in enumerate(results):
        out[fold == f] = logits
    return out


def _linear_fold(
    norm: list[str], tok: list[list[str]], gold: np.ndarray, fold: np.ndarray, f: int, recipe: Recipe
) -> np.ndarray:
    from threadpoolctl import threadpool_limits

    from enrich.training import train_sentiment as ts

    threadpool_limits(1)
    best = recipe["defaults"]
    fit_rows, held = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
    feats = ts.Features(recipe, best["char_analyzer"], best["char_ngram"],
                        ([norm[i] for i in fit_rows], [tok[i] for i in fit_rows]),
                        ([norm[i] for i in held], [tok[i] for i in held]))
    model = ts.fit(feats.X_train, [LABELS[i] for i in gold[fit_rows]], best["C"], best["alpha"])
    decision = model.decision_function(feats.X_valid)
    order = [list(model.classes_).index(label) for label in LABELS]
    log(f"linear fold {f}: fitted on {len(fit_rows):,}, predicted {len(held):,}")
    logits: np.ndarray = decision[:, order]
    return logits


def mini_bert_oof(texts: list[str], gold: np.ndarray, fold: np.ndarray, args: Namespace) -> np.ndarray:
    import torch
    from transformers import AutoTokenizer

    from enrich.training import train_mini_bert as tmb

    torch.set_num_threads(args.threads)
    tokenizer = AutoTokenizer.from_pretrained(str(args.pretrained))
    ids = tmb.encode(tokenizer, [normalize(t) for t in texts])
    recipe = Namespace(epochs=args.epochs, batch=32, lr=1.5e-4, class_weight_power=0.5)
    out = np.zeros((len(texts), 4))
    for f in range(int(fold.max()) + 1):
        fit_rows, held = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        train = ([ids[i] for i in fit_rows], gold[fit_rows].tolist())
        valid = ([ids[i] for i in held], gold[held].tolist())
        model, _ = tmb.finetune(recipe, args.seed, train, valid, args.pretrained, tokenizer, pick_best=False)
        out[held] = tmb.logits_of(model, valid[0]).numpy()
        log(f"mini-bert fold {f}: fitted on {len(fit_rows):,}, predicted {len(held):,}")
    return out


def held_out_figures(gold: np.ndarray, logits: np.ndarray, fold: np.ndarray) -> dict[str, Any]:

    def fig(rows: np.ndarray) -> dict[str, float]:
        m = metrics([LABELS[i] for i in gold[rows]], [LABELS[i] for i in logits[rows].argmax(axis=1)], labels=LABELS)
        return {"accuracy": round(m["accuracy"], 4), "macro_f1": round(m["macro_f1"], 4)}

    return {"all": fig(np.arange(len(gold))),
            "folds": [fig(np.flatnonzero(fold == f)) for f in range(int(fold.max()) + 1)]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--member", choices=("linear", "mini-bert"), required=True)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for <member>.npz and its log")
    parser.add_argument("--folds", type=int, default=5, help="at least 2")
    parser.add_argument("--jobs", type=int, default=2, help="linear: folds fitted in parallel")
    parser.add_argument("--pretrained", type=Path, default=ROOT / "build" / "thai-mini-bert-dapt")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    if args.folds < 2:
        parser.error(f"--folds {args.folds}: at least 2 folds are needed")
    missing = [str(args.data_dir / f"{s}.jsonl") for s in ("train", "valid") if not (args.data_dir / f"{s}.jsonl").is_file()]
    if missing:
        parser.error(f"--data-dir {args.data_dir}: missing {', '.join(missing)} (Wisesight-style JSON lines)")
    if args.member == "mini-bert" and not (args.pretrained / "config.json").is_file():
        parser.error(f"--pretrained {args.pretrained}: no pre-trained encoder there (run enrich.training.pretrain_mlm)")

    start = time.time()
    try:
        texts, gold = pooled(args.data_dir)
    except ValueError as err:
        parser.error(str(err))
    fold = stratified_folds(gold, args.folds)
    log(f"{len(texts):,} pooled messages in {args.folds} stratified folds")
    if args.member == "linear":
        logits = linear_oof(texts, gold, fold, args.jobs)
    else:
        logits = mini_bert_oof(texts, gold, fold, args)
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out / f"{args.member}.npz", logits=logits.astype(np.float32), gold=gold, fold=fold)
    figures = held_out_figures(gold, logits, fold)
    record = {"member": args.member, "folds": args.folds, "seed": SEED, "n": len(gold),
              "minutes": round((time.time() - start) / 60, 1), "held_out": figures}
    if args.member == "mini-bert":
        record["finetune"] = {"epochs": args.epochs, "seed": args.seed, "pretrained": args.pretrained.name}
    (args.out / f"{args.member}.log.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    log(f"held-out figures {figures['all']}; wrote {args.out / (args.member + '.npz')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
