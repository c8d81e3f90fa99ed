"""Metre: time signatures, bar lengths, notes split at bar lines, and the default tempo."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from nabi_music.errors import InputError
from nabi_music.music.notes import Melody, Note, format_code, split_duration

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


@dataclass(frozen=True)
class Written:
    """One note as written in bars: a piece of the melody's note ``index`` (a note
    that crosses a bar line, or that no one value holds, is written as tied pieces)."""

    note: Note
    """The piece: its duration, and ``tie`` when it is held on into the next piece."""
    index: int
    """Which of the melody's notes it belongs to."""
    onset: bool
    """The note's first piece (where a lyric, a colour's text or a marking goes)."""
    last: bool
    """The note's last piece (whose tie is the note's own)."""
    bar_line: bool
    """A bar line follows it."""


def first_position(bar: Fraction, pickup: Fraction | None) -> Fraction:
    """Where in its bar the first note starts: ``bar - pickup`` after an upbeat, else 0."""
    if pickup is None or pickup <= 0:
        return Fraction(0)
    return (bar - Fraction(pickup)) % bar


def written_notes(
    notes: Sequence[Note], bar: Fraction, start: Fraction = Fraction(0)
) -> list[Written]:
    """``notes`` as written in bars of length ``bar``: each note cut at the bar lines it
    crosses into tied pieces of plain or dotted values (tuplet values stay whole within
    a bar; rests into rests). ``start`` is where in its bar the first note starts."""
    out: list[Written] = []
    position = Fraction(start) % bar
    for index, note in enumerate(notes):
        remaining = note.duration
        pieces: list[tuple[Fraction, bool]] = []
        while remaining > 0:
            room = bar - position
            piece = min(remaining, room)
            values = split_duration(piece)
            pieces += [(v, False) for v in values[:-1]] + [(values[-1], piece == room)]
            remaining -= piece
            position = (position + piece) % bar
        for j, (value, bar_line) in enumerate(pieces):
            last = j == len(pieces) - 1
            tie = note.tie if last else note.pitch is not None
            out.append(Written(Note(note.pitch, value, tie), index, j == 0, last, bar_line))
    return out


def written_codes(melody: Melody) -> list[str]:
    """The codes of ``melody`` as its score writes them: cut into tied pieces at the
    bar lines of its metre (after its upbeat); its own codes when it has no metre."""
    if melody.time_signature is None:
        return melody.codes
    bar = bar_length(melody.time_signature)
    start = first_position(bar, melody.pickup)
    return [format_code(w.note) for w in written_notes(melody.notes, bar, start)]


# --- beats and strong beats ---------------------------------------------------


def is_compound(time_signature: str) -> bool:
    """True for a compound metre (6/8, 9/8, 12/8, 6/4 ...): its beat is three of its units."""
    num, _ = parse_time_signature(time_signature)
    return num % 3 == 0 and num > 3


def beat_length(time_signature: str) -> Fraction:
    """The metre's beat in quarters: the unit of a simple metre (a quarter in 2/4 3/4 4/4,
    a half in 2/2, an eighth in 3/8), three units of a compound one (a dotted quarter in
    6/8 9/8 12/8)."""
    _, den = parse_time_signature(time_signature)
    unit = Fraction(4, den)
    return 3 * unit if is_compound(time_signature) else unit


def strong_positions(time_signature: str) -> tuple[Fraction, ...]:
    """Where in the bar (quarters from the downbeat) the strong beats fall: the downbeat,
    and the middle of a bar of four beats or more in an even number (beat 3 of 4/4,
    the third dotted quarter of 12/8)."""
    bar = bar_length(time_signature)
    beats = bar / beat_length(time_signature)
    if beats.denominator == 1 and beats >= 4 and beats % 2 == 0:
        return (Fraction(0), bar / 2)
    return (Fraction(0),)


def beat_strength(time_signature: str, position: Fraction) -> int:
    """The metrical weight of a position in the bar: 3 on the downbeat, 2 on another strong
    beat, 1 on another beat, 0 off the beat."""
    bar = bar_length(time_signature)
    position = Fraction(position) % bar
    if position == 0:
        return 3
    if position in strong_positions(time_signature):
        return 2
    return 1 if position % beat_length(time_signature) == 0 else 0


def onset_positions(
    notes: Sequence[Note], bar: Fraction, start: Fraction = Fraction(0)
) -> list[Fraction]:
    """Where in its bar each note starts (quarters from the bar's downbeat), the first
    note at ``start`` (see :func:`first_position`)."""
    out = []
    time = Fraction(start)
    for note in notes:
        out.append(time % bar)
        time += note.duration
    return out


def format_quarters(value: Fraction) -> str:
    """A length in quarters as text: ``2``, ``3/2``."""
    value = Fraction(value)
    return str(value.numerator) if value.denominator == 1 else str(value)
