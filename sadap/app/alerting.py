"""Alerting assembled from the configuration: the rules, playbooks, notifiers and maintenance
windows a ``sadap.yaml`` names, handed to the alerts stage (which never reads the config)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from alerts.backtest import backtest
from alerts.engine import AlertEngine
from alerts.notifiers import Notifier, build_notifiers
from sadap.app.config import Config, configured_playbooks, rule_playbook_problems
from sadap.core.errors import ConfigError
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


def run_backtest(
    config: Config, store: Store, target: str, since: datetime, until: datetime, step: timedelta | None = None
) -> dict[str, Any]:
    """``sadap playbooks test``: replay ``store`` through ``config``'s rules and playbooks, every
    ``step`` (by default the live interval, or coarser so that the replay stays under
    :data:`DEFAULT_EVALUATIONS` evaluations: a 30-day replay at the live minute would be 43,200)."""
    if step is None:
        minutes = -(-(until - since).total_seconds() // 60 // DEFAULT_EVALUATIONS)  # rounded up
        step = max(config.schedule.alerts_every, timedelta(minutes=minutes))
    return backtest(
        store,
        config.alert_rules,
        configured_playbooks(config),
        [n.id for n in config.notifiers],
        target,
        since,
        until,
        step,
        custom_words=tuple(config.custom_words()),
        maintenance=list(config.maintenance),
    )
