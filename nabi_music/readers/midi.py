"""Reader for Standard MIDI Files (``.mid .midi``), through mido, in time linear in length.

(music21's MIDI import takes time quadratic in the number of bars: 20,000 notes took
minutes.) The rules:

- a part is a track (a type 0 file: a channel) with notes; channel 10 (drums) is not
  melody. The first part with notes is read, or the one ``part`` names (number from 1,
  or track name);
- onsets and ends snap to the nearest 32nd note or 16th-note triplet (MIDI has no
  notation: a played file's times are approximate);
- of notes starting together the highest is kept (a chord: a warning); a note still
  sounding when the next starts is cut there;
- silence before and between notes is a rest; the file ends with its last note;
- pitches are spelled with flats in flat keys (from the key signature), else sharps;
- tempo, time signature, key and program: the first of each; the title is the file
  name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from nabi_music.errors import InputError
from nabi_music.music.notes import Melody, Note, Pitch
from nabi_music.music.ties import merge_rests, merge_ties
from nabi_music.readers._common import ReadOptions, Report, Skipped, describe, in_measures

DRUM_CHANNEL = 9
#: Grids MIDI times snap to, in parts of a quarter: 32nd notes and 16th-note triplets.
GRIDS = (8, 6)
_FLAT_NAMES = ("c", "d-", "d", "e-", "e", "f", "g-", "g", "a-", "a", "b-", "b")


@dataclass
class _Part:
    name: str | None
    notes: list[tuple[int, int, int]] = field(default_factory=list)  # start, end, pitch
    program: int | None = None


def snap(ticks: int, per_quarter: int) -> Fraction:
    """Ticks as quarters on the nearest grid point (32nds or 16th-note triplets)."""
    value = Fraction(ticks, per_quarter)
    best = [Fraction(round(value * g), g) for g in GRIDS]
    return min(best, key=lambda v: (abs(v - value), v.denominator))


def read_midi(path: Path, source: str, options: ReadOptions | None = None) -> Report:
    """The melody of a MIDI file (see the module docstring)."""
    import mido

    options = options or ReadOptions()
    try:
        mid = mido.MidiFile(str(path))
        per_quarter = int(mid.ticks_per_beat)
        if per_quarter <= 0:
            raise ValueError(f"ticks per beat must be positive, got {per_quarter}")
        parts, meta = _parts(mid)
    except InputError:
        raise
    except Exception as err:
        raise InputError(
            f"{source}: cannot read as MIDI ({describe(err)}); expected a valid MIDI file"
        ) from err
    title = path.stem
    with_notes = [p for p in parts if p.notes]
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
    time_signature = meta.get("time_signature")
    bar = Fraction(4 * time_signature[0], time_signature[1]) if time_signature else Fraction(4)
    flats = meta.get("flats", False)
    notes, chords, overlaps = _line(part.notes, per_quarter, flats)

    def measures(onsets: list[Fraction]) -> str:
        return in_measures(int(t // bar) + 1 for t in onsets)

    if chords:
        log.append(f"reduced {len(chords)} chord(s){measures(chords)} to their top note")
    if overlaps:
        log.append(f"cut {len(overlaps)} overlapping note(s){measures(overlaps)} to keep one line")
    melody = Melody(
        notes=tuple(merge_rests(merge_ties(notes))),
        title=title,
        key=meta.get("key"),
        time_signature=f"{time_signature[0]}/{time_signature[1]}" if time_signature else None,
        tempo=meta.get("tempo"),
        program=part.program,
        source=source,
        warnings=tuple(f"{source}: {m}" for m in log),
    )
    return [melody], []


def _parts(mid: Any) -> tuple[list[_Part], dict[str, Any]]:
    """The parts (track, or channel of a type 0 file) and the first tempo, metre, key."""
    meta: dict[str, Any] = {}
    parts: dict[tuple[int, int], _Part] = {}
    for t, track in enumerate(mid.tracks):
        name = None
        programs: dict[int, int] = {}
        sounding: dict[tuple[int, int], list[int]] = {}
        now = 0
        for msg in track:
            now += msg.time
            kind = msg.type
            if kind == "track_name" and name is None:
                name = msg.name.strip() or None
            elif kind == "set_tempo" and "tempo" not in meta:
                meta["tempo"] = round(60_000_000 / msg.tempo, 3)
            elif kind == "time_signature" and "time_signature" not in meta:
                meta["time_signature"] = (msg.numerator, msg.denominator)
            elif kind == "key_signature" and "key" not in meta:
                meta["key"], meta["flats"] = _key(msg.key)
            elif kind == "program_change":
                programs.setdefault(msg.channel, msg.program)
            elif kind == "note_on" and msg.velocity > 0:
                sounding.setdefault((msg.channel, msg.note), []).append(now)
            elif kind in ("note_off", "note_on"):
                starts = sounding.get((msg.channel, msg.note))
                if starts:
                    start = starts.pop(0)
                    if msg.channel != DRUM_CHANNEL:
                        key = (t, msg.channel if mid.type == 0 else 0)
                        part = parts.setdefault(key, _Part(name))
                        part.notes.append((start, now, msg.note))
                        if part.program is None and msg.channel in programs:
                            part.program = programs[msg.channel]
        for (channel, note), starts in sounding.items():  # never released: to the track end
            if channel != DRUM_CHANNEL:
                part = parts.setdefault((t, channel if mid.type == 0 else 0), _Part(name))
                part.notes += [(s, now, note) for s in starts]
        for key, part in parts.items():
            if key[0] == t and part.name is None:
                part.name = name
    return [parts[k] for k in sorted(parts)], meta


def _key(text: str) -> tuple[str, bool]:
    """mido's key (``Bb``, ``F#m``) as ``Bb major``/``f# minor``, and whether it has flats."""
    minor = text.endswith("m")
    tonic = text[:-1] if minor else text
    flats = "b" in tonic[1:] or tonic in ("F",) or (minor and tonic in ("D", "G", "C", "F"))
    return (f"{tonic.lower()} minor" if minor else f"{tonic} major"), flats


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


def _line(
    raw: list[tuple[int, int, int]], per_quarter: int, flats: bool
) -> tuple[list[Note], list[Fraction], list[Fraction]]:
    """One line of notes and rests from (start, end, pitch) ticks."""
    snapped = []
    for start, end, number in raw:
        onset = snap(start, per_quarter)
        offset = snap(end, per_quarter)
        if offset <= onset:
            offset = onset + Fraction(1, max(GRIDS))
        snapped.append((onset, offset, number))
    snapped.sort(key=lambda n: (n[0], -n[2]))
    kept: list[list[Any]] = []
    chords: list[Fraction] = []
    overlaps: list[Fraction] = []
    for onset, offset, number in snapped:
        if kept and kept[-1][0] == onset:
            if not chords or chords[-1] != onset:
                chords.append(onset)
            continue  # a lower note of the same onset
        if kept and kept[-1][1] > onset:
            overlaps.append(onset)
            kept[-1][1] = onset
        kept.append([onset, offset, number])
    notes: list[Note] = []
    cursor = Fraction(0)
    for onset, offset, number in kept:
        if onset > cursor:
            notes.append(Note(None, onset - cursor))
        notes.append(Note(_pitch(number, flats), offset - onset))
        cursor = offset
    return notes, chords, overlaps
