"""How often PDPA masking hides something that is not personal data (a false mask).

    python benchmarks/false_masks.py [--data PATH] [--before REV] [--show]

Runs the masking steps for phone numbers, national ID numbers and e-mail addresses
(enrich/privacy.py) over the Wisesight sentiment test split (public Thai social posts full of
prices, dates, order numbers and product codes) and prints every span each step replaced, with
its context, so that each can be judged by hand. ``--before`` runs the same steps from an
earlier revision for comparison. The false-mask rate is the masked spans judged not to be
personal data, per message; the judgement of the current run is written in
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "benchmarks"))

from _revision import module_at  # noqa: E402

DEFAULT_DATA = [
    ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "test.jsonl",
    Path("/work/shared/data/wisesight-sentiment/test.jsonl"),
]
NUMBERISH = re.compile(r"\d(?:[ \-.,/]?\d){4,}")
STEPS = ("mask_emails", "mask_national_ids", "mask_phones")


def replaced(before: str, after: str) -> list[str]:
    """The spans of ``before`` that became something else in ``after``."""
    spans = []
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            spans.append(before[i1:i2])
    return spans


def run(module, texts: list[str]) -> list[tuple[str, int, str, str]]:
    found = []
    for n, text in enumerate(texts):
        text = module.mask_urls(text)  # as the pipeline does: URLs first
        for step in STEPS:
            out = getattr(module, step)(text)
            if out != text:
                for span in replaced(text, out):
                    found.append((step, n, span, text))
            text = out
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="JSON lines with a `text` field")
    parser.add_argument("--before", default=None, help="git revision to compare with (e.g. main)")
    parser.add_argument("--show", action="store_true", help="print every masked span with its message")
    args = parser.parse_args()
    data = args.data or next((p for p in DEFAULT_DATA if p.exists()), None)
    if data is None or not data.exists():
        raise SystemExit("Wisesight test split not found; pass --data")
    texts = [json.loads(line)["text"] for line in data.open(encoding="utf-8") if line.strip()]
    import enrich.privacy as now

    runs = {"now": run(now, texts)}
    if args.before:
        runs[args.before] = run(module_at(args.before, "enrich/privacy.py", "privacy_before"), texts)
    numbers = sum(len(NUMBERISH.findall(t)) for t in texts)
    print(f"{data}: {len(texts)} messages, {numbers} numbers of 5 or more digits (grouped or not)")
    for name, found in runs.items():
        by_step = {s: sum(1 for f in found if f[0] == s) for s in STEPS}
        messages = len({f[1] for f in found})
        print(f"{name}: {len(found)} spans masked in {messages} messages · " + " · ".join(f"{k} {v}" for k, v in by_step.items()))
        if args.show:
            for step, n, span, text in found:
                at = text.find(span)
                context = " ".join(text[max(0, at - 50):at + len(span) + 30].split())
                print(f"  [{step}] #{n} {span!r} … {context!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
