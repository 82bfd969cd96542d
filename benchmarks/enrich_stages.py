"""CPU per enrichment stage: each step of `Enricher.enrich` timed alone on the first N messages
of the Wisesight train split (masks, normalisation, newmm, SimHash, spam, language, hashtags,
linear-v3's features and scores, the voice-of-customer rules, CSR), then the whole enrichment
with the default engine in batches of 500 (as `sadap ingest` hands them over).

    python benchmarks/enrich_stages.py [--messages 4000] [--reps 3]
    /work/main/.venv/bin/python benchmarks/enrich_stages.py      # another checkout's code

Each figure is the best of ``--reps`` passes (CPU time of this process, one ONNX thread), in µs
a message; the stages run on the outputs of the ones before them, as in the pipeline. The
interpreter decides the code: a checkout's own ``.venv`` runs that checkout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wisesight-sentiment" / "train.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    here = Path(__file__).resolve().parent  # benchmarks/enrich.py is not the enrich package
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]

    from enrich import sentiment

    sentiment.set_threads(1)
    import enrich
    from enrich.dedup import simhash, text_hash
    from enrich.hashtags import hashtags, split_tags
    from enrich.language import detect_language
    from enrich.normalize import normalize
    from enrich.parallel import settle
    from enrich.pipeline import Enricher
    from enrich.privacy import mask_personal_data
    from enrich.sentiment import get_model
    from enrich.spam import spam_score
    from enrich.tokenize import tokenize
    from sadap.core.mention import RawMention, to_mention

    with args.data.open(encoding="utf-8") as fh:
        raws = [json.loads(line)["text"] for line, _ in zip(fh, range(args.messages))]
    n = len(raws)
    enricher = Enricher([], sentiment_model="ensemble-v4")
    settle(enricher)
    masked = [mask_personal_data(r) for r in raws]
    texts = [normalize(m) for m in masked]
    tokens = [tokenize(t) for t in texts]
    linear = get_model("linear-v3")
    lexicons, csr = enricher.lexicons, enricher.csr
    mentions = [to_mention(RawMention(source_kind="file", source_name="bench", native_id=str(i), text=t), pseudonym_key=b"k")
                for i, t in enumerate(raws)]
    figures: dict[str, float] = {}

    def stage(name: str, run: Callable[[], object], reps: int = args.reps) -> None:
        best = float("inf")
        for _ in range(reps):
            started = time.process_time()
            run()
            best = min(best, time.process_time() - started)
        figures[name] = round(1e6 * best / n, 1)
        print(f"{name:34s} {figures[name]:8.1f} µs a message", flush=True)

    stage("PDPA masks", lambda: [mask_personal_data(r) for r in raws])
    stage("normalisation", lambda: [normalize(m) for m in masked])
    stage("newmm tokenisation", lambda: [tokenize(t) for t in texts])
    stage("SimHash + text hash", lambda: [(simhash(t), text_hash(t)) for t in texts])
    stage("spam score", lambda: [spam_score(t, k, r) for t, k, r in zip(texts, tokens, raws)])
    stage("language", lambda: [detect_language(t) for t in texts])
    stage("hashtags", lambda: [(split_tags(t), hashtags(t)) for t in texts])
    stage("linear-v3 features + scores", lambda: [linear.proba(texts[i:i + 500], tokens[i:i + 500]) for i in range(0, n, 500)])
    stage("voice-of-customer rules", lambda: [lexicons.analyze(k, t, "neg") for k, t in zip(tokens, texts)])
    stage("CSR pillars", lambda: [csr.classify(k, t) for k, t in zip(tokens, texts)])
    enricher.enrich(mentions[:100])
    stage("whole enrichment (ensemble-v4)", lambda: [enricher.enrich(mentions[i:i + 500]) for i in range(0, n, 500)],
          reps=max(1, args.reps - 1))
    print(json.dumps({"checkout": str(Path(enrich.__file__).resolve().parents[1]), "messages": n,
                      "us_per_message": figures}, ensure_ascii=False))


if __name__ == "__main__":
    main()
