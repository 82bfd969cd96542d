"""Other revisions for benchmarks: a module as it was at a git revision, and the Pythons of another checkout."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def module_at(revision: str, path: str, name: str) -> types.ModuleType:
    """``path`` (e.g. ``enrich/language.py``) from ``git show REVISION:path``, imported as ``name``."""
    source = subprocess.run(["git", "show", f"{revision}:{path}"], cwd=ROOT, capture_output=True, text=True)
    if source.returncode != 0:
        raise SystemExit(f"cannot read {path} at {revision}: {source.stderr.strip()}")
    module = types.ModuleType(name)
    module.__file__ = f"{revision}:{path}"
    sys.modules[name] = module
    exec(compile(source.stdout, module.__file__, "exec"), module.__dict__)
    return module


def interpreters(against: Path | None) -> dict[str, str]:
    """The Pythons a benchmark's ``--against CHECKOUT`` compares: this one as ``this``, and that
    checkout's own ``.venv`` (so its own code) as ``against``, first."""
    pythons = {"this": sys.executable}
    if against:
        other = against / ".venv" / "bin" / "python"
        if not other.exists():
            raise SystemExit(f"{other}: not found (--against needs a checkout with its .venv)")
        pythons = {"against": str(other), **pythons}
    return pythons


def child_result(python: str, script: str, *args: str) -> dict[str, Any]:
    """Run ``script`` under ``python`` (from the repository root) and return the JSON object
    of its last output line: a benchmark's measuring child, in that checkout's own process."""
    out = subprocess.run([python, script, *args], check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT).stdout
    result: dict[str, Any] = json.loads(out.splitlines()[-1])
    return result
