"""Fine-tune the pre-trained small Thai BERT into a sentiment engine (``mini-bert-v3``; earlier ``-v1``, ``-v2``).

    python -m enrich.training.pretrain_mlm          # first: build/thai-mini-bert, then its continuation
    python -m enrich.training.crossfit --member mini-bert   # held-out figures (out of fold), for the log
    python -m enrich.training.train_mini_bert [--engine mini-bert-v3] [--pretrained build/thai-mini-bert-dapt]
        [--epochs 3] [--seeds 1 2] [--pool-valid | --no-pool-valid]

The defaults rebuild the shipped ``mini-bert-v3``: fitted on train + valid, the last epoch kept,
on an encoder whose pre-training was continued on social text (``pretrain_mlm --init
build/thai-mini-bert --out build/thai-mini-bert-dapt --social-repeats 6 --lr 4e-4 --minutes 40``).
``--engine mini-bert-v2 --no-pool-valid`` rebuilds the retired ``mini-bert-v2`` (fitted on train,
best epoch picked on valid); add ``--pretrained build/thai-mini-bert`` for ``mini-bert-v1``.

* data: Wisesight Sentiment *train* + *valid* to fit (or, with ``--no-pool-valid``, *train* to fit
  and *valid* to pick the epoch, score = accuracy + macro-F1); the *test* split is scored once, at
  the end, for the log only;
* model: ``BertForSequenceClassification`` on top of the pre-trained encoder, labels
  ``pos``/``neu``/``neg``/``q``; cross-entropy with mild class weights ``(n / (k·count)) ** 0.5``
  for the rare ``q`` and ``pos``; AdamW, linear warm-up and decay, batches of similar lengths;
* ``--seeds 1 2 3`` fine-tunes once per seed from the same pre-trained weights and averages the
  weights of the runs ("model soup"): one model to run, steadier than any single seed;
* output: a directory loadable by ``AutoModelForSequenceClassification.from_pretrained`` —
  ``config.json``, ``model.safetensors`` (float16, no pickles), the tokenizer files — and
  ``train-log.json`` with the figures. Then ``python -m enrich.training.export_onnx`` adds the
  int8 ONNX export that Sadap runs (a test fails while the export is of other weights).

Every text goes through :func:`enrich.normalize.normalize` first, as at inference.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from enrich.evaluate import fold_questions, metrics
from enrich.normalize import normalize

if TYPE_CHECKING:
    import torch
    from transformers import BertForSequenceClassification, PreTrainedModel, PreTrainedTokenizerBase

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment"
DEFAULT_PRETRAINED = ROOT / "build" / "thai-mini-bert-dapt"
MODELS = ROOT / "enrich" / "models"
LABELS = ("pos", "neu", "neg", "q")
MAX_LEN = 128
# Token ids of each message, and each message's label index.
Encoded = tuple[list[list[int]], list[int]]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def read_split(data_dir: Path, name: str) -> tuple[list[str], list[int]]:

    texts, labels = [], []
    with (data_dir / f"{name}.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts.append(normalize(row["text"]))
            labels.append(LABELS.index(row["label"]))
    return texts, labels


def encode(tokenizer: PreTrainedTokenizerBase, texts: list[str]) -> list[list[int]]:
    ids: list[list[int]] = tokenizer(texts, truncation=True, max_length=MAX_LEN)["input_ids"]
    return ids


def length_batches(ids: list[list[int]], size: int, rng: random.Random) -> list[list[int]]:
    order = sorted(range(len(ids)), key=lambda i: (len(ids[i]), rng.random()))
    chunks = [order[i : i + size] for i in range(0, len(order), size)]
    rng.shuffle(chunks)
    return chunks


def pad(ids: list[list[int]], rows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    width = max(len(ids[i]) for i in rows)
    x = torch.zeros((len(rows), width), dtype=torch.long)
    for r, i in enumerate(rows):
        x[r, : len(ids[i])] = torch.tensor(ids[i])
    return x, (x != 0).long()


def logits_of(model: PreTrainedModel, ids: list[list[int]], batch: int = 128) -> torch.Tensor:
    import torch

    model.eval()
    out = torch.zeros((len(ids), len(LABELS)))
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    with torch.inference_mode():
        for s in range(0, len(order), batch):
            rows = order[s : s + batch]
            x, attn = pad(ids, rows)
            out[rows] = model(input_ids=x, attention_mask=attn).logits.float()
    return out


def score(gold: list[int], pred: list[int]) -> dict[str, Any]:

    g = [LABELS[i] for i in gold]
    p = [LABELS[i] for i in pred]
    four = metrics(g, p)
    three = metrics(fold_questions(g), fold_questions(p))
    return {
        "accuracy": round(four["accuracy"], 4), "macro_f1": round(four["macro_f1"], 4),
        "f1": {k: round(v["f1"], 4) for k, v in four["per_class"].items()},
        "accuracy_3": round(three["accuracy"], 4), "macro_f1_3": round(three["macro_f1"], 4),
    }


def finetune(
    args: argparse.Namespace,
    seed: int,
    train: Encoded,
    valid: Encoded,
    pretrained: Path,
    tokenizer: PreTrainedTokenizerBase,
    pick_best: bool = True,
) -> tuple[BertForSequenceClassification, list[dict[str, Any]]]:
    """Fine-tune once; with ``pick_best`` the best epoch on ``valid`` is kept, otherwise the last
    (``valid`` is then only reported: cross-fitting must not choose on its held-out fold)."""
    import torch
    from transformers import BertForSequenceClassification

    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = BertForSequenceClassification.from_pretrained(
        str(pretrained), num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)), label2id={k: i for i, k in enumerate(LABELS)},
    )
    (train_ids, train_y), (valid_ids, valid_y) = train, valid
    counts = Counter(train_y)
    weights = torch.tensor(
        [(len(train_y) / (len(LABELS) * counts[k])) ** args.class_weight_power for k in range(len(LABELS))]
    )
    steps_per_epoch = -(-len(train_ids) // args.batch)
    total = steps_per_epoch * args.epochs
    warmup = max(1, int(0.06 * total))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup))))
    best, best_state, history = None, None, []
    y = torch.tensor(train_y)
    for epoch in range(1, args.epochs + 1):
        model.train()
        start, running = time.time(), 0.0
        for n, rows in enumerate(length_batches(train_ids, args.batch, rng), 1):
            x, attn = pad(train_ids, rows)
            logits = model(input_ids=x, attention_mask=attn).logits
            loss = torch.nn.functional.cross_entropy(logits, y[rows], weight=weights)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            running = 0.98 * running + 0.02 * loss.item() if n > 1 else loss.item()
            if n % 200 == 0:
                log(f"seed {seed} epoch {epoch}: batch {n}/{steps_per_epoch}, loss {running:.3f}")
        pred = logits_of(model, valid_ids).argmax(dim=1).tolist()
        figures = score(valid_y, pred)
        figures.update(epoch=epoch, seed=seed, minutes=round((time.time() - start) / 60, 1), loss=round(running, 4))
        history.append(figures)
        log(f"seed {seed} epoch {epoch}: valid accuracy {figures['accuracy']:.4f}, macro-F1 {figures['macro_f1']:.4f}")
        key = figures["accuracy"] + figures["macro_f1"]
        if pick_best and (best is None or key > best):
            best = key
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if pick_best:
        model.load_state_dict(cast("dict[str, Any]", best_state))  # set by the first epoch
    return model, history


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--pretrained", type=Path, default=DEFAULT_PRETRAINED)
    parser.add_argument("--engine", default="mini-bert-v3", help="engine name, for the log and the default --out")
    parser.add_argument("--out", type=Path, default=None, help="default: enrich/models/sentiment-ENGINE")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1.5e-4)
    parser.add_argument("--class-weight-power", type=float, default=0.5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-test", action="store_true", help="do not score the test split")
    parser.add_argument("--pool-valid", action=argparse.BooleanOptionalAction, default=True,
                        help="fit on train + valid and keep the last epoch (held-out figures then come from "
                             "enrich.training.crossfit --member mini-bert), as mini-bert-v3; --no-pool-valid: "
                             "fit on train, pick the epoch on valid, as mini-bert-v2")
    args = parser.parse_args(argv)
    args.out = args.out or MODELS / f"sentiment-{args.engine}"

    import torch
    from transformers import AutoTokenizer

    torch.set_num_threads(args.threads)
    tokenizer = AutoTokenizer.from_pretrained(str(args.pretrained))
    train_texts, train_y = read_split(args.data_dir, "train")
    valid_texts, valid_y = read_split(args.data_dir, "valid")
    train = (encode(tokenizer, train_texts), train_y)
    valid = (encode(tokenizer, valid_texts), valid_y)
    if args.pool_valid:
        train = (train[0] + valid[0], train[1] + valid[1])
    log(f"train {len(train[1]):,}{' (train + valid)' if args.pool_valid else ''}, valid {len(valid_y):,}; "
        f"{sum(map(len, train[0])):,} training pieces per epoch")

    models, history = [], []
    for seed in args.seeds:
        model, runs = finetune(args, seed, train, valid, args.pretrained, tokenizer, pick_best=not args.pool_valid)
        models.append(model)
        history.extend(runs)
    model = models[0]
    if len(models) > 1:
        states = [m.state_dict() for m in models]
        soup = {k: sum(s[k].float() for s in states) / len(states) if states[0][k].is_floating_point() else states[0][k]
                for k in states[0]}
        model.load_state_dict(soup)
    final_valid = score(valid_y, logits_of(model, valid[0]).argmax(dim=1).tolist())
    log(f"final valid{' (seen in training)' if args.pool_valid else ''}: {final_valid}")

    args.out.mkdir(parents=True, exist_ok=True)
    model.half().save_pretrained(str(args.out), safe_serialization=True)
    tokenizer.save_pretrained(str(args.out))
    pre_log = args.pretrained / "pretrain-log.json"
    report = {
        "engine": args.engine,
        "pretraining": json.loads(pre_log.read_text(encoding="utf-8")) if pre_log.is_file() else None,
        "finetune": {"epochs": args.epochs, "batch": args.batch, "lr": args.lr, "seeds": args.seeds,
                     "class_weight_power": args.class_weight_power, "soup": len(models) > 1,
                     "torch": torch.__version__},
        "history": history,
        "valid": final_valid,
    }
    if args.pool_valid:
        oof_log = ROOT / "build" / "oof" / "mini-bert.log.json"
        report["finetune"]["fitted_on"] = "train + valid (last epoch kept)"
        report["valid"] = {"note": "valid was in the training data; see out_of_fold", **final_valid}
        if oof_log.is_file():
            report["out_of_fold"] = json.loads(oof_log.read_text(encoding="utf-8"))["held_out"]
    if report["pretraining"]:
        report["pretraining"].pop("loss", None)
    if not args.no_test:
        # Scored once, in float32 through transformers; Sadap runs the int8 ONNX export of these
        # weights (enrich.training.export_onnx), scored with `sadap eval sentiment --model mini-bert-v3`.
        from enrich.sentiment.transformer import TransformerSentiment

        test_texts, test_y = read_split(args.data_dir, "test")
        shipped = TransformerSentiment.load(args.out)
        p, _ = shipped.proba(test_texts)
        report["test"] = score(test_y, p.argmax(axis=1).tolist())
        log(f"test (reported, never used for a choice): {report['test']}")
    (args.out / "train-log.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
