"""What the writers share: reading a melody's key and time signature, and ties."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

from nabi_music.errors import InputError
from nabi_music.music.notes import STEP_SEMITONES, Melody, Note

DEFAULT_TEMPO = 120.0

_KEY_RE = re.compile(
    r"^\s*(?P<step>[a-gA-G])(?P<acc>isis|eses|is|es|s|##|bb|#|b|--|-)?"
    r"\s*(?P<mode>major|minor|maj|min|M|m)?\s*$"
)
_ACC = {
    "": 0,
    "#": 1,
    "##": 2,
    "is": 1,
    "isis": 2,
    "b": -1,
    "bb": -2,
    "-": -1,
    "--": -2,
    "es": -1,
    "eses": -2,
    "s": -1,
}
_MODES = {"major": "major", "maj": "major", "M": "major", "minor": "minor", "min": "minor"}
_MODES["m"] = "minor"


@dataclass(frozen=True)
class Key:
    """A key signature: tonic letter, its alteration, and ``major`` or ``minor``."""

    step: str
    alter: int
    mode: str

    @property
    def midi_key_number(self) -> int:
        """pretty_midi's key number: 0-11 major keys from C, 12-23 minor keys."""
        pc = (STEP_SEMITONES[self.step] + self.alter) % 12
        return pc + (12 if self.mode == "minor" else 0)

    @property
    def lilypond(self) -> str:
        """The LilyPond command, e.g. ``\\key fis \\major``."""
        acc = "is" * self.alter if self.alter > 0 else "es" * -self.alter
        return f"\\key {self.step}{acc} \\{self.mode}"


def parse_key(text: str) -> Key:
    """Read a key such as ``C major``, ``a minor``, ``F# major``, ``Bb major``, ``bes minor``.

    A mode-less key is major when its letter is upper case and minor otherwise
    (``G``, ``e``), as in pretty_midi and music21.
    """
    m = _KEY_RE.match(text)
    if m is None or (m["acc"] == "s" and m["step"].lower() not in "ae"):
        raise InputError(
            f"key {text!r} is not a key this writer knows: expected a tonic and a mode "
            "such as 'C major', 'a minor', 'F# major' or 'Bb major'"
        )
    step = m["step"]
    mode = _MODES[m["mode"]] if m["mode"] else ("major" if step.isupper() else "minor")
    return Key(step.lower(), _ACC[m["acc"] or ""], mode)


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


def continues_tie(notes: Sequence[Note], index: int) -> bool:
    """True if ``notes[index]`` is held on from the note before: that note is tied
    and sounds the same key (``cis4~ des4`` counts, as in LilyPond)."""
    if not 0 < index < len(notes):
        return False
    prev, note = notes[index - 1], notes[index]
    return (
        prev.tie
        and prev.pitch is not None
        and note.pitch is not None
        and prev.pitch.midi == note.pitch.midi
    )


def dangling_tie(notes: Sequence[Note], index: int) -> bool:
    """True if ``notes[index]`` is tied but the next note does not hold it on
    (the last note, a rest or another pitch follows)."""
    return notes[index].tie and not continues_tie(notes, index + 1)


@dataclass(frozen=True)
class Sounding:
    """One sounding note after joining ties: MIDI pitch, onset and length in quarters."""

    midi: int
    start: Fraction
    duration: Fraction

    @property
    def end(self) -> Fraction:
        return self.start + self.duration


def sounding_notes(melody: Melody) -> Iterator[Sounding]:
    """The notes one hears: rests only advance time, tied notes join into one."""
    time = Fraction(0)
    current: Sounding | None = None
    for i, note in enumerate(melody.notes):
        if current is not None and continues_tie(melody.notes, i):
            current = Sounding(current.midi, current.start, current.duration + note.duration)
        else:
            if current is not None:
                yield current
            current = None if note.pitch is None else Sounding(note.pitch.midi, time, note.duration)
        time += note.duration
    if current is not None:
        yield current
