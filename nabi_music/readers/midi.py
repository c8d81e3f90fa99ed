"""Reader for Standard MIDI Files (``.mid .midi``), in time and memory linear in the file.

The file is parsed here, event by event, keeping only what a melody needs (notes as
numbers in arrays, the first tempo, metre and key, track names and programs): mido
made an object of every event (a 20 MB file took half a minute and gigabytes), and
music21's MIDI import is quadratic. Every number is checked before it is used: the
ticks per quarter note (SMPTE time is refused), each note's and each silence's length
against the ``note_wholes`` limit, the notes of the melody against ``notes`` and its
bars against ``bars`` (:mod:`nabi_music.readers.limits`), all before a note is made.

The rules:

- a part is a track (a type 0 file: a channel) with notes; channel 10 (drums) is not
  melody. The first part with notes is read, or the one ``part`` names (number from 1,
  or track name);
- onsets and ends snap to the nearest 32nd note or 16th-note triplet (MIDI has no
  notation: a played file's times are approximate);
- of notes starting together the highest is kept (a chord: a warning); a note still
  sounding when the next starts is cut there;
- silence before and between notes is a rest; the file ends with its last note;
- pitches are spelled with flats in flat keys (from the key signature), else sharps;
- tempo, time signature, key and program: the first of each (a tempo or metre that
  cannot be, such as 0 beats, is ignored with a warning);
- the title is the name of the first track (the standard's sequence name) at its start,
  else the file name; the first track's copyright event is the ``copyright`` header
  field, and its text events ``name: value`` at the start are header fields (as the MIDI
  writer writes them); texts are read as UTF-8, else as Latin-1;
- an upbeat is read only when the file's bars say it: a first time signature that lasts
  exactly one of its bars and gives way to one of longer bars (``1/8`` then ``2/4``); the
  melody's time signature is then the second.
"""

from __future__ import annotations

import math
import re
from array import array
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from nabi_music.errors import InputError
from nabi_music.music.notes import Melody, Note, Pitch
from nabi_music.music.ties import merge_rests, merge_ties
from nabi_music.readers import limits
from nabi_music.readers._common import ReadOptions, Report, Skipped, describe, in_measures
from nabi_music.readers.header import MAX_FIELDS, clean_text, dropped_message, header_fields

DRUM_CHANNEL = 9
#: Grids MIDI times snap to, in parts of a quarter: 32nd notes and 16th-note triplets.
GRIDS = (8, 6)
#: Snapped times are counted in these parts of a quarter (a multiple of every grid).
UNIT = 24
#: Tempi outside this range (quarter notes per minute) are ignored with a warning.
TEMPO_RANGE = (1.0, 1000.0)
#: A time signature's denominator must be a power of two up to this.
MAX_DENOMINATOR = 64
#: The longest variable-length number read (the standard's are at most 4 bytes, 2^28
#: ticks; writers such as mido write longer ones for longer times, which the limits
#: then judge).
MAX_VARLEN_BYTES = 8
_FLAT_NAMES = ("c", "d-", "d", "e-", "e", "f", "g-", "g", "a-", "a", "b-", "b")
_MAJOR = ("Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#")
_MINOR = ("Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#", "G#", "D#", "A#")
#: Data bytes after a status byte (0x80-0xEF by its high nibble; 0xF1-0xFE by itself).
_DATA_BYTES = {0x8: 2, 0x9: 2, 0xA: 2, 0xB: 2, 0xC: 1, 0xD: 1, 0xE: 2}
_SYSTEM_BYTES = {0xF1: 1, 0xF2: 2, 0xF3: 1}
#: Time signatures kept of each track (the first ones: an upbeat is told by two).
SIGNATURES_PER_TRACK = 4
_FIELD_TEXT = re.compile(r"\s*([A-Za-z][A-Za-z0-9-]*):\s+(.*)", re.DOTALL)


@dataclass
class _Part:
    name: str | None
    starts: array = field(default_factory=lambda: array("q"))
    ends: array = field(default_factory=lambda: array("q"))
    pitches: array = field(default_factory=lambda: array("B"))
    program: int | None = None


@dataclass
class _Meta:
    """The first tempo, time signature and key of the file, as written, and what the
    first track says of the melody."""

    tempo: int | None = None  # microseconds per quarter note
    time_signature: tuple[int, int] | None = None  # numerator, denominator exponent
    key: tuple[int, int] | None = None  # sharps (negative: flats), minor
    signatures: list[tuple[int, int, int]] = field(default_factory=list)
    """(tick, numerator, denominator exponent) of the first time signatures of each track."""
    title: str | None = None
    copyright: bool = False
    fields: list[tuple[str, str]] = field(default_factory=list)
    """The first track's copyright and its ``name: value`` texts at the start, in order,
    at most twice :data:`~nabi_music.readers.header.MAX_FIELDS`."""
    more_fields: int = 0
    """Such texts beyond those kept."""


class _Fail(Exception):
    """A broken file, said in a few words (becomes an InputError naming the file)."""


def read_midi(path: Path, source: str, options: ReadOptions | None = None) -> Report:
    """The melody of a MIDI file (see the module docstring)."""
    options = options or ReadOptions()
    try:
        data = path.read_bytes()
        per_quarter, parts, meta = _parse(data)
    except _Fail as err:
        raise InputError(
            f"{source}: cannot read as MIDI ({err}); expected a valid MIDI file"
        ) from None
    except (OSError, ValueError, OverflowError, MemoryError) as err:
        raise InputError(
            f"{source}: cannot read as MIDI ({describe(err)}); expected a valid MIDI file"
        ) from err
    title = meta.title or path.stem
    with_notes = [p for p in parts if p.starts]
    if not with_notes:
        return [], [Skipped(title, "no notes in any track (drums are not melody)")]
    part = _choose(with_notes, options.part, source)
    log: list[str] = []
    if len(with_notes) > 1:
        kept = with_notes.index(part) + 1
        others = [str(k) for k in range(1, len(with_notes) + 1) if k != kept]
        log.append(
            f"{len(with_notes)} parts; kept part {kept}{f' ({part.name})' if part.name else ''} "
            f"and dropped part{'s' if len(others) > 1 else ''} {', '.join(others)}"
        )
    tempo = _tempo(meta, log)
    time_signature = _time_signature(meta.time_signature, log)
    pickup, after = _pickup(meta, per_quarter)
    if after is not None:
        time_signature = after
    bar = Fraction(4 * time_signature[0], time_signature[1]) if time_signature else Fraction(4)
    header, dropped = header_fields(meta.fields)
    if dropped + meta.more_fields:
        log.append(dropped_message(dropped + meta.more_fields))
    sharps, minor = meta.key if meta.key is not None else (0, 0)
    notes, chords, overlaps = _line(part, per_quarter, sharps < 0, bar, source)
    notes = merge_rests(merge_ties(notes))
    limit = limits.current().notes
    if len(notes) > limit:
        raise limits.too_many("notes and rests in the melody", len(notes), limit, "notes", source)

    def measures(onsets: list[Fraction]) -> str:
        start = pickup or 0
        return in_measures(0 if t < start else int((t - start) // bar) + 1 for t in onsets)

    if chords:
        log.append(f"reduced {len(chords)} chord(s){measures(chords)} to their top note")
    if overlaps:
        log.append(f"cut {len(overlaps)} overlapping note(s){measures(overlaps)} to keep one line")
    melody = Melody(
        notes=tuple(notes),
        title=title,
        key=_key_name(sharps, minor) if meta.key is not None else None,
        time_signature=f"{time_signature[0]}/{time_signature[1]}" if time_signature else None,
        tempo=tempo,
        program=part.program,
        source=source,
        warnings=tuple(f"{source}: {m}" for m in log),
        header=header,
        pickup=pickup,
    )
    return [melody], []


# --- the file --------------------------------------------------------------


def _parse(data: bytes) -> tuple[int, list[_Part], _Meta]:
    """Ticks per quarter, the parts with notes (by track, or by channel of a type 0
    file) and the first tempo, metre and key."""
    if len(data) < 14 or data[:4] != b"MThd":
        raise _Fail("no MIDI header ('MThd')")
    size = int.from_bytes(data[4:8], "big")
    if size < 6:
        raise _Fail("the header is too short")
    kind = int.from_bytes(data[8:10], "big")
    tracks = int.from_bytes(data[10:12], "big")
    division = int.from_bytes(data[12:14], "big")
    if division & 0x8000:
        raise _Fail("time in SMPTE frames, not in ticks per quarter note")
    if division == 0:
        raise _Fail("0 ticks per quarter note")
    at = 8 + size
    parts: dict[tuple[int, int], _Part] = {}
    meta = _Meta()
    for t in range(tracks):
        if at + 8 > len(data):
            raise _Fail(f"the file ends before track {t + 1} of {tracks}")
        if data[at : at + 4] != b"MTrk":
            raise _Fail(f"no track header ('MTrk') where track {t + 1} starts")
        length = int.from_bytes(data[at + 4 : at + 8], "big")
        start = at + 8
        if start + length > len(data):
            raise _Fail(f"track {t + 1} ends early (the file is cut short)")
        _track(data, start, start + length, t, kind, parts, meta)
        at = start + length
    return division, [parts[k] for k in sorted(parts)], meta


def _varlen(data: bytes, at: int, end: int) -> tuple[int, int]:
    value = 0
    for _ in range(MAX_VARLEN_BYTES):
        if at >= end:
            raise _Fail("an event runs past the end of its track")
        byte = data[at]
        at += 1
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at
    raise _Fail(f"a variable-length number of more than {MAX_VARLEN_BYTES} bytes")


def _track(
    data: bytes,
    at: int,
    end: int,
    t: int,
    kind: int,
    parts: dict[tuple[int, int], _Part],
    meta: _Meta,
) -> None:
    """The notes of one track into ``parts``, its first tempo, metre and key into ``meta``."""
    name: str | None = None
    programs: dict[int, int] = {}
    sounding: dict[int, list[int]] = {}  # channel * 128 + pitch -> onsets, first first
    now = 0
    status = 0
    signatures = 0
    mine: dict[int, _Part] = {}  # channel (0 for types 1 and 2) -> part

    def part_of(channel: int) -> _Part:
        key = channel if kind == 0 else 0
        found = mine.get(key)
        if found is None:
            found = mine[key] = parts.setdefault((t, key), _Part(name))
        return found

    while at < end:
        delta, at = _varlen(data, at, end)
        now += delta
        if at >= end:
            raise _Fail("an event runs past the end of its track")
        byte = data[at]
        if byte >= 0x80:
            at += 1
            if byte < 0xF0:
                status = byte
        elif status == 0:
            raise _Fail("running status with no status before it")
        else:
            byte = status
        if byte == 0xFF:  # meta event
            if at >= end:
                raise _Fail("an event runs past the end of its track")
            meta_type = data[at]
            length, at = _varlen(data, at + 1, end)
            if at + length > end:
                raise _Fail("an event runs past the end of its track")
            body = data[at : at + length]
            at += length
            if meta_type == 0x03 and name is None:
                name = body.decode("latin-1").strip() or None
                if t == 0 and now == 0:
                    meta.title = clean_text(_text(body)) or None
            elif t == 0 and meta_type in (0x01, 0x02):
                _first_track_text(meta, meta_type, body, now)
            elif meta_type == 0x51 and meta.tempo is None and length == 3:
                meta.tempo = int.from_bytes(body, "big")
            elif meta_type == 0x58 and length >= 2:
                if meta.time_signature is None:
                    meta.time_signature = (body[0], body[1])
                if signatures < SIGNATURES_PER_TRACK:
                    meta.signatures.append((now, body[0], body[1]))
                    signatures += 1
            elif meta_type == 0x59 and meta.key is None and length == 2:
                sharps = body[0] - 256 if body[0] > 127 else body[0]
                if -7 <= sharps <= 7 and body[1] in (0, 1):
                    meta.key = (sharps, body[1])
            continue
        if byte in (0xF0, 0xF7):  # system exclusive
            length, at = _varlen(data, at, end)
            at += length
            if at > end:
                raise _Fail("an event runs past the end of its track")
            continue
        if byte >= 0xF0:
            at += _SYSTEM_BYTES.get(byte, 0)
            continue
        size = _DATA_BYTES[byte >> 4]
        if at + size > end:
            raise _Fail("an event runs past the end of its track")
        first = data[at]
        second = data[at + 1] if size == 2 else 0
        if first > 127 or second > 127:
            raise _Fail("a data byte over 127")
        at += size
        high, channel = byte >> 4, byte & 0x0F
        if high == 0x9 and second > 0:
            sounding.setdefault(channel * 128 + first, []).append(now)
        elif high == 0x8 or high == 0x9:
            starts = sounding.get(channel * 128 + first)
            if starts:
                onset = starts.pop(0)
                if channel != DRUM_CHANNEL:
                    part = part_of(channel)
                    part.starts.append(onset)
                    part.ends.append(now)
                    part.pitches.append(first)
                    if part.program is None and channel in programs:
                        part.program = programs[channel]
        elif high == 0xC:
            programs.setdefault(channel, first)
    for key, starts in sounding.items():  # never released: to the track's end
        channel, pitch = divmod(key, 128)
        if channel != DRUM_CHANNEL and starts:
            part = part_of(channel)
            for onset in starts:
                part.starts.append(onset)
                part.ends.append(now)
                part.pitches.append(pitch)
    for part in mine.values():
        if part.name is None:
            part.name = name


# --- metadata --------------------------------------------------------------


def _text(body: bytes) -> str:
    """A text event's bytes as UTF-8, else Latin-1 (MIDI names no encoding)."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("latin-1")


def _first_track_text(meta: _Meta, meta_type: int, body: bytes, now: int) -> None:
    """A text (``name: value`` at the start) or copyright event of the first track."""
    if meta_type == 0x02:
        if meta.copyright:
            return
        meta.copyright = True
        pair = ("copyright", _text(body))
    else:
        found = _FIELD_TEXT.fullmatch(_text(body)) if now == 0 else None
        if found is None:
            return
        pair = (found.group(1), found.group(2))
    if len(meta.fields) >= 2 * MAX_FIELDS:
        meta.more_fields += 1
        return
    meta.fields.append(pair)


def _pickup(meta: _Meta, per_quarter: int) -> tuple[Fraction | None, tuple[int, int] | None]:
    """The upbeat the file's bars say, in quarters, and the time signature after it: the
    first time signature, at the start, lasts exactly one of its bars and the next one,
    of longer bars, starts there. ``(None, None)`` otherwise."""
    valid = [
        (tick, numerator, exponent)
        for tick, numerator, exponent in sorted(meta.signatures, key=lambda s: s[0])
        if numerator > 0 and 2**exponent <= MAX_DENOMINATOR
    ]
    if len(valid) < 2 or valid[0][0] != 0:
        return None, None
    (_, n0, e0), (tick, n1, e1) = valid[0], valid[1]
    first = Fraction(4 * n0, 2**e0)
    if tick != first * per_quarter or first >= Fraction(4 * n1, 2**e1):
        return None, None
    return first, (n1, 2**e1)


def _tempo(meta: _Meta, log: list[str]) -> float | None:
    if meta.tempo is None:
        return None
    low, high = TEMPO_RANGE
    if meta.tempo == 0 or not low <= 60_000_000 / meta.tempo <= high:
        log.append(
            f"ignored a tempo of {meta.tempo:,} microseconds per quarter note; expected "
            f"{low:g} to {high:g} quarter notes per minute"
        )
        return None
    return round(60_000_000 / meta.tempo, 3)


def _time_signature(found: tuple[int, int] | None, log: list[str]) -> tuple[int, int] | None:
    if found is None:
        return None
    numerator, exponent = found
    if numerator == 0 or 2**exponent > MAX_DENOMINATOR:
        shown = f"2^{exponent}" if exponent >= 16 else str(2**exponent)
        log.append(
            f"ignored a time signature of {numerator}/{shown}; expected at least 1 beat "
            f"of a note value from a whole to a {MAX_DENOMINATOR}th"
        )
        return None
    return numerator, 2**exponent


def _key_name(sharps: int, minor: int) -> str:
    if minor:
        return f"{_MINOR[sharps + 7].lower()} minor"
    return f"{_MAJOR[sharps + 7]} major"


def _choose(parts: list[_Part], choice: int | str | None, source: str) -> _Part:
    if choice is None:
        return parts[0]
    text = str(choice).strip()
    if text.isdigit() and 1 <= int(text) <= len(parts):
        return parts[int(text) - 1]
    for part in parts:
        if part.name and part.name.casefold() == text.casefold():
            return part
    listing = ", ".join(f"{k} {p.name or '(unnamed)'}" for k, p in enumerate(parts, 1))
    count = f"{len(parts)} part{'s' if len(parts) != 1 else ''}"
    raise InputError(f"{source}: no part {choice!r}; the score has {count}: {listing}")


def _pitch(number: int, flats: bool) -> Pitch:
    if not flats:
        return Pitch.from_midi(number)
    name = _FLAT_NAMES[number % 12]
    return Pitch(name[0], -1 if "-" in name else 0, number // 12 - 1)


# --- times -----------------------------------------------------------------


def snap_units(ticks: np.ndarray, per_quarter: int) -> np.ndarray:
    """Ticks as the nearest grid point (32nds or 16th-note triplets), in 1/24 quarters; of
    two as near, the coarser (of the smaller denominator). Halves round to even."""
    best_units = best_error = best_denominator = None
    for g in GRIDS:
        scaled = ticks * g
        q, r = np.divmod(scaled, per_quarter)
        k = q + ((2 * r > per_quarter) | ((2 * r == per_quarter) & (q % 2 == 1)))
        error = np.abs(k * per_quarter - scaled) * (UNIT // g)  # in 1/(UNIT*per_quarter)
        denominator = g // np.gcd(k, g)
        units = k * (UNIT // g)
        if best_units is None:
            best_units, best_error, best_denominator = units, error, denominator
            continue
        better = (error < best_error) | ((error == best_error) & (denominator < best_denominator))
        best_units = np.where(better, units, best_units)
        best_error = np.where(better, error, best_error)
        best_denominator = np.where(better, denominator, best_denominator)
    assert best_units is not None
    return best_units


def snap(ticks: int, per_quarter: int) -> Fraction:
    """Ticks as quarters on the nearest grid point (32nds or 16th-note triplets)."""
    units = snap_units(np.array([ticks], dtype=np.int64), per_quarter)
    return Fraction(int(units[0]), UNIT)


def _line(
    part: _Part, per_quarter: int, flats: bool, bar: Fraction, source: str
) -> tuple[list[Note], list[Fraction], list[Fraction]]:
    """One line of notes and rests from a part (computed on arrays), every length and the
    count checked against the limits before a note is made."""
    limit = limits.current()
    onsets = snap_units(np.frombuffer(part.starts, dtype=np.int64), per_quarter)
    offsets = snap_units(np.frombuffer(part.ends, dtype=np.int64), per_quarter)
    pitches = np.frombuffer(part.pitches, dtype=np.uint8).astype(np.int64)
    offsets = np.where(offsets <= onsets, onsets + UNIT // max(GRIDS), offsets)
    # by onset, the highest first; of equal notes the first written
    order = np.lexsort((np.arange(len(onsets)), -pitches, onsets))
    onsets, offsets, pitches = onsets[order], offsets[order], pitches[order]
    first = np.ones(len(onsets), dtype=bool)
    first[1:] = onsets[1:] != onsets[:-1]
    chords = onsets[first & ~np.append(first[1:], True)]  # the onsets of two notes or more
    onsets, offsets, pitches = onsets[first], offsets[first], pitches[first]
    cut = offsets[:-1] > onsets[1:]  # still sounding when the next starts: cut there
    overlaps = onsets[1:][cut]
    offsets[:-1] = np.where(cut, onsets[1:], offsets[:-1])
    gaps = onsets - np.concatenate(([0], offsets[:-1]))
    longest = 4 * limit.note_wholes * UNIT
    lengths = np.maximum(offsets - onsets, gaps)
    worst = int(np.argmax(lengths))
    if lengths[worst] > longest:
        raise limits.too_many(
            "whole notes in one note or rest",
            int(lengths[worst]) // (4 * UNIT),
            limit.note_wholes,
            "note_wholes",
            f"{source}, measure {int(Fraction(int(onsets[worst]), UNIT) // bar) + 1:,}",
        )
    count = len(onsets) + int(np.count_nonzero(gaps > 0))
    if count > limit.notes:  # notes are only ever split after this, never joined
        raise limits.too_many("notes and rests in the melody", count, limit.notes, "notes", source)
    bars = math.ceil(Fraction(int(offsets[-1]), UNIT) / bar)
    if bars > limit.bars:
        raise limits.too_many("bars in the melody", bars, limit.bars, "bars", source)
    notes: list[Note] = []
    spelled: dict[int, Pitch] = {}
    for onset, offset, gap, number in zip(
        onsets.tolist(), offsets.tolist(), gaps.tolist(), pitches.tolist(), strict=True
    ):
        if gap > 0:
            notes.append(Note(None, Fraction(gap, UNIT)))
        pitch = spelled.get(number)
        if pitch is None:
            pitch = spelled[number] = _pitch(number, flats)
        notes.append(Note(pitch, Fraction(offset - onset, UNIT)))
    return (
        notes,
        [Fraction(int(c), UNIT) for c in chords],
        [Fraction(int(o), UNIT) for o in overlaps],
    )
