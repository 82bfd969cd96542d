"""Load playbooks from YAML files and folders, collecting every error before raising.

All problems across all files are gathered and raised as one ``ConfigError`` whose
message has one line per problem: ``file:line: where: what (allowed: ...)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from playbooks import schema
from playbooks.schema import _NAME, Playbook, timing_problems
from sadap.core.settings_types import parse_duration_setting as _duration
from sadap.core.errors import ConfigError
from sadap.core.yamlsource import LineMap, Loc, format_loc, load_yaml, validation_lines

SUFFIXES = (".yaml", ".yml")


def shipped_dir() -> Path:
    """The folder of the shipped Thai playbook library."""
    return Path(str(resources.files("playbooks").joinpath("library")))


def _where(path: Path, lines: LineMap, loc: Loc) -> str:
    line = lines.line(loc)
    return f"{path}:{line}" if line else str(path)


_GOT = re.compile(r" \(got (.*)\)$", re.S)
_NOT_A_MAPPING = re.compile(r"Input should be a valid dictionary or instance of (\w+)")


def _plain(line: str) -> str:
    """Say "must be a mapping with keys: …" where pydantic names its own class."""

    def keys(match: re.Match[str]) -> str:
        model = getattr(schema, match.group(1), None)
        fields = getattr(model, "model_fields", None)
        return "must be a mapping" + (f" with keys: {', '.join(fields)}" if fields else "")

    return _NOT_A_MAPPING.sub(keys, line)


def _shorten(line: str, limit: int = 80) -> str:
    """Keep ``(got '...')`` short: a long template need not be repeated in full."""
    match = _GOT.search(line)
    if match and len(match.group(1)) > limit:
        return line[: match.start()] + f" (got {match.group(1)[: limit - 1]}…)"
    return line


def _parse(
    path: Path,
    known_rules: set[str] | None,
    errors: list[str],
    known_notifiers: set[str] | None = None,
    known_rule_types: set[str] | None = None,
) -> Playbook | None:
    """One file → a Playbook, or None with its problems appended to ``errors`` (in line order)."""
    found: list[str] = []
    playbook = _check(path, known_rules, found, known_notifiers, known_rule_types)
    line_of = re.compile(re.escape(str(path)) + r":(\d+):")

    def by_line(message: str) -> int:
        match = line_of.match(message)
        return int(match.group(1)) if match else 0

    errors.extend(sorted(found, key=by_line))
    return playbook


def _raw_duration(value: object) -> timedelta | None:
    """A duration from the raw YAML, or None where it is missing or unreadable (reported by the schema)."""
    if value is None:
        return None
    try:
        return _duration(value)
    except ValueError:
        return None


def _clock_problems(path: Path, data: dict[str, Any], lines: LineMap) -> list[str]:
    """The checks across ``acknowledge_within``, ``sla`` and ``escalation``, each at its own line."""
    out: list[str] = []
    raw_sla = data.get("sla")
    sla = raw_sla if isinstance(raw_sla, dict) else {}
    sla_given = raw_sla is not None and not isinstance(raw_sla, dict)  # not a mapping: reported by the schema
    if data.get("acknowledge_within") is None and sla.get("acknowledge") is None and not sla_given:
        loc: Loc = ("acknowledge_within",)
        out.append(
            f"{_where(path, lines, loc)}: acknowledge_within: required but missing "
            "(give sla.acknowledge, or acknowledge_within)"
        )
    levels = data.get("escalation")
    levels = levels if isinstance(levels, list) else []
    afters = [_raw_duration(level.get("after")) if isinstance(level, dict) else None for level in levels]
    clocks = {name: _raw_duration(sla.get(name)) for name in ("acknowledge", "first_response", "resolve")}
    for loc, what in timing_problems(_raw_duration(data.get("acknowledge_within")), clocks, afters):
        out.append(f"{_where(path, lines, loc)}: {format_loc(loc)}: {what}")
    return out


def _notifier_problems(path: Path, data: dict[str, Any], lines: LineMap, known_notifiers: set[str]) -> list[str]:
    out: list[str] = []
    known = ", ".join(sorted(known_notifiers)) or "none configured"
    levels = data.get("escalation")
    for i, level in enumerate(levels if isinstance(levels, list) else []):
        notify = level.get("notify") if isinstance(level, dict) else None
        for j, notifier in enumerate(notify if isinstance(notify, list) else []):
            if isinstance(notifier, str) and notifier.strip() and notifier.strip() not in known_notifiers:
                loc = ("escalation", i, "notify", j)
                out.append(
                    f"{_where(path, lines, loc)}: {format_loc(loc)}: notifier {notifier!r} does not exist "
                    f"(known notifiers: {known})"
                )
    return out


def _check(
    path: Path,
    known_rules: set[str] | None,
    errors: list[str],
    known_notifiers: set[str] | None = None,
    known_rule_types: set[str] | None = None,
) -> Playbook | None:
    try:
        data, lines = load_yaml(path)
    except ConfigError as err:
        errors.append(str(err))
        return None
    allowed = ", ".join(Playbook.model_fields)
    if data is None:
        errors.append(f"{path}:1: (top level): the file is empty; a playbook is a mapping with keys: {allowed}")
        return None
    if not isinstance(data, dict):
        errors.append(
            f"{_where(path, lines, ())}: (top level): a playbook must be a mapping of keys, "
            f"not a {type(data).__name__} (allowed keys: {allowed})"
        )
        return None
    try:
        playbook = Playbook.model_validate(data, context={"checked_by_loader": True})
    except ValidationError as err:
        errors.extend(_shorten(_plain(line)) for line in validation_lines(err, str(path), lines, Playbook))
        playbook = None
    # checks across fields, done on the raw data so they are reported with the schema errors
    owners = data.get("owners")
    steps = data.get("steps")
    if isinstance(owners, list) and owners and isinstance(steps, list):
        owner_names = [str(o) for o in owners]
        for i, step in enumerate(steps):
            if isinstance(step, dict) and isinstance(step.get("owner"), str) and step["owner"] not in owner_names:
                loc: Loc = ("steps", i, "owner")
                errors.append(
                    f"{_where(path, lines, loc)}: {format_loc(loc)}: owner {step['owner']!r} is not one of "
                    f"the playbook's owners (allowed: {', '.join(owner_names)})"
                )
                playbook = None
    when = data.get("when")
    rules = when.get("rules") if isinstance(when, dict) else None
    if known_rules is not None and isinstance(rules, list):
        known = ", ".join(sorted(known_rules)) or "none configured"
        for i, rule in enumerate(rules):
            if isinstance(rule, str) and rule.strip() not in known_rules:
                loc = ("when", "rules", i)
                errors.append(
                    f"{_where(path, lines, loc)}: {format_loc(loc)}: rule {rule!r} does not exist (known rules: {known})"
                )
                playbook = None
    types = when.get("rule_types") if isinstance(when, dict) else None
    if known_rule_types is not None and isinstance(types, list):
        for i, type_name in enumerate(types):
            # a name not in the allowed form is reported by the schema (once)
            if isinstance(type_name, str) and _NAME.fullmatch(type_name) and type_name not in known_rule_types:
                loc = ("when", "rule_types", i)
                errors.append(
                    f"{_where(path, lines, loc)}: {format_loc(loc)}: unknown rule type {type_name!r} "
                    f"(allowed: {', '.join(sorted(known_rule_types))})"
                )
                playbook = None
    clock_problems = _clock_problems(path, data, lines)
    if known_notifiers is not None:
        clock_problems += _notifier_problems(path, data, lines, known_notifiers)
    if clock_problems:
        errors.extend(clock_problems)
        playbook = None
    if playbook is not None:
        playbook._source = str(path)
        playbook._line = lines.line(("id",))
    return playbook


def _files(paths: Iterable[str | Path], errors: list[str]) -> list[Path]:
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES))
        elif path.is_file():
            out.append(path)
        else:
            errors.append(f"{path}: playbook file or folder not found")
    return out


def _load(
    files: list[tuple[Path, bool]],
    known_rules: set[str] | None,
    errors: list[str],
    known_notifiers: set[str] | None = None,
    known_rule_types: set[str] | None = None,
) -> list[Playbook]:
    playbooks: list[Playbook] = []
    first: dict[str, Playbook] = {}
    seen_files: set[Path] = set()
    for path, shipped in files:
        resolved = path.resolve()
        if resolved in seen_files:  # the same file named twice (e.g. a file and its folder)
            continue
        seen_files.add(resolved)
        playbook = _parse(path, known_rules, errors, known_notifiers, known_rule_types)
        if playbook is None:
            continue
        playbook._shipped = shipped
        other = first.get(playbook.id)
        if other is not None:
            if other.shipped != shipped:  # the organisation's file is the one to change
                mine, library = (other, playbook) if shipped else (playbook, other)
                errors.append(
                    f"{mine.source}:{mine.line or 1}: id: playbook id {playbook.id!r} is already used by the shipped "
                    f"playbook {library.source}:{library.line or 1} (to change a shipped playbook, copy it under "
                    "a new id, or copy the library and set playbooks.shipped: false)"
                )
            else:
                errors.append(
                    f"{path}:{playbook.line or 1}: id: duplicate playbook id {playbook.id!r} "
                    f"(already defined in {other.source}:{other.line or 1})"
                )
            continue
        first[playbook.id] = playbook
        playbooks.append(playbook)
    return playbooks


def load_playbook_file(
    path: str | Path,
    known_rules: set[str] | None = None,
    known_notifiers: set[str] | None = None,
    known_rule_types: set[str] | None = None,
) -> Playbook:
    """Load and validate one playbook file. Raises ConfigError listing every problem in it.

    ``known_rules`` / ``known_notifiers``: when given, rule ids in ``when.rules`` and notifier ids in
    ``escalation[].notify`` must be among them, and ``known_rule_types`` (the registered rule
    types) the types in ``when.rule_types``; None (the default) checks none of them.
    """
    errors: list[str] = []
    playbooks = _load([(Path(path), False)], known_rules, errors, known_notifiers, known_rule_types)
    if errors or not playbooks:
        raise ConfigError("\n".join(errors) or f"{path}: no playbook loaded")
    return playbooks[0]


def load_playbooks(
    paths: Iterable[str | Path] = (),
    shipped: bool = True,
    known_rules: set[str] | None = None,
    known_notifiers: set[str] | None = None,
    known_rule_types: set[str] | None = None,
) -> list[Playbook]:
    """Load the organisation's playbooks (``paths``: files, or folders of ``*.yaml``/``*.yml``),
    then, with ``shipped``, the shipped library.

    Order matters for matching: the given paths in the order given (a folder's files by
    name), then the shipped library (by file name). Every problem in every file is
    collected; if there is any, one ConfigError is raised with one line per problem.

    ``known_rules``: the configured alert rule ids; each id in a playbook's ``when.rules`` must
    be one of them. ``known_notifiers``: the configured notifier ids; each id in
    ``escalation[].notify`` must be one of them. ``known_rule_types``: the registered rule types,
    which ``when.rule_types`` must name. None (the default) leaves that check out.
    """
    errors: list[str] = []
    files = [(p, False) for p in _files(paths, errors)]
    if shipped:
        files += [(p, True) for p in _files([shipped_dir()], errors)]
    playbooks = _load(files, known_rules, errors, known_notifiers, known_rule_types)
    if errors:
        raise ConfigError("\n".join(errors))
    return playbooks
