"""sadap.yaml: found, validated, and every error is one line naming file, line and what is allowed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sadap.app.config import Config, load_config, load_config_file
from sadap.core.errors import ConfigError, InputError
from sadap.app.sources import source_models
from sadap.app.starter import write_starter


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sadap.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_starter_config_is_valid_and_has_default_rules(tmp_path):
    path = write_starter(tmp_path)
    config = load_config_file(path)
    assert {r.id for r in config.alert_rules} == {
        "outage-keywords", "data-leak-rumour", "brand-negative-surge", "brand-volume", "copy-paste-campaign", "source-silent"
    }
    assert config.watch[0].name == "บริษัทตัวอย่าง"
    assert config.store_path == tmp_path / "sadap-data" / "sadap.db"
    with pytest.raises(InputError, match="already exists"):
        write_starter(tmp_path)


def test_starter_comments_name_the_default_engine_and_every_source_kind(tmp_path):
    # The starter listed 4 of the 11 source kinds, and called ensemble-v3 the one choice besides linear-v3.
    path = write_starter(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert load_config_file(path).enrich.sentiment_model == "ensemble-v3"  # chosen for questions: docs/enrichment.md
    engine_comment = " ".join(line for line in lines if line.lstrip().startswith("#") and "ensemble-v3" in line)
    assert f"{Config().enrich.sentiment_model}, the built-in default" in engine_comment
    kinds_line = next(line for line in lines if line.startswith("# Where mentions come from"))
    assert all(f" {kind} " in kinds_line for kind in source_models())


def test_discovery_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SADAP_CONFIG", raising=False)
    assert load_config().path is None  # built-in defaults
    local = write(tmp_path, "data_dir: here\n")
    assert load_config().path == local.resolve()
    other = tmp_path / "other.yaml"
    other.write_text("data_dir: there\n", encoding="utf-8")
    monkeypatch.setenv("SADAP_CONFIG", str(other))
    assert load_config().data_dir == "there"
    assert load_config(local).data_dir == "here"  # --config wins
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.yaml")


def test_unknown_key_names_line_and_allowed_keys(tmp_path):
    path = write(tmp_path, "data_dir: x\nenrich:\n  sentiment_modle: linear-v1\n")
    with pytest.raises(ConfigError) as err:
        load_config_file(path)
    message = str(err.value)
    assert message.startswith(f"{path}:3: enrich.sentiment_modle: unknown key 'sentiment_modle'")
    assert "allowed: sentiment_model, sentiment_label_map, sentiment_hub_download, near_duplicate_distance" in message


def test_wrong_type_and_bad_duration(tmp_path):
    path = write(
        tmp_path,
        "privacy:\n  keep_author_names: perhaps\nsources:\n  - name: news\n    kind: rss\n    url: http://x\n    every: 15 mins\n",
    )
    with pytest.raises(ConfigError) as err:
        load_config_file(path)
    lines = str(err.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{path}:2: privacy.keep_author_names:")
    assert lines[1].startswith(f"{path}:7: sources[0].every: cannot read duration '15 mins'")
    assert "15m, 24h, 7d" in lines[1]


def test_bad_source_kind_lists_allowed(tmp_path):
    path = write(tmp_path, "sources:\n  - name: x\n    kind: twitter\n    url: http://x\n")
    with pytest.raises(ConfigError, match=r":3: sources\[0\]\.kind: unknown kind 'twitter' \(allowed: [a-z_, ]+\)") as err:
        load_config_file(path)
    allowed = str(err.value).rsplit("(allowed: ", 1)[1].rstrip(")").split(", ")
    assert set(allowed) == set(source_models()) and {"article", "forum", "rss", "file"} <= set(allowed)


def test_duplicate_source_names(tmp_path):
    path = write(tmp_path, "sources:\n  - {name: a, kind: rss, url: 'http://x'}\n  - {name: a, kind: rss, url: 'http://y'}\n")
    with pytest.raises(ConfigError, match=r":3: sources\[1\]\.name: duplicate source name 'a'"):
        load_config_file(path)


def test_rule_errors_are_all_reported_with_lines(tmp_path):
    path = write(
        tmp_path,
        """rules:
  - id: r1
    type: threshhold
  - id: r2
    type: threshold
    title: x
  - id: r3
    type: watch
    title: t
    window: 15 mins
    colour: red
""",
    )
    with pytest.raises(ConfigError) as err:
        load_config_file(path)
    lines = str(err.value).splitlines()
    assert lines[0] == f"{path}:3: rules[0].type: unknown rule type 'threshhold' (allowed: complaint_sla, coordinated, new_term, sentiment_shift, silence, spike, threshold, watch)"
    assert any(line.startswith(f"{path}:4: rules[1].limit: required but missing") for line in lines)
    assert any(line.startswith(f"{path}:10: rules[2].window: cannot read duration") for line in lines)
    assert any(line.startswith(f"{path}:11: rules[2].colour: unknown key 'colour' (allowed: id, type, title") for line in lines)


def test_yaml_syntax_error_has_line(tmp_path):
    path = write(tmp_path, "data_dir: x\nstore: [unclosed\n")
    with pytest.raises(ConfigError, match=r"sadap.yaml:\d+: YAML syntax error"):
        load_config_file(path)


def test_not_utf8(tmp_path):
    path = tmp_path / "sadap.yaml"
    path.write_bytes("data_dir: ข้อมูล\n".encode("tis-620"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config_file(path)


def test_pseudonym_key_is_created_once_private_and_env_wins(tmp_path, monkeypatch):
    monkeypatch.delenv("SADAP_PSEUDONYM_KEY", raising=False)
    config = load_config_file(write(tmp_path, "data_dir: data\n"))
    key = config.pseudonym_key()
    assert key == config.pseudonym_key() and len(key) == 64
    mode = stat.S_IMODE(os.stat(tmp_path / "data" / "pseudonym.key").st_mode)
    assert mode == 0o600
    monkeypatch.setenv("SADAP_PSEUDONYM_KEY", "from-env")
    assert config.pseudonym_key() == b"from-env"


def _key_when_released(data: str, which: str, start, out) -> None:  # a racing process
    config = Config.model_validate({"data_dir": data})
    start.wait()
    out.put(getattr(config, which)())


@pytest.mark.parametrize("which", ["pseudonym_key", "session_secret"])
def test_processes_starting_together_share_one_key(tmp_path, monkeypatch, which):
    """Workers started at once on a fresh data folder (a distributed crawl's first run) must all
    use the one key that lands first: none may fail on the file another just made, read it
    half-written, or keep a key of its own."""
    from racing import released_together

    monkeypatch.delenv("SADAP_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("SADAP_SESSION_SECRET", raising=False)
    for round_ in range(5):
        data = tmp_path / f"data{round_}"
        data.mkdir()
        keys, exit_codes = released_together(_key_when_released, (str(data), which), 8, timeout=30)
        assert all(code == 0 for code in exit_codes)
        name = "pseudonym.key" if which == "pseudonym_key" else "session.key"
        assert len(set(keys)) == 1 and len(keys[0]) == 64 and keys[0] == (data / name).read_bytes()
        assert sorted(f.name for f in data.iterdir()) == [name]  # no draft left behind
        assert stat.S_IMODE(os.stat(data / name).st_mode) == 0o600


def test_webhook_secret_from_environment_only(monkeypatch):
    config = Config.model_validate({"notifiers": [{"id": "hook", "type": "webhook", "url_env": "HOOK_URL"}]})
    monkeypatch.delenv("HOOK_URL", raising=False)
    with pytest.raises(ConfigError, match="HOOK_URL is not set"):
        config.notifiers[0].resolved_url()
    monkeypatch.setenv("HOOK_URL", "http://127.0.0.1:9/secret-token")
    assert config.notifiers[0].resolved_url().endswith("secret-token")


def test_a_config_without_sources_loads_without_scrapy(tmp_path):
    # Start-up of `sadap ingest` and friends: the spiders (Scrapy, Twisted) load only when a
    # configured source needs its kind's settings.
    import subprocess
    import sys

    plain = write(tmp_path, "watch:\n  - name: แสงทอง\n")
    code = (
        "import sys; from pathlib import Path; from sadap.app.config import load_config_file; "
        f"load_config_file(Path({str(plain)!r})); print('scrapy' in sys.modules, 'twisted' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_sources_are_still_validated_by_kind_with_one_line_errors(tmp_path):
    path = write(tmp_path, "sources:\n  - name: news\n    kind: rss\n    url: https://example.co.th/rss.xml\n"
                           "  - name: blog\n    kind: article\n    url: https://example.co.th/\n    follow: '('\n")
    with pytest.raises(ConfigError) as err:
        load_config_file(path)
    assert str(err.value).startswith(f"{path}:8: sources[1].follow: not a regular expression")
    ok = load_config_file(write(tmp_path, "sources:\n  - name: news\n    kind: rss\n    url: https://example.co.th/rss.xml\n"))
    assert type(ok.sources[0]).__name__ == "RssOptions" and ok.source("news").kind == "rss"
    assert ok.model_dump()["sources"][0]["url"] == "https://example.co.th/rss.xml"
