"""What every command shares: the ``sadap`` group, error handling and config loading.

Library code raises domain errors; only the CLI turns them into exit codes (0 ok, 1 user
error with one line per problem on stderr, 2 usage)."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn, ParamSpec, TypeVar

import click

from sadap.app.config import Config, load_config
from sadap.core.errors import SadapError

P = ParamSpec("P")
R = TypeVar("R")

CONFIG_HELP = "Config file (default: $SADAP_CONFIG, then ./sadap.yaml, else built-in defaults)."


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
