"""Docs are tested: the configuration reference is generated and current, every command,
rule type and notifier is documented."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from alerts.notifiers import NOTIFIERS
from alerts.registry import rule_types
from sadap.app.cli import main
from sadap.app.docgen import render

ROOT = Path(__file__).resolve().parents[1]


def test_configuration_reference_is_current():
    current = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert current == render(), "run: python -m sadap.app.docgen > docs/configuration.md"


def test_every_rule_type_and_notifier_is_documented():
    alerts_doc = (ROOT / "docs" / "alerts.md").read_text(encoding="utf-8")
    reference = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name in rule_types():
        assert f"| `{name}` |" in alerts_doc and f"### type `{name}`" in reference
    for name in NOTIFIERS:
        assert f"| `{name}` |" in alerts_doc and f"### type `{name}`" in reference


def test_every_command_is_in_the_readme_and_has_help():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    runner = CliRunner()

    def walk(group, prefix):
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            yield f"{prefix} {name}", cmd
            if isinstance(cmd, click.Group):
                yield from walk(cmd, f"{prefix} {name}")

    for path, cmd in walk(main, "sadap"):
        top = " ".join(path.split()[:2])
        assert f"`{top}" in readme, f"{top} missing from README"
        result = runner.invoke(main, path.split()[1:] + ["--help"])
        assert result.exit_code == 0 and (cmd.help or cmd.short_help), path
