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


# Imports inside functions are kept only for heavy libraries (models, numeric and NLP stacks,
# backends and the web stack that most commands never need), and for the modules of Sadap's own
# that exist to wrap one of them. Everything else is imported at the top, where import-linter sees it.
HEAVY = (
    "torch", "transformers", "onnx", "onnxruntime", "sklearn", "scipy", "joblib", "threadpoolctl", "numpy",
    "pythainlp", "tokenizers", "safetensors", "elasticsearch", "elastic_transport", "fastapi", "uvicorn",
    "starlette", "playwright", "extruct", "htmldate", "trafilatura", "feedparser", "redis", "scrapy_redis", "weasyprint", "argon2", "jinja2", "matplotlib", "fontTools",
    "sadap.store.elasticsearch", "sadap.store.es_", "enrich.sentiment.transformer", "enrich.sentiment.onnx_model",
    "enrich.sentiment.linear", "enrich.sentiment.ensemble", "enrich.training", "sadap.app.web",
    "crawlers.spiders",  # Scrapy and Twisted: a config without sources loads without them
)


def function_level_imports() -> list[tuple[str, int, str]]:
    import ast

    found = []
    for package in ("sadap", "crawlers", "enrich", "alerts", "playbooks"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for inner in ast.walk(node):
                        if isinstance(inner, ast.ImportFrom):
                            found.append((str(path.relative_to(ROOT)), inner.lineno, inner.module or ""))
                        elif isinstance(inner, ast.Import):
                            found.extend((str(path.relative_to(ROOT)), inner.lineno, a.name) for a in inner.names)
    return sorted(set(found))


def test_function_level_imports_are_only_for_heavy_libraries():
    light = [
        f"{path}:{line}: {module}"
        for path, line, module in function_level_imports()
        if not any(module == h or module.startswith(h if h.endswith("_") else h + ".") for h in HEAVY)
    ]
    assert not light, "import these at the top of the module:\n" + "\n".join(light)


def test_each_workspace_page_declares_routes_nav_and_words_without_clashes():
    from sadap.app.web.i18n import WORDS
    from sadap.app.web.pages import PAGES
    from sadap.app.web.routes import ROUTES

    core_paths = {(path, tuple(methods)) for path, _, methods in ROUTES}
    seen_words: set[str] = set(WORDS)
    for page in PAGES:
        assert page.ROUTES, page.__name__
        for path, handler, methods in page.ROUTES:
            assert (path, tuple(methods)) not in core_paths, f"{page.__name__}: {path} is already a core route"
            assert callable(handler)
        if page.NAV is not None:
            nav_path, nav_word, nav_role = page.NAV
            assert nav_role in ("viewer", "responder", "planner", "admin")
            assert nav_word in WORDS or nav_word in page.WORDS, f"{page.__name__}: no words for {nav_word}"
        clash = seen_words & set(page.WORDS)
        assert not clash, f"{page.__name__} redefines {sorted(clash)}"
        seen_words |= set(page.WORDS)
