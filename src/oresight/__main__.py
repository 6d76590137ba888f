"""``python -m oresight``: the same as the ``oresight`` command."""

from oresight.cli.app import main

main()
