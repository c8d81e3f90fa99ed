"""Write a melody as a Standard MIDI File (the bridge to pretty_midi, and to mido for the
header).

The file is one of type 1: a first track of tempo, metre, key and the melody's header,
and a track of notes. Its texts are UTF-8 (``나비야``). What the first track says of the
melody, as the MIDI reader (:mod:`nabi_music.readers.midi`) reads it back:

- the title is the first track's name (the standard's sequence name);
- the header fields follow it, in the melody's order: ``copyright`` as the copyright
  event, every other field as a text event ``name: value``;
- an upbeat (``Melody.pickup``) is a first bar of its own time signature (``1/8`` before
  the ``2/4`` of the song), so that the bars of the file are the melody's bars.
"""

from __future__ import annotations

import io
import os
from fractions import Fraction
from pathlib import Path

from nabi_music.errors import InputError
from nabi_music.fileio import atomic_write
from nabi_music.music.keys import parse_key
from nabi_music.music.metre import DEFAULT_TEMPO, parse_time_signature
from nabi_music.music.notes import Melody
from nabi_music.music.ties import sounding_notes
from nabi_music.readers.header import EXCLUDED, clean_text, field_name

DEFAULT_PROGRAM = 0  # acoustic grand piano
VELOCITY = 90
# Ticks per quarter: divisible by 3 (triplets) and by 16 (64th notes), so every
# duration the note-code grammar writes lands on a whole tick.
RESOLUTION = 960
CHARSET = "utf-8"
"""The encoding of the file's texts (MIDI names none; UTF-8 is what readers try first)."""
_DENOMINATORS = (1, 2, 4, 8, 16, 32, 64)


def write_midi(melody: Melody, path: str | os.PathLike[str]) -> Path:
    """Write ``melody`` to ``path`` as a MIDI file and return the path.

    Tempo is ``melody.tempo`` quarter notes per minute (120 when unset), the
    instrument is General MIDI ``melody.program`` (0, acoustic grand piano,
    when unset); time and key signatures are written when the melody has them, an
    upbeat as a first bar of its own time signature. Rests leave a gap and tied notes
    of one pitch sound as one note. The title is the first track's name and the header
    fields are its texts (see the module docstring). The file is written atomically: on
    any error nothing is left at ``path``.
    """
    import mido
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
        start = 0.0
        upbeat = pickup_signature(melody.pickup, Fraction(4 * num, den), den)
        if upbeat is not None:
            pm.time_signature_changes.append(pretty_midi.TimeSignature(*upbeat, 0.0))
            start = seconds(Fraction(melody.pickup or 0))
        pm.time_signature_changes.append(pretty_midi.TimeSignature(num, den, start))
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
    buffer = io.BytesIO()
    pm.write(buffer)
    buffer.seek(0)
    mid = mido.MidiFile(file=buffer, charset=CHARSET)
    mid.tracks[0][0:0] = header_events(melody)
    with atomic_write(path) as tmp:
        mid.save(str(tmp))
    return Path(path)


def pickup_signature(
    pickup: Fraction | None, bar: Fraction, denominator: int
) -> tuple[int, int] | None:
    """The time signature of an upbeat of ``pickup`` quarters before bars of ``bar``
    quarters: of the song's ``denominator`` when it can be (``2/4`` before ``4/4``), else
    of a shorter note value (``1/8`` before ``2/4``); None when there is no upbeat or no
    time signature holds it (a triplet's length)."""
    if pickup is None or not 0 < pickup < bar:
        return None
    for den in _DENOMINATORS:
        if den < denominator:
            continue
        beats = Fraction(pickup) * den / 4
        if beats.denominator == 1 and beats <= 64:
            return int(beats), den
    return None


def header_events(melody: Melody) -> list:
    """The first track's name (the title), copyright and ``name: value`` text events of
    the melody's header, all at the start."""
    import mido

    events = []
    title = clean_text(melody.title) if melody.title else ""
    if title:
        events.append(mido.MetaMessage("track_name", name=title, time=0))
    for raw_name, raw_value in melody.header:
        name, value = field_name(raw_name), clean_text(raw_value)
        if name is None or name in EXCLUDED or not value:
            continue
        if name == "copyright":
            events.append(mido.MetaMessage("copyright", text=value, time=0))
        else:
            events.append(mido.MetaMessage("text", text=f"{name}: {value}", time=0))
    return events
