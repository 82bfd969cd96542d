"""What the default engine's transformer costs and why it cannot cost much less (#19): the
pieces of the messages the cascade's gate lets through, ONNX Runtime's CPU time a message by
length and batch size, the arithmetic rate that implies next to this core's own float32
matrix-multiply rate (numpy, one thread), and where the time goes by operator.

    python benchmarks/transformer_cost.py [--messages 8000] [--runs 5]

One ONNX Runtime thread, as the enrichment workers run it. Messages: the first N of the
Wisesight train split and the whole test split, masked and normalised as the enrichment stage
does; the gate is ``ensemble-v4``'s own (``linear-v3`` less than 65 % sure).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment"
LENGTHS = (8, 16, 32, 64, 128)
BATCHES = (1, 16)

_GEMM = """
import time, numpy as np
a = np.random.default_rng(0).random((1024, 1024), dtype=np.float32)
a @ a
best = float("inf")
for _ in range(5):
    t = time.perf_counter()
    for _ in range(10):
        a @ a
    best = min(best, (time.perf_counter() - t) / 10)
print(1024 ** 3 / best / 1e9)
"""


def gemm_rate() -> float:
    """numpy's float32 multiply-adds a second on one core (GMAC/s), best of 5, in a process of its
    own so that BLAS starts with one thread."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", _GEMM], env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def macs_per_piece(config: dict, length: int) -> float:
    """Multiply-adds a piece costs in the encoder: the four projections and the feed-forward
    (4h² + 2hi a layer) and attention's two products over ``length`` pieces (2·length·h)."""
    h, i, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    return layers * (4 * h * h + 2 * h * i + 2 * length * h)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=8000, help="train messages to find the gated ones in")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DATA, help="folder with train.jsonl and test.jsonl")
    args = parser.parse_args()
    here = Path(__file__).resolve().parent  # benchmarks/enrich.py is not the enrich package
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.insert(0, str(ROOT))

    import numpy as np
    import onnxruntime as ort

    from enrich import sentiment
    from enrich.normalize import normalize
    from enrich.privacy import mask_personal_data
    from enrich.sentiment import ENGINES, get_model
    from enrich.sentiment.ensemble import sure
    from enrich.tokenize import tokenize

    sentiment.set_threads(1)
    ensemble = get_model("ensemble-v4")
    linear, model = ensemble.resolve("linear-v3"), ensemble.resolve("mini-bert-v3")
    config = json.loads((ENGINES["mini-bert-v3"] / "config.json").read_text(encoding="utf-8"))
    out: dict = {"runs": args.runs, "load_average": os.getloadavg()[0]}

    for split, limit in (("train", args.messages), ("test", None)):
        with (args.data / f"{split}.jsonl").open(encoding="utf-8") as fh:
            rows = [json.loads(line)["text"] for n, line in enumerate(fh) if limit is None or n < limit]
        texts = [normalize(mask_personal_data(t)) for t in rows]
        p, _ = linear.proba(texts, [tokenize(t) for t in texts])
        gated = [texts[int(i)] for i in np.flatnonzero(~sure(p, ensemble.gate))]
        pieces = np.array([len(model.tokenizer.encode(t[: model.max_length * 16]).ids) for t in gated])
        model.proba(gated[:32])
        cpu = []
        for _ in range(args.runs):
            started = time.process_time()
            model.proba(gated)
            cpu.append((time.process_time() - started) / len(gated))
        out[split] = {
            "messages": len(texts), "gated": len(gated), "gated_share": round(len(gated) / len(texts), 3),
            "pieces_median": float(np.median(pieces)), "pieces_mean": round(float(pieces.mean()), 1),
            "pieces_kept_at_64": round(float(np.minimum(pieces, 64).sum() / pieces.sum()), 3),
            "pieces_kept_at_32": round(float(np.minimum(pieces, 32).sum() / pieces.sum()), 3),
            "us_per_gated_message": round(1e6 * statistics.median(cpu)),
            "us_per_message_of_the_split": round(1e6 * statistics.median(cpu) * len(gated) / len(texts)),
        }
        print(split, json.dumps(out[split]), flush=True)

    session, inputs = model.session, set(model.inputs)
    rng = np.random.default_rng(7)
    shapes: dict[str, float] = {}
    for length in LENGTHS:
        for batch in BATCHES:
            feed = {"input_ids": rng.integers(5, config["vocab_size"], (batch, length)),
                    "attention_mask": np.ones((batch, length), dtype=np.int64),
                    "token_type_ids": np.zeros((batch, length), dtype=np.int64)}
            feed = {k: v for k, v in feed.items() if k in inputs}
            session.run(None, feed)
            calls = max(2, 256 // (batch * length) * 4)
            times = []
            for _ in range(args.runs):
                started = time.process_time()
                for _ in range(calls):
                    session.run(None, feed)
                times.append((time.process_time() - started) / calls / batch)
            per_message = statistics.median(times)
            shapes[f"{length}x{batch}"] = round(1e6 * per_message)
            rate = macs_per_piece(config, length) * length / per_message / 1e9
            print(f"{length:4d} pieces, batch {batch:3d}: {1e6 * per_message:8.0f} µs a message, "
                  f"{1e6 * per_message / length:5.1f} µs a piece, {rate:5.1f} GMAC/s", flush=True)
    out["us_per_message_by_pieces_x_batch"] = shapes
    out["gmac_per_s_at_32x16"] = round(macs_per_piece(config, 32) * 32 / (shapes["32x16"] / 1e6) / 1e9, 1)
    out["numpy_float32_gemm_gmac_per_s_one_core"] = round(gemm_rate(), 1)

    # Where a batch's time goes, by operator (ONNX Runtime's own profiler, 24 pieces × 16).
    with tempfile.TemporaryDirectory() as tmp:
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
        options.log_severity_level = 3
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(tmp) / "profile")
        profiled = ort.InferenceSession(str(ENGINES["mini-bert-v3"] / "model.int8.onnx"), options,
                                        providers=["CPUExecutionProvider"])
        feed = {"input_ids": rng.integers(5, config["vocab_size"], (16, 24)),
                "attention_mask": np.ones((16, 24), dtype=np.int64), "token_type_ids": np.zeros((16, 24), dtype=np.int64)}
        feed = {k: v for k, v in feed.items() if k in {i.name for i in profiled.get_inputs()}}
        for _ in range(20):
            profiled.run(None, feed)
        events = json.loads(Path(profiled.end_profiling()).read_text(encoding="utf-8"))
    by_op: collections.Counter[str] = collections.Counter()
    for event in events:
        if event.get("cat") == "Node" and event.get("name", "").endswith("_kernel_time"):
            by_op[event["args"]["op_name"]] += event["dur"]
    total = sum(by_op.values()) or 1
    out["operator_share"] = {op: round(d / total, 3) for op, d in by_op.most_common(6)}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
