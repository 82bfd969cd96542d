"""Commands: incidents list, show, ack, resolve, reopen, note, respond and step."""

from __future__ import annotations

import getpass
from collections.abc import Callable

import click

from alerts.incidents import add_note, transition
from sadap.app.cli.common import _dump, _load, config_option, handled
from sadap.app.config import configured_playbooks
from sadap.app.incident_view import show_incident
from sadap.app.responses import staff_text
from sadap.core.errors import InputError
from sadap.core.incident import EventKind, IncidentState
from sadap.core.labels import INCIDENT_STATE, th
from sadap.core.timeutil import show
from sadap.store import open_store


# -- incidents ---------------------------------------------------------------------
@click.group()
def incidents() -> None:
    """Incidents opened by alerts: list, show, acknowledge, resolve, add notes."""


@incidents.command("list")
@config_option
@click.option("--state", type=click.Choice(["open", "acknowledged", "resolved"]), multiple=True)
@click.option("--json", "as_json", is_flag=True)
@handled
def incidents_list(config_path: str | None, state: tuple[str, ...], as_json: bool) -> None:
    """List incidents, newest first."""

    config = _load(config_path)
    with open_store(config) as store:
        found = store.list_incidents(tuple(state))
    if as_json:
        _dump([i.model_dump(mode="json") for i in found])
        return
    if not found:
        click.echo("ไม่มีเหตุการณ์ (no incidents)")
    for i in found:
        click.echo(f"{i.id}  {i.severity}  {th(INCIDENT_STATE, i.state):<10} {show(i.opened_at)}  {i.title}  [{i.playbook}]")


@incidents.command("show")
@click.argument("incident_id")
@config_option
@click.option("--json", "as_json", is_flag=True)
@handled
def incidents_show(incident_id: str, config_path: str | None, as_json: bool) -> None:
    """Show an incident with its playbook steps and timeline."""

    config = _load(config_path)
    show_incident(config, incident_id, as_json=as_json, echo=click.echo)


def _transition(state: IncidentState) -> Callable[..., None]:
    @click.argument("incident_id")
    @config_option
    @click.option("--by", "actor", default=None, help="Who (default: $USER).")
    @click.option("--note", default="", help="A note for the timeline.")
    @handled
    def command(incident_id: str, config_path: str | None, actor: str | None, note: str) -> None:
        config = _load(config_path)
        with open_store(config) as store:
            incident = transition(store, incident_id, state, actor or getpass.getuser(), staff_text(config, note))
        click.echo(f"{incident.id}: {incident.state}")

    return command


incidents.command("ack", help="Acknowledge an incident (you are working on it).")(_transition("acknowledged"))
incidents.command("resolve", help="Resolve an incident.")(_transition("resolved"))
incidents.command("reopen", help="Reopen a resolved incident.")(_transition("open"))


def _timeline_entry(kind: EventKind) -> Callable[..., None]:
    @click.argument("incident_id")
    @click.argument("text")
    @config_option
    @click.option("--by", "actor", default=None, help="Who (default: $USER).")
    @handled
    def command(
        incident_id: str, text: str, config_path: str | None, actor: str | None, channel: str | None = None
    ) -> None:
        config = _load(config_path)
        with open_store(config) as store:
            add_note(store, incident_id, actor or getpass.getuser(), staff_text(config, text), kind=kind, channel=channel)
        click.echo("ok")

    return command


incidents.command("note", help="Add a note to an incident's timeline.")(_timeline_entry("note"))


@incidents.command("step")
@click.argument("incident_id")
@click.argument("number", type=click.IntRange(1, 100))
@config_option
@click.option("--by", "actor", default=None, help="Who (default: $USER).")
@click.option("--note", default="", help="What was done.")
@handled
def incidents_step(incident_id: str, number: int, config_path: str | None, actor: str | None, note: str) -> None:
    """Mark step NUMBER of the incident's playbook as done."""

    config = _load(config_path)
    with open_store(config) as store:
        incident = store.get_incident(incident_id)
        if incident is None:
            raise InputError(f"no incident {incident_id!r} (see `sadap incidents list`)")
        playbook = next((p for p in configured_playbooks(config, check_references=False) if p.id == incident.playbook), None)
        steps = playbook.steps if playbook else []
        if number > len(steps):
            raise InputError(f"playbook {incident.playbook!r} has {len(steps)} step(s); choose 1 to {len(steps)}")
        title = steps[number - 1].title.th
        done = f"{number}. {title}" + (f" — {staff_text(config, note)}" if note else "")
        add_note(store, incident_id, actor or getpass.getuser(), done, kind="step_done")
    click.echo(f"{incident_id}: step {number} done ({title})")
incidents.command("respond", help="Log a response sent to the public (stops the incident SLA clock).")(
    click.option("--channel", default="social", show_default=True, help="Where the response went.")(_timeline_entry("response"))
)
