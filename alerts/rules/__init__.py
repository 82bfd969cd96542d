"""Rule types, one module each. Importing this package registers them: adding a rule type is
its module (the class with its ``Options`` and its one ``evaluate`` hook) plus one line here
(see docs/contributing.md)."""

from alerts.rules import (  # noqa: F401  (each module registers its rule type)
    complaint_sla,
    coordinated,
    new_term,
    sentiment_shift,
    silence,
    spike,
    threshold,
    watch,
)
from alerts.rules.base import RULE_TYPES

__all__ = ["RULE_TYPES"]
