"""A new organisation's first day, as the README tells it: `sadap init`, a config with a feed and
a file source, `sadap crawl all`, then the commands the demo and `init` print, run as printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fake_http import Answer, Call, FakeServer

ROOT = Path(__file__).resolve().parents[1]

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>ข่าวเมืองใหม่</title><link>{base}/</link><description>ข่าว</description>
<item><title>การประปาเมืองใหม่แจ้งหยุดจ่ายน้ำ 12 ชั่วโมง</title><link>{base}/n1.html</link>
<pubDate>Mon, 30 Nov 2026 08:00:00 +0700</pubDate>
<description>การประปาเมืองใหม่ประกาศหยุดจ่ายน้ำเพื่อซ่อมท่อเมนในเขตลาดพร้าว ประชาชนบ่นน้ำไม่ไหล</description></item>
</channel></rss>"""

CONFIG = """\
data_dir: data
watch:
  - {{name: การประปาเมืองใหม่, kind: organisation, aliases: [ประปาเมืองใหม่]}}
rules: []
notifiers: []
sources:
  - {{name: news, kind: rss, url: "{base}/rss.xml"}}
  - {{name: callcentre, kind: file, url: exports/inbox.csv, every: 1h}}
"""


def _sadap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "sadap", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=240)


@pytest.mark.slow
def test_crawl_all_crawls_the_feeds_and_says_how_to_import_a_file_source(tmp_path):
    # `sadap crawl all` exited 1 ("use `sadap ingest` for file sources") and crawled nothing
    # once any enabled source was a file.
    def site(call: Call) -> Answer:
        return Answer(body=FEED.format(base=server.url), content_type="application/rss+xml; charset=utf-8")

    with FakeServer(site) as server:
        (tmp_path / "sadap.yaml").write_text(CONFIG.format(base=server.url), encoding="utf-8")
        done = _sadap("crawl", "all", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == ("callcentre: file source, not crawled: import it now with `sadap ingest exports/inbox.csv` "
                        "(`sadap run` imports it every 1h)")
    assert lines[1].startswith("news: items 1 · new 1 ")

    named = _sadap("crawl", "callcentre", "--config", "sadap.yaml", cwd=tmp_path)
    assert named.returncode == 1 and "Traceback" not in named.stderr
    assert named.stderr.strip() == ("sadap: source 'callcentre' is a file source, not crawled: import it now with "
                                    "`sadap ingest exports/inbox.csv --config sadap.yaml` (`sadap run` imports it every 1h)")


def test_next_steps_call_sadap_the_way_it_was_called(tmp_path):
    # The README installs into .venv and runs `.venv/bin/sadap demo` without activating it; the
    # next steps printed then said `sadap …`, which the shell does not find.
    script = Path(sys.executable).parent / "sadap"
    if not script.is_file():
        pytest.skip(f"no console script at {script} (sadap not installed into this environment)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    elsewhere = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                if p and Path(p).resolve() != script.parent.resolve())
    done = subprocess.run([str(script), "init", "org"], cwd=tmp_path, env={**env, "PATH": elsewhere},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == f"next: edit `watch:` and `sources:`, then `{script} crawl SOURCE --config org/sadap.yaml`"
    on_path = subprocess.run([str(script), "init", "org2"], cwd=tmp_path, env={**env, "PATH": str(script.parent)},
                             capture_output=True, text=True, timeout=120)
    assert on_path.stdout.splitlines()[1].endswith("then `sadap crawl SOURCE --config org2/sadap.yaml`")
    assert _sadap("init", "org3", cwd=tmp_path).stdout.splitlines()[1].endswith(  # python -m sadap
        "then `sadap crawl SOURCE --config org3/sadap.yaml`")
