"""The transformer probe's scoring helpers (enrich/training/probe_voc_bert.py): the F1 it reports
and the rows it reads, without torch."""
from __future__ import annotations

import json

from enrich.training.probe_voc_bert import IGNORE, f1_yes, read


def test_f1_of_complaints_skips_unlabelled_rows_and_counts_both_errors():
    gold = [1, 1, 0, 0, IGNORE, 1]
    prob = [0.9, 0.2, 0.8, 0.1, 0.99, 0.6]
    # threshold 0.5: tp 2 (rows 0, 5), fn 1 (row 1), fp 1 (row 2); the unlabelled row is ignored
    assert f1_yes(gold, prob, 0.5) == 2 * 2 / (2 * 2 + 2)
    assert f1_yes(gold, prob, 0.95) == 0.0
    assert f1_yes([0, 0], [0.9, 0.9], 0.5) == 0.0


def test_rows_keep_missing_fields_out_of_the_loss(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"text": "แอปล่มอีกแล้ว โอนเงินไม่ได้", "expectation": "disappointed", "is_complaint": True},
        {"text": "ร้านนี้อร่อยดีนะ", "expectation": "satisfied"},
        {"text": "เงินเข้าช้ามาก", "is_complaint": False},
    ]) + "\n\n", encoding="utf-8")
    rows = read((path,))
    assert [r[1:] for r in rows] == [(2, 1), (1, IGNORE), (IGNORE, 0)]
    assert rows[0][0].startswith("แอป")
