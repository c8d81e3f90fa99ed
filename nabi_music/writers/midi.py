"""Write a melody as a Standard MIDI File (the bridge to pretty_midi)."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

from nabi_music.errors import InputError
from nabi_music.fileio import atomic_write
from nabi_music.music.keys import parse_key
from nabi_music.music.metre import DEFAULT_TEMPO, parse_time_signature
from nabi_music.music.notes import Melody
from nabi_music.music.ties import sounding_notes

DEFAULT_PROGRAM = 0  # acoustic grand piano
VELOCITY = 90
# Ticks per quarter: divisible by 3 (triplets) and by 16 (64th notes), so every
# duration the note-code grammar writes lands on a whole tick.
RESOLUTION = 960


def write_midi(melody: Melody, path: str | os.PathLike[str]) -> Path:
    """Write ``melody`` to ``path`` as a one-track MIDI file and return the path.

    Tempo is ``melody.tempo`` quarter notes per minute (120 when unset), the
    instrument is General MIDI ``melody.program`` (0, acoustic grand piano,
    when unset); time and key signatures are written when the melody has them.
    Rests leave a gap and tied notes of one pitch sound as one note. The file is
    written atomically: on any error nothing is left at ``path``.
    """
    import pretty_midi

    bpm = DEFAULT_TEMPO if melody.tempo is None else float(melody.tempo)
    if not 0 < bpm < 10_000:
        raise InputError(f"tempo must be a positive number of quarters per minute, got {bpm}")
    program = DEFAULT_PROGRAM if melody.program is None else melody.program
    if not (isinstance(program, int) and 0 <= program <= 127):
        raise InputError(f"MIDI program must be a whole number from 0 to 127, got {program!r}")

    def seconds(quarters: Fraction) -> float:
        return float(quarters) * 60.0 / bpm

    pm = pretty_midi.PrettyMIDI(resolution=RESOLUTION, initial_tempo=bpm)
    if melody.time_signature is not None:
        num, den = parse_time_signature(melody.time_signature)
        pm.time_signature_changes.append(pretty_midi.TimeSignature(num, den, 0.0))
    if melody.key is not None:
        key = parse_key(melody.key)
        pm.key_signature_changes.append(pretty_midi.KeySignature(key.midi_key_number, 0.0))
    instrument = pretty_midi.Instrument(program=program)
    for note in sounding_notes(melody):
        instrument.notes.append(
            pretty_midi.Note(
                velocity=VELOCITY,
                pitch=note.midi,
                start=seconds(note.start),
                end=seconds(note.end),
            )
        )
    pm.instruments.append(instrument)
    with atomic_write(path) as tmp:
        pm.write(str(tmp))
    return Path(path)
