"""Write ``valid500.jsonl``: what ``sadap ingest`` stores for the first 500 messages of the
Wisesight *valid* split (one process, batches of 200), field by field, for
tests/test_ingest_golden.py. Run it with the Sadap whose output is the reference (the commit
is written into the file's first line), e.g. from main's checkout:

    /work/main/.venv/bin/python tests/data/ingest_golden/make.py

Regenerate only when a change of labels is meant (a new model, new rules), and say so in the
commit."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROWS = 500
BATCH = 200
VALID = HERE.parents[2].parent / "shared" / "data" / "wisesight-sentiment" / "valid.jsonl"
CONFIG = "data_dir: data\nwatch:\n  - name: ธนาคารแสงทอง\n    aliases: [แสงทอง]\nrules: []\nnotifiers: []\n"


def sample(path: Path) -> Path:
    lines = VALID.read_text(encoding="utf-8").splitlines()[:ROWS]
    rows = [{"text": json.loads(line)["text"]} for line in lines]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _digest(value: object) -> str:
    return hashlib.sha1(json.dumps(value, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def stored(db: Path) -> list[dict[str, object]]:
    """Each stored mention in insertion order: its labels and scores as stored, and digests of
    its lists (tokens, keywords, hashtags, entities, CSR)."""
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT id, sentiment, sentiment_score, expectation, category, is_complaint, complaint_type, "
            "language, text_hash, simhash, duplicate_of, spam_score, doc FROM mentions ORDER BY rowid"
        ).fetchall()
    out = []
    for (mid, label, score, expectation, category, complaint, complaint_type, language, text_hash, simhash,
         duplicate_of, spam, doc) in rows:
        data = json.loads(doc)
        out.append({
            "id": mid, "sentiment": label, "score": score, "expectation": expectation, "category": category,
            "complaint": complaint, "complaint_type": complaint_type, "language": language, "text_hash": text_hash,
            "simhash": simhash, "duplicate_of": duplicate_of, "spam_score": spam,
            "lists": {k: _digest(data.get(k)) for k in ("tokens", "keywords", "hashtags", "entities", "csr")},
        })
    return out


def main() -> None:
    from sadap.app.config import load_config_file
    from sadap.app.importer import import_file

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "sadap.yaml").write_text(CONFIG, encoding="utf-8")
        config = load_config_file(folder / "sadap.yaml")
        import_file(config, sample(folder / "valid500.jsonl"), batch_size=BATCH, workers=1)
        rows = stored(config.store_path)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(sys.modules["sadap"].__file__ or ".").parent).stdout.strip()
    with (HERE / "valid500.jsonl").open("w", encoding="utf-8") as fh:
        fh.write(json.dumps({"made_by": commit, "rows": ROWS, "batch_size": BATCH}) + "\n")
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
