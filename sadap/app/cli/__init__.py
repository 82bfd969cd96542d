"""The ``sadap`` command line: one small module per group of commands, each imported only when
one of its commands runs. Adding a command is its module plus one line in ``COMMANDS``."""

from __future__ import annotations

import importlib
from typing import Any

import click

from sadap.app.logs import setup_cli_logging

# command name → "module:attribute" of its click command or group
COMMANDS = {
    "demo": "sadap.app.cli.setup:demo",
    "init": "sadap.app.cli.setup:init",
    "ingest": "sadap.app.cli.data:ingest",
    "enrich": "sadap.app.cli.data:enrich",
    "search": "sadap.app.cli.data:search",
    "reenrich": "sadap.app.cli.data:reenrich",
    "label": "sadap.app.cli.labels:label",
    "train": "sadap.app.cli.train:train",
    "eval": "sadap.app.cli.eval:eval_group",
    "alerts": "sadap.app.cli.alerts:alerts",
    "mentions": "sadap.app.cli.alerts:mentions",
    "playbooks": "sadap.app.cli.playbooks:playbooks",
    "incidents": "sadap.app.cli.incidents:incidents",
    "stakeholders": "sadap.app.cli.stakeholders:stakeholders",
    "complaints": "sadap.app.cli.complaints:complaints",
    "privacy": "sadap.app.cli.privacy:privacy",
    "backup": "sadap.app.cli.backup:backup",
    "crawl": "sadap.app.cli.service:crawl",
    "run": "sadap.app.cli.service:run",
    "worker": "sadap.app.cli.service:worker",
    "serve": "sadap.app.cli.service:serve",
    "users": "sadap.app.cli.users:users",
    "es": "sadap.app.cli.es:es",
    "kibana": "sadap.app.cli.es:kibana",
    "partners": "sadap.app.cli.partners:partners",
    "report": "sadap.app.cli.report:report",
}


class LazyGroup(click.Group):
    """A group whose commands live in their own modules, imported only when the command runs
    (or when help lists it), so `sadap <command>` loads what that command needs and no more."""

    def __init__(self, *args: Any, lazy_commands: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = lazy_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy_commands:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = self.lazy_commands[cmd_name].split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy_commands[cmd_name]} is not a click command")
        return command


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sadap")
def main() -> None:
    """สดับ (Sadap): social listening and proactive monitoring for Thai organisations.

    Start with `sadap demo`, then `sadap init` to write your own sadap.yaml.
    """
    setup_cli_logging()


__all__ = ["COMMANDS", "LazyGroup", "main"]
