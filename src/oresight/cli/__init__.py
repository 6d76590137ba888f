"""The ``oresight`` command line (Typer + Rich)."""
