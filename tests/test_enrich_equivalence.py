"""Faster versions of enrichment steps give what the originals give: the Thai mark rules
against PyThaiNLP's own ``normalize`` on every Wisesight message and on the cases its rules
are about."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pythainlp.util import normalize as pythainlp_normalize

from enrich.normalize import _thai_mark_rules, thai_marks

WISESIGHT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wisesight-sentiment"
CASES = [
    "เเปลก", "นานาาา", "ดีีีี", "ก้ำ", "ก่่่า", "ก่้๊า", "พ ุ่มดอกไม้", "๊ก", "คำ ่ที่สอง", "ก ่ ่า", "ํ่า", "กํา",
    "เ เ", "าา า", "ะะ", "ก้้้้๊", "ฤๅษี", "ไปๅ", "ก\u200bข\u200cค", "ก    ข\n\n\nค", "", "hello  world", "ผู้ใช้้้",
]


def test_thai_marks_is_pythainlps_normalize_on_rule_cases():
    assert _thai_mark_rules() is not None  # the fast rules are in use with this PyThaiNLP
    for text in CASES:
        assert thai_marks(text) == pythainlp_normalize(text), text


def test_thai_marks_is_pythainlps_normalize_on_real_messages():
    files = sorted(WISESIGHT.glob("*.jsonl"))
    if not files:
        pytest.skip(f"{WISESIGHT} not present")
    texts = [json.loads(line)["text"] for f in files for line in f.read_text(encoding="utf-8").splitlines()]
    assert len(texts) > 20_000
    changed = 0
    for text in texts:
        expected = pythainlp_normalize(text)
        assert thai_marks(text) == expected, text
        changed += expected != text
    assert changed > 100  # the rules did change real messages
