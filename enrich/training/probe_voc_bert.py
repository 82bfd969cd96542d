"""Would a fine-tuned transformer decide expectation and complaints better than the learned
classifier? A probe, not a shipped engine (build time only; the ``train`` extra).

    .venv/bin/python -m enrich.training.probe_voc_bert [--epochs 4] [--json OUT]

Fine-tunes the encoder of Sadap's own small Thai BERT (``sentiment-mini-bert-v3``: pre-trained
by masked-language modelling on Thai news and Wisesight texts, then fine-tuned for sentiment)
with two heads, expectation (4 classes) and the complaint flag, on the learned classifier's
training files (``enrich.training.train_voc.TRAINING_FILES``). One fifth of those rows is held
out to choose the epoch and the complaint threshold; the development data
(``tests/data/enrich_dev``, ``tests/data/pr_posts``) is scored once, with that choice, and
reported next to nothing else. The figures are quoted in ``enrich/models/voc-learned-v1.md``.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import time
from pathlib import Path
from typing import Any

from enrich.normalize import normalize
from enrich.training.train_voc import ROOT, TRAINING_FILES, read_examples
from enrich.voc_model import EXPECTATIONS

ENCODER = ROOT / "enrich" / "models" / "sentiment-mini-bert-v3"
DEV_FILES = (ROOT / "tests" / "data" / "enrich_dev" / "enrich-dev.jsonl",
             ROOT / "tests" / "data" / "pr_posts" / "pr-posts-tune.jsonl",
             ROOT / "tests" / "data" / "pr_posts" / "pr-posts-dev.jsonl")
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
SEED = 20261207
IGNORE = -100

Row = tuple[str, int, int]  # text, expectation index or IGNORE, complaint 0/1 or IGNORE


def read(paths: tuple[Path, ...]) -> list[Row]:
    """The training files' rows as the classifier reads them (:func:`read_examples`), normalised."""
    return [(normalize(e.text), IGNORE if e.expectation is None else EXPECTATIONS.index(e.expectation),
             IGNORE if e.is_complaint is None else int(e.is_complaint)) for e in read_examples(paths)]


def f1_yes(gold: list[int], prob: list[float], threshold: float) -> float:
    pairs = [(g, p >= threshold) for g, p in zip(gold, prob) if g != IGNORE]
    tp = sum(1 for g, p in pairs if g == 1 and p)
    wrong = sum(1 for g, p in pairs if (g == 1) != p)
    return 2 * tp / (2 * tp + wrong) if tp else 0.0


def main(argv: list[str] | None = None) -> int:
    import torch
    from transformers import AutoTokenizer, BertModel

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)

    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    rows = read(TRAINING_FILES)
    rng.shuffle(rows)
    cut = len(rows) // 5
    held, train = rows[:cut], rows[cut:]
    dev = read(DEV_FILES)
    tokenizer = AutoTokenizer.from_pretrained(str(ENCODER))

    class Heads(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = BertModel.from_pretrained(str(ENCODER), dtype=torch.float32)
            size = self.encoder.config.hidden_size
            self.drop = torch.nn.Dropout(0.1)
            self.expectation = torch.nn.Linear(size, len(EXPECTATIONS))
            self.complaint = torch.nn.Linear(size, 2)

        def forward(self, ids: Any, mask: Any) -> tuple[Any, Any]:
            cls = self.drop(self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state[:, 0])
            return self.expectation(cls), self.complaint(cls)

    net = Heads()

    def encode(batch: list[Row]) -> tuple[Any, Any]:
        enc = tokenizer([r[0] for r in batch], truncation=True, max_length=128, padding=True, return_tensors="pt")
        return enc["input_ids"], enc["attention_mask"]

    def predict(data: list[Row]) -> tuple[list[int], list[float]]:
        net.eval()
        exp: list[int] = []
        prob: list[float] = []
        with torch.no_grad():
            for i in range(0, len(data), 64):
                logits_e, logits_c = net(*encode(data[i : i + 64]))
                exp += logits_e.argmax(-1).tolist()
                prob += torch.softmax(logits_c, -1)[:, 1].tolist()
        net.train()
        return exp, prob

    def scores(data: list[Row], threshold: float) -> dict[str, float]:
        exp, prob = predict(data)
        pairs = [(r[1], e) for r, e in zip(data, exp) if r[1] != IGNORE]
        return {"expectation_accuracy": round(sum(g == e for g, e in pairs) / len(pairs), 4),
                "complaint_f1_yes": round(f1_yes([r[2] for r in data], prob, threshold), 4)}

    steps = args.epochs * (len(train) // 32 + 1)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    weight = torch.tensor([1.0, 2.0])
    best: tuple[float, int, float, dict[str, Any]] | None = None
    log: list[dict[str, Any]] = []
    start = time.monotonic()
    for epoch in range(1, args.epochs + 1):
        rng.shuffle(train)
        for i in range(0, len(train), 32):
            batch = train[i : i + 32]
            logits_e, logits_c = net(*encode(batch))
            loss = (torch.nn.functional.cross_entropy(logits_e, torch.tensor([r[1] for r in batch]), ignore_index=IGNORE)
                    + torch.nn.functional.cross_entropy(logits_c, torch.tensor([r[2] for r in batch]),
                                                        weight=weight, ignore_index=IGNORE))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        _, prob = predict(held)
        by_threshold = {t: f1_yes([r[2] for r in held], prob, t) for t in THRESHOLDS}
        threshold = max(THRESHOLDS, key=lambda t: by_threshold[t])
        log.append({"epoch": epoch, "seconds": round(time.monotonic() - start),
                    "held_out_complaint_f1_yes": {str(t): round(v, 4) for t, v in by_threshold.items()}})
        print(json.dumps(log[-1]), flush=True)
        if best is None or by_threshold[threshold] > best[0]:
            best = (by_threshold[threshold], epoch, threshold, copy.deepcopy(net.state_dict()))
    assert best is not None
    net.load_state_dict(best[3])
    result = {"training_rows": len(train), "held_out_rows": len(held), "chosen_epoch": best[1],
              "chosen_threshold": best[2], "held_out": scores(held, best[2]), "development": scores(dev, best[2]),
              "development_rows": len(dev), "epochs": log}
    print(json.dumps(result, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
