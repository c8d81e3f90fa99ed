"""Keys, scales and modes, and the one parser of their names (``F# major``, ``bes minor``,
``E dorian``, ``G pentatonic``) that transposition, constraints, writers and statistics use.

A name is a tonic (a letter, upper or lower case, with an accidental written
``#``/``b``, ``♯``/``♭``, LilyPond's ``is``/``es``/``s`` or music21's ``-``) and a
mode; a tonic without a mode is major in upper case and minor in lower case
(``G``, ``e``), as in pretty_midi and music21. :func:`parse_scale` reads every mode
of :data:`MODES`; :func:`parse_key` reads the key signatures the writers can
write (major and minor).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nabi_music.errors import InputError
from nabi_music.music.notes import STEP_SEMITONES, Pitch

MODES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "harmonic-minor": (0, 2, 3, 5, 7, 8, 11),
    "melodic-minor": (0, 2, 3, 5, 7, 9, 11),
    "ionian": (0, 2, 4, 5, 7, 9, 11),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "aeolian": (0, 2, 3, 5, 7, 8, 10),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
    "major-pentatonic": (0, 2, 4, 7, 9),
    "minor-pentatonic": (0, 3, 5, 7, 10),
    "blues": (0, 3, 5, 6, 7, 10),
}
"""Semitones above the tonic of each mode (``minor`` is the natural minor)."""

_MODE_ALIASES = {
    "maj": "major",
    "m": "minor",
    "min": "minor",
    "natural-minor": "minor",
    "pentatonic": "major-pentatonic",
}

# The key signature of each mode: (mode of the signature's key, semitones from
# the scale's tonic down to that key's tonic).
_SIGNATURE = {
    "major": ("major", 0),
    "ionian": ("major", 0),
    "major-pentatonic": ("major", 0),
    "lydian": ("major", 5),
    "mixolydian": ("major", 7),
    "dorian": ("major", 2),
    "phrygian": ("major", 4),
    "locrian": ("major", 11),
    "minor": ("minor", 0),
    "aeolian": ("minor", 0),
    "harmonic-minor": ("minor", 0),
    "melodic-minor": ("minor", 0),
    "minor-pentatonic": ("minor", 0),
    "blues": ("minor", 0),
}
_MAJOR_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_FIFTHS = {"c": 0, "g": 1, "d": 2, "a": 3, "e": 4, "b": 5, "f": -1}

# music21's flats (``B-``) only before a space or the end, so that ``E-dorian`` is E dorian.
_NAME_RE = re.compile(
    r"^\s*(?P<step>[a-gA-G])(?P<acc>isis|eses|is|es|##|bb|#|b|♯|♭|s|--(?=\s|$)|-(?=\s|$))?"
    r"(?:\s*[- ]\s*|\s*)(?P<mode>[A-Za-z][A-Za-z -]*)?\s*$"
)
_ACC = {"": 0, "#": 1, "♯": 1, "##": 2, "is": 1, "isis": 2}
_ACC |= {"b": -1, "♭": -1, "bb": -2, "es": -1, "eses": -2, "s": -1, "-": -1, "--": -2}


@dataclass(frozen=True)
class _Name:
    step: str
    alter: int
    mode: str | None
    """The mode as written, normalised (``harmonic-minor``), or None when unknown."""
    written: str | None


def _read_name(text: str) -> _Name | None:
    """The tonic and mode of a key or scale name, or None when it is not one."""
    m = _NAME_RE.match(text)
    if m is None:
        return None
    step, acc, mode_text = m["step"], m["acc"] or "", m["mode"]
    if acc == "s" and step.lower() not in "ae":
        return None
    if mode_text is None:
        mode: str | None = "major" if step.isupper() else "minor"
    else:
        mode = re.sub(r"[\s_]+", "-", mode_text.strip().lower())
        mode = _MODE_ALIASES.get(mode, mode)
        if mode_text.strip() == "M":
            mode = "major"
        if mode not in MODES:
            mode = None
    return _Name(step.lower(), _ACC[acc], mode, mode_text)


@dataclass(frozen=True)
class Scale:
    """A tonic (letter and alteration) and a mode from :data:`MODES`."""

    step: str
    alter: int
    mode: str

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InputError(f"unknown mode {self.mode!r}; expected one of {', '.join(MODES)}")

    @property
    def tonic(self) -> int:
        """The tonic's pitch class (0 = C)."""
        return (STEP_SEMITONES[self.step] + self.alter) % 12

    @property
    def pitch_classes(self) -> frozenset[int]:
        return frozenset((self.tonic + s) % 12 for s in MODES[self.mode])

    @property
    def tonic_name(self) -> str:
        acc = "#" * self.alter if self.alter > 0 else "b" * -self.alter
        return self.step.upper() + acc

    def __str__(self) -> str:
        return f"{self.tonic_name} {self.mode}"

    def contains(self, midi: int) -> bool:
        return midi % 12 in self.pitch_classes

    @property
    def key_signature(self) -> str:
        """The key whose signature a score in this scale is written with, as the
        writers read it (``D major``, ``b minor``; ``E dorian`` -> ``D major``)."""
        mode, down = _SIGNATURE[self.mode]
        if down == 0:
            name = self.tonic_name if mode == "major" else self.tonic_name.lower()
        else:
            name = _MAJOR_NAMES[(self.tonic - down) % 12]
        return f"{name} {mode}"


def parse_scale(text: str) -> Scale:
    """Read a key or scale: ``D major``, ``F#m``, ``bes minor``, ``E dorian``, ``G pentatonic``.

    A tonic without a mode is major in upper case and minor in lower case (``G``, ``e``).
    """
    name = _read_name(text)
    if name is None:
        m = _NAME_RE.match(text)
        if m is not None:  # only an 's' after a letter other than a or e is wrong
            raise InputError(f"key {text!r}: 's' is a flat only after a or e (as, es)")
        raise InputError(
            f"key {text!r} is not a key or scale: expected a tonic and a mode such as "
            f"'D major', 'a minor', 'F# minor', 'Bb major' or 'E dorian'"
        )
    if name.mode is None:
        raise InputError(
            f"key {text!r}: unknown mode {(name.written or '').strip()!r}; "
            f"expected one of {', '.join(MODES)}"
        )
    return Scale(name.step, name.alter, name.mode)


@dataclass(frozen=True)
class Key:
    """A key signature: tonic letter, its alteration, and ``major`` or ``minor``."""

    step: str
    alter: int
    mode: str

    @property
    def tonic_pitch(self) -> Pitch:
        """The tonic in the octave of middle C."""
        return Pitch(self.step, self.alter, 4)

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

    @property
    def fifths(self) -> int:
        """Sharps (positive) or flats (negative) of the key's signature."""
        return key_signature(self.tonic_pitch, self.mode)


def parse_key(text: str) -> Key:
    """Read a key such as ``C major``, ``a minor``, ``F# major``, ``Bb major``, ``bes minor``.

    A mode-less key is major when its letter is upper case and minor otherwise
    (``G``, ``e``), as in pretty_midi and music21.
    """
    name = _read_name(text)
    if name is None or name.mode not in ("major", "minor"):
        raise InputError(
            f"key {text!r} is not a key this writer knows: expected a tonic and a mode "
            "such as 'C major', 'a minor', 'F# major' or 'Bb major'"
        )
    return Key(name.step, name.alter, name.mode)


def format_key(tonic: Pitch, mode: str) -> str:
    """The reader's spelling of a key: ``F# major``, ``bb minor``."""
    name = tonic.step.upper() + ("#" * tonic.alter if tonic.alter > 0 else "b" * -tonic.alter)
    return f"{name.lower() if mode == 'minor' else name} {mode}"


def key_signature(tonic: Pitch, mode: str) -> int:
    """Sharps (positive) or flats (negative) of a key's signature."""
    fifths = _FIFTHS[tonic.step] + 7 * tonic.alter
    return fifths - 3 if mode == "minor" else fifths
