"""Musical statistics of melodies, to set generated melodies beside their corpus.

For a group of melodies (one generated melody, or all the training songs):

- **pitch range**: lowest and highest pitch, and the span in semitones;
- **pitch-class entropy**: the Shannon entropy in bits of the distribution of
  pitch classes over the pitched notes (each note counts once, whatever its
  duration); a melody using the 7 notes of a scale equally has log2(7) = 2.81;
- **in-scale rate**: the fraction of pitched notes whose pitch class belongs to
  the melody's scale (the key given, or the melody's own key);
- **interval histogram**: how often each melodic interval in semitones occurs
  between successive pitched notes (rests skipped; a tied continuation is not a
  new note), with the mean absolute interval and the share of steps (|i| <= 2);
- **repeated n-gram rate** for n = 4..8: the fraction of the melody's n-grams of
  note codes that also occur in the training songs — how much is copied. For a
  generated melody, the n-grams counted are those that end in the generated
  part (so a continuation of the primer counts). For the training songs
  themselves the rate is leave-one-out: the fraction of each song's n-grams
  found in the *other* training songs (None with a single song), the level of
  sharing a repertoire has with itself;
- **rhythm** (for melodies with a time signature; :mod:`nabi_music.evaluation.rhythm`):
  onsets on beats and downbeats, syncopations, the duration histogram, the last
  note's length and place in the bar, and how much bars and two-bar groups repeat.

:func:`compare` sets generated melodies' figures beside the range of the training
songs' own (each training song described alone, its n-grams looked up in the
*other* songs): the figures a model should reproduce.

Every function returns plain dicts of numbers and strings, ready for JSON.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from nabi_music.evaluation.rhythm import RhythmCounts, duration_name, rhythm_counts, rhythm_figures
from nabi_music.music.keys import Scale
from nabi_music.music.notes import Melody, Pitch, parse_code

NGRAM_SIZES = (4, 5, 6, 7, 8)


@dataclass(frozen=True)
class Sample:
    """One melody to describe: its codes, the scale to test against, and where the
    generated part starts (0: all of it)."""

    codes: tuple[str, ...]
    scale: Scale | None = None
    start: int = 0
    time_signature: str | None = None
    """The metre, for the rhythm figures (None: no rhythm figures)."""
    pickup: Fraction | None = None
    """The upbeat's length in quarters (None: the melody starts on a downbeat)."""


@dataclass(frozen=True)
class NgramIndex:
    """The n-grams (n = 4..8) of the training songs' codes, with how many songs hold each."""

    songs: int = 0
    counts: dict[int, Counter[tuple[str, ...]]] = field(default_factory=dict)

    @classmethod
    def build(
        cls, songs: Iterable[Sequence[str]], sizes: Sequence[int] = NGRAM_SIZES
    ) -> NgramIndex:
        counts: dict[int, Counter[tuple[str, ...]]] = {n: Counter() for n in sizes}
        total = 0
        for codes in songs:
            total += 1
            for n in sizes:
                counts[n].update(set(ngrams(codes, n)))
        return cls(total, counts)

    def contains(self, gram: tuple[str, ...], exclude_own: bool = False) -> bool:
        """True if a training song holds ``gram`` (another one than its own, with
        ``exclude_own``, for a gram of a training song)."""
        count = self.counts[len(gram)].get(gram, 0)
        return count > (1 if exclude_own else 0)


def ngrams(codes: Sequence[str], n: int, start: int = 0) -> list[tuple[str, ...]]:
    """The n-grams of ``codes`` that end at index ``start`` or later."""
    first = max(0, start - n + 1)
    return [tuple(codes[i : i + n]) for i in range(first, len(codes) - n + 1)]


def heard_pitches(codes: Sequence[str]) -> list[tuple[int, int]]:
    """``(index, MIDI pitch)`` of each note one hears start: rests and tied
    continuations of the same pitch are left out."""
    parsed = {c: parse_code(c) for c in set(codes)}
    notes = [parsed[c] for c in codes]
    out = []
    for i, note in enumerate(notes):
        if note.pitch is None:
            continue
        prev = notes[i - 1] if i else None
        held = (
            prev is not None
            and prev.tie
            and prev.pitch is not None
            and prev.pitch.midi == note.pitch.midi
        )
        if not held:
            out.append((i, note.pitch.midi))
    return out


def entropy_bits(counts: Iterable[int]) -> float:
    """Shannon entropy in bits of a distribution given by counts."""
    values = [c for c in counts if c > 0]
    total = sum(values)
    if total == 0:
        return 0.0
    return max(0.0, -sum(c / total * math.log2(c / total) for c in values))


def describe(
    samples: Sequence[Sample],
    training: NgramIndex | None = None,
    *,
    leave_one_out: bool = False,
) -> dict[str, object]:
    """The statistics of a group of melodies, pooled over all their notes.

    ``training``: the n-gram index for the repeated n-gram rate (left out, the
    rates are None); ``leave_one_out``: the samples are the training songs
    themselves (see the module docstring).
    """
    pitches: list[int] = []
    pcs: Counter[int] = Counter()
    in_scale = scaled = 0
    intervals: Counter[int] = Counter()
    notes = rests = 0
    copied = {n: [0, 0] for n in NGRAM_SIZES}
    rhythm: RhythmCounts | None = None
    for sample in samples:
        if sample.time_signature:
            counts = rhythm_counts(sample.codes, sample.time_signature, sample.pickup, sample.start)
            rhythm = counts if rhythm is None else rhythm + counts
        codes = list(sample.codes)
        part = codes[sample.start :]
        notes += len(part)
        rests += sum(1 for c in part if c.startswith("r"))
        heard = heard_pitches(codes)
        own = [m for i, m in heard if i >= sample.start]
        pitches.extend(own)
        pcs.update(m % 12 for m in own)
        if sample.scale is not None:
            scaled += len(own)
            in_scale += sum(1 for m in own if sample.scale.contains(m))
        # the interval into the first generated note (from the primer's last) counts
        intervals.update(b - a for (_, a), (j, b) in itertools.pairwise(heard) if j >= sample.start)
        if training is not None:
            for n in NGRAM_SIZES:
                grams = ngrams(codes, n, sample.start)
                copied[n][0] += sum(1 for g in grams if training.contains(g, leave_one_out))
                copied[n][1] += len(grams)
    total_intervals = sum(intervals.values())
    low, high = (min(pitches), max(pitches)) if pitches else (None, None)
    repeated: dict[str, float | None] = {}
    for n in NGRAM_SIZES:
        hits, total = copied[n]
        usable = training is not None and total > 0 and not (leave_one_out and training.songs < 2)
        repeated[str(n)] = round(hits / total, 4) if usable else None
    return {
        "melodies": len(samples),
        "notes": notes,
        "rests": rests,
        "pitched_notes": len(pitches),
        "lowest": None if low is None else Pitch.from_midi(low).name,
        "highest": None if high is None else Pitch.from_midi(high).name,
        "lowest_midi": low,
        "highest_midi": high,
        "span_semitones": None if low is None or high is None else high - low,
        "pitch_class_entropy_bits": round(entropy_bits(pcs.values()), 4),
        "in_scale_rate": round(in_scale / scaled, 4) if scaled else None,
        "intervals": {str(k): intervals[k] for k in sorted(intervals)},
        "mean_abs_interval": (
            round(sum(abs(k) * v for k, v in intervals.items()) / total_intervals, 3)
            if total_intervals
            else None
        ),
        "step_rate": (
            round(sum(v for k, v in intervals.items() if abs(k) <= 2) / total_intervals, 4)
            if total_intervals
            else None
        ),
        "repeated_ngram_rate": repeated,
        "rhythm": None if rhythm is None else rhythm_figures(rhythm),
    }


def melody_stats(
    codes: Sequence[str] | str | Melody,
    scale: Scale | None = None,
    training: NgramIndex | None = None,
    start: int = 0,
    time_signature: str | None = None,
    pickup: Fraction | None = None,
) -> dict[str, object]:
    """The statistics of one melody (its codes from ``start`` on; see :func:`describe`):
    a list of codes, one string of them (``"g8 e8 e4"``) or a :class:`Melody` (whose
    metre and upbeat are then used unless given)."""
    if isinstance(codes, Melody):
        time_signature = time_signature or codes.time_signature
        pickup = pickup if pickup is not None else codes.pickup
        codes = codes.codes
    elif isinstance(codes, str):
        codes = codes.split()
    return describe([Sample(tuple(codes), scale, start, time_signature, pickup)], training)


def corpus_stats(
    songs: Sequence[tuple[Sequence[str], Scale | None] | Sample],
    training: NgramIndex | None = None,
) -> dict[str, object]:
    """The pooled statistics of training songs (``(codes, scale)`` or :class:`Sample`),
    n-gram rates leave-one-out."""
    samples = [s if isinstance(s, Sample) else Sample(tuple(s[0]), s[1]) for s in songs]
    return describe(samples, training, leave_one_out=True)


# --- generated against training: the leave-one-out range ---------------------------

FIGURES: tuple[tuple[str, str, str], ...] = (
    ("span_semitones", "span (semitones)", "num"),
    ("pitch_class_entropy_bits", "pitch-class entropy (bits)", "num"),
    ("in_scale_rate", "in key", "pct"),
    ("mean_abs_interval", "mean |interval| (semitones)", "num"),
    ("step_rate", "steps (|interval| <= 2)", "pct"),
    ("copied_4", "4-grams also in training", "pct"),
    ("onsets_on_beats", "onsets on beats", "pct"),
    ("onsets_on_downbeats", "onsets on downbeats", "pct"),
    ("syncopation_rate", "syncopations", "pct"),
    ("duration_1/2", "8th notes", "pct"),
    ("duration_1", "quarter notes", "pct"),
    ("duration_3/2", "dotted quarter notes", "pct"),
    ("duration_2", "half notes", "pct"),
    ("last_note_beats", "last note (beats)", "num"),
    ("last_note_on_downbeat", "last note on a downbeat", "pct"),
    ("bar_repetition", "bars repeating an earlier bar", "pct"),
    ("two_bar_repetition", "2-bar groups repeating", "pct"),
)
"""The figures :func:`compare` sets side by side: (key, label, kind: ``pct`` or ``num``)."""

CENTRAL = (5.0, 95.0)
"""The training songs' range: the central 90% of their own figures (percentiles)."""


def figures(stats: dict[str, Any]) -> dict[str, float | None]:
    """The scalar figures of one melody's :func:`describe` dict, by :data:`FIGURES` key."""
    rhythm = stats.get("rhythm") or {}
    durations = rhythm.get("durations") or {}
    out: dict[str, float | None] = {}
    for key, _, _ in FIGURES:
        if key == "copied_4":
            out[key] = (stats.get("repeated_ngram_rate") or {}).get("4")
        elif key.startswith("duration_"):
            out[key] = durations.get(key.split("_", 1)[1], 0.0) if rhythm else None
        elif key in stats:
            out[key] = stats[key]
        else:
            out[key] = rhythm.get(key)
    return out


def compare(
    generated: Sequence[dict[str, Any]], training: Sequence[dict[str, float | None]]
) -> list[dict[str, Any]]:
    """Each figure of :data:`FIGURES`: the generated melodies' mean (``generated``: each
    melody's :func:`describe` dict) beside the training songs' mean, central range
    (:data:`CENTRAL` percentiles) and extremes (``training``: each song's
    :func:`figures`, described alone, n-grams leave-one-out), and whether the mean
    lies within the central range."""
    mine = [figures(s) for s in generated]
    rows = []
    for key, label, kind in FIGURES:
        gen = [f[key] for f in mine if f.get(key) is not None]
        ref = [f[key] for f in training if f.get(key) is not None]
        if not gen or not ref:
            continue
        low, high = (float(v) for v in np.percentile(ref, CENTRAL))
        mean = float(np.mean(gen))
        rows.append(
            {
                "figure": key,
                "label": label,
                "kind": kind,
                "generated_mean": round(mean, 4),
                "generated_melodies": len(gen),
                "training_mean": round(float(np.mean(ref)), 4),
                "training_low": round(low, 4),
                "training_high": round(high, 4),
                "training_min": round(float(min(ref)), 4),
                "training_max": round(float(max(ref)), 4),
                "training_songs": len(ref),
                "within": bool(low - 1e-9 <= mean <= high + 1e-9),
            }
        )
    return rows


def duration_label(key: str) -> str:
    """A duration histogram key (quarters) as a name: ``1/2`` -> ``8th``."""
    return duration_name(key)
