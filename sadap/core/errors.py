"""Domain exceptions. Library code raises these; only the CLI turns them into exit codes."""

from __future__ import annotations


class SadapError(Exception):
    """Base class: a problem the user can fix. ``str(err)`` is one clear line."""


class ConfigError(SadapError):
    """A configuration or playbook file is invalid."""


class InputError(SadapError):
    """Input data (a file to ingest, a query, a time) is invalid."""


class RefusedValue(InputError):
    """A value that reads but is not one the field takes: a filter value outside its choices, a
    Buddhist-era year where dates take the Common Era (the web answers 422, not 400)."""


class StoreError(SadapError):
    """The store cannot be opened or used."""


class NotifyError(SadapError):
    """A notification could not be delivered (after retries)."""


def located(path: str | None, line: int | None, where: str | None, what: str) -> str:
    """Format one error line: ``file:line: where: what``."""
    prefix = ""
    if path:
        prefix = f"{path}:{line}: " if line else f"{path}: "
    elif line:
        prefix = f"line {line}: "
    if where:
        prefix += f"{where}: "
    return prefix + what
