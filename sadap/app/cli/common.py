"""What every command shares: the ``sadap`` group, error handling and config loading.

Library code raises domain errors; only the CLI turns them into exit codes (0 ok, 1 user
error with one line per problem on stderr, 2 usage)."""

from __future__ import annotations

import functools
import json
import sys
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NoReturn, ParamSpec, TypeVar

import click

from sadap.app.config import Config, load_config
from sadap.core.errors import InputError, SadapError
from sadap.core.timeutil import common_era, now_utc, parse_duration, parse_iso
from sadap.store import MentionFilter, Store

P = ParamSpec("P")
R = TypeVar("R")

CONFIG_HELP = "Config file (default: $SADAP_CONFIG, then ./sadap.yaml, else built-in defaults)."


#: How much of a mention id `sadap search` shows (ids are 24 hex digits; `label` and
#: `mentions respond` take any unique prefix).
SHOWN_ID = 12


def resolve_mention_id(store: Store, given: str) -> str:
    """The stored mention id ``given`` is, or is the unique start of; one line when no mention,
    or several, match."""
    given = given.strip()
    if not given:
        raise InputError("no mention id given (`sadap search` shows them at the start of each line)")
    if store.get(given) is not None:
        return given
    # Ids in order from just before the prefix: the first two that start with it say none, one or several.
    matches = [m.id for m in store.page_by_id(MentionFilter(), after=given, limit=2) if m.id.startswith(given)]
    if not matches:
        raise InputError(f"no mention {given!r} (`sadap search` shows ids at the start of each line)")
    if len(matches) > 1:
        raise InputError(f"{given!r} is the start of several mention ids ({', '.join(matches)}, …); give more of the id")
    return matches[0]


def point_in_time(text: str | None, option: str) -> datetime | None:
    """A duration back from now (``30d``) or an ISO date or time (naive: Asia/Bangkok)."""
    if not text:
        return None
    try:
        return now_utc() - parse_duration(text)
    except (InputError, ValueError):
        pass
    try:
        value = parse_iso(text)
    except InputError:
        raise InputError(f"{option} {text!r}: give a duration back from now (30d, 12h) or a date/time "
                         "(2026-10-01, 2026-10-01T09:00+07:00)") from None
    return common_era(value, text, option)


def duration_of(text: str, option: str) -> timedelta:
    """An option's duration (``7d``); a bad one is one line naming the option."""
    try:
        return parse_duration(text)
    except InputError as err:
        raise InputError(f"{option}: {err}") from None


def since_of(text: str | None, option: str = "--since") -> datetime | None:
    """``--since 7d``: that long before now; None when not given."""
    return now_utc() - duration_of(text, option) if text else None


def time_of(text: str, option: str) -> datetime:
    """An option's ISO 8601 time (naive: Asia/Bangkok); a bad one is one line naming the option."""
    try:
        value = parse_iso(text)
    except InputError as err:
        raise InputError(f"{option}: {err}") from None
    return common_era(value, text, option)


def _fail(message: str) -> NoReturn:
    for line in str(message).splitlines() or [""]:
        click.echo(f"sadap: {line}", err=True)
    sys.exit(1)


_PATH_PROBLEMS: dict[type[OSError], str] = {
    FileNotFoundError: "no such file or folder (create the folder first?)",
    FileExistsError: "a file is in the way (a folder is needed there)",
    IsADirectoryError: "is a folder (give a file name)",
    NotADirectoryError: "a file stands where a folder is needed",
    PermissionError: "permission denied",
}


def path_problem(err: OSError) -> str:
    """One line for a file-system error on a path the user gave (an output file, a data folder)."""
    return f"{err.filename}: {_PATH_PROBLEMS.get(type(err), err.strerror or type(err).__name__)}"


def handled(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn domain errors into one line per problem on stderr and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except SadapError as err:
            _fail(str(err))
        except (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError, PermissionError) as err:
            if err.filename is None:  # not about a path the user gave: a fault, with its traceback
                raise
            _fail(path_problem(err))
        except KeyboardInterrupt:
            click.echo("sadap: interrupted", err=True)
            sys.exit(130)

    return wrapper


def config_option(fn: Callable[P, R]) -> Callable[P, R]:
    return click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None, help=CONFIG_HELP)(fn)


def _load(config_path: str | None) -> Config:
    return load_config(config_path)


def _dump(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def columns(text: str) -> int:
    """How many columns a terminal gives ``text``: Thai vowels and tone marks above or below a
    letter take none of their own (``len`` and ``str.ljust`` count them)."""
    return sum(1 for ch in text if unicodedata.category(ch) != "Mn")


def pad(text: str, width: int) -> str:
    """``text`` padded on the right to ``width`` columns as a terminal shows it."""
    return text + " " * max(0, width - columns(text))


def pad_left(text: str, width: int) -> str:
    """``text`` padded on the left to ``width`` columns as a terminal shows it."""
    return " " * max(0, width - columns(text)) + text
