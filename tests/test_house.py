"""The house: layers checked by import-linter, and every extension point declared once: each list
that people or code read is generated from its registry, so adding a spider, notifier, rule type
or group-by field is one module plus one registration line (docs/contributing.md)."""

from __future__ import annotations

import subprocess
import sys
import typing
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from alerts.notifiers import NOTIFIERS, NotifierConfig
from alerts.rules import RULE_TYPES
from alerts.rules.base import RuleOptions
from crawlers.items import MentionItem
from crawlers.spiders import SPIDERS
from playbooks.loader import load_playbooks
from sadap.app.sources import SourceConfig, source_kinds
from sadap.core.mention import RawMention
from sadap.store import GROUP_FIELDS, RULE_GROUP_FIELDS

ROOT = Path(__file__).resolve().parents[1]


def test_layer_contracts_hold():
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def _tags(annotation: typing.Any, field: str) -> set[str]:
    members = typing.get_args(typing.get_args(annotation)[0])
    return {typing.get_args(m.model_fields[field].annotation)[0] for m in members}


def test_every_spider_is_a_source_kind_with_labels_and_docs():
    reference = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    crawlers_doc = (ROOT / "docs" / "crawlers.md").read_text(encoding="utf-8")
    assert _tags(SourceConfig, "kind") == {*SPIDERS, "file"}
    for kind, spider in SPIDERS.items():
        assert spider.source_kind == kind
        assert source_kinds()[kind] == spider.label and all(spider.label)
        assert f"### kind `{kind}`" in reference
        assert f"`{kind}`" in crawlers_doc, f"docs/crawlers.md does not describe the {kind} spider"


def test_every_notifier_is_a_config_type_with_docs():
    reference = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert _tags(NotifierConfig, "type") == set(NOTIFIERS)
    for name in NOTIFIERS:
        assert f"### type `{name}`" in reference
    with pytest.raises(ValidationError, match="webhook"):
        TypeAdapter(NotifierConfig).validate_python({"id": "x", "type": "pager"})


def test_rule_types_and_group_fields_come_from_one_table():
    assert {name for name, cls in RULE_TYPES.items() if cls.type_name == name} == set(RULE_TYPES)
    group_by = RuleOptions.model_fields["group_by"].annotation
    allowed = {a for arg in typing.get_args(group_by) for a in typing.get_args(arg)}
    assert allowed == set(RULE_GROUP_FIELDS)
    assert set(RULE_GROUP_FIELDS) <= set(GROUP_FIELDS)
    for name in RULE_GROUP_FIELDS:
        assert GROUP_FIELDS[name].filter is not None


def test_shipped_playbooks_name_only_registered_rule_types():
    for playbook in load_playbooks(known_rule_types=set(RULE_TYPES)):
        assert set(playbook.when.rule_types) <= set(RULE_TYPES), playbook.id


def test_spider_items_carry_exactly_the_raw_mention_fields():
    assert set(MentionItem.fields) == set(RawMention.model_fields)


def test_every_shipped_category_and_complaint_type_has_its_names():
    from enrich.voc import Lexicons, load_default

    shipped = load_default()
    for kind in ("categories", "complaint_types"):
        names = Lexicons.names(kind)
        assert set(names) == {*shipped[kind], "other"}, kind
        assert all(th and en for th, en in names.values())
