"""Rhythm statistics of a melody in its metre: where notes start, how long they last, how
the melody ends, and how much its bars repeat.

Counted over the notes one hears start (a rest is no note; a note tied on into the
same pitch counts once, with its whole sounding length), from the melody's first
note at its place in the bar (after an upbeat, :func:`nabi_music.music.metre.first_position`):

- **onsets on beats**: the share of notes that start on a beat of the metre
  (:func:`nabi_music.music.metre.beat_length`: a quarter in 2/4, a dotted quarter in
  6/8), and on a **downbeat**;
- **syncopations**: the share of notes that start off the beat and sound on over the
  next beat (``c8 d4 c8`` in 2/4: the ``d4``);
- the **duration histogram**: the share of notes of each sounding length;
- the **last note**: its sounding length in beats, where it starts in its bar, and
  its beat strength (:func:`nabi_music.music.metre.beat_strength`: 3 the downbeat, 2
  another strong beat, 1 another beat, 0 off the beat);
- **bar repetition**: the share of the melody's whole bars, after its first, whose
  notes repeat an earlier bar's exactly (as written, tied pieces cut at the bar
  line); and the same for groups of two bars (bars 1-2, 3-4, ...). An upbeat and an
  unfinished last bar are left out.

:class:`RhythmCounts` holds counts that add up over melodies, so a group of melodies
is described pooled over its notes and bars.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from nabi_music.music.metre import (
    bar_length,
    beat_length,
    beat_strength,
    first_position,
    format_quarters,
    written_notes,
)
from nabi_music.music.notes import format_code, parse_code


@dataclass(frozen=True)
class Heard:
    """One note one hears start: its index among the codes, onset (quarters from the
    melody's first note) and sounding length."""

    index: int
    onset: Fraction
    length: Fraction


def heard_notes(codes: Sequence[str]) -> list[Heard]:
    """The notes one hears start, each with its whole sounding length (ties followed)."""
    notes = [parse_code(c) for c in codes]
    out: list[Heard] = []
    time = Fraction(0)
    held = False
    for i, note in enumerate(notes):
        if note.pitch is not None:
            previous = notes[i - 1].pitch if i else None
            if held and out and previous is not None and previous.midi == note.pitch.midi:
                last = out[-1]
                out[-1] = Heard(last.index, last.onset, last.length + note.duration)
            else:
                out.append(Heard(i, time, note.duration))
        held = note.tie and note.pitch is not None
        time += note.duration
    return out


@dataclass(frozen=True)
class RhythmCounts:
    """Counts of one melody (or, added up, of a group) for :func:`rhythm_figures`."""

    melodies: int = 0
    onsets: int = 0
    on_beats: int = 0
    on_downbeats: int = 0
    syncopations: int = 0
    durations: Counter[Fraction] = field(default_factory=Counter)
    bars: int = 0
    repeated_bars: int = 0
    pairs: int = 0
    repeated_pairs: int = 0
    endings: int = 0
    last_beats: float = 0.0
    last_on_downbeat: int = 0
    last_on_strong_beat: int = 0
    last_note: dict[str, object] | None = None
    """One melody's last note (``quarters``, ``beats``, ``position``, ``strength``)."""

    def __add__(self, other: RhythmCounts) -> RhythmCounts:
        return RhythmCounts(
            self.melodies + other.melodies,
            self.onsets + other.onsets,
            self.on_beats + other.on_beats,
            self.on_downbeats + other.on_downbeats,
            self.syncopations + other.syncopations,
            self.durations + other.durations,
            self.bars + other.bars,
            self.repeated_bars + other.repeated_bars,
            self.pairs + other.pairs,
            self.repeated_pairs + other.repeated_pairs,
            self.endings + other.endings,
            self.last_beats + other.last_beats,
            self.last_on_downbeat + other.last_on_downbeat,
            self.last_on_strong_beat + other.last_on_strong_beat,
            None,
        )


def rhythm_counts(
    codes: Sequence[str],
    time_signature: str,
    pickup: Fraction | None = None,
    start: int = 0,
) -> RhythmCounts:
    """The rhythm counts of one melody in ``time_signature`` after an upbeat of ``pickup``
    quarters; notes counted from index ``start`` on (the bars of the whole melody)."""
    bar = bar_length(time_signature)
    beat = beat_length(time_signature)
    offset = first_position(bar, pickup)
    heard = heard_notes(codes)
    onsets = on_beats = on_downbeats = syncopations = 0
    durations: Counter[Fraction] = Counter()
    for note in heard:
        if note.index < start:
            continue
        time = offset + note.onset
        position = time % bar
        onsets += 1
        durations[note.length] += 1
        if position % beat == 0:
            on_beats += 1
            on_downbeats += position == 0
        else:
            next_beat = (time // beat + 1) * beat
            syncopations += time + note.length > next_beat
    last_note = None
    endings = last_on_downbeat = last_on_strong = 0
    last_beats = 0.0
    if heard and heard[-1].index >= start:
        last = heard[-1]
        position = (offset + last.onset) % bar
        strength = beat_strength(time_signature, position)
        last_note = {
            "quarters": format_quarters(last.length),
            "beats": round(float(last.length / beat), 4),
            "position": format_quarters(position),
            "strength": strength,
        }
        endings, last_beats = 1, float(last.length / beat)
        last_on_downbeat, last_on_strong = int(strength == 3), int(strength >= 2)
    bars, repeated_bars, pairs, repeated_pairs = bar_repetition(codes, bar, offset)
    return RhythmCounts(
        1,
        onsets,
        on_beats,
        on_downbeats,
        syncopations,
        durations,
        bars,
        repeated_bars,
        pairs,
        repeated_pairs,
        endings,
        last_beats,
        last_on_downbeat,
        last_on_strong,
        last_note,
    )


def whole_bars(codes: Sequence[str], bar: Fraction, offset: Fraction = Fraction(0)) -> list[tuple]:
    """The melody's whole bars, each as the tuple of its written codes (an upbeat and an
    unfinished last bar left out)."""
    pieces = written_notes([parse_code(c) for c in codes], bar, offset)
    out: list[tuple] = []
    current: list[str] = []
    started = offset % bar == 0
    for w in pieces:
        current.append(format_code(w.note))
        if w.bar_line:
            if started:
                out.append(tuple(current))
            started = True
            current = []
    return out


def bar_repetition(
    codes: Sequence[str], bar: Fraction, offset: Fraction = Fraction(0)
) -> tuple[int, int, int, int]:
    """(bars compared, bars that repeat an earlier bar, two-bar groups compared, groups
    that repeat an earlier group): every whole bar after the first is compared."""
    bars = whole_bars(codes, bar, offset)
    pairs = [bars[i] + ("|",) + bars[i + 1] for i in range(0, len(bars) - 1, 2)]

    def repeats(items: list[tuple]) -> tuple[int, int]:
        seen: set[tuple] = set()
        hits = 0
        for k, item in enumerate(items):
            hits += k > 0 and item in seen
            seen.add(item)
        return max(0, len(items) - 1), hits

    compared, hits = repeats(bars)
    pair_compared, pair_hits = repeats(pairs)
    return compared, hits, pair_compared, pair_hits


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def rhythm_figures(counts: RhythmCounts) -> dict[str, object]:
    """The figures of :class:`RhythmCounts` (pooled over its notes, bars and endings)."""
    total = sum(counts.durations.values())
    return {
        "onsets": counts.onsets,
        "onsets_on_beats": _share(counts.on_beats, counts.onsets),
        "onsets_on_downbeats": _share(counts.on_downbeats, counts.onsets),
        "syncopation_rate": _share(counts.syncopations, counts.onsets),
        "durations": {
            format_quarters(d): round(counts.durations[d] / total, 4)
            for d in sorted(counts.durations)
        },
        "last_note": counts.last_note,
        "last_note_beats": _share(counts.last_beats, counts.endings),
        "last_note_on_downbeat": _share(counts.last_on_downbeat, counts.endings),
        "last_note_on_strong_beat": _share(counts.last_on_strong_beat, counts.endings),
        "bar_repetition": _share(counts.repeated_bars, counts.bars),
        "two_bar_repetition": _share(counts.repeated_pairs, counts.pairs),
    }


DURATION_NAMES = {
    Fraction(1, 4): "16th",
    Fraction(1, 2): "8th",
    Fraction(3, 4): "dotted 8th",
    Fraction(1): "quarter",
    Fraction(3, 2): "dotted quarter",
    Fraction(2): "half",
    Fraction(3): "dotted half",
    Fraction(4): "whole",
}
"""Names of the common note lengths (quarters), for tables."""


def duration_name(quarters: str | Fraction) -> str:
    """A note length's name (``8th``), or its length in quarters (``5/2 q``)."""
    value = Fraction(quarters)
    return DURATION_NAMES.get(value, f"{format_quarters(value)} q")
