"""Limits on how much work a score may ask of nabi_music.

A file of a few bytes can ask for a note a billion beats long, a repeat played a
billion times or an archive that inflates to gigabytes. Every reader checks such
numbers against these limits *before* it expands anything, and refuses the file
with one line that says what, where and which limit (an :class:`InputError`,
exit 2). The work a file causes is then bounded by its size and by what it
really holds, never by a number written inside it.

The defaults are the named constants below (listed in the README). A user who
means it raises them: ``nabi inspect --limit notes=500000 FILE`` on the command
line, ``with limits.raised(notes=500_000): read(path)`` in Python.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace

from nabi_music.errors import InputError

MAX_NOTES = 100_000
"""Notes and rests in one melody (after repeats are played out)."""
MAX_BARS = 10_000
"""Bars in one melody."""
MAX_NOTE_WHOLES = 256
"""The longest single note or rest, in whole notes (256 bars of 4/4)."""
MAX_FILE_MB = 20
"""The size of one score file, in megabytes (10^6 bytes)."""
MAX_UNPACKED_MB = 50
"""A compressed score (``.mxl``) once inflated, in megabytes."""


@dataclass(frozen=True)
class Limits:
    """The limits in force; the field names are the ``--limit NAME=N`` names."""

    notes: int = MAX_NOTES
    bars: int = MAX_BARS
    note_wholes: int = MAX_NOTE_WHOLES
    file_mb: int = MAX_FILE_MB
    unpacked_mb: int = MAX_UNPACKED_MB

    @property
    def file_bytes(self) -> int:
        return self.file_mb * 1_000_000

    @property
    def unpacked_bytes(self) -> int:
        return self.unpacked_mb * 1_000_000


NAMES = tuple(f.name for f in fields(Limits))

_DEFAULTS = Limits()
_current: ContextVar[Limits | None] = ContextVar("nabi_music_limits", default=None)


def current() -> Limits:
    """The limits in force in this context."""
    return _current.get() or _DEFAULTS


@contextmanager
def raised(**values: int) -> Iterator[Limits]:
    """Read with other limits inside the ``with`` block: ``raised(notes=500_000)``."""
    unknown = set(values) - set(NAMES)
    if unknown:
        raise InputError(
            f"unknown limit {', '.join(sorted(unknown))}; expected one of {', '.join(NAMES)}"
        )
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"limit {name} must be a whole number of at least 1, got {value!r}")
    token = _current.set(replace(current(), **values))
    try:
        yield current()
    finally:
        _current.reset(token)


def parse_limit(text: str) -> tuple[str, int]:
    """``"notes=500000"`` -> ``("notes", 500000)``, or an :class:`InputError` saying why not."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or name not in NAMES:
        raise InputError(
            f"--limit {text[:40]!r}: expected NAME=N with NAME one of {', '.join(NAMES)}"
        )
    try:
        number = int(value.replace("_", ""))
    except ValueError:
        number = 0
    if number < 1:
        raise InputError(f"--limit {text[:40]!r}: expected a whole number of at least 1")
    return name, number


def too_many(what: str, count: int, limit: int, name: str, where: str) -> InputError:
    """The refusal: ``where: notes in the melody: 120,000, over the limit of 100,000; ...``."""
    return InputError(
        f"{where}: {what}: {count:,}, over the limit of {limit:,}; "
        f"raise it with --limit {name}=N if you mean it"
    )
