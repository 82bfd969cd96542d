"""``python -m sadap`` — the same as the ``sadap`` command."""

from sadap.app.cli import main

main()
