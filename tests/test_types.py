"""``mypy --strict`` passes on the packages held to it (settings: pyproject.toml [tool.mypy])."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The whole package: the base, every stage and the app layer.
CHECKED = ["sadap", "crawlers", "enrich", "alerts", "playbooks"]


@pytest.mark.slow  # about 40 s of CPU without mypy's cache
def test_mypy_strict_passes():
    done = subprocess.run([sys.executable, "-m", "mypy", *CHECKED], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout
