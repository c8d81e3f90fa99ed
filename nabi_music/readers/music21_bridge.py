"""The one bridge to music21: its streams become :class:`Melody` objects.

Reads MusicXML (``.musicxml .xml .mxl``), ABC (``.abc``) and files of the music21
corpus; repeats are played out with music21's ``expandRepeats`` (or kept as written).
music21 is imported inside the functions, so importing this module stays cheap.

Files are parsed with ``forceSource=True``: music21 then neither writes nor loads
pickled copies in its scratch directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from nabi_music import backend
from nabi_music.errors import InputError
from nabi_music.music.notes import (
    Melody,
    Note,
    Pitch,
)
from nabi_music.music.ties import merge_rests, merge_ties
from nabi_music.readers._common import (
    ReadOptions,
    Report,
    Skipped,
    describe,
    has_pitched_note,
    in_measures,
)

#: Finest duration grid kept from float quarter lengths: 64ths and triplets, quintuplets,
#: septuplets of them.
MAX_DENOMINATOR = 64 * 3 * 5 * 7

#: Grid MIDI times are snapped to: 32nd notes (8 per quarter) and 16th triplets (6).
MIDI_DIVISORS = (8, 6)

#: File extension -> (music21 format name, what to call it in messages).
FILE_FORMATS = {
    ".musicxml": ("musicxml", "MusicXML"),
    ".xml": ("musicxml", "MusicXML"),
    ".mxl": ("musicxml", "compressed MusicXML"),
    ".mid": ("midi", "MIDI"),
    ".midi": ("midi", "MIDI"),
    ".abc": ("abc", "ABC"),
}


def read_music21_file(path: Path, source: str, options: ReadOptions | None = None) -> Report:
    """Every tune of a MusicXML, MIDI or ABC file, one :class:`Melody` each."""
    converter = backend.music21("converter")

    fmt, label = FILE_FORMATS[path.suffix.lower()]
    # MIDI times snap to 32nd notes and 16th triplets (music21's default: 16ths, 8th triplets)
    extra = {"quarterLengthDivisors": MIDI_DIVISORS} if fmt == "midi" else {}
    try:
        parsed = converter.parseFile(path, format=fmt, forceSource=True, **extra)
    except Exception as err:
        raise InputError(
            f"{source}: cannot read as {label} ({describe(err)}); expected a valid {label} file"
        ) from err
    return melodies_from_stream(
        parsed,
        source=source,
        default_title=path.stem,
        options=options,
        strip_trailing_rests=fmt == "midi",
        repeat_signs=fmt == "abc" and _has_abc_repeat_signs(path),
    )


def _has_abc_repeat_signs(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(sign in text for sign in ("|:", ":|", "::"))


def read_corpus(name: str, source: str, options: ReadOptions | None = None) -> Report:
    """Every tune of a music21 corpus file, e.g. ``bach/bwv66.6``."""
    corpus = backend.music21("corpus")
    CorpusException = backend.music21("exceptions21").CorpusException

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
    return melodies_from_stream(parsed, source=source, default_title=stem, options=options)


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
        try:
            number = getattr(score.metadata, "number", None) if score.metadata else None
            title = default_title if not many else f"{default_title} #{number or index}"
            melody = _melody_from_score(
                score, source, title, many, strip_trailing_rests, options, repeat_signs
            )
        except InputError as err:
            if not many:
                raise
            skipped.append(Skipped(title, str(err).removeprefix(f"{source}: ")))
            continue
        except Exception as err:
            if not many:
                raise InputError(f"{source}: cannot convert the score ({describe(err)})") from err
            skipped.append(Skipped(title, f"cannot convert the tune ({describe(err)})"))
            continue
        if has_pitched_note(melody):
            melodies.append(melody)
        else:
            skipped.append(Skipped(melody.title or title, "no notes, only rests"))
    return melodies, skipped


@dataclass
class _Log:
    """Warnings collected while converting one score."""

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


def _melody_from_score(
    score: Any,
    source: str,
    default_title: str,
    in_opus: bool,
    strip: bool,
    options: ReadOptions,
    repeat_signs: bool = False,
) -> Melody:
    stream = backend.music21("stream")

    title = _title(score, default_title) or default_title
    log = _Log(f"{source} ({title})" if in_opus else source)
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
        try:
            line = part.expandRepeats()
        except Exception as err:
            log.add(f"cannot play the repeats out ({describe(err)}); kept the written order")
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


def _has_repeats(part: Any) -> bool:
    bar, repeat = backend.music21("bar", "repeat")

    found = part.recurse().getElementsByClass((bar.Repeat, repeat.RepeatExpression))
    return found.first() is not None


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


def _notes(line: Any, log: _Log) -> list[Note]:
    """The notes and rests of one line in time order, gaps filled with rests, ties merged."""
    chord, note = backend.music21("chord", "note")

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
            pitch = _pitch(max(pitches, key=lambda p: p.ps), log)
        elif isinstance(el, note.Note):
            pitch = _pitch(el.pitch, log)
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
            events.append(Note(None, offset - cursor))
        events.append(Note(pitch, duration, tie))
        cursor = offset + duration
        if pitch is not None or not getattr(el.style, "hideObjectOnPrint", False):
            visible_end = cursor
    # hidden rests at the end only fill the last bar (music21 writes them so): not music
    while events and events[-1].is_rest and cursor > visible_end:
        cursor -= events.pop().duration
    if graces:
        log.add(f"dropped {len(graces)} grace note(s){_in_measures(graces)} (no duration)")
    if chords:
        log.add(f"reduced {len(chords)} chord(s){_in_measures(chords)} to their top note")
    if unpitched:
        log.add(f"replaced {len(unpitched)} unpitched note(s){_in_measures(unpitched)} by rests")
    if overlaps:
        log.add(f"cut {len(overlaps)} overlapping note(s){_in_measures(overlaps)} to keep one line")
    return merge_rests(merge_ties(events))


def _in_measures(elements: list[Any]) -> str:
    """`` in measures 2-3`` for music21 elements (a context search each: only to warn)."""
    return in_measures(getattr(el, "measureNumber", None) for el in elements)


def _pitch(p: Any, log: _Log) -> Pitch:
    alter = float(p.accidental.alter) if p.accidental is not None else 0.0
    octave = p.octave if p.octave is not None else p.implicitOctave
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


def _title(score: Any, default_title: str) -> str | None:
    """The score's title; None when music21 only filled in the file name (``x.musicxml``)."""
    md = score.metadata
    title = str(md.bestTitle or "").strip() if md is not None else ""
    if not title or (Path(title).suffix and Path(title).stem == default_title):
        return None
    return title


def _key(part: Any, score: Any) -> str | None:
    key = backend.music21("key")

    found = _first(part, score, key.KeySignature)
    if found is None:
        return None
    k = found if isinstance(found, key.Key) else found.asKey()
    tonic = k.tonic.name.replace("-", "b")
    if k.mode == "minor":
        tonic = tonic.lower()
    return f"{tonic} {k.mode}"


def _time_signature(part: Any, score: Any) -> str | None:
    meter = backend.music21("meter")

    found = _first(part, score, meter.TimeSignature)
    return found.ratioString if found is not None else None


def _tempo(part: Any, score: Any) -> float | None:
    tempo = backend.music21("tempo")

    for where in (part, score):
        for mark in where.recurse().getElementsByClass(tempo.MetronomeMark):
            bpm = mark.getQuarterBPM()
            if bpm:
                return round(float(bpm), 3)
    return None


def _program(part: Any) -> int | None:
    instrument = backend.music21("instrument")

    found = part.recurse().getElementsByClass(instrument.Instrument).first()
    program = found.midiProgram if found is not None else None
    return int(program) if program is not None else None
