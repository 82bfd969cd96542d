"""`sadap eval sentiment` and `sadap eval enrich`: exit codes, JSON shape, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV_SET = ROOT / "tests" / "data" / "enrich_dev" / "enrich-dev.jsonl"


def sadap(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sadap", *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=300)


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows), encoding="utf-8")
    return path


def test_eval_sentiment_on_wisesight_valid_slice(wisesight_dir, tmp_path):
    lines = (wisesight_dir / "valid.jsonl").read_text(encoding="utf-8").splitlines()[:200]
    data = tmp_path / "valid200.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = sadap("eval", "sentiment", "--data", str(data), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n"] == 200
    assert report["accuracy"] > 0.6
    assert 0 < report["macro_f1"] <= 1
    assert set(report["per_class"]) <= {"pos", "neu", "neg", "q"}
    for scores in report["per_class"].values():
        assert {"precision", "recall", "f1"} <= set(scores)
    labels = report["confusion"]["labels"]
    assert len(report["confusion"]["matrix"]) == len(labels)
    assert sum(map(sum, report["confusion"]["matrix"])) == 200
    three = report["three_class"]
    assert set(three["per_class"]) <= {"pos", "neu", "neg"}
    assert three["accuracy"] >= report["accuracy"]  # folding q into neu only removes errors

    text = sadap("eval", "sentiment", "--data", str(data), "--model", "linear-v1", cwd=tmp_path)
    assert text.returncode == 0 and "accuracy" in text.stdout and "3 classes" in text.stdout


ENRICH_ROWS = [
    {"text": "ประทับใจพนักงานสาขาสยามมากค่ะ บริการดีสุดยอด ❤️", "expectation": "delighted",
     "category": "customer_support", "is_complaint": False},
    {"text": "แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้ตั้งแต่เช้า", "expectation": "disappointed",
     "category": "product_service", "is_complaint": True, "complaint_type": "digital_outage"},
    {"text": "โดนหักเงินซ้ำสองรอบ ค่าบริการแพงเกินจริง", "expectation": "disappointed",
     "category": "transaction", "is_complaint": True, "complaint_type": "price_billing"},
    {"text": "สาขาไหนเปิดวันอาทิตย์บ้างคะ", "expectation": "none", "is_complaint": False},
    {"text": "วันนี้ฝนตกหนักมาก", "category": "other"},
]


def test_eval_enrich_json_shape(tmp_path):
    data = write_jsonl(tmp_path / "dev.jsonl", ENRICH_ROWS)
    result = sadap("eval", "enrich", "--data", str(data), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n"] == 5
    fields = report["fields"]
    assert set(fields) == {"expectation", "category", "is_complaint", "complaint_type"}
    assert fields["expectation"]["n"] == 4 and fields["category"]["n"] == 4
    assert fields["is_complaint"]["n"] == 4
    assert fields["complaint_type"]["n"] == 2  # only rows whose gold is_complaint is true
    for scores in fields.values():
        assert {"n", "accuracy", "macro_f1", "per_class", "confusion"} <= set(scores)
    assert fields["is_complaint"]["accuracy"] == 1.0
    assert fields["complaint_type"]["accuracy"] == 1.0

    text = sadap("eval", "enrich", "--data", str(data), cwd=tmp_path)
    assert text.returncode == 0 and "complaint_type" in text.stdout


@pytest.mark.parametrize(
    "rows, fragment",
    [
        (['{"text": "ดี", "label": "pos"}', "{not json"], "dev.jsonl:2: not valid JSON"),
        ([{"label": "pos"}], "dev.jsonl:1: missing 'text'"),
        ([{"text": "ดี", "label": "pos"}, {"text": "แย่", "label": "bad"}], "dev.jsonl:2: label 'bad' is not one of"),
        ([{"text": 5, "label": "pos"}], "dev.jsonl:1: 'text' must be a str"),
        (["[1, 2]"], "dev.jsonl:1: expected a JSON object"),
    ],
)
def test_eval_sentiment_bad_lines(tmp_path, rows, fragment):
    data = write_jsonl(tmp_path / "dev.jsonl", rows)
    result = sadap("eval", "sentiment", "--data", str(data), cwd=tmp_path)
    assert result.returncode == 1
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "rows, fragment",
    [
        ([ENRICH_ROWS[0], {"text": "x", "expectation": "happy"}], "dev.jsonl:2: expectation 'happy' is not one of"),
        ([{"text": "x", "is_complaint": "yes"}], "dev.jsonl:1: is_complaint must be true or false"),
        ([{"text": "x"}], "dev.jsonl:1: no gold field"),
        ([{"expectation": "none"}], "dev.jsonl:1: missing 'text'"),
    ],
)
def test_eval_enrich_bad_lines(tmp_path, rows, fragment):
    data = write_jsonl(tmp_path / "dev.jsonl", rows)
    result = sadap("eval", "enrich", "--data", str(data), cwd=tmp_path)
    assert result.returncode == 1
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_eval_errors_for_missing_file_empty_file_and_unknown_model(tmp_path):
    missing = sadap("eval", "enrich", "--data", str(tmp_path / "nope.jsonl"), cwd=tmp_path)
    assert missing.returncode == 1 and "file not found" in missing.stderr
    empty = write_jsonl(tmp_path / "empty.jsonl", [])
    result = sadap("eval", "sentiment", "--data", str(empty), cwd=tmp_path)
    assert result.returncode == 1 and "no rows" in result.stderr
    data = write_jsonl(tmp_path / "one.jsonl", [{"text": "ดี", "label": "pos"}])
    result = sadap("eval", "sentiment", "--data", str(data), "--model", "nope", cwd=tmp_path)
    assert result.returncode == 1 and "unknown sentiment engine 'nope'" in result.stderr
    usage = sadap("eval", "sentiment", cwd=tmp_path)
    assert usage.returncode == 2


@pytest.mark.skipif(not DEV_SET.is_file(), reason="hand-annotated dev set not present")
def test_eval_enrich_on_the_dev_set_runs(tmp_path):
    result = sadap("eval", "enrich", "--data", str(DEV_SET), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n"] >= 1 and "expectation" in report["fields"]


def test_eval_enrich_several_files_scores_them_together_and_each(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", ENRICH_ROWS[:3])
    wrong = {"text": "วันนี้ฝนตกหนักมาก", "category": "transaction"}  # gold that the enrichment will not give
    b = write_jsonl(tmp_path / "b.jsonl", ENRICH_ROWS[3:] + [wrong])
    result = sadap("eval", "enrich", "--data", str(a), "--data", str(b), "--errors", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n"] == 6 and set(report["sets"]) == {str(a), str(b)}
    assert [report["sets"][str(p)]["n"] for p in (a, b)] == [3, 3]
    [listed] = [e for e in report["errors"] if e["where"] == f"{b}:3"]
    assert listed["category"] == {"gold": "transaction", "got": "other"} and listed["text"] == wrong["text"]
    # The parts add up to the whole, field by field.
    for field, scores in report["fields"].items():
        assert scores["n"] == sum(s["fields"][field]["n"] for s in report["sets"].values() if field in s["fields"])
    # Every row listed as an error names its file and line and has a field read wrong.
    for e in report["errors"]:
        path, line = e["where"].rsplit(":", 1)
        assert path in (str(a), str(b)) and int(line) >= 1
        assert any(isinstance(v, dict) and v["gold"] != v["got"] for v in e.values())
    text = sadap("eval", "enrich", "--data", str(a), "--data", str(b), cwd=tmp_path)
    assert text.returncode == 0 and "2 files together" in text.stdout and str(b) in text.stdout
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"text": "x"}])
    failed = sadap("eval", "enrich", "--data", str(a), "--data", str(bad), cwd=tmp_path)
    assert failed.returncode == 1 and "bad.jsonl:1: no gold field" in failed.stderr


def test_eval_enrich_scores_a_given_learned_model_file(tmp_path):
    import numpy as np

    data = write_jsonl(tmp_path / "dev.jsonl", ENRICH_ROWS)
    shipped = ROOT / "enrich" / "models" / "voc-learned-v1.npz"
    with np.load(shipped) as z:
        arrays = {k: z[k] for k in z.files}
    # A copy whose complaint threshold says yes to every message: the scores must be that file's.
    arrays["threshold"] = np.float64(0.0)
    eager = tmp_path / "eager.npz"
    np.savez(eager, **arrays)
    result = sadap("eval", "enrich", "--data", str(data), "--voc-model", str(eager), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["voc"] == "learned"
    assert report["fields"]["is_complaint"]["per_class"]["true"]["recall"] == 1.0
    assert report["fields"]["is_complaint"]["per_class"]["false"]["recall"] == 0.0
    same = sadap("eval", "enrich", "--data", str(data), "--voc-model", str(shipped), "--json", cwd=tmp_path)
    learned = sadap("eval", "enrich", "--data", str(data), "--voc", "learned", "--json", cwd=tmp_path)
    assert json.loads(same.stdout)["fields"] == json.loads(learned.stdout)["fields"]

    clash = sadap("eval", "enrich", "--data", str(data), "--voc", "rules", "--voc-model", str(eager), cwd=tmp_path)
    assert clash.returncode == 1 and "leave out --voc rules" in clash.stderr
    bogus = write_jsonl(tmp_path / "bogus.npz", ["not a model"])
    wrong = sadap("eval", "enrich", "--data", str(data), "--voc-model", str(bogus), cwd=tmp_path)
    assert wrong.returncode == 1 and "not a voice-of-customer model" in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1
