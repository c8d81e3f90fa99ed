"""The one door to the heavy libraries: TensorFlow and Keras, and music21, imported
lazily (``import nabi_music`` and ``nabi --help`` load neither), with their settings.

:func:`tensorflow` and :func:`keras` import TensorFlow with its C++ start-up
chatter kept off the user's terminal and XLA's expensive passes off;
:func:`music21` imports music21's modules by name.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

XLA_FLAGS = "--xla_llvm_disable_expensive_passes=true"
"""Halves XLA's compile time of the training loop here, with the same step time."""

BLAS_THREADS = "1"
"""Threads of NumPy's BLAS while generating. The forward pass multiplies matrices of a
few rows, once per note; OpenBLAS' own threads only wait on each other there (on a
busy 2-core machine a corpus model generated 40 notes/s with them, 600 without)."""


def quiet_tensorflow() -> None:
    """Import TensorFlow with its C++ start-up chatter kept off the user's terminal.

    TensorFlow 2.21 logs through absl before any log level applies, so the
    standard error stream is closed for the duration of the import itself.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("XLA_FLAGS", XLA_FLAGS)
    if "tensorflow" in sys.modules:
        return
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def tensorflow() -> Any:
    """The ``tensorflow`` module."""
    import tensorflow as tf

    return tf


def keras() -> Any:
    """The ``keras`` module."""
    import keras as k

    return k


def music21(*names: str) -> Any:
    """music21's modules by name: ``stream = music21("stream")``,
    ``chord, note = music21("chord", "note")``."""
    modules = tuple(importlib.import_module(f"music21.{name}") for name in names)
    return modules[0] if len(modules) == 1 else modules


def limit_blas_threads() -> None:
    """Keep NumPy's BLAS to :data:`BLAS_THREADS` in this process, when NumPy is not
    loaded yet (the setting is read when NumPy loads its BLAS)."""
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", BLAS_THREADS)


def command_of(argv: list[str]) -> str | None:
    """The ``nabi`` subcommand in ``argv`` (the first word that is not an option)."""
    return next((a for a in argv if not a.startswith("-")), None)


__all__ = [
    "BLAS_THREADS",
    "XLA_FLAGS",
    "command_of",
    "keras",
    "limit_blas_threads",
    "music21",
    "quiet_tensorflow",
    "tensorflow",
]
