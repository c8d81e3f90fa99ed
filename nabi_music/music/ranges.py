"""Ranges: of pitches (``c,..c''``, ``C3..C6``, ``48..84``), and of transpositions in
semitones (``-5..6``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nabi_music.errors import InputError, ParseError
from nabi_music.music.notes import Pitch, parse_code

_SCIENTIFIC_RE = re.compile(r"^([A-Ga-g])(#{1,2}|b{1,2})?(-?\d+)$")


def parse_pitch(text: str) -> int:
    """A MIDI number from ``60``, a note-code pitch (``c'``, ``fis,``) or ``C#4``."""
    text = text.strip()
    if re.fullmatch(r"\d{1,3}", text):
        midi = int(text)
    elif (m := _SCIENTIFIC_RE.match(text)) is not None:
        acc = m[2] or ""
        alter = len(acc) if acc.startswith("#") else -len(acc)
        midi = Pitch(m[1].lower(), alter, int(m[3])).midi
    else:
        try:
            note = parse_code(text + "4")
        except ParseError:
            raise InputError(
                f"pitch {text!r} is not a pitch: expected a MIDI number (60), "
                "a note-code pitch (c' fis,) or a name such as C4 or Bb3"
            ) from None
        assert note.pitch is not None
        midi = note.pitch.midi
    if not 0 <= midi <= 127:
        raise InputError(f"pitch {text!r} lies outside the MIDI range 0..127")
    return midi


@dataclass(frozen=True)
class PitchRange:
    """The lowest and highest MIDI pitch a generated note may have (both included)."""

    low: int
    high: int

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise InputError(
                f"pitch range {self}: the low end is above the high end; write LOW..HIGH"
            )

    def __str__(self) -> str:
        return f"{Pitch.from_midi(self.low).name}..{Pitch.from_midi(self.high).name}"

    def contains(self, midi: int) -> bool:
        return self.low <= midi <= self.high


def parse_pitch_range(text: str) -> PitchRange:
    """``LOW..HIGH`` with pitches as in :func:`parse_pitch`: ``c,..c''``, ``48..84``."""
    parts = text.split("..")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise InputError(
            f"pitch range {text!r}: expected LOW..HIGH such as c,..c'' or 48..84 or C3..C6"
        )
    return PitchRange(parse_pitch(parts[0]), parse_pitch(parts[1]))


def parse_transposition_range(text: str) -> tuple[int, int]:
    """``"-5..6"`` -> (-5, 6); a single number ``k`` means ``-k..k``."""
    try:
        if ".." in text:
            low, high = (int(part) for part in text.split("..", 1))
        else:
            high = abs(int(text))
            low = -high
    except ValueError:
        raise InputError(
            f"cannot read the transposition range {text!r}; expected LOW..HIGH as in -5..6"
        ) from None
    if low > high or max(abs(low), abs(high)) > 24:
        raise InputError(f"transposition range {text!r}: expected LOW..HIGH within -24..24")
    return low, high
