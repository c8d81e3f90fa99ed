"""The one bridge to music21: its streams become :class:`Melody` objects.

Reads MusicXML (``.musicxml .xml .mxl``), MIDI (``.mid .midi``), ABC (``.abc``) and
files of the music21 corpus, and converts what python-ly exports from a ``.ly``.
music21 is imported inside the functions, so importing this module stays cheap.

Files are parsed with ``forceSource=True``: music21 then neither writes nor loads
pickled copies in its scratch directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from nabi_music.errors import InputError, NabiError
from nabi_music.notes import Melody, Note, Pitch, duration_spelling, is_plain_duration
from nabi_music.readers._common import describe, has_pitched_note, require_notes

#: Finest duration grid kept from float quarter lengths: 64ths and triplets, quintuplets,
#: septuplets of them.
MAX_DENOMINATOR = 64 * 3 * 5 * 7

#: File extension -> (music21 format name, what to call it in messages).
FILE_FORMATS = {
    ".musicxml": ("musicxml", "MusicXML"),
    ".xml": ("musicxml", "MusicXML"),
    ".mxl": ("musicxml", "compressed MusicXML"),
    ".mid": ("midi", "MIDI"),
    ".midi": ("midi", "MIDI"),
    ".abc": ("abc", "ABC"),
}


def read_music21_file(path: Path, source: str) -> list[Melody]:
    """Every tune of a MusicXML, MIDI or ABC file, one :class:`Melody` each."""
    from music21 import converter

    fmt, label = FILE_FORMATS[path.suffix.lower()]
    try:
        parsed = converter.parseFile(path, format=fmt, forceSource=True)
    except Exception as err:
        raise InputError(
            f"{source}: cannot read as {label} ({describe(err)}); expected a valid {label} file"
        ) from err
    return melodies_from_stream(
        parsed, source=source, default_title=path.stem, strip_trailing_rests=fmt == "midi"
    )


def read_musicxml_bytes(
    data: bytes, source: str, default_title: str, detail: str = ""
) -> list[Melody]:
    """Melodies from MusicXML held in memory (what python-ly exports); ``detail`` goes
    into the error when no note is found."""
    from music21 import converter

    try:
        parsed = converter.parseData(data, format="musicxml")
    except Exception as err:
        raise InputError(
            f"{source}: music21 cannot read the MusicXML made from this file ({describe(err)})"
        ) from err
    return melodies_from_stream(parsed, source=source, default_title=default_title, detail=detail)


def read_corpus(name: str, source: str) -> list[Melody]:
    """Every tune of a music21 corpus file, e.g. ``bach/bwv66.6``."""
    from music21 import corpus
    from music21.exceptions21 import CorpusException

    if not name.strip():
        raise InputError(
            f"{source}: no corpus path; expected corpus:PATH, e.g. corpus:bach/bwv66.6"
        )
    try:
        parsed = corpus.parse(name, forceSource=True)
    except CorpusException as err:
        raise InputError(
            f"{source}: no such work in the music21 corpus; expected a corpus path such as "
            "corpus:bach/bwv66.6 or corpus:essenFolksong/kinder0.abc"
        ) from err
    except Exception as err:
        raise InputError(
            f"{source}: cannot read from the music21 corpus ({describe(err)}); expected a "
            "corpus path such as corpus:bach/bwv66.6 or corpus:essenFolksong/kinder0.abc"
        ) from err
    file_path = getattr(parsed.metadata, "filePath", None) if parsed.metadata else None
    stem = Path(str(file_path)).stem if file_path else Path(name).name
    return melodies_from_stream(parsed, source=source, default_title=stem)


# --- stream -> Melody ------------------------------------------------------


def melodies_from_stream(
    obj: Any,
    *,
    source: str,
    default_title: str,
    strip_trailing_rests: bool = False,
    detail: str = "",
) -> list[Melody]:
    """One melody per score of a music21 Score, Part or Opus; tunes without notes are dropped.

    Raises :class:`InputError` when no tune holds a note.
    """
    from music21 import stream

    try:
        if isinstance(obj, stream.Opus):
            scores = list(obj.scores)
            many = len(scores) > 1
        else:
            scores = [obj]
            many = False
        melodies = []
        for index, score in enumerate(scores, start=1):
            number = getattr(score.metadata, "number", None) if score.metadata else None
            title = default_title if not many else f"{default_title} #{number or index}"
            melody = _melody_from_score(score, source, title, many, strip_trailing_rests)
            if has_pitched_note(melody):
                melodies.append(melody)
    except NabiError:
        raise
    except Exception as err:
        raise InputError(f"{source}: cannot convert the score ({describe(err)})") from err
    return require_notes(melodies, source, detail)


@dataclass
class _Log:
    """Warnings collected while converting one score."""

    where: str
    messages: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.messages.append(f"{self.where}: {message}")


def _melody_from_score(
    score: Any, source: str, default_title: str, in_opus: bool, strip: bool
) -> Melody:
    from music21 import stream

    title = _title(score, default_title) or default_title
    log = _Log(f"{source} ({title})" if in_opus else source)
    parts = list(score.parts) if isinstance(score, stream.Score) else [score]
    with_notes = [p for p in parts if _has_notes(p)]
    part = with_notes[0] if with_notes else (parts[0] if parts else score)
    if len(with_notes) > 1:
        log.add(
            f"{len(with_notes)} parts; kept the top line of the first"
            f"{_name(part)} and dropped the others"
        )
    line = part
    voice_count = _voice_count(part)
    if voice_count > 1:
        log.add(f"{voice_count} voices in{_name(part) or ' the part'}; kept the first voice")
        line = part.voicesToParts().parts[0]
    notes = _notes(line, log)
    if strip:
        while notes and notes[-1].is_rest:
            notes.pop()
    return Melody(
        notes=tuple(notes),
        title=title,
        key=_key(part, score),
        time_signature=_time_signature(part, score),
        tempo=_tempo(part, score),
        program=_program(part),
        source=source,
        warnings=tuple(log.messages),
    )


def _has_notes(part: Any) -> bool:
    return any(not el.isRest for el in part.recurse().notesAndRests)


def _voice_count(part: Any) -> int:
    from music21 import stream

    counts = [len(m.voices) for m in part.recurse().getElementsByClass(stream.Measure)]
    counts.append(len(part.getElementsByClass(stream.Voice)))
    return max(counts)


def _name(part: Any) -> str:
    name = getattr(part, "partName", None)
    return f" ({name})" if name else ""


# --- notes -----------------------------------------------------------------


def to_fraction(quarter_length: float | Fraction) -> Fraction:
    """A music21 quarter length as an exact Fraction (floats snapped to the finest grid)."""
    value = Fraction(quarter_length)
    if value.denominator > MAX_DENOMINATOR:
        value = value.limit_denominator(MAX_DENOMINATOR)
    return value


def _notes(line: Any, log: _Log) -> list[Note]:
    """The notes and rests of one line in time order, gaps filled with rests, ties merged."""
    from music21 import chord, note

    flat = line.flatten()
    events: list[Note] = []
    cursor = Fraction(0)
    graces = chords = unpitched = overlaps = 0
    for el in flat.notesAndRests:
        duration = to_fraction(el.quarterLength)
        if duration <= 0 or el.duration.isGrace:
            graces += 1
            continue
        if isinstance(el, note.Rest):
            pitch = None
        elif isinstance(el, chord.Chord):
            pitches = list(el.pitches)
            if not pitches:
                unpitched += 1
                continue
            if len(pitches) > 1:
                chords += 1
            pitch = _pitch(max(pitches, key=lambda p: p.ps), log)
        elif isinstance(el, note.Note):
            pitch = _pitch(el.pitch, log)
        else:  # unpitched percussion: its time becomes a rest
            unpitched += 1
            continue
        tie = pitch is not None and el.tie is not None and el.tie.type in ("start", "continue")
        offset = to_fraction(flat.elementOffset(el))
        if offset < cursor:  # overlaps the previous note: keep one line
            overlaps += 1
            last = events[-1]
            start = cursor - last.duration
            if pitch is None or (
                last.pitch is not None and offset == start and last.pitch.midi >= pitch.midi
            ):
                continue  # a rest never cuts a note; at one onset the higher note wins
            if offset == start:
                events.pop()
            else:
                events[-1] = replace(last, duration=offset - start, tie=False)
        elif offset > cursor:
            events.append(Note(None, offset - cursor))
        events.append(Note(pitch, duration, tie))
        cursor = offset + duration
    if graces:
        log.add(f"dropped {graces} grace note(s) (no duration)")
    if chords:
        log.add(f"reduced {chords} chord(s) to their top note")
    if unpitched:
        log.add(f"replaced {unpitched} unpitched note(s) by rests")
    if overlaps:
        log.add(f"cut {overlaps} overlapping note(s) to keep one line")
    return merge_ties(events)


def _pitch(p: Any, log: _Log) -> Pitch:
    alter = float(p.accidental.alter) if p.accidental is not None else 0.0
    octave = p.octave if p.octave is not None else p.implicitOctave
    if alter != int(alter) or abs(alter) > 2:
        respelled = Pitch.from_midi(round(p.ps))
        log.add(f"respelled {p.nameWithOctave} as {respelled.name} (no such accidental in codes)")
        return respelled
    return Pitch(p.step.lower(), int(alter), int(octave))


def _mergeable(parts: list[Fraction]) -> bool:
    """One code can hold the tied durations: a plain or dotted value, or one tuplet
    value of the same ratio as a tied part (``8*2/3~ 8*2/3`` -> ``4*2/3``)."""
    total = sum(parts, Fraction(0))
    if is_plain_duration(total):
        return True
    ratio = duration_spelling(total)[2]
    return any(not is_plain_duration(d) and duration_spelling(d)[2] == ratio for d in parts)


def merge_ties(notes: list[Note]) -> list[Note]:
    """Merge tied notes of one pitch into one note where one code can hold them;
    otherwise keep them tied (``tie=True`` on all but the last). Broken ties are dropped."""
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


# --- metadata --------------------------------------------------------------


def _first(part: Any, score: Any, cls: Any) -> Any:
    for where in (part, score):
        found = where.recurse().getElementsByClass(cls).first()
        if found is not None:
            return found
    return None


def _title(score: Any, default_title: str) -> str | None:
    """The score's title; None when music21 only filled in the file name (``x.musicxml``)."""
    md = score.metadata
    title = str(md.bestTitle or "").strip() if md is not None else ""
    if not title or (Path(title).suffix and Path(title).stem == default_title):
        return None
    return title


def _key(part: Any, score: Any) -> str | None:
    from music21 import key

    found = _first(part, score, key.KeySignature)
    if found is None:
        return None
    k = found if isinstance(found, key.Key) else found.asKey()
    tonic = k.tonic.name.replace("-", "b")
    if k.mode == "minor":
        tonic = tonic.lower()
    return f"{tonic} {k.mode}"


def _time_signature(part: Any, score: Any) -> str | None:
    from music21 import meter

    found = _first(part, score, meter.TimeSignature)
    return found.ratioString if found is not None else None


def _tempo(part: Any, score: Any) -> float | None:
    from music21 import tempo

    for where in (part, score):
        for mark in where.recurse().getElementsByClass(tempo.MetronomeMark):
            bpm = mark.getQuarterBPM()
            if bpm:
                return round(float(bpm), 3)
    return None


def _program(part: Any) -> int | None:
    from music21 import instrument

    found = part.recurse().getElementsByClass(instrument.Instrument).first()
    program = found.midiProgram if found is not None else None
    return int(program) if program is not None else None
