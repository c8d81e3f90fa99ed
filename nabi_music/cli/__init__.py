"""The ``nabi`` command: argument parsing and printing only, one module per command group.

``nabi generate`` keeps NumPy's BLAS to one thread: that is settled here, before
the command's modules load NumPy.
"""

import sys

from nabi_music import backend

if backend.command_of(sys.argv[1:]) == "generate":
    backend.limit_blas_threads()

from nabi_music.cli.main import main

__all__ = ["main"]
