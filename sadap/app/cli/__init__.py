"""The ``sadap`` command line: one small module per group of commands."""

from sadap.app.cli.common import _dump, _load, config_option, handled, main
from sadap.app.cli import alerts, data, eval, incidents, playbooks, service, setup, users  # noqa: F401  (registers commands)
from sadap.app.cli.es import es, kibana

main.add_command(es)
main.add_command(kibana)

__all__ = ["main", "handled", "config_option", "_load", "_dump"]
