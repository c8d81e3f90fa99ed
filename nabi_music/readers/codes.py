"""Reader for ``.txt`` files of note codes separated by white space (``g8 e8 e4 |``).

The file is read in time linear in its size (a code met before is not parsed again)
and checked against the limits as it is read (:mod:`nabi_music.readers.limits`): a
file larger than ``file_mb`` is refused before it is read, a melody of more codes than
``notes`` at the first code over, a code longer than ``note_wholes`` whole notes and a
melody of more bars (of 4/4) than ``bars`` when they are met. Any other failure is an
:class:`~nabi_music.errors.InputError` naming the file.
"""

from __future__ import annotations

import math
from collections import Counter
from fractions import Fraction
from pathlib import Path

from nabi_music.errors import InputError, NabiError
from nabi_music.music.notes import MAX_DENOMINATOR, Melody, Note, iter_code_tokens, parse_code
from nabi_music.readers import limits
from nabi_music.readers._common import (
    ReadOptions,
    Report,
    Skipped,
    describe,
    has_pitched_note,
    read_text,
)

BAR = Fraction(4)
"""The bar the ``bars`` limit counts in: a file of codes says nothing of metre, and the
writers bar it in 4/4."""


def read_codes(path: Path, source: str, options: ReadOptions | None = None) -> Report:
    """One melody from a file of note codes; bar lines ``|`` and ``%``/``#`` comments allowed.

    An invalid code raises :class:`~nabi_music.errors.ParseError` with the file, line and
    column. ``options`` do not apply (one part, no repeats). The title is the file's stem;
    the file says nothing about key, metre or tempo. Its bar lines say an upbeat: when the
    codes before the first ``|`` last less than those of the bar after it (closed by a
    ``|`` too), they are an opening short bar (``Melody.pickup``).
    """
    text = read_text(path, source)
    try:
        notes = _parse(text, source)
    except NabiError:
        raise
    except MemoryError as err:
        raise InputError(f"{source}: reading the file needs more memory than there is") from err
    except Exception as err:
        raise InputError(
            f"{source}: cannot read the note codes ({describe(err)}); "
            "expected codes such as g8 e8 e4 separated by spaces"
        ) from err
    melody = Melody(notes=tuple(notes), title=path.stem, source=source, pickup=_pickup(text, notes))
    if not has_pitched_note(melody):
        return [], [Skipped(path.stem, "no note codes, only rests, comments or bar lines")]
    return [melody], []


def _parse(text: str, source: str) -> list[Note]:
    """The notes of the codes in ``text``, checked against the limits as they come."""
    limit = limits.current()
    notes: list[Note] = []
    known: dict[str, Note] = {}
    for token, line, col in iter_code_tokens(text):
        note = known.get(token)
        if note is None:
            note = known[token] = parse_code(token, source, line, col)
            if note.duration > 4 * limit.note_wholes:
                raise limits.too_many(
                    "whole notes in one note or rest",
                    math.ceil(note.duration / 4),
                    limit.note_wholes,
                    "note_wholes",
                    f"{source}:{line}:{col}",
                )
        notes.append(note)
        if len(notes) > limit.notes:
            raise limits.too_many(
                "notes and rests in the melody",
                len(notes),
                limit.notes,
                "notes",
                f"{source}:{line}",
            )
    _check_length(notes, source, limit)
    return notes


def _check_length(notes: list[Note], source: str, limit: limits.Limits) -> None:
    """Refuse a melody of more bars than the ``bars`` limit, or of durations that divide
    the beat finer than :data:`MAX_DENOMINATOR` (summed once per distinct duration)."""
    total = Fraction(0)
    for duration, count in Counter(note.duration for note in notes).items():
        total += duration * count
        if total.denominator > MAX_DENOMINATOR:
            raise InputError(
                f"{source}: the durations divide the beat too finely to follow (a length of "
                f"{total.denominator.bit_length()} bits of denominator); expected the "
                "tuplets of music, such as 8*2/3 or 16*4/5"
            )
    bars = math.ceil(total / BAR)
    if bars > limit.bars:
        raise limits.too_many("bars of 4/4 in the melody", bars, limit.bars, "bars", source)


def _pickup(text: str, notes: list[Note]) -> Fraction | None:
    """The length of the first bar when the bar lines show it shorter than the second."""
    counts = _first_bars(text)
    if len(counts) < 2:
        return None
    first = sum((n.duration for n in notes[: counts[0]]), Fraction(0))
    second = sum((n.duration for n in notes[counts[0] : counts[0] + counts[1]]), Fraction(0))
    return first if 0 < first < second else None


def _first_bars(text: str) -> list[int]:
    """The number of codes in each of the first two bars closed by a ``|`` (a bar line
    with no code before it, as at the start of a line, closes no bar)."""
    counts: list[int] = []
    count = 0
    for line in text.splitlines():
        line = line.split("%", 1)[0].split("#", 1)[0]
        for token in line.split():
            if token != "|":
                count += 1
            elif count:
                counts.append(count)
                count = 0
                if len(counts) == 2:
                    return counts
    return counts
