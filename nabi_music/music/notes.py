"""Notes, melodies and the note-code grammar.

A note code is a LilyPond note written in ``\\fixed c'`` mode, the form the
tutorial uses (``g8``, ``e4``):

- pitch: a letter ``c d e f g a b``, then accidentals ``is`` (sharp) or
  ``es`` (flat), at most two (``fis``, ``bes``, ``cisis``, ``eeses``), then
  octave marks relative to the octave of middle C (``c`` = C4, ``c'`` = C5,
  ``g,`` = G3); or ``r`` for a rest;
- duration: ``1 2 4 8 16 32 64`` and up to three dots (``4.``), or, for a
  duration no dotted value can hold (tuplets), the undotted value just above
  it scaled by a fraction: ``8*2/3`` is a triplet eighth;
- ``~`` at the end ties the note to the next one.

Every duration has exactly one spelling, so ``format_code(parse_code(s)) == s``
for every valid code ``s``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from fractions import Fraction

from nabi_music import display
from nabi_music.errors import ParseError

STEPS = "cdefgab"
STEP_SEMITONES = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
BASES = (1, 2, 4, 8, 16, 32, 64)
MAX_DOTS = 3
MAX_OCTAVE_MARKS = 4
MAX_DIGITS = 18
"""The most digits of one number in a code (``8*2/3``)."""
MAX_DENOMINATOR = 2**62
"""The finest time a melody may hold: a duration or onset is a fraction of a quarter
whose denominator is at most this (LilyPond's own moments are 64-bit fractions); finer
ones come only from hostile or broken files, and cost more with every note."""
_SHOWN = 40


@dataclass(frozen=True, order=True)
class Pitch:
    """A spelled pitch: letter, alteration in semitones (-2..2), octave (4 = middle C's)."""

    step: str
    alter: int = 0
    octave: int = 4

    @property
    def midi(self) -> int:
        return 12 * (self.octave + 1) + STEP_SEMITONES[self.step] + self.alter

    @property
    def name(self) -> str:
        """Scientific name, e.g. ``F#5`` or ``Bb3``."""
        acc = "#" * self.alter if self.alter > 0 else "b" * -self.alter
        return f"{self.step.upper()}{acc}{self.octave}"

    @classmethod
    def from_midi(cls, midi: int) -> Pitch:
        """The usual spelling of a MIDI number (sharps for black keys)."""
        names = ["c", "c#", "d", "d#", "e", "f", "f#", "g", "g#", "a", "a#", "b"]
        step = names[midi % 12]
        return cls(step[0], 1 if "#" in step else 0, midi // 12 - 1)


@dataclass(frozen=True)
class Note:
    """A note or rest (``pitch is None``); duration in quarter notes, exact."""

    pitch: Pitch | None
    duration: Fraction
    tie: bool = False

    @property
    def is_rest(self) -> bool:
        return self.pitch is None

    @property
    def code(self) -> str:
        return format_code(self)


@dataclass(frozen=True)
class Melody:
    """One monophonic line with what the source said about it."""

    notes: tuple[Note, ...]
    title: str | None = None
    key: str | None = None
    time_signature: str | None = None
    tempo: float | None = None
    program: int | None = None
    source: str = ""
    warnings: tuple[str, ...] = field(default=(), compare=False)
    header: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    """The source's other header fields, in order, named as LilyPond names them
    (``subtitle``, ``composer``, ``poet``, ``arranger``, ``opus``, ``copyright`` ...)."""
    pickup: Fraction | None = field(default=None, compare=False)
    """The length of an opening short bar (an upbeat) in quarters; None: none."""

    def header_field(self, name: str) -> str | None:
        """The first header field called ``name`` (``title`` is :attr:`title`)."""
        if name == "title":
            return self.title
        return next((value for key, value in self.header if key == name), None)

    @property
    def codes(self) -> list[str]:
        return [format_code(n) for n in self.notes]

    @property
    def quarter_length(self) -> Fraction:
        return sum((n.duration for n in self.notes), Fraction(0))

    def with_notes(self, notes: tuple[Note, ...] | list[Note]) -> Melody:
        return replace(self, notes=tuple(notes))

    def __repr__(self) -> str:
        """One line: ``<Melody '나비야': 54 notes, C major, 2/4: g8 e8 e4 f8 d8 d4 …>``."""
        facts = [f"{len(self.notes)} notes"]
        facts += [x for x in (self.key, self.time_signature) if x]
        codes = self.codes
        shown = " ".join(codes[:8]) + (" …" if len(codes) > 8 else "")
        title = f" {self.title!r}" if self.title else ""
        return f"<Melody{title}: {', '.join(facts)}: {shown}>"

    def _repr_html_(self) -> str | None:
        """In Jupyter: the engraved score, a player and a caption."""
        return display.html(self)

    @classmethod
    def from_codes(cls, codes: list[str] | str, **meta: object) -> Melody:
        """A melody from codes (a list, or one string separated by white space)."""
        text = codes if isinstance(codes, str) else " ".join(codes)
        return cls(notes=tuple(parse_codes(text, source=str(meta.get("source", "")))), **meta)  # type: ignore[arg-type]


# --- durations -------------------------------------------------------------


def _dotted(base: int, dots: int) -> Fraction:
    return Fraction(4, base) * (2 - Fraction(1, 2**dots))


_PLAIN = {_dotted(b, d): (b, d) for b in BASES for d in range(MAX_DOTS + 1)}


def duration_spelling(duration: Fraction) -> tuple[int, int, Fraction]:
    """The one spelling ``(base, dots, multiplier)`` of a duration in quarters."""
    duration = Fraction(duration)
    if duration <= 0:
        raise ValueError(f"duration must be positive, got {duration}")
    if duration in _PLAIN:
        base, dots = _PLAIN[duration]
        return base, dots, Fraction(1)
    if duration > 4:
        return 1, 0, duration / 4
    for base in reversed(BASES):
        plain = Fraction(4, base)
        if plain / 2 < duration <= plain:
            return base, 0, duration / plain
    return 64, 0, duration / Fraction(4, 64)


def format_duration(duration: Fraction) -> str:
    base, dots, mult = duration_spelling(duration)
    text = f"{base}{'.' * dots}"
    if mult != 1:
        text += f"*{mult.numerator}" + (f"/{mult.denominator}" if mult.denominator != 1 else "")
    return text


def is_plain_duration(duration: Fraction) -> bool:
    """True if a duration is a plain or dotted value (no tuplet multiplier)."""
    return Fraction(duration) in _PLAIN


# --- the grammar -----------------------------------------------------------


def format_code(note: Note) -> str:
    """The note code of a note (the inverse of :func:`parse_code`)."""
    if note.pitch is None:
        head = "r"
    else:
        p = note.pitch
        acc = "is" * p.alter if p.alter > 0 else "es" * -p.alter
        marks = "'" * (p.octave - 4) if p.octave >= 4 else "," * (4 - p.octave)
        head = p.step + acc + marks
    return head + format_duration(note.duration) + ("~" if note.tie else "")


class _Scanner:
    """Reads one code left to right; a failure names the column and what was expected."""

    def __init__(self, code: str, source: str | None, line: int | None, col: int | None) -> None:
        self.code, self.pos = code, 0
        self.source, self.line, self.col = source, line, col

    def fail(self, expected: str) -> ParseError:
        col = None if self.col is None else self.col + self.pos
        found = repr(self.code[self.pos]) if self.pos < len(self.code) else "the end"
        return ParseError(
            f"invalid note code {_quoted(self.code)}: found {found} at character {self.pos + 1}, "
            f"expected {expected}",
            self.source,
            self.line,
            col,
        )

    def peek(self, text: str) -> bool:
        return self.code.startswith(text, self.pos)

    def take(self, text: str) -> bool:
        if self.peek(text):
            self.pos += len(text)
            return True
        return False

    def number(self) -> int | None:
        start = self.pos
        while self.pos < len(self.code) and self.code[self.pos] in "0123456789":
            self.pos += 1
            if self.pos - start > MAX_DIGITS:
                raise self.fail(f"a number of at most {MAX_DIGITS} digits")
        return int(self.code[start : self.pos]) if self.pos > start else None


def _quoted(code: str) -> str:
    """``repr(code)``, cut to about 40 characters: a code echoed in a message."""
    shown = repr(code)
    return shown if len(shown) <= _SHOWN else shown[: _SHOWN - 1] + "…"


def parse_code(
    code: str, source: str | None = None, line: int | None = None, col: int | None = None
) -> Note:
    """Parse one note code; raises :class:`ParseError` naming what was expected."""
    s = _Scanner(code, source, line, col)
    pitch: Pitch | None = None
    if s.take("r"):
        pass
    elif s.pos < len(code) and code[0] in STEPS:
        step = code[0]
        s.pos = 1
        alter = 0
        while alter < 2 and s.take("is"):
            alter += 1
        while alter > -2 and alter <= 0 and s.take("es"):
            alter -= 1
        if s.peek("is") or s.peek("es"):
            raise s.fail("at most two accidentals of one kind (is, isis, es, eses)")
        octave = 4
        while s.take("'"):
            octave += 1
        if octave == 4:
            while s.take(","):
                octave -= 1
        if abs(octave - 4) > MAX_OCTAVE_MARKS:
            raise s.fail(f"at most {MAX_OCTAVE_MARKS} octave marks")
        pitch = Pitch(step, alter, octave)
    else:
        raise s.fail("a pitch letter c d e f g a b, or r for a rest")
    start = s.pos
    base = s.number()
    if base is None or base not in BASES:
        s.pos = start
        raise s.fail("a duration 1 2 4 8 16 32 or 64")
    dots = 0
    while s.take("."):
        dots += 1
    if dots > MAX_DOTS:
        raise s.fail(f"at most {MAX_DOTS} dots")
    duration = _dotted(base, dots)
    if s.take("*"):
        num = s.number()
        den = 1
        if num is None or num == 0:
            raise s.fail("a positive multiplier after '*', as in 8*2/3")
        if s.take("/"):
            den_ = s.number()
            if not den_:
                raise s.fail("a positive denominator after '/', as in 8*2/3")
            den = den_
        duration *= Fraction(num, den)
    tie = s.take("~")
    if tie and pitch is None:
        raise s.fail("no tie after a rest")
    if s.pos != len(code):
        raise s.fail("the end of the code (a dot, '*N/M' or '~')")
    note = Note(pitch, duration, tie)
    canonical = format_code(note)
    if canonical != code:
        raise ParseError(
            f"note code {_quoted(code)} is not in its one written form: write {_quoted(canonical)}",
            source,
            line,
            col,
        )
    if pitch is not None and not 0 <= pitch.midi <= 127:
        raise ParseError(
            f"note code {_quoted(code)} lies outside the MIDI range", source, line, col
        )
    return note


_TOKEN = re.compile(r"\S+")


def iter_code_tokens(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield ``(token, line, column)`` for white-space separated tokens (1-based),
    skipping bar lines ``|`` and comments from ``%`` or ``#`` to the end of a line.

    Time is linear in the length of ``text`` (a line of millions of codes included)."""
    for line_no, line in enumerate(text.splitlines(), start=1):
        for comment in ("%", "#"):
            cut = line.find(comment)
            if cut >= 0:
                line = line[:cut]
        for match in _TOKEN.finditer(line):
            token = match.group()
            if token != "|":
                yield token, line_no, match.start() + 1


def parse_codes(text: str, source: str | None = None) -> list[Note]:
    """Parse note codes separated by white space (bar lines and comments allowed), in
    time linear in the length of ``text``: a code met before is not parsed again."""
    known: dict[str, Note] = {}
    notes = []
    for token, line, col in iter_code_tokens(text):
        note = known.get(token)
        if note is None:
            note = known[token] = parse_code(token, source, line, col)
        notes.append(note)
    return notes


def split_duration(duration: Fraction) -> list[Fraction]:
    """Split a duration into plain or dotted values, longest first, for tied notes.

    Durations that are not sums of binary values (tuplets) come back whole.
    """
    duration = Fraction(duration)
    if is_plain_duration(duration):
        return [duration]
    parts: list[Fraction] = []
    rest = duration
    for value in sorted(_PLAIN, reverse=True):
        while rest >= value and (rest - value == 0 or is_binary_duration(rest - value)):
            parts.append(value)
            rest -= value
        if rest == 0:
            return parts
    return [duration]


def is_binary_duration(duration: Fraction) -> bool:
    """A sum of binary note values down to a 64th."""
    return (duration * 16).denominator == 1
