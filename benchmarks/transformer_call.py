"""Time per call of the shipped transformer, one message at a time, as Sadap runs it (int8 ONNX
on ONNX Runtime, engine ``mini-bert-v3``) and as ``transformers`` runs the same directory
(float32 eager PyTorch, engine ``transformers:<dir>``). Medians of several runs.

    python benchmarks/transformer_call.py [--messages 500] [--runs 5]

Messages: the Wisesight test split, normalised as the enrichment stage does.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "test.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()

    from enrich.normalize import normalize
    from enrich.sentiment import ENGINES, get_model

    with args.data.open(encoding="utf-8") as fh:
        texts = [normalize(json.loads(line)["text"]) for line, _ in zip(fh, range(args.messages))]
    engines = {"onnx_int8": "mini-bert-v3", "transformers_float32": f"transformers:{ENGINES['mini-bert-v3']}"}
    out: dict = {"messages": len(texts), "runs": args.runs}
    for key, engine in engines.items():
        model = get_model(engine)
        model.proba(texts[:20])  # warm up
        per_call = []
        for _ in range(args.runs):
            t = time.perf_counter()
            for text in texts:
                model.proba([text])
            per_call.append((time.perf_counter() - t) / len(texts) * 1000)
        out[f"{key}_ms_per_call_median"] = round(statistics.median(per_call), 3)
    out["speed_ratio"] = round(out["transformers_float32_ms_per_call_median"] / out["onnx_int8_ms_per_call_median"], 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
