"""Playbooks: schema, loading with clear errors, the shipped Thai library, matching, rendering."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sadap.core.alert import FiredAlert
from playbooks import (
    TEMPLATE_VARIABLES,
    alert_variables,
    duration_words,
    first_steps,
    load_playbook_file,
    load_playbooks,
    match_playbook,
    render_template,
    shipped_dir,
)
from sadap.core.errors import ConfigError

SAMPLE = {
    "brand": "ธนาคารสยามตัวอย่าง",
    "key": "แอป SiamPay",
    "count": 342,
    "rule": "outage-keywords",
    "window": "15 นาที",
    "top_terms": "ล่ม, โอนเงินไม่ได้, เข้าแอปไม่ได้",
    "since": "2026-11-21 09:30",
    "playbook": "ระบบบริการขัดข้อง",
}

GOOD = """\
id: {id}
version: 1
title:
  th: ระบบจองคิวขัดข้อง
  en: Booking system outage
description:
  th: ผู้ป่วยจองคิวออนไลน์ไม่ได้
when:
  keywords: [จองคิวไม่ได้]
severity: P2
owners: [on-call, pr-lead]
acknowledge_within: 15m
steps:
  - title: {{th: ยืนยันเหตุกับทีมไอที, en: Confirm with IT}}
    owner: on-call
    due: 15m
    checklist: [โทรหาเวรไอที]
  - title: {{th: แจ้งผู้ป่วยทางเพจ}}
    owner: pr-lead
    due: 1h
responses:
  - channel: social
    lang: th
    template: "{{brand}} ขออภัย ระบบจองคิวขัดข้อง ({{count}} ข้อความ)"
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def good(pid: str = "booking-outage") -> str:
    return GOOD.format(id=pid)


def load_error(*args, **kwargs) -> str:
    with pytest.raises(ConfigError) as info:
        load_playbooks(*args, **kwargs)
    return str(info.value)


def line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


def alert(**kw) -> FiredAlert:
    now = datetime(2026, 11, 21, 2, 30, tzinfo=timezone.utc)
    data = dict(
        rule="custom-rule",
        rule_type="watch",
        title_th="ลูกค้าโพสต์ถึงแบรนด์",
        title_en="Brand mentions",
        severity="P3",
        key="ธนาคารสยามตัวอย่าง",
        count=12,
        window_start=now - timedelta(minutes=15),
        window_end=now,
    )
    data.update(kw)
    return FiredAlert(**data)


# -- the shipped library -------------------------------------------------------


def test_shipped_library_loads_with_unique_ids():
    playbooks = load_playbooks()
    ids = [p.id for p in playbooks]
    assert len(ids) >= 5
    assert len(set(ids)) == len(ids)
    for required in ("service-outage", "complaint-surge", "rumour-fake-news", "data-leak-pdpa", "negative-news"):
        assert required in ids
    assert all(p.shipped and p.source for p in playbooks)
    assert Path(playbooks[0].source).parent == shipped_dir()


def test_shipped_playbooks_are_complete():
    for p in load_playbooks():
        assert 4 <= len(p.steps) <= 7, p.id
        assert p.title.th and p.title.en
        assert all(s.owner in p.owners and s.checklist for s in p.steps), p.id
        # steps are in order of their due times
        assert [s.due for s in p.steps] == sorted(s.due for s in p.steps), p.id
        have = {(r.channel, r.lang) for r in p.responses}
        assert {("social", "th"), ("social", "en"), ("press", "th")} <= have, p.id
        # Thai text where people read
        assert re.search(r"[\u0e00-\u0e7f]", p.title.th + p.description.th + p.steps[0].checklist[0])
        assert not p.when.rules  # shipped playbooks never name rules (users may delete them)


def test_every_shipped_template_renders():
    for p in load_playbooks():
        for r in p.responses:
            text = render_template(r.template, SAMPLE)
            assert "{" not in text and "}" not in text, (p.id, r.channel, r.lang)
            if "{brand}" in r.template:
                assert "ธนาคารสยามตัวอย่าง" in text


def test_shipped_conditions_from_brief():
    by_id = {p.id: p for p in load_playbooks()}
    outage = by_id["service-outage"].when
    assert {"ล่ม", "เข้าแอปไม่ได้", "โอนเงินไม่ได้", "ระบบขัดข้อง", "ใช้งานไม่ได้"} <= set(outage.keywords)
    assert outage.min_severity == "P3" and set(outage.rule_types) == {"watch", "threshold"}
    surge = by_id["complaint-surge"].when
    assert surge.rule_types == ["threshold"] and surge.min_severity == "P3" and not surge.keywords
    assert {"ข่าวลือ", "ข่าวปลอม", "รั่ว", "หลุด", "แฮก"} <= set(by_id["rumour-fake-news"].when.keywords)
    leak = by_id["data-leak-pdpa"]
    assert leak.when.min_severity == "P2"
    assert any(s.due == timedelta(hours=72) and "สคส." in s.title.th for s in leak.steps)


# -- loading a good file -------------------------------------------------------


def test_load_good_file(tmp_path):
    path = write(tmp_path, "booking.yaml", good())
    p = load_playbook_file(path)
    assert p.id == "booking-outage"
    assert p.acknowledge_within == timedelta(minutes=15)
    assert p.steps[1].due == timedelta(hours=1)
    assert p.close_reasons == ["resolved", "false_alarm", "duplicate"]
    assert p.source == str(path) and p.line == 1 and not p.shipped


def test_user_playbooks_load_before_shipped_and_from_folders(tmp_path):
    write(tmp_path, "b.yml", good("b-outage"))
    write(tmp_path, "a.yaml", good("a-outage"))
    write(tmp_path, "notes.txt", "ไม่ใช่คู่มือ")
    ids = [p.id for p in load_playbooks([tmp_path])]
    assert ids[:2] == ["a-outage", "b-outage"]
    assert "service-outage" in ids[2:]
    assert [p.id for p in load_playbooks([tmp_path], shipped=False)] == ["a-outage", "b-outage"]


# -- errors --------------------------------------------------------------------


def test_unknown_key_names_line_and_allowed_keys(tmp_path):
    text = good().replace("severity: P2\n", "severity: P2\nowner: [on-call]\n")
    path = write(tmp_path, "p.yaml", text)
    msg = load_error([path], shipped=False)
    assert f"{path}:{line_of(text, 'owner: [on-call]')}: owner: unknown key 'owner'" in msg
    assert "allowed: id, version, title, description, when, severity, owners, acknowledge_within, steps" in msg


def test_unknown_nested_key_lists_that_models_keys(tmp_path):
    text = good().replace("  keywords: [จองคิวไม่ได้]", "  keyword: [จองคิวไม่ได้]")
    path = write(tmp_path, "p.yaml", text)
    msg = load_error([path], shipped=False)
    assert f"{path}:{line_of(text, 'keyword:')}: when.keyword: unknown key 'keyword'" in msg
    assert "(allowed: rules, rule_types, min_severity, entities, keywords)" in msg


def test_bad_duration_names_line_and_allowed_form(tmp_path):
    text = good().replace("    due: 1h", "    due: 15 mins")
    path = write(tmp_path, "p.yaml", text)
    msg = load_error([path], shipped=False)
    assert f"{path}:{line_of(text, '15 mins')}: steps[1].due:" in msg
    assert "'15 mins'" in msg
    assert "a number and a unit: s, m, h, d or w (for example 15m, 24h, 7d)" in msg


def test_unknown_rule_id_names_known_rules(tmp_path):
    text = good().replace("  keywords: [จองคิวไม่ได้]", "  rules: [outage-keyword]")
    path = write(tmp_path, "p.yaml", text)
    msg = load_error([path], shipped=False, known_rules={"outage-keywords", "brand-volume"})
    assert f"{path}:{line_of(text, 'rules:')}: when.rules[0]: rule 'outage-keyword' does not exist" in msg
    assert "(known rules: brand-volume, outage-keywords)" in msg
    # without known_rules, rule ids are not checked
    assert load_playbook_file(path).when.rules == ["outage-keyword"]
    # and with the rule known, it loads
    assert load_playbook_file(path, known_rules={"outage-keyword"}).id == "booking-outage"


def test_unknown_template_variable_lists_allowed(tmp_path):
    text = good().replace("({count} ข้อความ)", "({จำนวน} ข้อความ)")
    path = write(tmp_path, "p.yaml", text)
    msg = load_error([path], shipped=False)
    assert f"{path}:{line_of(text, 'template:')}: responses[0].template: unknown template variable {{จำนวน}}" in msg
    assert "{brand}, {key}, {count}, {rule}, {window}, {top_terms}, {since}, {playbook}" in msg


@pytest.mark.parametrize("field", ["{brand:>2000000000}", "{count:,}", "{brand!r}", "{brand!s:>5}"])
def test_format_spec_or_conversion_in_template_is_refused(tmp_path, field):
    text = good().replace("({count} ข้อความ)", f"({field} ข้อความ)")
    path = write(tmp_path, "p.yaml", text)
    msg = load_error([path], shipped=False)
    assert msg.startswith(f"{path}:{line_of(text, 'template:')}: responses[0].template: template variable {field}: "
                          "a format spec or conversion (after : or !) is not allowed; write the variable alone, e.g. {")
    assert "\n" not in msg
    from playbooks.render import template_problem

    assert "not allowed" in (template_problem("ภายใน {window:>99999999999}") or "")
    with pytest.raises(ConfigError, match="not allowed"):
        render_template("{brand:>2000000000}", SAMPLE)


def test_broken_brace_in_template(tmp_path):
    text = good().replace("({count} ข้อความ)", "({count ข้อความ)")
    path = write(tmp_path, "p.yaml", text)
    msg = load_error([path], shipped=False)
    assert "responses[0].template: broken brace" in msg
    assert "{brand}" in msg


def test_errors_from_two_files_in_one_error(tmp_path):
    a = write(tmp_path, "a.yaml", good("a-outage").replace("severity: P2", "severity: P9"))
    b = write(tmp_path, "b.yaml", good("b-outage").replace("acknowledge_within: 15m", "acknowledge_within: ครึ่งชั่วโมง"))
    msg = load_error([tmp_path], shipped=False)
    lines = msg.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{a}:{line_of(a.read_text('utf-8'), 'severity')}: severity:")
    assert "'P1', 'P2', 'P3', 'P4' or 'P5'" in lines[0]
    assert lines[1].startswith(f"{b}:{line_of(b.read_text('utf-8'), 'acknowledge_within')}: acknowledge_within:")


def test_duplicate_id_names_both_files(tmp_path):
    a = write(tmp_path, "a.yaml", good("same-id"))
    b = write(tmp_path, "b.yaml", good("same-id"))
    msg = load_error([a, b], shipped=False)
    assert f"{b}:1: id: duplicate playbook id 'same-id' (already defined in {a}:1)" in msg


def test_duplicate_of_shipped_id(tmp_path):
    path = write(tmp_path, "mine.yaml", good("service-outage"))
    msg = load_error([path])
    # on the organisation's file (the one to change), not on the shipped one
    assert msg.startswith(f"{path}:1: id: playbook id 'service-outage' is already used by the shipped playbook "
                          f"{shipped_dir() / '10-service-outage.yaml'}:")
    assert "copy it under a new id" in msg and "\n" not in msg


def test_validate_paths_checks_ids_against_the_shipped_library(tmp_path):
    from click.testing import CliRunner

    from sadap.app.cli import main

    (tmp_path / "sadap.yaml").write_text("data_dir: .\n", encoding="utf-8")
    mine = write(tmp_path, "mine.yaml", good("service-outage"))
    runner = CliRunner()
    done = runner.invoke(main, ["playbooks", "validate", str(mine), "--config", str(tmp_path / "sadap.yaml")])
    assert done.exit_code == 1
    assert done.stderr.startswith(f"sadap: {mine}:1: id: playbook id 'service-outage' is already used by the shipped")
    write(tmp_path, "mine.yaml", good("my-outage"))
    done = runner.invoke(main, ["playbooks", "validate", str(mine), "--config", str(tmp_path / "sadap.yaml")])
    assert (done.exit_code, done.stdout) == (0, "ok: 1 playbook(s) valid\n")
    (tmp_path / "sadap.yaml").write_text("data_dir: .\nplaybooks: {shipped: false}\n", encoding="utf-8")
    write(tmp_path, "mine.yaml", good("service-outage"))
    done = runner.invoke(main, ["playbooks", "validate", str(mine), "--config", str(tmp_path / "sadap.yaml")])
    assert done.exit_code == 0, done.output


def test_list_shows_each_playbooks_source(tmp_path, monkeypatch):
    import json

    from click.testing import CliRunner

    from sadap.app.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "sadap.yaml").write_text("data_dir: .\nplaybooks: {paths: [mine/]}\n", encoding="utf-8")
    (tmp_path / "mine").mkdir()
    write(tmp_path / "mine", "booking.yaml", good())
    runner = CliRunner()
    done = runner.invoke(main, ["playbooks", "list", "--config", "sadap.yaml"])
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[0].endswith("  mine/booking.yaml:1") and lines[0].startswith("booking-outage ")
    [outage] = [line for line in lines if line.startswith("service-outage ")]
    assert outage.endswith("  playbooks/library/10-service-outage.yaml:2  (shipped)")
    rows = json.loads(runner.invoke(main, ["playbooks", "list", "--json", "--config", "sadap.yaml"]).stdout)
    assert {k: rows[0][k] for k in ("id", "source", "line", "shipped")} == {
        "id": "booking-outage", "source": "mine/booking.yaml", "line": 1, "shipped": False}
    assert [r for r in rows if r["id"] == "service-outage"][0]["shipped"] is True


def test_step_owner_must_be_an_owner(tmp_path):
    text = good().replace("    owner: pr-lead", "    owner: โฆษก")
    path = write(tmp_path, "p.yaml", text)
    msg = load_error([path], shipped=False)
    assert f"{path}:{line_of(text, 'owner: โฆษก')}: steps[1].owner: owner 'โฆษก' is not one of the playbook's owners" in msg
    assert "(allowed: on-call, pr-lead)" in msg


def test_empty_steps(tmp_path):
    text = good().split("steps:")[0] + "steps: []\n"
    path = write(tmp_path, "p.yaml", text)
    msg = load_error([path], shipped=False)
    assert f"{path}:{line_of(text, 'steps:')}: steps: a playbook needs at least one step" in msg


def test_missing_required_keys(tmp_path):
    path = write(tmp_path, "p.yaml", "id: half-done\ntitle: {th: ยังไม่เสร็จ}\n")
    msg = load_error([path], shipped=False)
    for key in ("description", "severity", "owners", "acknowledge_within", "steps"):
        assert f": {key}: required but missing" in msg


def test_non_utf8_file(tmp_path):
    path = tmp_path / "tis620.yaml"
    path.write_bytes(good().encode("utf-8").replace("ระบบจองคิวขัดข้อง".encode("utf-8"), "ระบบจองคิวขัดข้อง".encode("tis-620")))
    msg = load_error([path], shipped=False)
    assert msg.startswith(f"{path}:4: not UTF-8 text (column ") and "TIS-620" in msg  # the line, and how to mend it


def test_yaml_syntax_error_has_line(tmp_path):
    path = write(tmp_path, "p.yaml", "id: broken\ntitle: {th: เสีย\nseverity: P2\n")
    msg = load_error([path], shipped=False)
    assert re.search(re.escape(str(path)) + r":\d+: YAML syntax error", msg)


def test_top_level_must_be_mapping(tmp_path):
    path = write(tmp_path, "p.yaml", "- id: a\n- id: b\n")
    msg = load_error([path], shipped=False)
    assert f"{path}:1: (top level): a playbook must be a mapping" in msg
    assert "allowed keys: id, version" in msg


def test_missing_path(tmp_path):
    msg = load_error([tmp_path / "nope.yaml"], shipped=False)
    assert "nope.yaml: playbook file or folder not found" in msg


def test_bad_id(tmp_path):
    path = write(tmp_path, "p.yaml", good("Service_Outage"))
    msg = load_error([path], shipped=False)
    assert f"{path}:1: id: use only lowercase letters a-z, digits and -" in msg


# -- matching ------------------------------------------------------------------


@pytest.fixture()
def library(tmp_path):
    write(
        tmp_path,
        "10-named.yaml",
        good("named-rule").replace("  keywords: [จองคิวไม่ได้]", "  rules: [queue-rule]"),
    )
    write(
        tmp_path,
        "20-severe.yaml",
        good("severe-only").replace("  keywords: [จองคิวไม่ได้]", "  keywords: [ไฟไหม้]\n  min_severity: P2"),
    )
    write(
        tmp_path,
        "30-threshold.yaml",
        good("threshold-only").replace("  keywords: [จองคิวไม่ได้]", "  rule_types: [threshold]"),
    )
    write(
        tmp_path,
        "40-entity.yaml",
        good("entity").replace("  keywords: [จองคิวไม่ได้]", "  entities: [โรงพยาบาลตัวอย่าง]\n  rules: [queue-rule]"),
    )
    write(tmp_path, "50-hint-only.yaml", good("hint-only").replace("when:\n  keywords: [จองคิวไม่ได้]\n", ""))
    write(tmp_path, "60-keyword.yaml", good("keyword"))
    return load_playbooks([tmp_path], shipped=False)


def test_hint_wins(library):
    a = alert(rule="queue-rule", playbook_hint="hint-only")
    assert match_playbook(a, library).id == "hint-only"
    # an unknown hint falls back to matching
    assert match_playbook(alert(rule="queue-rule", playbook_hint="ไม่มี"), library).id == "named-rule"


def test_playbooks_naming_the_rule_come_first(library):
    # 'entity' is loaded after 'keyword' but names the rule; 'named-rule' names it too and loads first
    assert match_playbook(alert(rule="queue-rule"), library).id == "named-rule"
    rest = [p for p in library if p.id != "named-rule"]
    a = alert(rule="queue-rule", key="โรงพยาบาลตัวอย่าง", title_th="จองคิวไม่ได้")
    assert match_playbook(a, rest).id == "entity"


def test_keyword_match(library):
    a = alert(query="ระบบ จองคิวไม่ได้ OR ล่ม")
    assert match_playbook(a, library).id == "keyword"
    assert match_playbook(alert(terms=["โรงพยาบาล", "จองคิวไม่ได้อีกแล้ว"]), library).id == "keyword"
    assert match_playbook(alert(title_th="ผู้ป่วยบ่นจองคิวไม่ได้"), library).id == "keyword"


def test_min_severity_filter(library):
    assert match_playbook(alert(terms=["ไฟไหม้"], severity="P3"), library) is None
    assert match_playbook(alert(terms=["ไฟไหม้"], severity="P2"), library).id == "severe-only"
    assert match_playbook(alert(terms=["ไฟไหม้"], severity="P1"), library).id == "severe-only"


def test_rule_types_filter(library):
    assert match_playbook(alert(rule_type="threshold"), library).id == "threshold-only"
    assert match_playbook(alert(rule_type="spike"), library) is None


def test_entities_are_case_insensitive(tmp_path):
    write(tmp_path, "e.yaml", good("brand-x").replace("  keywords: [จองคิวไม่ได้]", "  entities: [SiamPay]"))
    playbooks = load_playbooks([tmp_path], shipped=False)
    assert match_playbook(alert(key=None, entities=["siampay"]), playbooks).id == "brand-x"
    assert match_playbook(alert(key="SIAMPAY"), playbooks).id == "brand-x"
    assert match_playbook(alert(key="อื่น"), playbooks) is None


DECOMPOSED = "น\u0e49\u0e4d\u0e32ท\u0e48วม"  # น้ําท่วม: ้ then ํ + า (as copied from a PDF)
OTHER_ORDER = "น\u0e4d\u0e49\u0e32ท\u0e48วม"  # ํ before ้
COMPOSED = "น\u0e49\u0e33ท\u0e48วม"  # น้ำท่วม, as mention text is stored


@pytest.mark.parametrize("keyword", [COMPOSED, DECOMPOSED, OTHER_ORDER, "น้ำท่วม\u200b"])
def test_keywords_are_normalised_like_mention_text(tmp_path, keyword):
    from enrich.normalize import normalize

    write(tmp_path, "flood.yaml", good("branch-flood").replace("keywords: [จองคิวไม่ได้]", f"keywords: [{keyword}สาขา]"))
    playbooks = load_playbooks([tmp_path], shipped=False)
    assert playbooks[0].when.keywords == [COMPOSED + "สาขา"]
    terms = [normalize("ลูกค้าแจ้งน้ำท่วมสาขา"), normalize("น้ำท่วมสาขา")]
    assert match_playbook(alert(terms=terms), playbooks).id == "branch-flood"
    # and the other way round: a keyword as stored, a title typed with ํ + า
    stored = load_playbooks([write(tmp_path, "flood.yaml", good("branch-flood").replace(
        "keywords: [จองคิวไม่ได้]", f"keywords: [{COMPOSED}]"))], shipped=False)
    assert match_playbook(alert(title_th=f"รายงาน{keyword}สาขา"), stored).id == "branch-flood"


def test_entities_are_normalised_like_mention_text():
    from playbooks import When, conditions_hold

    assert conditions_hold(When(entities=["ธนาคารน้\u0e4d\u0e32ใจ"]), alert(key="ธนาคารน้ำใจ"))
    assert conditions_hold(When(entities=["ธนาคารน้ำใจ"]), alert(key=None, entities=["ธนาคารน\u0e4d\u0e49\u0e32ใจ"]))


def test_empty_when_never_auto_matches(library):
    hint_only = [p for p in library if p.id == "hint-only"]
    assert hint_only and hint_only[0].when.is_empty()
    assert match_playbook(alert(), hint_only) is None


def test_no_match_is_none(library):
    assert match_playbook(alert(title_th="ขอบคุณค่ะ", title_en="Thanks"), library) is None


def test_shipped_library_matching():
    playbooks = load_playbooks()
    outage = alert(rule="outage-keywords", rule_type="watch", severity="P2", query="ล่ม OR เข้าแอปไม่ได้")
    assert match_playbook(outage, playbooks).id == "service-outage"
    assert match_playbook(outage.model_copy(update={"severity": "P4"}), playbooks) is None
    leak = alert(rule="x", severity="P1", terms=["ข้อมูลรั่ว", "ลูกค้า"])
    assert match_playbook(leak, playbooks).id == "data-leak-pdpa"
    rumour = alert(rule="x", severity="P3", title_th="ข่าวลือระบบถูกแฮก")
    assert match_playbook(rumour, playbooks).id == "rumour-fake-news"
    surge = alert(rule="brand-negative-surge", rule_type="threshold", severity="P2", title_th="ข้อความเชิงลบพุ่ง")
    assert match_playbook(surge, playbooks).id == "complaint-surge"
    news = alert(rule="x", rule_type="watch", severity="P4", terms=["สำนักข่าว", "ผู้บริหาร"])
    assert match_playbook(news, playbooks).id == "negative-news"
    hinted = alert(rule="data-leak-rumour", severity="P1", playbook_hint="rumour-fake-news", terms=["ข้อมูลรั่ว"])
    assert match_playbook(hinted, playbooks).id == "rumour-fake-news"


# -- rendering -----------------------------------------------------------------


def test_render_template_fills_and_keeps_missing_visible():
    text = render_template("{brand} ขออภัย ({count} ข้อความ) {top_terms}", {"brand": "การไฟฟ้าตัวอย่าง", "count": 7})
    assert text == "การไฟฟ้าตัวอย่าง ขออภัย (7 ข้อความ) {top_terms}"
    assert render_template("{{ไม่ใช่ตัวแปร}} {brand}", {"brand": "ก", "อื่น": 1}) == "{ไม่ใช่ตัวแปร} ก"
    assert render_template("{top_terms}", {"top_terms": ["ล่ม", "ช้า"]}) == "ล่ม, ช้า"
    with pytest.raises(ConfigError, match=r"unknown template variable \{author\}.*\{brand\}"):
        render_template("{author} ขออภัย", SAMPLE)
    assert set(TEMPLATE_VARIABLES) == {"brand", "key", "count", "rule", "window", "top_terms", "since", "playbook"}


def test_alert_variables():
    playbook = next(p for p in load_playbooks() if p.id == "service-outage")
    a = alert(terms=["ล่ม", "แอป"], count=42)
    values = alert_variables(a, brand="ธนาคารสยามตัวอย่าง", playbook=playbook)
    assert values["window"] == "15 นาที"
    text = render_template("{playbook}: {brand} {count} ข้อความ ตั้งแต่ {since} ({top_terms})", values)
    assert text == "ระบบบริการขัดข้อง: ธนาคารสยามตัวอย่าง 42 ข้อความ ตั้งแต่ 2026-11-21 09:15 (ล่ม, แอป)"


def test_duration_words():
    assert duration_words(timedelta(minutes=15)) == "15 นาที"
    assert duration_words(timedelta(minutes=90)) == "1 ชั่วโมง 30 นาที"
    assert duration_words(timedelta(hours=24)) == "24 ชั่วโมง"
    assert duration_words(timedelta(hours=72)) == "72 ชั่วโมง"
    assert duration_words(timedelta(days=7)) == "7 วัน"
    assert duration_words(timedelta(hours=1), "en") == "1 hour"
    assert duration_words(timedelta(days=30), "en") == "30 days"


def test_first_steps_thai_and_english(tmp_path):
    p = load_playbook_file(write(tmp_path, "p.yaml", good()))
    assert first_steps(p) == [
        "1. ยืนยันเหตุกับทีมไอที (on-call, ภายใน 15 นาที)",
        "2. แจ้งผู้ป่วยทางเพจ (pr-lead, ภายใน 1 ชั่วโมง)",
    ]
    assert first_steps(p, n=1, lang="en") == ["1. Confirm with IT (on-call, within 15 minutes)"]
    # no English title → the Thai one
    assert first_steps(p, lang="en")[1] == "2. แจ้งผู้ป่วยทางเพจ (pr-lead, within 1 hour)"


def test_first_steps_of_shipped_outage():
    p = next(p for p in load_playbooks() if p.id == "service-outage")
    steps = first_steps(p)
    assert len(steps) == 3
    assert steps[0] == "1. ยืนยันเหตุขัดข้องกับทีมไอที (on-call, ภายใน 15 นาที)"
    assert all(re.fullmatch(r"\d\. .+ \([a-z-]+, ภายใน \d+ (นาที|ชั่วโมง|วัน)\)", s) for s in steps)


def test_docs_cover_schema_variables_and_library():
    from playbooks.schema import EscalationLevel, Playbook, Response, Sla, Stakeholder, Step, Text, When

    docs = (Path(__file__).resolve().parent.parent / "docs" / "playbooks.md").read_text(encoding="utf-8")
    for model in (Playbook, When, Step, Response, Text, Sla, EscalationLevel, Stakeholder):
        for name in model.model_fields:
            assert f"`{name}`" in docs, f"docs/playbooks.md does not describe {model.__name__}.{name}"
    for name in TEMPLATE_VARIABLES:
        assert f"`{{{name}}}`" in docs
    for p in load_playbooks():
        assert f"`{p.id}`" in docs and p.title.th in docs and Path(p.source).name in docs


# -- SLA, escalation and stakeholders -------------------------------------------

NEW_IDS = ("product-safety", "executive-mention", "environment-community", "natural-disaster")

CLOCKS = """\
sla:
  acknowledge: 15m
  first_response: 2h
  resolve: 3d
escalation:
  - after: 15m
    notify: [console]
    roles: [on-call, pr-lead]
    message: {th: "[{playbook}] ยังไม่มีผู้รับทราบ {key}", en: "[{playbook}] {key} not acknowledged"}
  - after: 1h
    roles: [executive]
stakeholders:
  - name: {th: สำนักงานคณะกรรมการอาหารและยา (อย.), en: Thai FDA}
    role: regulator
    how: email
    when: 24h
  - name: ผู้นำชุมชน
    role: community-leader
    how: line
"""


def with_clocks(pid: str = "booking-outage", clocks: str = CLOCKS, keep_acknowledge_within: bool = False) -> str:
    text = good(pid)
    if not keep_acknowledge_within:
        text = text.replace("acknowledge_within: 15m\n", "")
    return text.replace("steps:\n", clocks + "steps:\n", 1)


def test_library_has_the_new_playbooks():
    playbooks = load_playbooks()
    ids = [p.id for p in playbooks]
    assert len(ids) >= 10
    for required in NEW_IDS:
        assert required in ids
    # specific playbooks are tried before the broad complaint-surge, which stays last
    assert ids[-1] == "complaint-surge"
    assert Path(playbooks[-1].source).name.startswith("90-")
    # negative news about an executive goes to negative-news, a mere mention to executive-mention
    assert ids.index("negative-news") < ids.index("executive-mention")


def test_shipped_playbooks_have_sla_escalation_and_stakeholders():
    # shipped escalation levels name no notifier (empty: the alert's own notifiers), so they load with any config
    for p in load_playbooks(known_notifiers=set()):
        assert p.sla.acknowledge is not None and p.sla.acknowledge == p.acknowledge_within, p.id
        assert p.sla.first_response is not None and p.sla.resolve is not None, p.id
        assert p.sla.acknowledge <= p.sla.first_response <= p.sla.resolve, p.id
        assert p.stakeholders and all(s.name.th and s.role for s in p.stakeholders), p.id
        assert p.escalation, p.id
        assert p.escalation[0].after >= p.acknowledge_within, p.id
        afters = [level.after for level in p.escalation]
        assert afters == sorted(set(afters)), p.id
        for level in p.escalation:
            assert level.notify == [], p.id
            assert level.roles, p.id


def test_shipped_clocks_from_brief():
    by_id = {p.id: p for p in load_playbooks()}
    leak = by_id["data-leak-pdpa"]
    pdpc = [s for s in leak.stakeholders if "สคส." in s.name.th]
    assert pdpc and pdpc[0].role == "regulator" and pdpc[0].when == timedelta(hours=72)
    assert by_id["complaint-surge"].sla.first_response == timedelta(hours=24)
    safety = by_id["product-safety"]
    assert safety.severity == "P1"
    assert any("อย." in s.name.th for s in safety.stakeholders)
    env = by_id["environment-community"]
    assert any(s.role == "community-leader" for s in env.stakeholders)
    assert any("กรมโรงงานอุตสาหกรรม" in s.name.th for s in env.stakeholders)
    assert any("ปภ." in s.name.th for s in by_id["natural-disaster"].stakeholders)
    assert by_id["executive-mention"].when.rule_types == ["watch"]
    for pid, words in {
        "product-safety": {"ปนเปื้อน", "เรียกคืน", "อาหารเป็นพิษ", "สิ่งแปลกปลอม"},
        "environment-community": {"กลิ่นเหม็น", "ฝุ่น", "เสียงดัง", "มลพิษ"},
        "natural-disaster": {"น้ำท่วม", "พายุ", "แผ่นดินไหว", "ภัยพิบัติ"},
        "executive-mention": {"ผู้บริหาร", "ซีอีโอ", "ประธาน", "กรรมการผู้จัดการ"},
    }.items():
        assert words <= set(by_id[pid].when.keywords), pid


def test_every_shipped_escalation_message_renders():
    for p in load_playbooks():
        for level in p.escalation:
            if level.message is None:
                continue
            for lang in ("th", "en"):
                text = render_template(level.message.get(lang), SAMPLE, lang)
                assert "{" not in text and "}" not in text, (p.id, level.after, lang)


def test_sla_stakeholders_and_escalation_parse(tmp_path):
    p = load_playbook_file(write(tmp_path, "p.yaml", with_clocks()), known_notifiers={"console"})
    # sla.acknowledge replaces acknowledge_within; both hold it once loaded
    assert p.sla.acknowledge == p.acknowledge_within == timedelta(minutes=15)
    assert p.sla.first_response == timedelta(hours=2) and p.sla.resolve == timedelta(days=3)
    assert [level.after for level in p.escalation] == [timedelta(minutes=15), timedelta(hours=1)]
    assert p.escalation[0].notify == ["console"] and p.escalation[1].notify == []
    assert p.escalation[1].roles == ["executive"] and p.escalation[1].message is None
    assert render_template(p.escalation[0].message.get("en"), SAMPLE) == "[ระบบบริการขัดข้อง] แอป SiamPay not acknowledged"
    fda, leaders = p.stakeholders
    assert fda.name.th.endswith("(อย.)") and fda.name.get("en") == "Thai FDA" and fda.how == "email"
    assert fda.when == timedelta(hours=24)
    # a plain string name is read as Thai text; `when` may be left out
    assert leaders.name.th == "ผู้นำชุมชน" and leaders.name.get("en") == "ผู้นำชุมชน" and leaders.when is None
    assert [level.after for level in p.escalation_due(timedelta(minutes=20))] == [timedelta(minutes=15)]
    assert p.escalation_due(timedelta(minutes=5)) == []


def test_acknowledge_within_alone_still_works_and_both_must_agree(tmp_path):
    old = load_playbook_file(write(tmp_path, "old.yaml", good()))
    assert old.acknowledge_within == old.sla.acknowledge == timedelta(minutes=15)
    assert old.sla.first_response is None and old.escalation == [] and old.stakeholders == []
    both = load_playbook_file(write(tmp_path, "both.yaml", with_clocks(keep_acknowledge_within=True)))
    assert both.acknowledge_within == timedelta(minutes=15)
    text = with_clocks(keep_acknowledge_within=True).replace("  acknowledge: 15m", "  acknowledge: 30m")
    path = write(tmp_path, "differ.yaml", text)
    msg = load_error([path], shipped=False)
    assert f"{path}:{line_of(text, 'acknowledge: 30m')}: sla.acknowledge: 30m differs from acknowledge_within (15m)" in msg
    neither = with_clocks().replace("  acknowledge: 15m\n", "")
    path = write(tmp_path, "neither.yaml", neither)
    msg = load_error([path], shipped=False)
    assert ": acknowledge_within: required but missing (give sla.acknowledge, or acknowledge_within)" in msg


def test_escalation_after_must_increase(tmp_path):
    text = with_clocks().replace("  - after: 1h", "  - after: 15m")
    path = write(tmp_path, "p.yaml", text)
    msg = load_error([path], shipped=False)
    second = [i for i, line in enumerate(text.splitlines(), start=1) if "- after: 15m" in line][1]
    assert f"{path}:{second}: escalation[1].after: after 15m is not later than escalation[0].after (15m)" in msg
    assert "strictly later" in msg and len(msg.splitlines()) == 1


def test_first_escalation_level_not_before_acknowledge(tmp_path):
    text = with_clocks().replace("  - after: 15m", "  - after: 10m")
    path = write(tmp_path, "p.yaml", text)
    msg = load_error([path], shipped=False)
    assert f"{path}:{line_of(text, 'after: 10m')}: escalation[0].after:" in msg
    assert "before the time to acknowledge (sla.acknowledge: 15m)" in msg
    assert "the first level's after must be at least 15m" in msg
    # with the older acknowledge_within, the error names that
    old = with_clocks(keep_acknowledge_within=True).replace("  acknowledge: 15m\n", "").replace("  - after: 15m", "  - after: 10m")
    msg = load_error([write(tmp_path, "old.yaml", old)], shipped=False)
    assert "(acknowledge_within: 15m)" in msg


def test_sla_clocks_in_order(tmp_path):
    text = with_clocks().replace("first_response: 2h", "first_response: 10m").replace("resolve: 3d", "resolve: 5m")
    path = write(tmp_path, "p.yaml", text)
    lines = load_error([path], shipped=False).splitlines()
    assert lines[0].startswith(f"{path}:{line_of(text, 'first_response')}: sla.first_response: 10m is shorter than")
    assert lines[1].startswith(f"{path}:{line_of(text, 'resolve')}: sla.resolve: 5m is shorter than first_response (10m)")


def test_unknown_notifier_names_known_notifiers(tmp_path):
    text = with_clocks().replace("notify: [console]", "notify: [console, line-pr]")
    path = write(tmp_path, "p.yaml", text)
    msg = load_error([path], shipped=False, known_notifiers={"console", "slack-oncall"})
    assert (
        f"{path}:{line_of(text, 'line-pr')}: escalation[0].notify[1]: notifier 'line-pr' does not exist "
        "(known notifiers: console, slack-oncall)"
    ) in msg
    # without known_notifiers, notifier ids are not checked
    assert load_playbook_file(path).escalation[0].notify == ["console", "line-pr"]
    with pytest.raises(ConfigError, match="notifier 'line-pr' does not exist"):
        load_playbook_file(path, known_notifiers={"console"})
    assert load_playbook_file(path, known_notifiers={"console", "line-pr"}).id == "booking-outage"


def test_escalation_and_stakeholder_errors(tmp_path):
    text = (
        with_clocks()
        .replace("    roles: [executive]", "    roles: [executive]\n    notfy: [console]")
        .replace("    how: line", "    how: fax")
        .replace('"[{playbook}] ยังไม่มีผู้รับทราบ {key}"', '"[{playbook}] ยังไม่มีผู้รับทราบ {ผู้บริหาร}"')
        .replace("notify: [console]", "notify: [console, console]")
    )
    path = write(tmp_path, "p.yaml", text)
    msg = load_error([path], shipped=False)
    assert f"{path}:{line_of(text, 'notfy')}: escalation[1].notfy: unknown key 'notfy' (allowed: after, notify, roles, message)" in msg
    assert f"{path}:{line_of(text, 'how: fax')}: stakeholders[1].how: Input should be 'social', 'press'" in msg
    assert f"{path}:{line_of(text, 'message:')}: escalation[0].message: unknown template variable {{ผู้บริหาร}}" in msg
    assert "escalation[0].notify: notifier id 'console' is listed twice" in msg
    missing = with_clocks().replace("    role: community-leader\n", "")
    msg = load_error([write(tmp_path, "m.yaml", missing)], shipped=False)
    assert "stakeholders[1].role: required but missing" in msg


def test_negative_times_are_refused():
    import yaml
    from pydantic import ValidationError

    from playbooks.schema import Playbook

    for change in (
        lambda d: d["steps"][0].update(due=timedelta(minutes=-5)),
        lambda d: d.update(acknowledge_within=timedelta(minutes=-15)),
        lambda d: d["escalation"][0].update(after=timedelta(seconds=-1)),
    ):
        data = yaml.safe_load(good())
        data["escalation"] = [{"after": "30m"}]
        change(data)
        with pytest.raises(ValidationError, match="must be 0s or longer"):
            Playbook.model_validate(data)
    data = yaml.safe_load(good())
    data["steps"][0]["due"] = timedelta(0)
    assert Playbook.model_validate(data).steps[0].due == timedelta(0)


def test_shape_errors_are_plain_and_said_once(tmp_path):
    escalation = write(tmp_path, "e.yaml", good() + "escalation: [30m]\n")
    msg = load_error([escalation], shipped=False)
    assert msg == f"{escalation}:25: escalation[0]: must be a mapping with keys: after, notify, roles, message (got '30m')"
    text = good().replace("acknowledge_within: 15m\n", "sla: 15m\n")
    sla = write(tmp_path, "s.yaml", text)
    msg = load_error([sla], shipped=False)  # not also "acknowledge_within: required but missing"
    assert msg == f"{sla}:{line_of(text, 'sla:')}: sla: must be a mapping with keys: acknowledge, first_response, resolve (got '15m')"
    types = write(tmp_path, "t.yaml", good().replace("keywords: [จองคิวไม่ได้]", "rule_types: [Watch]"))
    msg = load_error([types], shipped=False, known_rule_types={"watch", "threshold"})
    assert len(msg.splitlines()) == 1 and "rule type 'Watch'" in msg


def test_playbook_built_in_code_checks_clocks():
    import yaml
    from pydantic import ValidationError

    from playbooks.schema import Playbook

    data = yaml.safe_load(with_clocks().replace("  - after: 1h", "  - after: 5m"))
    with pytest.raises(ValidationError, match=r"escalation\[0\].after: the first level starts after 15m|escalation\[1\].after"):
        Playbook.model_validate(data)
    data = yaml.safe_load(with_clocks())
    assert Playbook.model_validate(data).acknowledge_within == timedelta(minutes=15)
    del data["sla"]["acknowledge"]
    with pytest.raises(ValidationError, match="acknowledge_within: required but missing"):
        Playbook.model_validate(data)


def test_new_playbooks_matching():
    playbooks = load_playbooks()
    contamination = alert(
        rule="brand-negative-surge", rule_type="threshold", severity="P2", terms=["ปนเปื้อน", "นม", "ร้องเรียน"]
    )
    assert match_playbook(contamination, playbooks).id == "product-safety"
    # the same surge without the word is a complaint surge
    plain = contamination.model_copy(update={"terms": ["นม", "ร้องเรียน"]})
    assert match_playbook(plain, playbooks).id == "complaint-surge"
    recall = alert(rule="x", rule_type="watch", severity="P3", title_th="อย. สั่งเรียกคืนสินค้า")
    assert match_playbook(recall, playbooks).id == "product-safety"
    smell = alert(rule="x", rule_type="threshold", severity="P3", terms=["โรงงาน", "กลิ่นเหม็น", "ชาวบ้าน"])
    assert match_playbook(smell, playbooks).id == "environment-community"
    # "น้ำเสียง" (tone of voice) is not wastewater: a complaint about staff stays a complaint surge
    tone = alert(rule="x", rule_type="threshold", severity="P3", terms=["พนักงาน", "น้ำเสียง", "ไม่สุภาพ"])
    assert match_playbook(tone, playbooks).id == "complaint-surge"
    flood = alert(rule="x", rule_type="watch", severity="P2", query="น้ำท่วม OR ไฟดับ", terms=["สาขา", "ไฟดับ"])
    assert match_playbook(flood, playbooks).id == "natural-disaster"
    ceo = alert(rule="x", rule_type="watch", severity="P4", terms=["ซีอีโอ", "สัมภาษณ์"])
    assert match_playbook(ceo, playbooks).id == "executive-mention"
    # executive-mention is for watch rules only
    assert match_playbook(ceo.model_copy(update={"rule_type": "threshold"}), playbooks) is None


def test_yaml_values_are_those_of_safe_load():
    # parse_yaml builds the values from the nodes it composed for the line map (one parse).
    import yaml

    from sadap.core.yamlsource import parse_yaml

    root = Path(__file__).resolve().parents[1]
    files = sorted(p for p in root.glob("playbooks/**/*.yaml")) + [root / "enrich" / "lexicons" / p.name
                                                                   for p in (root / "enrich" / "lexicons").glob("*.yaml")]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert parse_yaml(text, str(path))[0] == yaml.safe_load(text), path
    assert parse_yaml("", "empty.yaml")[0] is None
    assert parse_yaml("a: &x [1, 2]\nb: *x\n", "alias.yaml")[0] == {"a": [1, 2], "b": [1, 2]}


def test_a_close_reason_listed_twice_is_one_line(tmp_path):
    text = good() + "close_reasons: [resolved, false_alarm, resolved]\n"
    path = write(tmp_path, "twice.yaml", text)
    msg = load_error([path], shipped=False)
    assert f"{path}:{line_of(text, 'close_reasons')}: close_reasons: close reason 'resolved' is listed twice" in msg
