"""Write a melody as a MusicXML file (the bridge to music21's MusicXML exporter).

Notes keep their spelling (``ais`` stays A sharp, ``bes`` B flat); ties, rests and
tuplets are written as such. The bars are made here (music21's own notation pass
takes time quadratic in the length): a note that crosses a bar line is split into tied
notes, which :func:`nabi_music.readers.read` joins again; an upbeat is an implicit bar
0; the last bar ends with a final bar line. Title, the other header fields, key, time
signature, tempo and MIDI program go into the file.

A prediction's wrong notes are red, each with the expected code above it in red
words, and primer notes grey, so a notation program shows the marks of the PDF. The
``vocal`` style keeps flags and sings each note's code as a lyric; ``instrumental``
beams by the metre.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from nabi_music import backend
from nabi_music.errors import InputError
from nabi_music.fileio import atomic_write
from nabi_music.music.keys import parse_key
from nabi_music.music.metre import first_position, parse_time_signature, written_notes
from nabi_music.music.notes import Melody, Note
from nabi_music.music.ties import continues_tie
from nabi_music.writers.notation import check_style

WRONG_COLOUR = "#FF0000"
PRIMER_COLOUR = "#808080"
CREATORS = {"composer": "composer", "poet": "lyricist", "arranger": "arranger"}
"""Header fields written as MusicXML creators (LilyPond's name -> MusicXML's type)."""


def musicxml_bytes(
    melody: Melody,
    *,
    title: str | None = None,
    wrong: Mapping[int, str] | None = None,
    primer: int = 0,
    style: str = "vocal",
) -> bytes:
    """The MusicXML text of ``melody`` (UTF-8); ``title`` defaults to ``melody.title``.
    ``wrong`` (note index -> expected code) and ``primer`` mark a prediction as the
    LilyPond writer does; ``style`` is ``vocal`` or ``instrumental``."""
    check_style(style)
    wrong = dict(wrong or {})
    for index in wrong:
        if not isinstance(index, int) or not 0 <= index < len(melody.notes):
            raise InputError(
                f"wrong-note index {index!r} is outside the melody: "
                f"expected 0 to {len(melody.notes) - 1}"
            )
    score = _score(melody, title if title is not None else melody.title, wrong, primer, style)
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
    melody: Melody,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    wrong: Mapping[int, str] | None = None,
    primer: int = 0,
    style: str = "vocal",
) -> Path:
    """Write ``melody`` to ``path`` as MusicXML (atomically) and return the path; the
    options are those of :func:`musicxml_bytes`."""
    data = musicxml_bytes(melody, title=title, wrong=wrong, primer=primer, style=style)
    with atomic_write(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def _segments(
    melody: Melody, bar: Fraction, start: Fraction
) -> list[list[tuple[Note, str | None, int, bool]]]:
    """The notes cut at the bar lines, bar by bar: (piece, tie type, note index, onset).
    A note that crosses a bar line is split into tied pieces (plain values where binary
    ones hold it); a tie that reaches no note of the same pitch is left out."""
    notes = melody.notes
    bars: list[list[tuple[Note, str | None, int, bool]]] = [[]]
    for w in written_notes(notes, bar, start):
        incoming = not w.onset or continues_tie(notes, w.index)
        outgoing = not w.last or continues_tie(notes, w.index + 1)
        tie = None
        if w.note.pitch is not None and (incoming or outgoing):
            tie = "continue" if incoming and outgoing else "stop" if incoming else "start"
        bars[-1].append((Note(w.note.pitch, w.note.duration), tie, w.index, w.onset))
        if w.bar_line:
            bars.append([])
    if not bars[-1]:
        bars.pop()
    return bars


def _score(
    melody: Melody, title: str | None, wrong: dict[int, str], primer: int, style: str
) -> Any:
    m21bar = backend.music21("bar")
    expressions, instrument, key, meter, note, pitch, stream, tempo, tie = backend.music21(
        "expressions", "instrument", "key", "meter", "note", "pitch", "stream", "tempo", "tie"
    )
    make_beams = backend.music21("stream.makeNotation").makeBeams

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
    start = first_position(bar_length, melody.pickup) if melody.time_signature else Fraction(0)
    bars = _segments(melody, bar_length, start)
    codes = melody.codes
    time = Fraction(0)
    for k, content in enumerate(bars):
        number = k if start else k + 1
        measure = stream.Measure(number=number)
        if k == 0:
            measure.clef = clef_for(melody)
            for el in first:
                measure.insert(0, el)
            if start:
                measure.showNumber = stream.enums.ShowNumber.NEVER  # implicit="yes"
                measure.paddingLeft = float(start)
        offset = Fraction(0)
        for n, tie_type, index, onset in content:
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
                if onset and style == "vocal" and not continues_tie(melody.notes, index):
                    el.lyric = codes[index]
            if index in wrong:
                el.style.color = WRONG_COLOUR
                if onset:
                    words = expressions.TextExpression(wrong[index])
                    words.placement = "above"
                    words.style.color = WRONG_COLOUR
                    measure.coreInsert(offset, words)
            elif index < primer:
                el.style.color = PRIMER_COLOUR
            measure.coreInsert(offset, el)
            offset += n.duration
        measure.coreElementsChanged()
        if k == len(bars) - 1:
            measure.rightBarline = m21bar.Barline("final")
        part.coreInsert(time, measure)
        time += offset if k == 0 and start else bar_length
    part.coreElementsChanged()
    if style == "instrumental" and melody.time_signature is not None:
        make_beams(part, inPlace=True, setStemDirections=False)  # by the metre, bar by bar
    score = stream.Score()
    score.insert(0, part)
    score.metadata = _metadata(melody, title)
    return score


def _metadata(melody: Melody, title: str | None) -> Any:
    """Title as the work title, subtitle as the movement title (else the title again),
    composer, poet and arranger as creators, copyright as rights, opus as the work
    number, and every other field as a miscellaneous field of its own name."""
    metadata = backend.music21("metadata")
    md = metadata.Metadata()
    if title:
        md.title = title
    subtitle = melody.header_field("subtitle")
    md.movementName = subtitle or title or ""
    for name, value in melody.header:
        if name == "subtitle" and value == subtitle:
            continue
        if name in CREATORS:
            md.add(CREATORS[name], value)
        elif name == "copyright":
            md.copyright = value
        elif name == "opus":
            md.number = value
        else:
            md.addCustom(name, value)
    return md


def clef_for(melody: Melody) -> Any:
    """Treble clef, or bass clef when most notes lie below middle C."""
    clef = backend.music21("clef")

    pitched = [n.pitch.midi for n in melody.notes if n.pitch is not None]
    low = sum(1 for m in pitched if m < 60)
    return clef.BassClef() if pitched and low > len(pitched) / 2 else clef.TrebleClef()
