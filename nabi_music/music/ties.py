"""Ties and rests: tied notes joined where one code holds them, runs of rests joined,
and the notes one hears once ties are joined (what every reader and writer shares)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

from nabi_music.music.notes import (
    Melody,
    Note,
    duration_spelling,
    is_binary_duration,
    is_plain_duration,
    split_duration,
)


def _mergeable(parts: list[Fraction]) -> bool:
    """One code can hold the tied durations: a plain or dotted value, or one tuplet
    value of the same ratio as a tied part (``8*2/3~ 8*2/3`` -> ``4*2/3``)."""
    total = sum(parts, Fraction(0))
    if is_plain_duration(total):
        return True
    ratio = duration_spelling(total)[2]
    return any(not is_plain_duration(d) and duration_spelling(d)[2] == ratio for d in parts)


def split_long_notes(notes: list[Note]) -> list[Note]:
    """A note no one code holds but binary values can (``5/4``, MIDI has such notes)
    becomes tied plain values, longest first (``c4~ c16``)."""
    out: list[Note] = []
    for n in notes:
        if n.pitch is None or is_plain_duration(n.duration) or not is_binary_duration(n.duration):
            out.append(n)
            continue
        parts = split_duration(n.duration)
        out.extend(Note(n.pitch, d, tie=True) for d in parts[:-1])
        out.append(Note(n.pitch, parts[-1], n.tie))
    return out


def merge_ties(notes: list[Note]) -> list[Note]:
    """Merge tied notes of one pitch into one note where one code can hold them;
    otherwise keep them tied (``tie=True`` on all but the last), as plain values where
    binary values can hold them. Broken ties are dropped."""
    notes = split_long_notes(notes)
    out: list[Note] = []
    group: list[Note] = []

    def flush() -> None:
        if not group:
            return
        durations = [n.duration for n in group]
        if _mergeable(durations):
            out.append(Note(group[0].pitch, sum(durations, Fraction(0))))
        else:  # greedy: the longest mergeable runs from the left
            run: list[Fraction] = []
            for d in durations:
                if run and not _mergeable([*run, d]):
                    out.append(Note(group[0].pitch, sum(run, Fraction(0)), tie=True))
                    run = []
                run.append(d)
            out.append(Note(group[0].pitch, sum(run, Fraction(0))))
        group.clear()

    for n in notes:
        if group and group[-1].tie and n.pitch is not None and n.pitch.midi == group[-1].pitch.midi:
            group.append(n)
            continue
        flush()
        if n.pitch is None:
            out.append(n)
        else:
            group.append(n)
    flush()
    return out


def merge_rests(notes: list[Note]) -> list[Note]:
    """One rest for each run of rests, where one code holds it (``r8 r4`` -> ``r4.``);
    a longer run of plain values becomes whole rests and the plain values of what is
    left (``r1*2`` -> ``r1 r1``); runs with tuplet values are kept as they are.

    Every format then gives the same codes for the same silence, whatever its bar
    lines split it into (MusicXML and MIDI split rests at bar lines, MIDI has only gaps).
    """
    out: list[Note] = []
    run: list[Note] = []

    def flush() -> None:
        if not run:
            return
        total = sum((n.duration for n in run), Fraction(0))
        if is_plain_duration(total):
            out.append(Note(None, total))
        elif all(is_binary_duration(n.duration) for n in run):
            while total > 4:
                out.append(Note(None, Fraction(4)))
                total -= 4
            out.extend(Note(None, d) for d in split_duration(total))
        else:
            out.extend(run)
        run.clear()

    for n in notes:
        if n.pitch is None:
            run.append(n)
            continue
        flush()
        out.append(n)
    flush()
    return out


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
