"""Alerts: rule types, evaluation, incidents and notifiers."""
