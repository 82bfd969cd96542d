"""Commands: demo and init."""

from __future__ import annotations

from pathlib import Path

import click

from sadap.app.cli.common import handled
from sadap.app.demo.run import command_name, run_demo
from sadap.app.starter import write_starter


# -- demo / init ---------------------------------------------------------------
@click.command()
@click.option("--data-dir", type=click.Path(file_okay=False), default="sadap-demo", show_default=True,
              help="Folder for the demo's config and SQLite store (replaced on each run).")
@click.option("--serve", is_flag=True, help="Keep running with the web workspace after the demo (prints a demo sign-in).")
@click.option("--port", type=int, default=8470, show_default=True, help="Workspace port for --serve.")
@handled
def demo(data_dir: str, serve: bool, port: int) -> None:
    """Run the whole flow on shipped Thai sample data, offline.

    Starts a small local web site (news feed, articles, a forum), crawls it with the real
    spiders, enriches every mention, stores it in SQLite, evaluates the default alert rules
    and opens incidents with the matching playbooks, then prints a summary.
    """

    run_demo(Path(data_dir), serve=serve, port=port)


@click.command()
@click.argument("directory", type=click.Path(file_okay=False), default=".")
@click.option("--force", is_flag=True, help="Overwrite an existing sadap.yaml.")
@handled
def init(directory: str, force: bool) -> None:
    """Write a commented starter sadap.yaml into DIRECTORY (default: here)."""

    path = write_starter(Path(directory), force=force)
    click.echo(f"wrote {path}")
    click.echo(f"next: edit `watch:` and `sources:`, then `{command_name()} crawl SOURCE --config {path}`")
