"""Metre: time signatures, bar lengths, notes split at bar lines, and the default tempo."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from fractions import Fraction

from nabi_music.errors import InputError
from nabi_music.music.notes import Note, split_duration

DEFAULT_TEMPO = 120.0
"""Quarter notes per minute when a melody says no tempo."""


def parse_time_signature(text: str) -> tuple[int, int]:
    """Read a time signature such as ``2/4`` or ``6/8`` into ``(numerator, denominator)``."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if m is not None:
        num, den = int(m[1]), int(m[2])
        if 0 < num <= 64 and den in (1, 2, 4, 8, 16, 32, 64):
            return num, den
    raise InputError(
        f"time signature {text!r} cannot be written: expected N/D with N from 1 to 64 "
        "and D one of 1 2 4 8 16 32 64, such as '2/4' or '6/8'"
    )


def bar_length(time_signature: str) -> Fraction:
    """The length of one bar in quarter notes (``6/8`` -> 3)."""
    num, den = parse_time_signature(time_signature)
    return Fraction(4 * num, den)


def split_at_bar_lines(
    notes: Sequence[Note], bar: Fraction, start: Fraction = Fraction(0)
) -> list[Note]:
    """Notes that cross a bar line, split there into tied notes of plain or dotted values
    (rests into rests); ``start`` is the time of the first note."""
    out: list[Note] = []
    time = Fraction(start)
    for note in notes:
        end = time + note.duration
        cuts = [time]
        line = (time // bar + 1) * bar
        while line < end:
            cuts.append(line)
            line += bar
        cuts.append(end)
        pieces: list[Fraction] = []
        for a, b in itertools.pairwise(cuts):
            pieces.extend(split_duration(b - a))
        for j, piece in enumerate(pieces):
            last = j == len(pieces) - 1
            tie = note.tie if last else note.pitch is not None
            out.append(Note(note.pitch, piece, tie))
        time = end
    return out
