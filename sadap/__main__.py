"""``python -m sadap`` — the same as the ``sadap`` command."""

from sadap.cli import main

main()
