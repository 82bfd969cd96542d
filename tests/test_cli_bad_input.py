"""Bad input on the command line gets one clear line and exit code 1 (found by a review of the
CLI): paths that cannot be written, a rule naming an entity nothing is watched as, a recovery
step the case's playbook does not have, an empty report period, a snooze that has already ended."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sadap.app.cli import main
from sadap.app.config import load_config_file
from sadap.store import open_store


@pytest.fixture(scope="module")
def demo(demo_store_dir, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("badinput") / "demo"
    shutil.copytree(demo_store_dir, target)
    return target / "sadap.yaml"


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


def _one_line(result, *parts: str) -> None:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    for part in parts:
        assert part in lines[0], (part, lines[0])


def test_paths_that_cannot_be_written_are_one_line(demo, tmp_path):
    missing = tmp_path / "no-such-folder"
    _one_line(_run("mentions", "export", "-o", str(missing / "m.jsonl"), "--config", str(demo)),
              f"{missing / 'm.jsonl'}: no such file or folder")
    _one_line(_run("stakeholders", "export", "-o", str(missing / "s.yaml"), "--config", str(demo)),
              f"{missing / 's.yaml'}: no such file or folder")
    _one_line(_run("report", "quarterly", "--quarter", "2026Q4", "--format", "json", "--out", str(missing / "q.json"),
                   "--config", str(demo)), f"--out {missing / 'q.json'}: no folder")
    config = tmp_path / "sadap.yaml"  # data_dir names a file
    (tmp_path / "taken").write_text("ไม่ใช่โฟลเดอร์", encoding="utf-8")
    config.write_text("data_dir: taken\n", encoding="utf-8")
    _one_line(_run("search", "แอป", "--config", str(config)), "taken: a file is in the way")


def test_rule_naming_an_entity_that_is_not_watched(demo, tmp_path):
    text = demo.read_text(encoding="utf-8")
    rules = ("rules:\n"
             "  - {id: by-alias, type: threshold, title: {th: ทดสอบ, en: test}, severity: P3, window: 1h, limit: 5,\n"
             "     entities: [แสงทอง]}\n"
             "  - {id: by-nothing, type: threshold, title: {th: ทดสอบ, en: test}, severity: P3, window: 1h, limit: 5,\n"
             "     entities: [ธนาคารไม่มีจริง]}\n")
    config = demo.parent / "entities.yaml"
    config.write_text(text.replace("rules:\n", rules, 1), encoding="utf-8")
    result = _run("alerts", "check", "--dry-run", "--config", str(config))
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    written = text.replace("rules:\n", rules, 1).splitlines()
    line_of = {rule: written.index(f"     entities: [{name}]}}") + 1  # the line of the rule's entities
               for rule, name in (("by-alias", "แสงทอง"), ("by-nothing", "ธนาคารไม่มีจริง"))}
    assert any(f"entities.yaml:{line_of['by-alias']}: rule 'by-alias': entity 'แสงทอง' is not a watched name" in x
               and "alias of 'ธนาคารแสงทอง'" in x for x in lines), result.output
    assert any(f"entities.yaml:{line_of['by-nothing']}: rule 'by-nothing': entity 'ธนาคารไม่มีจริง'" in x
               and "watched: ธนาคารแสงทอง" in x for x in lines), result.output
    assert _run("alerts", "check", "--dry-run", "--config", str(demo)).exit_code == 0  # the demo's own rules pass


def test_recovery_step_outside_the_playbook_empty_period_and_past_snooze(demo):
    with open_store(load_config_file(demo)) as store:
        case = store.list_cases(("open",))[0]
    _one_line(_run("complaints", "note", case.id, "โทรกลับลูกค้าแล้ว", "--step", "99", "--config", str(demo)),
              "step 99: its recovery playbook", "has steps 1–")
    ok = _run("complaints", "note", case.id, "โทรกลับลูกค้าแล้ว", "--step", "1", "--config", str(demo))
    assert ok.exit_code == 0, ok.output
    _one_line(_run("report", "responses", "--since", "2026-12-31", "--until", "2026-01-01", "--config", str(demo)),
              "is not before --until", "the period would be empty")
    _one_line(_run("alerts", "snooze", "brand-volume", "--until", "2020-01-01", "--config", str(demo)),
              "--until: the snooze would end at", "which has passed")
    _one_line(_run("alerts", "snooze", "brand-volume", "--for", "0m", "--config", str(demo)), "--for: the snooze would end")


def test_snooze_reads_the_key_as_the_rule_stores_it_and_refuses_one_it_cannot_produce(demo):
    config = load_config_file(demo)
    ok = _run("alerts", "snooze", "brand-volume", "--key", "แสงทอง", "--for", "2h", "--config", str(demo))
    assert ok.exit_code == 0, ok.output
    assert "brand-volume [ธนาคารแสงทอง] เงียบถึง" in ok.output  # the alias, read as the watched name
    _one_line(_run("alerts", "snooze", "brand-volume", "--key", "ธนาคารไม่มีจริง", "--for", "2h", "--config", str(demo)),
              "กฎ brand-volume ใช้คีย์ 'ธนาคารไม่มีจริง' ไม่ได้", "not a watched name or alias; allowed: ธนาคารแสงทอง")
    warned = _run("alerts", "snooze", "source-silent", "--key", "no-such-source", "--for", "2h", "--config", str(demo))
    assert warned.exit_code == 0, warned.output
    assert "no stored mention has source 'no-such-source' yet" in warned.output
    assert "source-silent [no-such-source] เงียบถึง" in warned.output
    with open_store(config) as store:
        keys = {(s["rule_id"], s["key"]) for s in store.snoozes()}
    assert ("brand-volume", "ธนาคารแสงทอง") in keys and ("brand-volume", "แสงทอง") not in keys
    assert not any(k == "ธนาคารไม่มีจริง" for _, k in keys)


def test_two_notifiers_with_one_id_and_a_maintenance_window_for_no_rule(demo):
    text = demo.read_text(encoding="utf-8")
    config = demo.parent / "notifiers.yaml"
    config.write_text(text.replace("notifiers:\n", "notifiers:\n  - {id: console, type: console}\n", 1)
                      + "\nmaintenance:\n  - {start: '2026-12-01T00:00:00+07:00', end: '2026-12-02T00:00:00+07:00',"
                        " rules: [outage-keywords, outage-keyword]}\n", encoding="utf-8")
    result = _run("alerts", "check", "--dry-run", "--config", str(config))
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any("notifiers[1].id: duplicate notifier id 'console' (first at notifiers[0])" in x for x in lines), result.output
    assert any("maintenance[0].rules: no rule 'outage-keyword', so the window would silence nothing" in x
               for x in lines), result.output
    assert not any("'outage-keywords'" in x and "no rule" in x for x in lines)
