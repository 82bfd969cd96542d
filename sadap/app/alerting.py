"""Alerting assembled from the configuration: the rules, playbooks, notifiers and maintenance
windows a ``sadap.yaml`` names, handed to the alerts stage (which never reads the config)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from alerts.backtest import backtest
from alerts.engine import AlertEngine
from alerts.notifiers import Notifier, build_notifiers
from playbooks.loader import load_playbooks
from playbooks.schema import Playbook
from sadap.app.config import Config
from sadap.core.errors import ConfigError
from sadap.store import Store


def configured_playbooks(config: Config, *, check_references: bool = True) -> list[Playbook]:
    """The playbooks ``config`` asks for (its ``playbooks.paths``, then the shipped library if
    ``playbooks.shipped``). With ``check_references``, rule and notifier ids named in them must
    exist in that config; rule types are always checked against the registered ones."""
    return load_playbooks(
        [config.base_dir / p for p in config.playbooks.paths],
        shipped=config.playbooks.shipped,
        known_rules={r.id for r in config.alert_rules} if check_references else None,
        known_notifiers={n.id for n in config.notifiers} if check_references else None,
        known_rule_types=set(config.rule_type_names()),
    )


def build_engine(config: Config, store: Store, notifiers: list[Notifier] | None = None) -> AlertEngine:
    """The alert engine for ``config`` over ``store``; ``notifiers`` default to the configured ones
    (their secrets checked now, so a missing token fails at start-up, not at the first alert)."""
    rules = config.alert_rules
    playbooks = configured_playbooks(config)
    known = {p.id for p in playbooks}
    for rule in rules:
        if rule.options.playbook and rule.options.playbook not in known:
            raise ConfigError(
                f"rule {rule.id!r}: playbook {rule.options.playbook!r} does not exist "
                f"(loaded: {', '.join(sorted(known))})"
            )
    if notifiers is None:
        notifiers = build_notifiers(config.notifiers)
    return AlertEngine(store, rules, playbooks, notifiers, tuple(config.custom_words()), list(config.maintenance))


def run_backtest(
    config: Config, store: Store, target: str, since: datetime, until: datetime, step: timedelta | None = None
) -> dict[str, Any]:
    """``sadap playbooks test``: replay ``store`` through ``config``'s rules and playbooks."""
    return backtest(
        store,
        config.alert_rules,
        configured_playbooks(config),
        [n.id for n in config.notifiers],
        target,
        since,
        until,
        step or config.schedule.alerts_every,
        custom_words=tuple(config.custom_words()),
        maintenance=list(config.maintenance),
    )
