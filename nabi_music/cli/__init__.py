"""The ``nabi`` command: argument parsing and printing only, one module per command group."""

from nabi_music.cli.main import main

__all__ = ["main"]
