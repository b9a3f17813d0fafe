"""Typer command functions too large for ``compete/cli.py``; ``cli.py`` registers them with one line each."""
