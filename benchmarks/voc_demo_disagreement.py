"""Where the learned voice-of-customer classifier and the rules disagree on Sadap's banking demo.

    python benchmarks/voc_demo_disagreement.py [--model FILE.npz] [--show]

Enriches every body and comment of the demo's data (``sadap/app/demo/story.json`` and
``inbox.json``) with the demo organisation's watched names, as ``sadap demo`` runs, once with
``enrich.voc: rules`` and once with ``learned`` (the shipped model, or ``--model``), and counts the
texts whose expectation or complaint flag differ. It is why ``rules`` stays the default
(docs/enrichment.md, "A learned classifier over the rules"). ``--show`` lists them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from enrich.entities import Entity  # noqa: E402
from enrich.pipeline import Enricher  # noqa: E402
from sadap.core.mention import RawMention, to_mention  # noqa: E402

DEMO = ROOT / "sadap" / "app" / "demo"


def _texts(node: Any, key: str | None, out: list[str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            _texts(v, k, out)
    elif isinstance(node, list):
        for v in node:
            _texts(v, key, out)
    elif isinstance(node, str) and key in ("text", "body") and len(node) > 3:
        out.append(node)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, help="a learned classifier's .npz (default: the shipped one)")
    ap.add_argument("--show", action="store_true", help="list the texts that differ")
    args = ap.parse_args()
    texts: list[str] = []
    for name in ("story.json", "inbox.json"):
        _texts(json.loads((DEMO / name).read_text(encoding="utf-8")), None, texts)
    org = json.loads((DEMO / "story.json").read_text(encoding="utf-8"))["organisation"]
    entities = [Entity(org["name_th"], tuple(org["aliases"]))]
    entities += [Entity(p["name"], tuple(p["aliases"])) for p in org["products"]]
    mentions = [to_mention(RawMention(source_kind="file", source_name="demo", native_id=str(i), text=t),
                           pseudonym_key=b"demo") for i, t in enumerate(texts)]
    readings = {}
    for voc in ("rules", "learned"):
        enricher = Enricher(entities, voc=voc, voc_model=args.model)
        readings[voc] = [(m.expectation, m.complaint.is_complaint) for m in enricher.enrich(mentions)]
    rules, learned = readings["rules"], readings["learned"]
    differ = [i for i in range(len(texts)) if rules[i] != learned[i]]
    if args.show:
        for i in differ:
            print(f"rules {rules[i]} learned {learned[i]}: {texts[i][:80]}")
    print(json.dumps({"texts": len(texts), "differ": len(differ),
                      "complaint_flag_differs": sum(rules[i][1] != learned[i][1] for i in differ)}))


if __name__ == "__main__":
    main()
