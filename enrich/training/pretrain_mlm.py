"""Pre-train a small Thai BERT with masked-language modelling, on CPU, for the sentiment ensemble.

    python -m enrich.training.pretrain_mlm [--minutes 60] [--out build/thai-mini-bert]

Nothing pre-trained for Thai can be downloaded here, and a transformer trained from scratch on the
21k labelled messages overfits. So this step learns Thai from unlabelled text first:

* corpus: the public-domain Thai government news sample (``../shared/data/thaigov-news-sample``,
  formal Thai) plus the *texts* of the Wisesight train and valid splits (informal Thai, no labels;
  the test split is never read);
* tokenizer: byte-pair encoding over characters (HuggingFace ``tokenizers``, 8,000 pieces,
  SentencePiece-style spaces, lower-cased Latin), trained on that corpus and saved as ``tokenizer.json``;
* model: ``BertForMaskedLM`` with 4 layers, hidden size 256, 4 heads, 128 positions (the size of
  Google's "BERT-mini"), about 5 M parameters, so that the shipped ensemble still scores hundreds
  of messages a second on two CPU cores;
* objective: 15 % of the pieces masked (80 % [MASK], 10 % random, 10 % kept); the loss is computed
  on the masked positions only (the vocabulary projection is most of the cost otherwise);
* budget: wall-clock minutes rather than epochs (the machine is shared); a checkpoint is written
  every ``--save-every`` minutes, so fine-tuning can start from whatever was reached.

Every text goes through :func:`enrich.normalize.normalize` first, as at inference. Seeds are fixed;
the log (``pretrain-log.json`` in ``--out``) records the corpus, sizes and the loss curve.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, cast

from enrich.normalize import normalize

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
DEFAULT_NEWS = SHARED / "thaigov-news-sample" / "thaigov-news-sample.jsonl"
DEFAULT_WISESIGHT = SHARED / "wisesight-sentiment"
DEFAULT_OUT = ROOT / "build" / "thai-mini-bert"
SEED = 13
VOCAB_SIZE = 8000
MAX_LEN = 128
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


class ModelSize(TypedDict):
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int


MODEL_SIZE: ModelSize = {"hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 1024}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def read_corpus(news: Path, wisesight: Path) -> tuple[list[str], list[str]]:
    """(news paragraphs, social messages), normalised."""

    paragraphs: list[str] = []
    with news.open(encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            for para in normalize(doc.get("text") or "").split("\n"):
                if len(para) >= 20:
                    paragraphs.append(para)
    messages: list[str] = []
    for split in ("train", "valid"):  # never test
        with (wisesight / f"{split}.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                text = normalize(json.loads(line)["text"]).replace("\n", " ")
                if text:
                    messages.append(text)
    return paragraphs, messages


def train_tokenizer(texts: list[str], out: Path) -> Tokenizer:
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE, special_tokens=SPECIAL, min_frequency=3, limit_alphabet=400,
        max_token_length=12,
    )
    tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    out.mkdir(parents=True, exist_ok=True)
    tok.save(str(out / "tokenizer.json"))
    return tok


def save_hf_tokenizer(out: Path) -> None:
    """Wrap ``tokenizer.json`` so that ``AutoTokenizer.from_pretrained(out)`` loads it offline."""
    from transformers import PreTrainedTokenizerFast

    fast = PreTrainedTokenizerFast(
        tokenizer_file=str(out / "tokenizer.json"),
        pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
        model_max_length=MAX_LEN,
    )
    fast.save_pretrained(str(out))


def make_sequences(tok: Tokenizer, paragraphs: list[str], messages: list[str], social_repeats: int) -> list[list[int]]:
    """News packed into blocks of up to MAX_LEN pieces; each social message its own sequence."""
    body = MAX_LEN - 2
    # special tokens: always in the vocabulary
    cls_id, sep_id = cast(int, tok.token_to_id("[CLS]")), cast(int, tok.token_to_id("[SEP]"))
    seqs: list[list[int]] = []
    buf: list[int] = []
    for enc in tok.encode_batch(paragraphs, add_special_tokens=False):
        buf.extend(enc.ids)
        while len(buf) >= body:
            seqs.append([cls_id, *buf[:body], sep_id])
            buf = buf[body:]
    news_count = len(seqs)
    social = [[cls_id, *enc.ids[:body], sep_id] for enc in tok.encode_batch(messages, add_special_tokens=False)]
    seqs.extend(social * social_repeats)
    log(f"{news_count:,} news blocks, {len(social):,} social messages x{social_repeats}")
    return seqs


def batches(seqs: list[list[int]], max_tokens: int, rng: random.Random) -> Iterator[list[int]]:
    """Endless length-bucketed batches (little padding), in random order."""
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    while True:
        chunks, i = [], 0
        while i < len(order):
            n = max(1, max_tokens // len(seqs[order[min(i + 63, len(order) - 1)]]))
            chunks.append(order[i : i + n])
            i += n
        rng.shuffle(chunks)
        yield from chunks


def mask_batch(
    ids: torch.Tensor, special_max: int, vocab: int, mask_id: int, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    labels = ids.clone()
    candidates = ids > special_max  # never mask [PAD]/[CLS]/[SEP]/...
    chosen = (torch.rand(ids.shape, generator=gen) < 0.15) & candidates
    labels[~chosen] = -100
    roll = torch.rand(ids.shape, generator=gen)
    inputs = ids.clone()
    inputs[chosen & (roll < 0.8)] = mask_id
    rand_pos = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[rand_pos] = torch.randint(special_max + 1, vocab, ids.shape, generator=gen)[rand_pos]
    return inputs, labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--news", type=Path, default=DEFAULT_NEWS)
    parser.add_argument("--wisesight", type=Path, default=DEFAULT_WISESIGHT)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--minutes", type=float, default=60.0, help="wall-clock training budget")
    parser.add_argument("--save-every", type=float, default=10.0, help="minutes between checkpoints")
    parser.add_argument("--batch-tokens", type=int, default=4096)
    parser.add_argument("--lr", type=float, default=7e-4)
    parser.add_argument("--social-repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--init", type=Path, default=None,
                        help="continue from a checkpoint directory (its tokenizer and weights; fresh optimiser)")
    args = parser.parse_args(argv)

    import torch
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    rng = random.Random(SEED)
    args.out.mkdir(parents=True, exist_ok=True)

    log("reading and normalising the corpus")
    paragraphs, messages = read_corpus(args.news, args.wisesight)
    log(f"{len(paragraphs):,} news paragraphs ({sum(map(len, paragraphs)):,} chars), {len(messages):,} messages")
    if args.init is not None:
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(args.init / "tokenizer.json"))
        if args.init.resolve() != args.out.resolve():
            tok.save(str(args.out / "tokenizer.json"))
        previous = json.loads((args.init / "pretrain-log.json").read_text(encoding="utf-8"))["training"]
        log(f"continuing from {args.init} ({previous['pieces_seen']:,} pieces seen there)")
    else:
        tok = train_tokenizer(paragraphs + messages, args.out)
        previous = None
    save_hf_tokenizer(args.out)
    seqs = make_sequences(tok, paragraphs, messages, args.social_repeats)
    total_tokens = sum(map(len, seqs))
    log(f"{len(seqs):,} sequences, {total_tokens:,} pieces per pass")

    config = BertConfig(vocab_size=tok.get_vocab_size(), max_position_embeddings=MAX_LEN, pad_token_id=0, **MODEL_SIZE)
    model = BertForMaskedLM.from_pretrained(str(args.init)) if args.init is not None else BertForMaskedLM(config)
    model.train()
    params = sum(p.numel() for p in model.parameters())
    log(f"model: {params:,} parameters")
    # Rough step count for the schedule: measured throughput is ~5.5k pieces/s on 2 cores.
    est_steps = max(1000, int(args.minutes * 60 * 5500 / args.batch_tokens))
    warmup = min(1000, est_steps // 10)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.98))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.05, 1 - s / est_steps)
    )
    gen = torch.Generator().manual_seed(SEED)
    mask_id = cast(int, tok.token_to_id("[MASK]"))  # a special token: always in the vocabulary
    special_max = len(SPECIAL) - 1
    vocab = tok.get_vocab_size()

    history: list[dict[str, Any]] = []
    start = last_save = time.time()
    step = seen = 0
    running: float | None = None
    deadline = start + args.minutes * 60

    def checkpoint(final: bool = False) -> None:
        model.save_pretrained(str(args.out), safe_serialization=True)
        meta = {
            "corpus": {
                "news": str(args.news.name), "news_paragraphs": len(paragraphs),
                "social_messages": len(messages), "social_repeats": args.social_repeats,
                "sequences": len(seqs), "pieces_per_pass": total_tokens,
            },
            "tokenizer": {"type": "bpe", "vocab_size": vocab},
            "model": {**MODEL_SIZE, "parameters": params, "max_len": MAX_LEN},
            "training": {
                "seed": SEED, "lr": args.lr, "batch_tokens": args.batch_tokens, "steps": step,
                "pieces_seen": seen, "passes": round(seen / total_tokens, 3),
                "minutes": round((time.time() - start) / 60, 1), "final": final,
                "torch": torch.__version__, "threads": args.threads,
                "continued_from": previous,
            },
            "loss": history,
        }
        (args.out / "pretrain-log.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        log(f"checkpoint: step {step}, {seen:,} pieces, loss {running:.3f}")

    for chunk in batches(seqs, args.batch_tokens, rng):
        if time.time() >= deadline:
            break
        width = max(len(seqs[i]) for i in chunk)
        ids = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, i in enumerate(chunk):
            ids[row, : len(seqs[i])] = torch.tensor(seqs[i])
        attn = (ids != 0).long()
        inputs, labels = mask_batch(ids, special_max, vocab, mask_id, gen)
        picked = labels != -100
        if not picked.any():
            continue
        hidden = model.bert(input_ids=inputs, attention_mask=attn).last_hidden_state
        logits = model.cls(hidden[picked])
        loss = torch.nn.functional.cross_entropy(logits, labels[picked])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        seen += int(attn.sum())
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 100 == 0:
            history.append({"step": step, "pieces": seen, "loss": round(running, 4),
                            "minutes": round((time.time() - start) / 60, 2)})
            log(f"step {step}: loss {running:.3f} ({seen / (time.time() - start):,.0f} pieces/s, "
                f"lr {sched.get_last_lr()[0]:.2e})")
        if time.time() - last_save >= args.save_every * 60:
            checkpoint()
            last_save = time.time()
    checkpoint(final=True)
    log(f"done: perplexity on the last batches ~{math.exp(cast(float, running)):.1f}")  # None only if no step ran
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
