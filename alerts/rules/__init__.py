"""Rule types. Importing this package registers the built-in ones."""

from alerts.rules import threshold, watch  # noqa: F401  (registration)
