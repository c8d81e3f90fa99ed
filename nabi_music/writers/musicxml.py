"""Write a melody as a MusicXML file (the bridge to music21's MusicXML exporter).

Notes keep their spelling (``ais`` stays A sharp, ``bes`` B flat); ties, rests and
tuplets are written as such; music21 puts in the bar lines (a note that crosses one
is split into tied notes, which :func:`nabi_music.readers.read` joins again) and the
beams. Title, key, time signature, tempo and MIDI program go into the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nabi_music.errors import InputError
from nabi_music.fileio import atomic_write
from nabi_music.notes import Melody
from nabi_music.writers._common import continues_tie, parse_key, parse_time_signature


def musicxml_bytes(melody: Melody, *, title: str | None = None) -> bytes:
    """The MusicXML text of ``melody`` (UTF-8); ``title`` defaults to ``melody.title``."""
    score = _score(melody, title if title is not None else melody.title)
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    try:
        return bytes(GeneralObjectExporter(score).parse())
    except Exception as err:  # music21 cannot notate something (an odd tuplet)
        raise InputError(
            f"cannot write the melody as MusicXML: {type(err).__name__}: {err}"
        ) from err


def write_musicxml(
    melody: Melody, path: str | os.PathLike[str], *, title: str | None = None
) -> Path:
    """Write ``melody`` to ``path`` as MusicXML (atomically) and return the path."""
    data = musicxml_bytes(melody, title=title)
    with atomic_write(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def _score(melody: Melody, title: str | None) -> Any:
    from music21 import instrument, key, metadata, meter, note, pitch, stream, tempo, tie

    if not melody.notes:
        raise InputError("cannot write an empty melody as MusicXML: it has no notes")
    part = stream.Part()
    inst = instrument.Instrument()
    if melody.program is not None:
        if not (isinstance(melody.program, int) and 0 <= melody.program <= 127):
            raise InputError(f"MIDI program must be from 0 to 127, got {melody.program!r}")
        inst.midiProgram = melody.program
    part.insert(0, inst)
    if melody.key is not None:
        k = parse_key(melody.key)
        tonic = k.step.upper() + ("#" * k.alter if k.alter > 0 else "-" * -k.alter)
        part.append(key.Key(tonic if k.mode == "major" else tonic.lower(), k.mode))
    if melody.time_signature is not None:
        num, den = parse_time_signature(melody.time_signature)
        part.append(meter.TimeSignature(f"{num}/{den}"))
    if melody.tempo is not None:
        if not melody.tempo > 0:
            raise InputError(f"tempo must be a positive number, got {melody.tempo}")
        part.append(tempo.MetronomeMark(number=melody.tempo, referent=note.Note(type="quarter")))
    notes = melody.notes
    for i, n in enumerate(notes):
        if n.pitch is None:
            el: Any = note.Rest(quarterLength=n.duration)
        else:
            p = pitch.Pitch(step=n.pitch.step.upper(), octave=n.pitch.octave)
            if n.pitch.alter:
                p.accidental = pitch.Accidental(n.pitch.alter)
            el = note.Note(p, quarterLength=n.duration)
            held = continues_tie(notes, i)
            holds = i + 1 < len(notes) and continues_tie(notes, i + 1)
            if held or holds:
                el.tie = tie.Tie("continue" if held and holds else "stop" if held else "start")
        part.append(el)
    score = stream.Score()
    score.insert(0, part)
    score.metadata = metadata.Metadata()
    if title:
        score.metadata.title = title
    score.metadata.movementName = title or ""
    try:
        return score.makeNotation()
    except Exception as err:
        raise InputError(
            f"cannot notate the melody in MusicXML: {type(err).__name__}: {err}"
        ) from err
