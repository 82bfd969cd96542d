"""Full-text search for a brand's short name inside the longer custom words that contain it
(``แสงทอง`` finds ``ธนาคารแสงทอง``), and for the words inside hashtags (``down`` finds
``#SaengThongDown``): the query side, the enrichment side, an SQLite file and the command
line. Both store backends run the same cases in tests/test_store_contract.py."""

from __future__ import annotations

import json
import logging

import pytest
from click.testing import CliRunner

from enrich.hashtags import hashtag_search_words, hashtag_words
from enrich.normalize import normalize
from enrich.tokenize import compound_parts, index_terms, tokenize
from sadap.app.cli import main
from sadap.app.config import load_config_file
from sadap.app.importer import import_file
from sadap.store.query import MAX_SPELLINGS, matches_tokens, parse_query
from sadap.store import MentionFilter
from sadap.store.sqlite import SCHEMA_VERSION, SQLiteStore
from tests.factories import mention
from tests.test_alerts import NOW

# The demo bank (sadap/app/demo/story.json): its name, aliases and product, as `sadap demo` configures them.
DEMO_WORDS = (
    "ธนาคารแสงทอง", "Saengthong Bank", "แสงทอง", "ธ.แสงทอง", "แบงก์แสงทอง", "Saengthong", "ST Bank",
    "แสงทอง พลัส", "ST Plus", "แอปแสงทอง", "แสงทองพลัส", "แอปแสงทองพลัส", "แอปแสงทอง พลัส",
)


def alternatives(text: str, words=DEMO_WORDS) -> list[tuple[str, ...]]:
    [group] = parse_query(text, words).all_of
    return list(group)


# -- the compounds the tokenizer keeps whole ---------------------------------------
def test_compound_parts_of_the_demo_vocabulary():
    assert compound_parts(DEMO_WORDS) == {
        "ธนาคารแสงทอง": ("ธนาคาร", "แสงทอง"),
        "แบงก์แสงทอง": ("แบงก์", "แสงทอง"),
        "แอปแสงทอง": ("แอป", "แสงทอง"),
        "แสงทองพลัส": ("แสงทอง", "พลัส"),
        "แอปแสงทองพลัส": ("แอป", "แสงทอง", "พลัส"),  # split again to the finest words
    }
    # a name made of common words stays whole: ทอง does not find แสงทอง
    assert compound_parts(["แสงทอง"]) == {}
    # PyThaiNLP's own words are never taken apart, unless listed (as an alias)
    assert compound_parts(["ออมสิน"]) == {}
    assert compound_parts(["ออมสิน", "ธนาคารออมสิน"]) == {"ธนาคารออมสิน": ("ธนาคาร", "ออมสิน")}
    assert compound_parts(["กสิกร", "กสิกรรม"]) == {}  # กสิ | กรรม: no custom word inside
    assert index_terms("ธ.แสงทอง") == ["ธ", "แสงทอง"] and index_terms("ST Plus") == ["st", "plus"]


# -- the query ---------------------------------------------------------------------
def test_a_short_name_also_matches_the_compounds_containing_it():
    assert alternatives("แสงทอง") == [
        ("แสงทอง",), ("ธนาคารแสงทอง",), ("แบงก์แสงทอง",), ("แสงทองพลัส",), ("แอปแสงทอง",), ("แอปแสงทองพลัส",),
    ]
    # in a phrase, a compound may only reach outside the phrase at its ends
    assert alternatives("แสงทองล่ม") == [
        ("แสงทอง", "ล่ม"), ("ธนาคารแสงทอง", "ล่ม"), ("แบงก์แสงทอง", "ล่ม"), ("แอปแสงทอง", "ล่ม"),
    ]
    # the full compound: itself first, then its words written apart
    assert alternatives("ธนาคารแสงทอง") == [("ธนาคารแสงทอง",), ("ธนาคาร", "แสงทอง"), ("ธนาคาร", "แสงทองพลัส")]
    assert ("แอปแสงทอง", "พลัส") in alternatives('"แสงทอง พลัส"')  # the alias `แอปแสงทอง พลัส`
    # negation excludes every spelling; OR keeps each once
    q = parse_query("ล่ม -แสงทอง", DEMO_WORDS)
    assert ("ธนาคารแสงทอง",) in q.none_of and len(q.none_of) == len(set(q.none_of)) == 6
    assert alternatives("แสงทอง OR ธนาคารแสงทอง") == alternatives("แสงทอง") + [("ธนาคาร", "แสงทอง"), ("ธนาคาร", "แสงทองพลัส")]


def test_queries_without_compounds_are_unchanged():
    assert parse_query('"โอนเงิน ไม่ได้" ล่ม -โปรโมชั่น', DEMO_WORDS).all_of == ((("โอน", "เงิน", "ไม่", "ได้"),), (("ล่ม",),))
    assert parse_query("แสงทอง", ("แสงทอง",)).all_of == ((("แสงทอง",),),)
    assert parse_query("ธนาคารแสงทอง").all_of == ((("ธนาคาร", "แสง", "ทอง"),),)  # no custom words at all


def test_matches_tokens_agrees_with_the_stores():
    tokens = tokenize(normalize("ธนาคารแสงทองล่มอีกแล้ว โอนเงินไม่ได้"), DEMO_WORDS)
    assert tokens[:2] == ["ธนาคารแสงทอง", "ล่ม"]
    for text, expected in [("แสงทอง", True), ("แสงทองล่ม", True), ("ล่มแสงทอง", False), ("ทอง", False),
                           ('"โอนเงิน ไม่ได้"', True), ("แสงทอง -ล่ม", False), ("ธนาคาร แสงทอง", True)]:
        assert matches_tokens(parse_query(text, DEMO_WORDS), tokens) is expected, text
    assert matches_tokens(parse_query("แสงทอง", DEMO_WORDS), tokenize(normalize("ธ.แสงทองโอนไม่ได้"), DEMO_WORDS))


def test_a_phrase_widens_to_at_most_max_spellings(caplog):
    from pythainlp.corpus import thai_words

    plain = sorted(w for w in thai_words() if len(w) == 4 and w.isalnum() and "ทอง" not in w and "แสง" not in w)
    prefixes = plain[: MAX_SPELLINGS + 6]
    words = ("แสงทอง", *(p + "แสงทอง" for p in prefixes))
    assert len(compound_parts(words)) > MAX_SPELLINGS
    with caplog.at_level(logging.WARNING, logger="sadap.store.query"):
        got = alternatives("แสงทอง", words)
    assert len(got) == MAX_SPELLINGS and got[0] == ("แสงทอง",)
    assert "more than 64 spellings" in caplog.text


# -- hashtag words -------------------------------------------------------------------
def test_hashtag_search_words_are_the_tags_cut_inside_a_latin_run():
    text = "#SaengThongDown #saengthong_down #แอปล่มอีกแล้ว #AppDown2024 #down #แสงทองDownAgain #saengthongdown"
    assert hashtag_search_words(text, ["Saengthong", "แสงทอง"]) == [
        ["saeng", "thong", "down"], ["app", "down", "2024"], ["แสงทอง", "down", "again"],
    ]  # `_`, Thai and one-word tags: the text's tokens already have their words
    assert hashtag_search_words("#saengthongdown ล่ม", ["Saengthong"]) == [["saengthong", "down"]]
    assert hashtag_search_words("ไม่มีแท็ก") == []
    assert hashtag_words("#SaengThongDown #saengthong_down", ["Saengthong"]) == ["saeng", "thong", "down", "saengthong"]


# -- an SQLite file --------------------------------------------------------------------
def test_sqlite_store_needs_no_migration(tmp_path):
    """The compounds are widened at query time over what is already indexed; hashtag words
    come with the mention (extras), so the schema stays as it was."""
    store = SQLiteStore(tmp_path / "s.db")
    old = mention(1, "ธนาคารแสงทองล่มอีกแล้ว #SaengThongDown", "neg", NOW)  # as an older Sadap stored it
    assert "hashtag_tokens" not in old.extras and old.tokens[0] == "ธนาคารแสงทอง"
    store.upsert([old])
    words = ("แสงทอง", "ธนาคารแสงทอง")
    assert store.count(MentionFilter(query=parse_query("แสงทอง", words))) == 1
    assert store.count(MentionFilter(query=parse_query("saengthongdown", words))) == 1
    assert store.count(MentionFilter(query=parse_query("down", words))) == 0  # until stored again, enriched
    old.extras["hashtag_tokens"] = hashtag_search_words(old.text, words)
    store.upsert([old])
    assert store.count(MentionFilter(query=parse_query("down", words))) == 1
    version = store._query("PRAGMA user_version")[0][0]
    store.close()
    assert version == SCHEMA_VERSION == 11  # 3: the daily counts (mention_days), 4: engagement sums, 5: news topics, 6: the rules' hourly rollup, 7: seen terms, 8: complaint-case join keys, 9: which case holds a mention, 10: when a case closed, 11: its cause; not these words


# -- the command line, over the real enrichment ------------------------------------------
POSTS = [
    "ธนาคารแสงทองล่มอีกแล้ว โอนเงินไม่ได้เลย",
    "แอปแสงทองพลัสเข้าไม่ได้ตั้งแต่เช้า",
    "แสงทองบริการดีมาก ประทับใจพนักงานสาขา",
    "วันนี้ #SaengThongDown อีกแล้ว โอนไม่ได้",
    "ตลาดหุ้นวันนี้ปิดบวก #MarketUp",
]


@pytest.fixture
def imported(tmp_path):
    (tmp_path / "sadap.yaml").write_text(
        "data_dir: data\nwatch:\n  - name: ธนาคารแสงทอง\n    aliases: [แสงทอง, Saengthong]\n"
        "  - name: แสงทองพลัส\n    aliases: [แอปแสงทองพลัส]\nrules: []\nnotifiers: []\n"
        "enrich:\n  sentiment_model: linear-v3\n",
        encoding="utf-8",
    )
    config = load_config_file(tmp_path / "sadap.yaml")
    rows = [{"id": f"p{i}", "text": t, "published_at": "2026-11-20T09:00:00"} for i, t in enumerate(POSTS)]
    (tmp_path / "posts.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    assert import_file(config, tmp_path / "posts.jsonl", progress=False)["stored"] == len(POSTS)
    return config


def search(config, query: str) -> list[str]:
    done = CliRunner().invoke(main, ["search", query, "--config", str(config.path), "--json"])
    assert done.exit_code == 0, done.output
    return sorted(m["text"] for m in json.loads(done.output))


def test_cli_search_finds_compounds_and_hashtag_words(imported):
    store = SQLiteStore(imported.store_path)
    [tagged] = [m for m in store.search(MentionFilter(), limit=10) if "#SaengThongDown" in m.text]
    store.close()
    assert tagged.extras["hashtag_tokens"] == [["saeng", "thong", "down"]]  # from the enrichment
    assert search(imported, "แสงทอง") == sorted(POSTS[:3])
    assert search(imported, "ธนาคารแสงทอง") == [POSTS[0]]
    assert search(imported, "แสงทองล่ม") == [POSTS[0]]
    assert search(imported, "แสงทอง -ล่ม") == sorted(POSTS[1:3])
    assert search(imported, '"โอนเงิน ไม่ได้"') == [POSTS[0]]
    assert search(imported, "down") == [POSTS[3]]
    assert search(imported, "down OR up") == sorted(POSTS[3:])
    assert search(imported, '"thong down"') == [POSTS[3]]
    assert search(imported, "#SaengThongDown") == [POSTS[3]]
    shown = CliRunner().invoke(main, ["search", "แสงทอง", "--config", str(imported.path)])
    assert shown.exit_code == 0 and shown.output.startswith("พบ 3 ข้อความ (แสดง 3)")
