"""enrich.training.label_agreement: how consistently Wisesight labels repeated texts."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from enrich.training.label_agreement import agreement, main

WISESIGHT = Path(__file__).resolve().parents[2] / "shared" / "data" / "wisesight-sentiment"


def _write(path: Path, rows: list[tuple[str, str]]) -> None:
    path.write_text("".join(json.dumps({"text": t, "label": lab}, ensure_ascii=False) + "\n" for t, lab in rows),
                    encoding="utf-8")


def test_agreement_counts_pairs_of_labels_on_the_same_normalised_text(tmp_path):
    # "อร่อยยยย" normalises to "อร่อย": the same text as "อร่อย".
    _write(tmp_path / "train.jsonl", [("อร่อย", "pos"), ("อร่อยยยย", "pos"), ("เท่าไหร่", "q"), ("ร้านปิดแล้ว", "neg")])
    _write(tmp_path / "valid.jsonl", [("อร่อย", "neu"), ("เท่าไหร่", "q")])
    _write(tmp_path / "test.jsonl", [("อร่อย", "pos"), ("เท่าไหร่", "neu"), ("ไม่เคยเห็น", "neu")])
    got = agreement(tmp_path)
    assert got["repeated_texts"] == 2 and got["messages"] == 5
    # อร่อย: pos/pos, pos/neu, pos/neu; เท่าไหร่: q/q → 2 of 4 pairs agree
    assert got["label_pairs"] == 4 and got["pairwise_agreement"] == 0.5
    assert got["disagreements"] == {"neu/pos": 2}
    assert got["test_texts_also_in_train_valid"] == 2 and got["test_label_is_their_majority"] == 1


def test_bad_line_and_missing_split_give_one_line(tmp_path, capsys):
    _write(tmp_path / "train.jsonl", [("อร่อย", "pos")])
    (tmp_path / "valid.jsonl").write_text('{"text": "ดี"}\n', encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["--data-dir", str(tmp_path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"{tmp_path / 'valid.jsonl'}:1" in err and '"label"' in err
    with pytest.raises(SystemExit):
        main(["--data-dir", str(tmp_path / "nowhere")])
    assert "missing" in capsys.readouterr().err


@pytest.mark.skipif(not (WISESIGHT / "train.jsonl").exists(), reason="shared Wisesight data missing")
def test_on_wisesight_the_disagreements_are_mostly_neutral_against_positive(capsys):
    assert main(["--data-dir", str(WISESIGHT), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["repeated_texts"] > 50 and 0.5 < got["pairwise_agreement"] < 0.95
    assert max(got["disagreements"], key=got["disagreements"].get) == "neu/pos"
