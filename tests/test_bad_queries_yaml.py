"""Bad input to search and to YAML files gets one clear line, never a traceback: a very long
query (Thai without spaces is one phrase of many words), a query with no word to search, and
YAML with a control character or an alias inside the value it names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from enrich.normalize import normalize
from enrich.tokenize import tokenize
from sadap.app.cli import main
from sadap.app.config import load_config_file
from sadap.core.errors import ConfigError, InputError
from sadap.core.yamlsource import MAX_DEPTH, parse_yaml
from sadap.store import MentionFilter
from sadap.store.query import MAX_SPELLINGS, parse_query, spellings
from sadap.store.sqlite import SQLiteStore
from tests.factories import mention

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
WORDS = ("ธนาคารแสงทอง", "แสงทอง", "แอปแสงทอง", "แสงทองพลัส", "แอปแสงทองพลัส")
# A real complaint, spaces taken out (as people paste Thai), made about 5,000 characters long.
POST = (
    "แอปแสงทองล่มอีกแล้วตั้งแต่เช้าโอนเงินไม่ได้เลยกดเข้าแอปแสงทองพลัสก็ขึ้นว่าระบบขัดข้องโทรหาคอลเซ็นเตอร์"
    "ธนาคารแสงทองก็รอสายนานมากสุดท้ายต้องไปกดเงินที่ตู้แทนเสียเวลาไปครึ่งวันอยากให้ธนาคารแสงทองแก้ไขด่วน"
)
LONG = (POST * (5000 // len(POST) + 1))[:5000]
SPAM = "แอปล่ม" * 600
CONFIG = (
    "data_dir: data\nwatch:\n  - name: ธนาคารแสงทอง\n    aliases: [แสงทอง, แอปแสงทอง]\n"
    "  - name: แสงทองพลัส\n    aliases: [แอปแสงทองพลัส]\nrules: []\nnotifiers: []\n"
)


def sadap(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sadap", *args], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


NO_WORDS = ("*", "(", ")", "-", "#", "\\", '""', "!!! ???", "😡")


@pytest.fixture
def config(tmp_path):
    (tmp_path / "sadap.yaml").write_text(CONFIG, encoding="utf-8")
    cfg = load_config_file(tmp_path / "sadap.yaml")
    words = cfg.custom_words()
    posts = [mention(1, LONG, "neg", NOW), mention(2, "แอปแสงทองล่ม โอนเงินไม่ได้", "neg", NOW),
             mention(3, "พนักงานสาขาบริการดีมาก ประทับใจ", "pos", NOW)]
    store = SQLiteStore(cfg.store_path)
    store.upsert([m.model_copy(update={"tokens": tokenize(normalize(m.text), words)}) for m in posts])
    store.close()
    return cfg


def cli_search(cfg, query: str):
    return CliRunner().invoke(main, ["search", query, "--config", str(cfg.path), "--json"])


# -- long queries -------------------------------------------------------------------------------
def test_a_long_query_is_parsed_without_recursion_and_quickly():
    started = time.monotonic()
    query = parse_query(SPAM, WORDS)
    [group] = query.all_of
    assert group[0] == tuple(["แอป", "ล่ม"] * 600)
    query = parse_query(LONG, WORDS)
    [group] = query.all_of
    assert len(group[0]) > 900 and 1 < len(group) <= MAX_SPELLINGS  # the compounds' spellings, capped
    assert time.monotonic() - started < 20


def test_spellings_of_a_long_phrase_keep_their_order():
    compounds = {"ธนาคารแสงทอง": ("ธนาคาร", "แสงทอง"), "แอปแสงทอง": ("แอป", "แสงทอง")}
    phrase = ("ธนาคาร", "แสงทอง", "ล่ม") * 2000  # 6,000 words: far past Python's recursion limit
    got = spellings(phrase, compounds)
    assert got[0] == phrase and len(got) == MAX_SPELLINGS
    # depth first: the last words change first, each spelling once
    assert got[1] == phrase[:-3] + ("ธนาคารแสงทอง", "ล่ม") and len(set(got)) == len(got)
    assert spellings(("แสงทอง",), compounds) == [("แสงทอง",), ("ธนาคารแสงทอง",), ("แอปแสงทอง",)]


def test_a_long_query_searches_the_store(config):
    store = SQLiteStore(config.store_path)
    try:
        found = store.search(MentionFilter(query=parse_query(LONG, tuple(config.custom_words()))), limit=5)
        assert [m.text for m in found] == [LONG]
        assert store.count(MentionFilter(query=parse_query(SPAM, tuple(config.custom_words())))) == 0
    finally:
        store.close()


def test_cli_search_takes_a_long_query(config):
    done = cli_search(config, LONG)
    assert done.exit_code == 0, done.output
    assert [m["text"] for m in json.loads(done.stdout)] == [LONG]
    done = cli_search(config, SPAM)
    assert done.exit_code == 0 and json.loads(done.stdout) == []
    assert cli_search(config, "แอปแสงทอง ล่ม").exit_code == 0


# -- queries with no word --------------------------------------------------------------------
@pytest.mark.parametrize("text", NO_WORDS)
def test_a_query_with_no_word_is_refused(text):
    with pytest.raises(InputError) as err:
        parse_query(text, WORDS)
    message = str(err.value)
    assert "\n" not in message and "has no words to search" in message and "give at least one word" in message


def test_a_blank_query_still_means_no_query_and_a_word_still_counts():
    assert parse_query("").empty and parse_query("   ").empty
    assert parse_query("-ล่ม").none_of == (("ล่ม",),)  # only a word to leave out: still a query
    assert parse_query("ล่ม *").all_of == ((("ล่ม",),),)  # a sign beside a word: ignored as before
    with pytest.raises(InputError, match="has no words") as err:
        parse_query("-" * 5000)
    assert len(str(err.value)) < 200  # the query is cut in the message


@pytest.mark.parametrize("text", ["*", '""', "-"])
def test_cli_search_with_no_word_fails_with_one_line(config, text):
    done = cli_search(config, text)
    assert done.exit_code == 1
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("sadap: query ") and "has no words to search" in line


def test_a_rule_whose_query_has_no_word_is_refused_at_load(tmp_path):
    path = tmp_path / "sadap.yaml"
    path.write_text(
        CONFIG.replace(
            "rules: []\n",
            "rules:\n  - id: outage\n    type: threshold\n    title: แอปล่ม\n    query: '*'\n"
            "    limit: 5\n    window: 1h\n",
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_config_file(path)
    [line] = str(err.value).splitlines()
    assert line.startswith(f"{path}:") and "rules[0]" in line and "query '*' has no words to search" in line
    done = CliRunner().invoke(main, ["search", "แอป", "--config", str(path)])
    assert done.exit_code == 1 and "rules[0]" in done.stderr and "Traceback" not in done.output


@pytest.mark.parametrize("query", ["-ล่ม", "-ล่ม -\"โอนไม่ได้\""])
def test_a_rule_whose_query_only_leaves_words_out_is_refused_in_one_line(tmp_path, query):
    path = tmp_path / "sadap.yaml"
    rule = f"rules:\n  - id: outage\n    type: watch\n    title: แอปล่ม\n    query: '{query}'\n"
    path.write_text(CONFIG.replace("rules: []\n", rule), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config_file(path)
    [line] = str(err.value).splitlines()
    assert line.startswith(f"{path}:") and "rules[0]" in line
    assert f"query {query!r} only leaves words out: give at least one word to look for" in line
    # ...while search still takes one: "everything but ล่ม" is a fair thing to look at
    assert parse_query(query).none_of and not parse_query(query).all_of
    path.write_text(CONFIG.replace("rules: []\n", rule.replace(query, "แอป " + query)), encoding="utf-8")
    assert [r.id for r in load_config_file(path).alert_rules] == ["outage"]


def test_web_mentions_page_shows_a_query_with_no_word_as_a_message(config):
    pytest.importorskip("starlette.testclient")
    from starlette.testclient import TestClient

    from sadap.app.web import create_app
    from sadap.app.web.auth import add_user
    from tests.web_support import PASSWORD, sign_in

    store = SQLiteStore(config.store_path)
    try:
        add_user(store, "viewer", "viewer", PASSWORD)
        client = TestClient(create_app(config, store), base_url="http://127.0.0.1")
        assert sign_in(client, "viewer").status_code == 303
        page = client.get("/mentions", params={"q": "*"})
        assert page.status_code == 400 and "has no words to search" in page.text
        api = client.get("/api/mentions", params={"q": "*"})
        assert api.status_code == 400 and "has no words to search" in api.json()["error"]
        assert client.get("/mentions", params={"q": SPAM}).status_code == 200
    finally:
        store.close()


# -- YAML ------------------------------------------------------------------------------------
@pytest.mark.parametrize("char", ["\x0b", "\x1b", "\x7f"])
def test_a_control_character_is_one_line_with_its_place(tmp_path, char):
    path = tmp_path / "sadap.yaml"
    path.write_text(CONFIG.replace("aliases: [แสงทอง", f"aliases: [แสง{char}ทอง"), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config_file(path)
    [line] = str(err.value).splitlines()
    assert line.startswith(f"{path}:4: control character \\x{ord(char):02x} (column ")
    assert "not allowed" in line


def test_an_alias_inside_its_own_value_is_refused():
    for text, line in [("x: &a [*a]\n", 1), ("watch:\n  - &w\n    name: แสงทอง\n    aliases: [*w]\n", 2),
                       ("a: &m {k: *m}\n", 1)]:
        with pytest.raises(ConfigError) as err:
            parse_yaml(text, "f.yaml")
        [message] = str(err.value).splitlines()
        assert message.startswith(f"f.yaml:{line}: an alias (*name) refers to the value that contains it")
    # an alias used beside its anchor (not inside it) is fine
    data, _ = parse_yaml("base: &b {name: แสงทอง}\nwatch: [*b, *b]\n", "f.yaml")
    assert data["watch"] == [{"name": "แสงทอง"}] * 2


def test_nesting_too_deep_is_refused():
    for depth in (MAX_DEPTH + 1, 600, 5000):  # libyaml reads 600; the pure-Python loader runs out at 5000
        with pytest.raises(ConfigError) as err:
            parse_yaml("x: " + "[" * depth + "]" * depth + "\n", "f.yaml")
        [message] = str(err.value).splitlines()
        assert message.startswith("f.yaml") and f"nest more than {MAX_DEPTH} levels deep" in message
    data, _ = parse_yaml("x: " + "[" * 10 + "]" * 10 + "\n", "f.yaml")
    assert data["x"] is not None


def test_playbooks_validate_names_a_control_character(tmp_path):
    shipped = (ROOT / "playbooks" / "library" / "10-service-outage.yaml").read_text(encoding="utf-8")
    lines = shipped.split("\n")
    where = next(i for i, line in enumerate(lines) if line.startswith("  th:"))
    lines[where] += "\x1b"
    bad = tmp_path / "bad.yaml"
    bad.write_text("\n".join(lines), encoding="utf-8")
    (tmp_path / "sadap.yaml").write_text("rules: []\n", encoding="utf-8")
    done = sadap("playbooks", "validate", str(bad), cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert f"{bad}:{where + 1}: control character \\x1b" in line
    looped = tmp_path / "loop.yaml"
    looped.write_text(shipped.replace("id: service-outage", "id: my-outage") + "extra: &x [*x]\n", encoding="utf-8")
    done = sadap("playbooks", "validate", str(looped), cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert "an alias (*name) refers to the value that contains it" in line
