"""Write a melody as a MusicXML file (the bridge to music21's MusicXML exporter).

Notes keep their spelling (``ais`` stays A sharp, ``bes`` B flat); ties, rests and
tuplets are written as such. The bars are made here (music21's own notation pass
takes time quadratic in the length): a note that crosses a bar line is split into tied
notes, which :func:`nabi_music.readers.read` joins again. No beams are written (eighth
notes keep their flags). Title, key, time signature, tempo and MIDI program go into
the file.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any

from nabi_music import backend
from nabi_music.errors import InputError
from nabi_music.fileio import atomic_write
from nabi_music.music.keys import parse_key
from nabi_music.music.metre import parse_time_signature
from nabi_music.music.notes import Melody, Note, split_duration
from nabi_music.music.ties import continues_tie


def musicxml_bytes(melody: Melody, *, title: str | None = None) -> bytes:
    """The MusicXML text of ``melody`` (UTF-8); ``title`` defaults to ``melody.title``."""
    score = _score(melody, title if title is not None else melody.title)
    GeneralObjectExporter = backend.music21("musicxml.m21ToXml").GeneralObjectExporter

    exporter = GeneralObjectExporter(score)
    exporter.makeNotation = False  # the bars are made here, in linear time
    try:
        return bytes(exporter.parseWellformedObject(score))
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


def _segments(melody: Melody, bar: Fraction) -> list[list[tuple[Note, str | None]]]:
    """The notes cut at the bar lines, bar by bar: (note, tie type) pairs. A note that
    crosses a bar line is split into tied notes (plain values where binary ones hold it)."""
    notes = melody.notes
    bars: list[list[tuple[Note, str | None]]] = [[]]
    position = Fraction(0)
    for i, n in enumerate(notes):
        held = continues_tie(notes, i)
        holds = i + 1 < len(notes) and continues_tie(notes, i + 1)
        pieces: list[Fraction] = []
        remaining = n.duration
        while remaining > 0:
            piece = min(remaining, bar - position)
            pieces += split_duration(piece) if piece != n.duration else [piece]
            remaining -= piece
            position += piece
            if position >= bar:
                pieces.append(Fraction(-1))  # a bar line here
                position = Fraction(0)
        durations = [d for d in pieces if d > 0]
        k = 0
        for d in pieces:
            if d < 0:
                bars.append([])
                continue
            incoming = held if k == 0 else True
            outgoing = holds if k == len(durations) - 1 else True
            tie = None
            if n.pitch is not None and (incoming or outgoing):
                tie = "continue" if incoming and outgoing else "stop" if incoming else "start"
            bars[-1].append((Note(n.pitch, d), tie))
            k += 1
    if not bars[-1]:
        bars.pop()
    return bars


def _score(melody: Melody, title: str | None) -> Any:
    m21bar = backend.music21("bar")
    instrument, key, metadata, meter, note, pitch, stream, tempo, tie = backend.music21(
        "instrument", "key", "metadata", "meter", "note", "pitch", "stream", "tempo", "tie"
    )

    if not melody.notes:
        raise InputError("cannot write an empty melody as MusicXML: it has no notes")
    part = stream.Part()
    inst = instrument.Instrument()
    if melody.program is not None:
        if not (isinstance(melody.program, int) and 0 <= melody.program <= 127):
            raise InputError(f"MIDI program must be from 0 to 127, got {melody.program!r}")
        inst.midiProgram = melody.program
    first: list[Any] = [inst]
    if melody.key is not None:
        k = parse_key(melody.key)
        tonic = k.step.upper() + ("#" * k.alter if k.alter > 0 else "-" * -k.alter)
        first.append(key.Key(tonic if k.mode == "major" else tonic.lower(), k.mode))
    num, den = 4, 4
    if melody.time_signature is not None:
        num, den = parse_time_signature(melody.time_signature)
        first.append(meter.TimeSignature(f"{num}/{den}"))
    if melody.tempo is not None:
        if not melody.tempo > 0:
            raise InputError(f"tempo must be a positive number, got {melody.tempo}")
        first.append(tempo.MetronomeMark(number=melody.tempo, referent=note.Note(type="quarter")))
    bar_length = Fraction(4 * num, den)
    bars = _segments(melody, bar_length)
    for number, content in enumerate(bars, start=1):
        measure = stream.Measure(number=number)
        if number == 1:
            measure.clef = clef_for(melody)
            for el in first:
                measure.insert(0, el)
        offset = Fraction(0)
        for n, tie_type in content:
            if n.pitch is None:
                el: Any = note.Rest(quarterLength=n.duration)
                # said outright: music21 would otherwise search the score for each rest
                el.fullMeasure = len(content) == 1 and n.duration == bar_length
            else:
                p = pitch.Pitch(step=n.pitch.step.upper(), octave=n.pitch.octave)
                if n.pitch.alter:
                    p.accidental = pitch.Accidental(n.pitch.alter)
                el = note.Note(p, quarterLength=n.duration)
                if tie_type is not None:
                    el.tie = tie.Tie(tie_type)
            measure.coreInsert(offset, el)
            offset += n.duration
        measure.coreElementsChanged()
        if number == len(bars):
            measure.rightBarline = m21bar.Barline("final")
        part.coreInsert(bar_length * (number - 1), measure)
    part.coreElementsChanged()
    score = stream.Score()
    score.insert(0, part)
    score.metadata = metadata.Metadata()
    if title:
        score.metadata.title = title
    score.metadata.movementName = title or ""
    return score


def clef_for(melody: Melody) -> Any:
    """Treble clef, or bass clef when most notes lie below middle C."""
    clef = backend.music21("clef")

    pitched = [n.pitch.midi for n in melody.notes if n.pitch is not None]
    low = sum(1 for m in pitched if m < 60)
    return clef.BassClef() if pitched and low > len(pitched) / 2 else clef.TrebleClef()
