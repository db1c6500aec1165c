"""``python -m detente``: the same as the ``detente`` command."""

from detente.cli.app import main

main()
