"""Commands: users add, list, passwd, role, disable, enable, token (people who sign in to the workspace)."""

from __future__ import annotations

import os
import sys

import click

from sadap.app.cli.common import _dump, _load, config_option, handled
from sadap.core.errors import InputError
from sadap.core.timeutil import show
from sadap.store import open_store

ROLE_HELP = "viewer (read), responder (+ incidents, responses), planner (+ playbooks, rules), admin (+ users, tokens)."


def _password(prompt: bool, from_env: str | None) -> str:
    if from_env:
        value = os.environ.get(from_env)
        if not value:
            raise InputError(f"${from_env} is not set (it should hold the password)")
        return value
    if not prompt or not sys.stdin.isatty():  # (no terminal: getpass would echo a warning, then abort)
        raise InputError("no terminal to type the password at: put it in an environment variable and name it "
                         "with --password-env VAR")
    return click.prompt("password", hide_input=True, confirmation_prompt=True)


@click.group()
def users() -> None:
    """People who sign in to the web workspace, their roles and API tokens."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["viewer", "responder", "planner", "admin"]), default="viewer",
              show_default=True, help=ROLE_HELP)
@click.option("--password-env", default=None, help="Read the password from this environment variable (else a prompt).")
@config_option
@handled
def users_add(username: str, role: str, password_env: str | None, config_path: str | None) -> None:
    """Add a user (the password is stored as an argon2id hash)."""
    from sadap.app.web.auth import add_user

    config = _load(config_path)
    password = _password(True, password_env)
    with open_store(config) as store:
        add_user(store, username, role, password)
    click.echo(f"{username}: added ({role})")


@users.command("list")
@config_option
@click.option("--json", "as_json", is_flag=True)
@handled
def users_list(config_path: str | None, as_json: bool) -> None:
    """List users (never their password hashes)."""

    config = _load(config_path)
    with open_store(config) as store:
        found = store.list_users()
        tokens = store.list_api_tokens()
    rows = [{"username": u.username, "role": u.role, "disabled": u.disabled, "created_at": u.created_at.isoformat(),
             "api_tokens": sum(1 for t in tokens if t.username == u.username and not t.revoked)} for u in found]
    if as_json:
        _dump(rows)
        return
    if not rows:
        click.echo("no users (add one with `sadap users add NAME --role admin`)")
    for u, row in zip(found, rows):
        state = "disabled" if u.disabled else "active"
        click.echo(f"{u.username:<20} {u.role:<10} {state:<8} since {show(u.created_at)}  tokens {row['api_tokens']}")


@users.command("passwd")
@click.argument("username")
@click.option("--password-env", default=None, help="Read the new password from this environment variable.")
@config_option
@handled
def users_passwd(username: str, password_env: str | None, config_path: str | None) -> None:
    """Change a user's password (signs them out everywhere)."""
    from sadap.app.web.auth import set_password

    config = _load(config_path)
    password = _password(True, password_env)
    with open_store(config) as store:
        set_password(store, username, password)
    click.echo(f"{username}: password changed")


@users.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(["viewer", "responder", "planner", "admin"]))
@config_option
@handled
def users_role(username: str, role: str, config_path: str | None) -> None:
    """Change a user's role (ROLE: viewer, responder, planner or admin), e.g. to give an admin back
    the role a restore lowered (docs/deploy.md)."""
    from sadap.app.web.auth import set_role

    config = _load(config_path)
    with open_store(config) as store:
        set_role(store, username, role)
    click.echo(f"{username}: {role}")


@users.command("disable")
@click.argument("username")
@config_option
@handled
def users_disable(username: str, config_path: str | None) -> None:
    """Disable a user: sign-in, sessions and API tokens stop working."""
    from sadap.app.web.auth import set_disabled

    config = _load(config_path)
    with open_store(config) as store:
        set_disabled(store, username, True)
    click.echo(f"{username}: disabled")


@users.command("enable")
@click.argument("username")
@config_option
@handled
def users_enable(username: str, config_path: str | None) -> None:
    """Enable a disabled user again."""
    from sadap.app.web.auth import set_disabled

    config = _load(config_path)
    with open_store(config) as store:
        set_disabled(store, username, False)
    click.echo(f"{username}: enabled")


@users.command("token")
@click.argument("username")
@click.option("--name", default="", help="What the token is for (shown in lists).")
@config_option
@handled
def users_token(username: str, name: str, config_path: str | None) -> None:
    """Create an API token for USERNAME (printed once; only its hash is stored)."""
    from sadap.app.web.auth import new_api_token

    config = _load(config_path)
    with open_store(config) as store:
        token, _ = new_api_token(store, username, name)
    click.echo(token)
