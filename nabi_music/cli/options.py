"""The options every ``nabi`` command takes, checked before any work: numbers in their
ranges (a value that would allocate gigabytes is refused with its limit) and output
paths that can be written, so that a bad value never leaves an empty or half-written
output folder behind.

The ranges are named here and in :mod:`nabi_music.models.bundle` (what a model may
be), and listed in the README.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

from nabi_music.errors import InputError, shorten
from nabi_music.fileio import check_out_dir, check_out_file
from nabi_music.models.bundle import (
    MAX_EPOCHS,
    MAX_MEMBERS,
    MAX_SEED,
    MAX_VOCABULARY,
    MAX_WINDOW,
)
from nabi_music.models.ngram import MAX_ORDER
from nabi_music.readers import limits

MAX_COUNT = 1000
"""Melodies ``nabi generate`` composes in one run."""
MAX_GENERATED_NOTES = 1_000_000
"""Notes ``nabi generate`` composes in one run (``--count`` times ``--length``)."""
MAX_GENERATED_BARS = 100_000
"""Bars ``nabi generate`` composes in one run (``--count`` times ``--bars``)."""
MAX_FOLDS = 100
"""Folds of a cross-validation."""
MAX_TEMPERATURE = 100.0
"""The sampling temperature (at 100 every code is about as likely)."""
MAX_TIMEOUT = 86_400.0
"""Seconds LilyPond may run (a day)."""


@dataclass(frozen=True)
class Range:
    """The values an option takes: from ``low`` to ``high``; ``whole`` numbers or not."""

    low: float
    high: float
    whole: bool = True
    above_low: bool = False
    """``low`` itself is refused (a timeout above 0)."""

    def expected(self) -> str:
        if self.whole:
            return f"a whole number from {self.low:,} to {self.high:,}"
        if self.above_low:
            return f"a number above {self.low:g}, at most {self.high:g}"
        return f"a number from {self.low:g} to {self.high:g}"

    def holds(self, value: float) -> bool:
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if self.above_low and value <= self.low:
            return False
        return self.low <= value <= self.high


def ranges() -> dict[str, Range]:
    """Each numeric option (by its ``argparse`` name) and its range; the note and bar
    limits in force (``--limit``) bound ``--length`` and ``--bars``."""
    now = limits.current()
    return {
        "epochs": Range(1, MAX_EPOCHS),
        "seed": Range(0, MAX_SEED),
        "window": Range(1, MAX_WINDOW),
        "members": Range(1, MAX_MEMBERS),
        "folds": Range(2, MAX_FOLDS),
        "ngram_order": Range(1, MAX_ORDER),
        "count": Range(1, MAX_COUNT),
        "length": Range(1, now.notes),
        "bars": Range(1, now.bars),
        "top_k": Range(1, MAX_VOCABULARY),
        "temperature": Range(0.0, MAX_TEMPERATURE, whole=False),
        "timeout": Range(0.0, MAX_TIMEOUT, whole=False, above_low=True),
    }


def flag(name: str) -> str:
    """``top_k`` -> ``--top-k``."""
    return "--" + name.replace("_", "-")


def check_options(args: argparse.Namespace) -> None:
    """Refuse, with one line, the first option of ``args`` out of its range, and output
    paths that cannot be written; before the command reads or writes anything."""
    for name, allowed in ranges().items():
        value = getattr(args, name, None)
        if value is not None and not allowed.holds(value):
            raise InputError(
                f"{flag(name)} {shorten(value)}: expected {allowed.expected()}"
                + (" (raise it with --limit notes=N)" if name == "length" else "")
                + (" (raise it with --limit bars=N)" if name == "bars" else "")
            )
    count = getattr(args, "count", None) or 1
    for name, total, unit in (
        ("length", MAX_GENERATED_NOTES, "notes"),
        ("bars", MAX_GENERATED_BARS, "bars"),
    ):
        per = getattr(args, name, None)
        if per is not None and count * per > total:
            raise InputError(
                f"--count {count:,} times {flag(name)} {per:,} is {count * per:,} {unit}, "
                f"over the limit of {total:,} {unit} in one run"
            )
    out = getattr(args, "out", None)
    if isinstance(out, str):
        check_out_dir(out)
    output = getattr(args, "output", None)
    if isinstance(output, str):
        check_out_file(output, "-o")
    json_out = getattr(args, "json", None)
    if isinstance(json_out, str):
        check_out_file(json_out, "--json")
