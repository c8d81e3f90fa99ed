"""Transposition with sensible spelling, key finding and key normalisation.

A melody transposed by ``k`` semitones moves every note by one diatonic
interval, chosen so that the new key has the fewest accidentals in its key
signature (G major up a semitone becomes Ab major, not G# major), and the
key written on the melody moves with it. A note whose new spelling would need
more than two accidentals is respelled from its MIDI number.

The key comes from the melody (what the score says) or, when it says nothing,
from the Krumhansl-Schmuckler key-finding algorithm (the duration-weighted
pitch-class histogram correlated with the Krumhansl-Kessler profiles), the
algorithm music21 offers as ``analyze('key')``, written here in NumPy so that
no score library is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from nabi_music.errors import InputError
from nabi_music.music.keys import format_key, key_signature, parse_key
from nabi_music.music.notes import STEP_SEMITONES, STEPS, Melody, Note, Pitch

MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
"""Krumhansl and Kessler's (1982) key profiles, tonic first."""

_MAJOR_TONICS = ("c", "des", "d", "ees", "e", "f", "fis", "g", "aes", "a", "bes", "b")
_MINOR_TONICS = ("c", "cis", "d", "ees", "e", "f", "fis", "g", "gis", "a", "bes", "b")


def find_key(melody: Melody) -> tuple[Pitch, str]:
    """The key by Krumhansl-Schmuckler: the best-correlated of the 24 major and minor keys."""
    histogram = np.zeros(12)
    for note in melody.notes:
        if note.pitch is not None:
            histogram[note.pitch.midi % 12] += float(note.duration)
    if not histogram.any():
        raise InputError(f"{melody.source or 'a melody'}: no note to find a key from")
    best = (-2.0, 0, "major")
    for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
        for tonic in range(12):
            r = float(np.corrcoef(histogram, np.roll(profile, tonic))[0, 1])
            if r > best[0] + 1e-12:
                best = (r, tonic, mode)
    _, pc, mode = best
    name = (_MAJOR_TONICS if mode == "major" else _MINOR_TONICS)[pc]
    return Pitch(name[0], 0 if len(name) == 1 else (1 if "is" in name else -1), 4), mode


def melody_key(melody: Melody) -> tuple[Pitch, str]:
    """The melody's written key if it has one, else the key :func:`find_key` finds."""
    if melody.key:
        try:
            key = parse_key(melody.key)
            return key.tonic_pitch, key.mode
        except InputError:
            pass
    return find_key(melody)


def _move(pitch: Pitch, steps: int, semitones: int, respell: bool = True) -> Pitch | None:
    """``pitch`` moved by ``steps`` letters and ``semitones`` semitones; beyond two
    accidentals respelled from the MIDI number (or None when not ``respell``)."""
    total = pitch.octave * 7 + STEPS.index(pitch.step) + steps
    octave, step = divmod(total, 7)
    letter = STEPS[step]
    alter = pitch.midi + semitones - (12 * (octave + 1) + STEP_SEMITONES[letter])
    if abs(alter) > 2:
        return Pitch.from_midi(pitch.midi + semitones) if respell else None
    return Pitch(letter, alter, octave)


def interval_for(tonic: Pitch, mode: str, semitones: int) -> int:
    """The letter steps of the transposition by ``semitones`` whose new key signature
    has the fewest accidentals (ties: the smaller step, then the flatter key)."""
    best: tuple[int, int, int, int] | None = None
    for steps in range(-8, 9):
        moved = _move(tonic, steps, semitones, respell=False)
        if moved is None or abs(moved.alter) > 1:
            continue
        signature = key_signature(moved, mode)
        score = (abs(signature), abs(steps), signature, steps)
        if best is None or score < best:
            best = score
    assert best is not None
    return best[3]


def transpose(melody: Melody, semitones: int) -> Melody:
    """The melody ``semitones`` higher (or lower), spelled in the plainest key.

    Raises :class:`InputError` when a note would leave the range note codes can write.
    """
    if semitones == 0:
        return melody
    tonic, mode = melody_key(melody)
    steps = interval_for(tonic, mode, semitones)
    notes = []
    for note in melody.notes:
        if note.pitch is None:
            notes.append(note)
            continue
        moved = _move(note.pitch, steps, semitones)
        if moved is None or not (0 <= moved.octave <= 8 and 0 <= moved.midi <= 127):
            raise InputError(
                f"{melody.source or 'a melody'}: {note.pitch.name} transposed by {semitones} "
                "leaves the range of note codes"
            )
        notes.append(Note(moved, note.duration, note.tie))
    new_tonic = _move(tonic, steps, semitones)
    key = format_key(new_tonic, mode) if melody.key and new_tonic else melody.key
    return replace(melody, notes=tuple(notes), key=key)


def transpositions(melodies: Sequence[Melody], low: int, high: int) -> list[Melody]:
    """Each melody at every shift in ``low..high`` semitones (0 included, first), leaving
    out the shifts that would take a note out of range."""
    if low > high:
        raise InputError(f"transposition range {low}..{high} is empty")
    out = []
    for melody in melodies:
        for k in sorted(range(low, high + 1), key=lambda k: (k != 0, k)):
            try:
                out.append(transpose(melody, k))
            except InputError:
                continue
    return out


def normalize_key(melody: Melody) -> tuple[Melody, int]:
    """The melody in C major or A minor (moved at most a tritone), and the shift applied."""
    tonic, mode = melody_key(melody)
    target = 0 if mode == "major" else 9
    shift = (target - tonic.midi) % 12
    if shift > 6:
        shift -= 12
    moved = transpose(replace(melody, key=format_key(tonic, mode)), shift)
    return moved, shift
