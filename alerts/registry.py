"""Rule types registered by name, and building rules from config with file:line errors."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from alerts.rules import RULE_TYPES
from alerts.rules.base import Rule
from sadap.core.errors import ConfigError, InputError
from sadap.core.yamlsource import LineMap, validation_lines



def rule_types() -> dict[str, type[Rule]]:
    """Every registered rule type by name."""
    return RULE_TYPES


def build_rules(raw_rules: list[Any], path: str | None, lines: LineMap) -> list[Rule]:
    """Validate every rule; collect all errors into one ConfigError (one line each).

    ``lines`` is the whole config file's line map (rules sit under ``rules``)."""
    types = rule_types()
    rules: list[Rule] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    where = path or "config"
    for i, raw in enumerate(raw_rules):
        line = lines.line(("rules", i))
        if not isinstance(raw, dict):
            errors.append(f"{where}:{line}: rules[{i}]: a rule must be a mapping of options, such as "
                          f"{{id: outage, type: watch, title: แอปล่ม, query: ล่ม}} (got {raw!r})")
            continue
        type_name = raw.get("type")
        cls = types.get(type_name) if isinstance(type_name, str) else None
        if cls is None:
            allowed = ", ".join(sorted(types))
            what = "missing `type`" if type_name is None else f"unknown rule type {type_name!r}"
            type_line = lines.line(("rules", i, "type"))
            errors.append(f"{where}:{type_line}: rules[{i}].type: {what} (allowed: {allowed})")
            continue
        try:
            options = cls.Options.model_validate(raw)
        except ValidationError as err:
            errors.extend(validation_lines(err, where, lines, cls.Options, prefix=("rules", i)))
            continue
        except InputError as err:
            errors.append(f"{where}:{line}: rules[{i}]: {err}")
            continue
        if options.id in seen:
            errors.append(f"{where}:{line}: rules[{i}].id: duplicate rule id {options.id!r} (first at line {seen[options.id]})")
            continue
        seen[options.id] = line or 0
        rules.append(cls(options))
    if errors:
        raise ConfigError("\n".join(errors))
    return rules


__all__ = ["RULE_TYPES", "build_rules", "rule_types"]
