"""Alerting assembled from the configuration: the rules, playbooks, notifiers and maintenance
windows a ``sadap.yaml`` names, handed to the alerts stage (which never reads the config)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from alerts.backtest import MAX_EVALUATIONS, Progress, backtest, evaluation_count, feeding_rules, shortest_window
from alerts.engine import AlertEngine
from alerts.notifiers import Notifier, build_notifiers
from sadap.app.config import Config, configured_playbooks, rule_playbook_problems
from sadap.core.errors import ConfigError, InputError
from sadap.core.timeutil import format_duration
from sadap.store import Store

#: How many evaluations a backtest makes at most when no step is given (it picks a coarser one).
DEFAULT_EVALUATIONS = 2000


def build_engine(config: Config, store: Store, notifiers: list[Notifier] | None = None) -> AlertEngine:
    """The alert engine for ``config`` over ``store``; ``notifiers`` default to the configured ones
    (their secrets checked now, so a missing token fails at start-up, not at the first alert)."""
    rules = config.alert_rules
    playbooks = configured_playbooks(config)
    problems = rule_playbook_problems(config, rules, {p.id for p in playbooks})
    if problems:
        raise ConfigError("\n".join(problems))
    if notifiers is None:
        notifiers = build_notifiers(config.notifiers)
    return AlertEngine(
        store, rules, playbooks, notifiers, tuple(config.custom_words()), list(config.maintenance),
        outbox=config.delivery.settings(),
    )


def default_step(
    config: Config, target: str, since: datetime, until: datetime, playbooks: list[Any] | None = None
) -> timedelta:
    """The step of a backtest given none: the live interval, or coarser so that the replay stays
    under :data:`DEFAULT_EVALUATIONS` evaluations (a 30-day replay at the live minute would be
    43,200), but never longer than the shortest window of the rules it replays (a longer step
    skips what falls between two evaluations). Raises InputError (one line) when even that
    many evaluations would pass the backtest's cap."""
    span = until - since
    minutes = -(-span.total_seconds() // 60 // DEFAULT_EVALUATIONS)  # rounded up
    step = max(config.schedule.alerts_every, timedelta(minutes=minutes))
    if playbooks is None:
        playbooks = configured_playbooks(config)
    shortest = shortest_window(feeding_rules(config.alert_rules, playbooks, target))
    if shortest is None or step <= shortest[0]:
        return step
    window, rule = shortest
    if span > timedelta(0) and evaluation_count(since, until, window) > MAX_EVALUATIONS:
        most = window * (MAX_EVALUATIONS - 1)
        longest = format_duration(timedelta(days=most.days)) if most.days else format_duration(
            timedelta(hours=most // timedelta(hours=1)))
        raise InputError(
            f"--since {format_duration(span)} needs a step of at most {format_duration(window)} "
            f"(rule {rule} has a {format_duration(window)} window): {evaluation_count(since, until, window)} "
            f"evaluations, more than the {MAX_EVALUATIONS} allowed; use --since {longest} or less, or give --step"
        )
    return window


def run_backtest(
    config: Config,
    store: Store,
    target: str,
    since: datetime,
    until: datetime,
    step: timedelta | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> dict[str, Any]:
    """``sadap playbooks test``: replay ``store`` through ``config``'s rules and playbooks, every
    ``step`` (by default :func:`default_step`). ``progress`` is called after each evaluation."""
    playbooks = configured_playbooks(config)
    if step is None:
        step = default_step(config, target, since, until, playbooks)
    return backtest(
        store,
        config.alert_rules,
        playbooks,
        [n.id for n in config.notifiers],
        target,
        since,
        until,
        step,
        custom_words=tuple(config.custom_words()),
        maintenance=list(config.maintenance),
        progress=progress,
    )
