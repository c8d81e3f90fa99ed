"""The one bridge to music21: its streams become :class:`Melody` objects.

Turns the music21 scores of MusicXML (:mod:`nabi_music.readers.musicxml`), of ABC tunes
music21 translates itself (:mod:`nabi_music.readers.abc`) and of the corpus files only
music21 reads (:mod:`nabi_music.readers.corpus`) into melodies, with their header fields
(:func:`metadata_fields`) and upbeat (:func:`pickup`); repeats are played out bar by bar
(:mod:`nabi_music.readers.repeats`, linear in what is heard; music21's ``expandRepeats``
only for D.C. and D.S. jumps) or kept as written. Every note, rest and gap is checked
against :mod:`nabi_music.readers.limits` before it is split into codes. music21 is
imported through :mod:`nabi_music.backend` on first use, so importing this module stays
cheap.

:func:`musicxml_score` builds a music21 score from a parsed MusicXML tree in time linear
in its bars (music21's own importer inserts each bar into its part in time linear in
the part, quadratic in all; here bars are inserted unsorted and the part sorted once).
"""

from __future__ import annotations

import copy
import functools
import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from nabi_music import backend
from nabi_music.errors import InputError, NabiError
from nabi_music.music.notes import Melody, Note, Pitch
from nabi_music.music.ties import merge_rests, merge_ties
from nabi_music.readers import limits
from nabi_music.readers._common import (
    ReadOptions,
    Report,
    Skipped,
    describe,
    in_measures,
    keep_if_pitched,
)
from nabi_music.readers.header import dropped_message, header_fields
from nabi_music.readers.repeats import Bar, play_order

#: Finest duration grid kept from float quarter lengths: 64ths and triplets, quintuplets,
#: septuplets of them.
MAX_DENOMINATOR = 64 * 3 * 5 * 7

#: Tempi outside this range (quarter notes per minute) are ignored with a warning.
TEMPO_RANGE = (1.0, 1000.0)
#: Key signatures of more sharps or flats than this are ignored with a warning.
MAX_KEY_ACCIDENTALS = 7
#: music21's metadata kept as header fields: its unique name -> the field's name
#: (LilyPond's, or a lower-case one of its own). A movement name other than the title
#: is the subtitle.
METADATA_FIELDS = {
    "composer": "composer",
    "lyricist": "poet",
    "librettist": "poet",
    "arranger": "arranger",
    "translator": "translator",
    "opusNumber": "opus",
    "dedicatedTo": "dedication",
    "localeOfComposition": "origin",
    "copyright": "copyright",
}


def read_with_music21(path: Path, source: str, options: ReadOptions | None = None) -> Report:
    """Every tune of a file in a format only music21 reads (a corpus file in Humdrum,
    RomanText ...), through music21's own parser."""
    converter = backend.music21("converter")

    try:
        parsed = converter.parse(path, forceSource=True)
    except NabiError:
        raise
    except Exception as err:
        raise InputError(
            f"{source}: cannot read from the music21 corpus ({describe(err)}); expected a "
            "corpus path such as corpus:bach/bwv66.6 or corpus:essenFolksong/kinder0.abc"
        ) from err
    return melodies_from_stream(parsed, source=source, default_title=path.stem, options=options)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a score is read: its full passes
    walk every object alive (the XML tree or ABC tokens, music21's objects, hundreds of
    bytes a note, and whatever the process holds, TensorFlow's 600 MB), so reading grew
    slower per note as scores grew (MusicXML: 165 µs a note at 20,000 notes, 180 at
    100,000; 100 at both without). The previous state is restored when the read ends; the
    score's objects are freed then as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- MusicXML ---------------------------------------------------------------


@functools.cache
def _linear_importer() -> type:
    """music21's MusicXML importer, with each part's bars inserted unsorted (``coreInsert``)
    and the part sorted once at its end, instead of ``insert`` re-measuring the part at
    each bar."""
    xml_to_m21 = backend.music21("musicxml.xmlToM21")

    class _Bars:
        """Stands for a part while its bars are read: ``insert`` without re-measuring."""

        def __init__(self, part: Any) -> None:
            object.__setattr__(self, "_part", part)

        def insert(self, offset: Any, element: Any, **_: Any) -> None:
            self._part.coreInsert(offset, element, ignoreSort=True)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._part, name)

        def __setattr__(self, name: str, value: Any) -> None:
            setattr(self._part, name, value)

    class _PartParser(xml_to_m21.PartParser):
        def parseMeasures(self) -> None:
            part = self.stream
            self.stream = _Bars(part)
            try:
                super().parseMeasures()
            finally:
                self.stream = part
            part.coreElementsChanged()  # unsorted now: sorted on first use

    class _Importer(xml_to_m21.MusicXMLImporter):
        def xmlPartToPart(self, mxPart: Any, mxScorePart: Any) -> Any:
            parser = _PartParser(mxPart, mxScorePart=mxScorePart, parent=self)
            parser.parse()
            return parser.stream if parser.appendToScoreAfterParse else None

    return _Importer


def musicxml_score(root: Any) -> Any:
    """A music21 Score from the root (``<score-partwise>``) of a parsed MusicXML tree."""
    importer = _linear_importer()()
    importer.xmlRoot = root
    importer.xmlRootToScore(root, importer.stream)
    return importer.stream


# --- stream -> Melody ------------------------------------------------------


def melodies_from_stream(
    obj: Any,
    *,
    source: str,
    default_title: str,
    options: ReadOptions | None = None,
    strip_trailing_rests: bool = False,
    repeat_signs: bool = False,
) -> Report:
    """One melody per score of a music21 Score, Part or Opus, and the tunes skipped (no
    notes, or a conversion that failed) with their reasons."""
    stream = backend.music21("stream")

    options = options or ReadOptions()
    try:
        if isinstance(obj, stream.Opus):
            scores = list(obj.scores)
            many = len(scores) > 1
        else:
            scores = [obj]
            many = False
    except Exception as err:
        raise InputError(f"{source}: cannot convert the score ({describe(err)})") from err
    melodies: list[Melody] = []
    skipped: list[Skipped] = []
    for index, score in enumerate(scores, start=1):
        title = default_title
        try:
            number = getattr(score.metadata, "number", None) if score.metadata else None
            title = default_title if not many else f"{default_title} #{number or index}"
            melody = melody_from_score(
                score, source, title, many, options, strip_trailing_rests, repeat_signs
            )
        except NabiError as err:
            if not many:
                raise
            skipped.append(Skipped(title, str(err).removeprefix(f"{source}: ")))
            continue
        except Exception as err:
            if not many:
                raise InputError(f"{source}: cannot convert the score ({describe(err)})") from err
            skipped.append(Skipped(title, f"cannot convert the tune ({describe(err)})"))
            continue
        keep_if_pitched(melody, title, melodies, skipped)
    return melodies, skipped


@dataclass
class Log:
    """Warnings collected while converting one score, each prefixed with ``where``."""

    where: str
    messages: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.messages.append(f"{self.where}: {message}")


def _choose_part(
    parts: list[Any], with_notes: list[Any], choice: int | str | None, where: str
) -> Any:
    """The part ``choice`` names (1-based number or name), or the first part with notes."""
    if choice is None:
        return with_notes[0] if with_notes else parts[0]
    listing = ", ".join(
        f"{k} {_name(p).strip(' ()') or '(unnamed)'}" for k, p in enumerate(parts, 1)
    )
    if isinstance(choice, str) and choice.strip().isdigit():
        choice = int(choice)
    if isinstance(choice, int):
        if 1 <= choice <= len(parts):
            return parts[choice - 1]
    else:
        wanted = choice.strip().casefold()
        for p in parts:
            names = (getattr(p, "partName", None), getattr(p, "partAbbreviation", None), p.id)
            if any(isinstance(n, str) and n.strip().casefold() == wanted for n in names):
                return p
    count = f"{len(parts)} part{'s' if len(parts) != 1 else ''}"
    raise InputError(f"{where}: no part {choice!r}; the score has {count}: {listing}")


def melody_from_score(
    score: Any,
    source: str,
    default_title: str,
    in_opus: bool,
    options: ReadOptions,
    strip: bool = False,
    repeat_signs: bool = False,
) -> Melody:
    """The melody of one music21 score: the chosen part's top voice, repeats played out."""
    stream = backend.music21("stream")

    title = _title(score, default_title) or default_title
    log = Log(f"{source} ({title})" if in_opus else source)
    parts = list(score.parts) if isinstance(score, stream.Score) else [score]
    if not parts:
        parts = [score]
    with_notes = [p for p in parts if _has_notes(p)]
    part = _choose_part(parts, with_notes, options.part, source)
    others = [k for k, p in enumerate(parts, 1) if p is not part and p in with_notes]
    if others:
        kept = parts.index(part) + 1
        log.add(
            f"{len(with_notes)} parts; kept part {kept}{_name(part)} and dropped "
            f"part{'s' if len(others) > 1 else ''} {', '.join(map(str, others))}"
        )
    line = part
    barless = not part.recurse().getElementsByClass(stream.Measure).first()
    if repeat_signs and barless and len(parts) == 1:
        log.add(
            "music21 found no bar lines in this tune (its ABC parser misses them after some "
            "':|' and '|]' combinations); its repeats, if any, are read in the written order"
        )
    if options.repeats and _has_repeats(part):
        line = _play_out(part, log)
    voice_measures = _voice_measures(line)
    if voice_measures:
        count = max(n for _, n in voice_measures)
        log.add(
            f"{count} voices{in_measures(m for m, _ in voice_measures)}"
            f"{_name(part) and ' of' + _name(part)}; kept the first (top) voice"
        )
        line = line.voicesToParts().parts[0]
    notes = _notes(line, log)
    if strip:
        while notes and notes[-1].is_rest:
            notes.pop()
    header, dropped = header_fields(metadata_fields(score, title))
    if dropped:
        log.add(dropped_message(dropped))
    return Melody(
        notes=tuple(notes),
        title=title,
        key=_key(part, score, log),
        time_signature=_time_signature(part, score),
        tempo=_tempo(part, score, log),
        program=_program(part),
        source=source,
        warnings=tuple(log.messages),
        header=header,
        pickup=pickup(part),
    )


def metadata_fields(score: Any, title: str | None) -> list[tuple[str, str]]:
    """The header fields in a music21 score's metadata (:data:`METADATA_FIELDS`), as
    ``(name, value)`` pairs: a field of many values (two composers) joins them with
    ``; ``; a movement name other than ``title`` (and than the file's name) is the
    subtitle."""
    md = getattr(score, "metadata", None)
    if md is None:
        return []
    values: dict[str, list[str]] = {}
    movement = clean_title(_metadata_text(md, "movementName"), title or "")
    if movement and movement != title and not Path(movement).suffix:
        values["subtitle"] = [movement]
    for unique, name in METADATA_FIELDS.items():
        text = _metadata_text(md, unique)
        if text:
            values.setdefault(name, []).append(text)
    return [(name, "; ".join(found)) for name, found in values.items()]


def _metadata_text(md: Any, unique: str) -> str:
    """The values music21's metadata holds under ``unique``, as one text (``; ``)."""
    try:
        found = md[unique]
    except Exception:
        return ""
    texts = [str(v).strip() for v in found or () if str(v).strip()]
    return "; ".join(dict.fromkeys(texts))


def pickup(part: Any) -> Fraction | None:
    """The length of the part's first bar when it is shorter than a bar of its time
    signature (an upbeat: MusicXML's ``implicit`` bar 0, ABC's short first bar)."""
    stream, meter = backend.music21("stream", "meter")

    first = part.getElementsByClass(stream.Measure).first()
    if first is None:
        return None
    signature = first.timeSignature or first.getContextByClass(meter.TimeSignature)
    if signature is None:
        return None
    bar = to_fraction(signature.barDuration.quarterLength)
    length = to_fraction(first.highestTime)
    return length if 0 < length < bar else None


def _has_repeats(part: Any) -> bool:
    bar, repeat, spanner = backend.music21("bar", "repeat", "spanner")

    kinds = (bar.Repeat, repeat.RepeatExpression, spanner.RepeatBracket)
    return part.recurse().getElementsByClass(kinds).first() is not None


def _repeat_bars(part: Any, measures: list[Any]) -> list[Bar]:
    """The repeat signs and endings of each bar, as :class:`Bar` records."""
    bar, spanner = backend.music21("bar", "spanner")

    index = {id(m): k for k, m in enumerate(measures)}
    endings: dict[int, set[int]] = {}
    for bracket in part.recurse().getElementsByClass(spanner.RepeatBracket):
        numbers = set(bracket.numberRange or [])
        spanned = [index[id(m)] for m in bracket.getSpannedElements() if id(m) in index]
        if spanned:  # a bracket read from MusicXML spans its first and last bar only
            for k in range(min(spanned), max(spanned) + 1):
                endings.setdefault(k, set()).update(numbers)
    bars = []
    for k, m in enumerate(measures):
        left, right = m.leftBarline, m.rightBarline
        start = isinstance(left, bar.Repeat) and left.direction == "start"
        end = 0
        if isinstance(right, bar.Repeat) and right.direction == "end":
            end = int(right.times) if right.times else 2
        notes = len(m.recurse().notesAndRests)
        bars.append(Bar(start, end, frozenset(endings.get(k, ())), notes, m.number))
    return bars


def _play_out(part: Any, log: Log) -> Any:
    """The part with its repeats played out: a new part of its bars in the order heard
    (a bar heard twice is copied), checked against the limits before anything is copied."""
    stream, repeat = backend.music21("stream", "repeat")

    measures = list(part.getElementsByClass(stream.Measure))
    if not measures:
        return part
    bars = _repeat_bars(part, measures)
    for b in bars:
        if b.end > limits.current().bars:
            raise limits.too_many(
                f"passes of the repeat in measure {b.number}",
                b.end,
                limits.current().bars,
                "bars",
                log.where,
            )
    order = play_order(bars, log.where)
    if part.recurse().getElementsByClass(repeat.RepeatExpression).first() is not None:
        # D.C. and D.S. jumps: music21 plays them out (at most twice what play_order counted)
        doubled = [replace(b, notes=b.notes) for b in bars] * 2
        play_order(doubled, log.where)
        try:
            return part.expandRepeats()
        except Exception as err:
            log.add(f"cannot play the repeats out ({describe(err)}); kept the written order")
            return part
    lengths = [
        Fraction(measures[k + 1].offset) - Fraction(measures[k].offset)
        if k + 1 < len(measures)
        else Fraction(measures[k].duration.quarterLength)
        for k in range(len(measures))
    ]
    line = stream.Part()
    used: set[int] = set()
    offset = Fraction(0)
    for k in order:
        m = measures[k] if k not in used else copy.deepcopy(measures[k])
        used.add(k)
        line.coreInsert(offset, m, ignoreSort=True)
        offset += lengths[k]
    line.coreElementsChanged()
    return line


def _voice_measures(part: Any) -> list[tuple[int | None, int]]:
    """(measure number, voice count) for every measure of more than one voice with notes."""
    stream = backend.music21("stream")

    found = []
    for m in part.recurse().getElementsByClass(stream.Measure):
        voices = [v for v in m.voices if v.notes]
        if len(voices) > 1:
            found.append((m.number, len(voices)))
    if len([v for v in part.getElementsByClass(stream.Voice) if v.notes]) > 1:
        found.append((None, len(part.getElementsByClass(stream.Voice))))
    return found


def _has_notes(part: Any) -> bool:
    return any(not el.isRest for el in part.recurse().notesAndRests)


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


def _measure_of(el: Any) -> str:
    number = getattr(el, "measureNumber", None)
    return f", measure {number}" if number is not None else ""


def _too_long(duration: Fraction, el: Any, log: Log) -> InputError:
    limit = limits.current().note_wholes
    return limits.too_many(
        "whole notes in one note or rest",
        math.floor(duration / 4),
        limit,
        "note_wholes",
        f"{log.where}{_measure_of(el)}",
    )


def _notes(line: Any, log: Log) -> list[Note]:
    """The notes and rests of one line in time order, gaps filled with rests, ties merged;
    each note, rest and gap checked against the limits before it is split into codes."""
    chord, note = backend.music21("chord", "note")

    limit = limits.current()
    longest = Fraction(4 * limit.note_wholes)
    flat = line.flatten()
    events: list[Note] = []
    cursor = Fraction(0)
    # the elements to warn about; their measure numbers are looked up only to warn
    graces: list[Any] = []
    chords: list[Any] = []
    unpitched: list[Any] = []
    overlaps: list[Any] = []
    visible_end = Fraction(0)
    for el in flat.notesAndRests:
        duration = to_fraction(el.quarterLength)
        if duration > longest:
            raise _too_long(duration, el, log)
        if duration <= 0 or el.duration.isGrace:
            graces.append(el)
            continue
        if isinstance(el, note.Rest):
            pitch = None
        elif isinstance(el, chord.Chord):
            pitches = list(el.pitches)
            if not pitches:
                unpitched.append(el)
                continue
            if len(pitches) > 1:
                chords.append(el)
            pitch = pitch_of(max(pitches, key=lambda p: p.ps), log)
        elif isinstance(el, note.Note):
            pitch = pitch_of(el.pitch, log)
        else:  # unpitched percussion: its time becomes a rest
            unpitched.append(el)
            continue
        tie = pitch is not None and el.tie is not None and el.tie.type in ("start", "continue")
        offset = to_fraction(flat.elementOffset(el))
        if offset < cursor:  # overlaps the previous note: keep one line
            overlaps.append(el)
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
            if offset - cursor > longest:
                raise _too_long(offset - cursor, el, log)
            events.append(Note(None, offset - cursor))
        events.append(Note(pitch, duration, tie))
        if len(events) > 2 * limit.notes:  # rests between notes count too; merged later
            raise limits.too_many(
                "notes and rests in the melody", len(events), limit.notes, "notes", log.where
            )
        cursor = offset + duration
        if pitch is not None or not getattr(el.style, "hideObjectOnPrint", False):
            visible_end = cursor
    # hidden rests at the end only fill the last bar (music21 writes them so): not music
    while events and events[-1].is_rest and cursor > visible_end:
        cursor -= events.pop().duration
    if graces or chords or unpitched or overlaps:
        numbers = _measure_numbers(line)

        def where(elements: list[Any]) -> str:
            return _in_measures(elements, numbers)

        if graces:
            log.add(f"dropped {len(graces)} grace note(s){where(graces)} (no duration)")
        if chords:
            log.add(f"reduced {len(chords)} chord(s){where(chords)} to their top note")
        if unpitched:
            log.add(f"replaced {len(unpitched)} unpitched note(s){where(unpitched)} by rests")
        if overlaps:
            log.add(f"cut {len(overlaps)} overlapping note(s){where(overlaps)} to keep one line")
    notes = merge_rests(merge_ties(events))
    if len(notes) > limit.notes:
        raise limits.too_many("notes in the melody", len(notes), limit.notes, "notes", log.where)
    return notes


def _measure_numbers(line: Any) -> dict[int, int | None]:
    """The measure number of each note and rest of a line, by ``id`` (one pass over its
    measures: a context search per element took a quarter of the reading time)."""
    stream = backend.music21("stream")

    numbers: dict[int, int | None] = {}
    for m in line.recurse().getElementsByClass(stream.Measure):
        for el in m.recurse().notesAndRests:
            numbers[id(el)] = m.number
    return numbers


def _in_measures(elements: list[Any], numbers: dict[int, int | None]) -> str:
    """`` in measures 2-3`` for music21 elements (a context search for those in no
    measure of the line: only to warn)."""
    return in_measures(
        numbers[id(el)] if id(el) in numbers else getattr(el, "measureNumber", None)
        for el in elements
    )


def pitch_of(p: Any, log: Log) -> Pitch:
    """A music21 pitch as a :class:`Pitch`; one the codes cannot spell is respelled (with
    a warning), one outside MIDI's 0-127 is refused."""
    alter = float(p.accidental.alter) if p.accidental is not None else 0.0
    octave = p.octave if p.octave is not None else p.implicitOctave
    midi = 12 * (int(octave) + 1) + "CDEFGAB".index(p.step) * 2 - (p.step in "FGAB") + alter
    if not 0 <= midi <= 127:
        shown = p.nameWithOctave if abs(int(octave)) < 100 else f"{p.step} in octave {octave:,}"
        raise InputError(
            f"{log.where}: the pitch {shown} is out of range (MIDI {midi:,.0f}); "
            "expected MIDI 0 to 127"
        )
    if alter != int(alter) or abs(alter) > 2:
        respelled = Pitch.from_midi(round(p.ps))
        log.add(f"respelled {p.nameWithOctave} as {respelled.name} (no such accidental in codes)")
        return respelled
    return Pitch(p.step.lower(), int(alter), int(octave))


# --- metadata --------------------------------------------------------------


def _first(part: Any, score: Any, cls: Any) -> Any:
    for where in (part, score):
        found = where.recurse().getElementsByClass(cls).first()
        if found is not None:
            return found
    return None


def clean_title(text: str | None, default_title: str) -> str | None:
    """A title as read; None when empty or only the file name (music21 fills that in)."""
    title = str(text or "").strip()
    if not title or (Path(title).suffix and Path(title).stem == default_title):
        return None
    return title


def _title(score: Any, default_title: str) -> str | None:
    """The score's title; None when music21 only filled in the file name (``x.musicxml``)."""
    md = score.metadata
    return clean_title(md.bestTitle if md is not None else None, default_title)


def key_name(found: Any, log: Log | None = None) -> str | None:
    """A music21 key or key signature as ``G major`` / ``e minor``."""
    key = backend.music21("key")

    if abs(int(getattr(found, "sharps", 0) or 0)) > MAX_KEY_ACCIDENTALS:
        if log is not None:
            log.add(
                f"ignored a key signature of {found.sharps:,} sharps or flats; expected "
                f"at most {MAX_KEY_ACCIDENTALS}"
            )
        return None
    k = found if isinstance(found, key.Key) else found.asKey()
    tonic = k.tonic.name.replace("-", "b")
    if k.mode == "minor":
        tonic = tonic.lower()
    return f"{tonic} {k.mode}"


def _key(part: Any, score: Any, log: Log) -> str | None:
    key = backend.music21("key")

    found = _first(part, score, key.KeySignature)
    return key_name(found, log) if found is not None else None


def _time_signature(part: Any, score: Any) -> str | None:
    meter = backend.music21("meter")

    found = _first(part, score, meter.TimeSignature)
    return found.ratioString if found is not None else None


def sane_tempo(bpm: float, log: Log) -> float | None:
    """A tempo in quarter notes per minute, or None (with a warning) outside
    :data:`TEMPO_RANGE`."""
    low, high = TEMPO_RANGE
    value = float(bpm)
    if not low <= value <= high:
        shown = f"{value:,.3g}" if math.isfinite(value) else str(value)
        log.add(f"ignored a tempo of {shown} beats per minute; expected {low:g} to {high:g}")
        return None
    return round(value, 3)


def _tempo(part: Any, score: Any, log: Log) -> float | None:
    tempo = backend.music21("tempo")

    for where in (part, score):
        for mark in where.recurse().getElementsByClass(tempo.MetronomeMark):
            bpm = mark.getQuarterBPM()
            if bpm:
                return sane_tempo(bpm, log)
    return None


def _program(part: Any) -> int | None:
    instrument = backend.music21("instrument")

    found = part.recurse().getElementsByClass(instrument.Instrument).first()
    program = found.midiProgram if found is not None else None
    return int(program) if program is not None and 0 <= program <= 127 else None
