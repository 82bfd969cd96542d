"""Commands: playbooks validate, test and list."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import click

from alerts.backtest import Progress
from playbooks.loader import load_playbooks, shipped_dir
from sadap.app.alerting import run_backtest as backtest
from sadap.app.cli.common import _dump, _load, config_option, duration_of, handled, time_of
from sadap.app.config import configured_playbooks
from sadap.core.errors import InputError
from sadap.core.timeutil import now_utc, show
from sadap.store import open_store


# -- playbooks ---------------------------------------------------------------------
@click.group()
def playbooks() -> None:
    """Situation playbooks: validate, backtest and list."""


@playbooks.command("validate")
@click.argument("paths", nargs=-1, type=click.Path())
@config_option
@handled
def playbooks_validate(paths: tuple[str, ...], config_path: str | None) -> None:
    """Validate playbook files or folders (default: the configured ones and the shipped library)."""

    config = _load(config_path)
    if paths:
        # with the shipped library (when the config loads it): an id it already uses is an error here too
        loaded = load_playbooks(list(paths), shipped=config.playbooks.shipped,
                                known_rules={r.id for r in config.alert_rules},
                                known_notifiers={n.id for n in config.notifiers},
                                known_rule_types=set(config.rule_type_names()))
        loaded = [p for p in loaded if not p.shipped]
    else:
        loaded = configured_playbooks(config)
    click.echo(f"ok: {len(loaded)} playbook(s) valid")


@playbooks.command("test")
@click.argument("target", metavar="PLAYBOOK_OR_RULE")
@config_option
@click.option("--since", default="30d", show_default=True, help="How far back to replay, e.g. 7d, 30d.")
@click.option("--until", "until_text", default=None, help="End of the replay, ISO 8601 (default: now).")
@click.option("--step", default=None, help="Time between evaluations (default: schedule.alerts_every, or coarser so the replay stays under "
              "2,000 evaluations).")
@click.option("--json", "as_json", is_flag=True)
@handled
def playbooks_test(
    target: str, config_path: str | None, since: str, until_text: str | None, step: str | None, as_json: bool
) -> None:
    """Backtest a playbook or rule on stored history: when incidents would have opened,
    for which keys and mentions, and how many notifications would have gone out.

    Uses the same evaluation code as live alerting, with time as a parameter; nothing is
    written to the store and nothing is sent.
    """

    config = _load(config_path)
    until = time_of(until_text, "--until") if until_text else now_utc()
    span = duration_of(since, "--since")
    try:
        start = until - span
    except OverflowError:
        raise InputError(f"--since {since} before --until {until_text} falls before the year 1") from None
    every = duration_of(step, "--step") if step else None
    with open_store(config) as store:
        report = backtest(config, store, target, start, until, every, progress=_progress_printer())
    for warning in report["warnings"]:
        click.echo(f"sadap: warning: {warning}", err=True)
    if as_json:
        _dump(report)
        return
    click.echo(
        f"{target}: {report['evaluations']} evaluations every {report['step']} · alerts {len(report['alerts'])}"
        f" · incidents {len(report['incidents'])} · notifications {report['notifications']}"
    )
    for inc in report["incidents"]:
        click.echo(f"  {show(datetime.fromisoformat(inc['opened_at']))}  {inc['severity']}  {inc['playbook']}"
                   f"  key={inc['key'] or '-'}  rule={inc['rule']}  alerts={inc['alerts']}")


#: Seconds between two progress lines of a backtest (on stderr).
PROGRESS_EVERY = 2.0


def _progress_printer(every: float = PROGRESS_EVERY) -> Callable[[Progress], None]:
    """A progress callback printing one line to stderr every ``every`` seconds (stdout stays clean for --json)."""
    last = time.monotonic()

    def report(p: Progress) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < every or p.done == p.total:
            return
        last = now
        click.echo(f"… ถึง {show(p.at)} (เวลาไทย) · ประเมินแล้ว {p.done}/{p.total} รอบ · แจ้งเตือน {p.alerts} ครั้ง",
                   err=True)

    return report


@playbooks.command("list")
@config_option
@click.option("--json", "as_json", is_flag=True)
@handled
def playbooks_list(config_path: str | None, as_json: bool) -> None:
    """List the loaded playbooks."""

    config = _load(config_path)
    loaded = configured_playbooks(config)
    if as_json:
        _dump([{"id": p.id, "title": {"th": p.title.th, "en": p.title.en}, "severity": p.severity,
                "source": _shown_path(p.source, p.shipped), "line": p.line, "shipped": p.shipped} for p in loaded])
        return
    for p in loaded:
        where = f"{_shown_path(p.source, p.shipped)}:{p.line or 1}" + ("  (shipped)" if p.shipped else "")
        click.echo(f"{p.id:<22} {p.severity}  {p.title.th} / {p.title.en}  {where}")


def _shown_path(source: str | None, shipped: bool) -> str | None:
    """A playbook's file as a person finds it: a shipped one inside the package (``playbooks/library/…``),
    another relative to the working folder where it lies under it, else as loaded."""
    if source is None:
        return None
    path = Path(source)
    base = shipped_dir().parent.parent if shipped else Path.cwd()
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)
