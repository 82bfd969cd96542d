"""Situation playbooks: YAML files saying when a situation applies, who owns it, what to do
and what to say. A Thai library ships in ``playbooks/library``; organisations add their own.

See ``docs/playbooks.md``.
"""

from playbooks.loader import load_playbook_file, load_playbooks, shipped_dir
from playbooks.match import conditions_hold, match_playbook
from playbooks.render import (
    TEMPLATE_VARIABLES,
    alert_variables,
    duration_words,
    first_steps,
    render_template,
)
from playbooks.schema import CHANNELS, Playbook, Response, Step, Text, When

__all__ = [
    "CHANNELS",
    "Playbook",
    "Response",
    "Step",
    "TEMPLATE_VARIABLES",
    "Text",
    "When",
    "alert_variables",
    "conditions_hold",
    "duration_words",
    "first_steps",
    "load_playbook_file",
    "load_playbooks",
    "match_playbook",
    "render_template",
    "shipped_dir",
]
