"""Each note's context as integer tokens: where it falls in the bar, and its pitch as a
step from the note before, for the metre-aware networks.

A song of N notes becomes N rows of :data:`INPUTS` tokens and N rows of
:data:`TARGETS`: row ``t`` holds what is known before note ``t`` sounds (the
previous note's step, length, contour and degree; where note ``t`` starts in its
bar, that onset's beat strength, and the metre; every one of them follows from the
notes before ``t``), and the target is note ``t``'s step and length. A step is the
interval in semitones from the pitch before (the last note with a pitch), so the
rows are the same in every key; the first pitch of a song is a step from a
reference pitch (the key's tonic in the octave above middle C when the key may be
known, else middle C itself, so that it is the pitch itself).

With ``key`` (the key information the literature's multiple-viewpoint systems
use), each pitch's scale degree above the tonic is an input; without it, its
degree above the song's first pitch (a key the network can learn to guess).
:func:`code_log_probs` turns a network's step and length distributions back into
a distribution over a vocabulary's codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from nabi_music.data.encoding import Vocabulary
from nabi_music.data.transpose import melody_key
from nabi_music.errors import InputError
from nabi_music.music.metre import bar_length, first_position, parse_time_signature
from nabi_music.music.notes import Melody, parse_code

MAX_STEP = 36
"""Steps from -36 to +36 semitones have a class each; larger ones are clipped."""
STEPS = 2 * MAX_STEP + 1
REST = STEPS
"""The step class of a rest."""
STEP_CLASSES = STEPS + 1
START = STEP_CLASSES
"""The input token before a song's first note (the row of a padded window too)."""

DURATIONS: tuple[Fraction, ...] = tuple(
    sorted(
        {Fraction(8, 2 ** (k + 1)) * f for k in range(-1, 7) for f in (Fraction(1), Fraction(3, 2))}
        | {Fraction(4, 3 * 2**k) for k in range(0, 5)}
        | {Fraction(3), Fraction(6), Fraction(5, 2), Fraction(5)}
    )
)
"""The lengths (quarters) with a class each: plain and dotted values from a 64th to a
breve and a half, triplet values, and a few long held values; others share one class."""
LENGTH_CLASSES = 2 * (len(DURATIONS) + 1)
"""Each length class twice: held into the next note (tied) or not."""

GRID = 48
"""Onset positions per bar: every 16th of 2/4, 3/4, 4/4 and 6/8, and triplets, fall on it."""
OFF_GRID = GRID
NO_METRE = GRID + 1
STRENGTHS = 7
"""Beat strength classes: bar, half bar, beat, half beat, quarter beat, finer, no metre."""
METRES = ("2/4", "3/4", "4/4", "6/8", "3/8", "2/2", "3/2", "6/4", "9/8", "12/8", "5/4", "3/1")
OTHER_METRE = len(METRES)
NO_METRE_TOKEN = len(METRES) + 1
MAX_CONTOUR = 24
DEGREES = 12
NO_DEGREE = 2 * DEGREES
"""Degree tokens: 0..11 (major or no mode), 12..23 (minor), and none (a rest or the start)."""

INPUTS = ("step", "length", "contour", "degree", "position", "strength", "metre")
TARGETS = ("step", "length")
SIZES = {
    "step": STEP_CLASSES + 1,
    "length": LENGTH_CLASSES + 1,
    "contour": 2 * MAX_CONTOUR + 2,
    "degree": NO_DEGREE + 1,
    "position": GRID + 2,
    "strength": STRENGTHS,
    "metre": len(METRES) + 2,
}
"""Each input's number of tokens."""
OFFSETS = np.cumsum([0] + [SIZES[name] for name in INPUTS[:-1]]).astype(np.int32)
"""Where each input's tokens start in the one embedding table of them all."""
TOKENS = int(sum(SIZES.values()))
"""The rows of that table."""
PAD_ROW = np.array(
    [
        START,
        LENGTH_CLASSES,
        2 * MAX_CONTOUR + 1,
        NO_DEGREE,
        NO_METRE,
        STRENGTHS - 1,
        NO_METRE_TOKEN,
    ],
    dtype=np.int32,
)
"""The row that pads a window before a song's first note."""
_DURATION_INDEX = {d: k for k, d in enumerate(DURATIONS)}


def length_class(duration: Fraction, tie: bool) -> int:
    """A note's length class: its duration's, held (tied) or not."""
    base = _DURATION_INDEX.get(Fraction(duration), len(DURATIONS))
    return base + (len(DURATIONS) + 1 if tie else 0)


def step_class(pitch: int | None, reference: int) -> int:
    """The class of the step from ``reference`` to ``pitch`` (a rest: :data:`REST`)."""
    if pitch is None:
        return REST
    return int(np.clip(pitch - reference, -MAX_STEP, MAX_STEP)) + MAX_STEP


def beat_strength(position: Fraction, time_signature: str) -> int:
    """How strong an onset ``position`` quarters into a bar is: 0 the bar's first beat,
    1 the middle of a bar of 4, 6 ... beats, 2 another beat, 3 a beat's half (a third in
    compound metres), 4 a quarter beat, 5 finer."""
    num, den = parse_time_signature(time_signature)
    compound = num % 3 == 0 and num > 3 and den >= 8
    beat = Fraction(4, den) * (3 if compound else 1)
    beats = num // 3 if compound else num
    if position == 0:
        return 0
    if beats % 2 == 0 and beats >= 4 and position == beat * (beats // 2):
        return 1
    units = (beat, beat / 3, beat / 6) if compound else (beat, beat / 2, beat / 4)
    for level, unit in enumerate(units, start=2):
        if (position / unit).denominator == 1:
            return level
    return 5


def metre_bar(time_signature: str | None) -> Fraction | None:
    """The bar's length of a metre the rows can place notes in; None without one, or for
    one no single N/D names (the notes then have no place in a bar)."""
    if time_signature is None:
        return None
    try:
        return bar_length(time_signature)
    except InputError:
        return None


def metre_token(time_signature: str | None) -> int:
    if metre_bar(time_signature) is None:
        return NO_METRE_TOKEN
    return METRES.index(time_signature) if time_signature in METRES else OTHER_METRE


@dataclass(frozen=True)
class KeyReference:
    """The pitch a song's first step is taken from, and what its degrees are counted
    from: the tonic (``mode`` ``minor`` or else), or the song's first pitch."""

    reference: int
    tonic: int | None
    minor: bool


def key_reference(melody: Melody, key: bool) -> KeyReference:
    """With ``key``: the tonic of the melody's written (or found) key in the octave from
    middle C; without: middle C, degrees counted from the first pitch."""
    if not key:
        return KeyReference(60, None, False)
    tonic, mode = melody_key(melody)
    tonic_class = tonic.midi % 12
    return KeyReference(60 + tonic_class, tonic_class, mode == "minor")


def song_rows(
    melody: Melody, key: bool, pitched_only: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The melody's input rows ``(N, len(INPUTS))`` and target rows ``(N, 2)``.

    ``pitched_only``: one row per note with a pitch (rests left out, as the pitch task
    does); a rest's time then counts in the length of the note before it.
    """
    ref = key_reference(melody, key)
    bar = metre_bar(melody.time_signature)
    position = first_position(bar, melody.pickup) if bar else Fraction(0)
    first_pitch = next((n.pitch.midi for n in melody.notes if n.pitch), None)
    degree_from = ref.tonic if key else (first_pitch % 12 if first_pitch is not None else 0)
    inputs: list[list[int]] = []
    targets: list[list[int]] = []
    previous = PAD_ROW[:4].tolist()  # step, length, contour, degree of the note before
    last_pitch = ref.reference
    held = Fraction(0)  # a pitched note's length and the rests after it
    prev_tie = False
    for note in melody.notes:
        pitch = note.pitch.midi if note.pitch else None
        if pitched_only and pitch is None:
            held += note.duration
            if bar:
                position = (position + note.duration) % bar
            if inputs:
                previous[1] = length_class(held, prev_tie)
            continue
        if bar:
            grid = position * GRID / bar
            where = int(grid) if grid.denominator == 1 else OFF_GRID
            strength = beat_strength(position, melody.time_signature)  # type: ignore[arg-type]
        else:
            where, strength = NO_METRE, STRENGTHS - 1
        inputs.append([*previous, where, strength, metre_token(melody.time_signature)])
        step = step_class(pitch, last_pitch)
        targets.append([step, length_class(note.duration, note.tie)])
        if pitch is None:
            contour, degree = 2 * MAX_CONTOUR + 1, NO_DEGREE
        else:
            contour = int(np.clip(pitch - (first_pitch or pitch), -MAX_CONTOUR, MAX_CONTOUR))
            contour += MAX_CONTOUR
            degree = (pitch - (degree_from or 0)) % 12 + (DEGREES if ref.minor else 0)
            last_pitch = pitch
        held, prev_tie = note.duration, note.tie
        previous = [step, length_class(held, prev_tie), contour, degree]
        if bar:
            position = (position + note.duration) % bar
    return np.array(inputs, np.int32).reshape(-1, len(INPUTS)), np.array(targets, np.int32).reshape(
        -1, len(TARGETS)
    )


def references(melody: Melody, key: bool, pitched_only: bool = False) -> np.ndarray:
    """The pitch each note's step is taken from (the last pitch before it, or the
    song's reference for its first pitch), one per row of :func:`song_rows`."""
    last = key_reference(melody, key).reference
    out = []
    for note in melody.notes:
        if pitched_only and note.pitch is None:
            continue
        out.append(last)
        if note.pitch is not None:
            last = note.pitch.midi
    return np.array(out, np.int64)


@dataclass(frozen=True)
class CodeParts:
    """A vocabulary's codes as pitches (-1: rest) and length classes, and for each
    code the number of codes sharing both (spellings), which share their mass."""

    pitch: np.ndarray
    length: np.ndarray
    shared: np.ndarray

    @classmethod
    def of(cls, vocabulary: Vocabulary) -> CodeParts:
        notes = [parse_code(c) for c in vocabulary.codes]
        pitch = np.array([-1 if n.pitch is None else n.pitch.midi for n in notes], np.int64)
        length = np.array([length_class(n.duration, n.tie) for n in notes], np.int64)
        pairs = list(zip(pitch.tolist(), length.tolist(), strict=True))
        count = {p: pairs.count(p) for p in set(pairs)}
        return cls(pitch, length, np.array([count[p] for p in pairs], np.float64))


FLOOR = 1e-9
"""The least probability of any code (a step beyond the classes, a length never seen)."""


def code_log_probs(
    step_log_probs: np.ndarray,
    length_log_probs: np.ndarray | None,
    refs: np.ndarray,
    parts: CodeParts,
) -> np.ndarray:
    """Log-probabilities ``(N, codes)`` of every code after each row: its step's
    probability from the row's reference pitch times its length's (without lengths:
    the step's alone), shared among codes of the same pitch and length, renormalised
    over the vocabulary (every code keeps at least :data:`FLOOR`)."""
    steps = np.where(
        parts.pitch[None, :] < 0,
        REST,
        np.clip(parts.pitch[None, :] - refs[:, None], -MAX_STEP, MAX_STEP) + MAX_STEP,
    )
    p = np.exp(step_log_probs[np.arange(len(refs))[:, None], steps])
    if length_log_probs is not None:
        p = p * np.exp(length_log_probs[:, parts.length])
    p = p / parts.shared[None, :] + FLOOR
    return np.log(p / p.sum(axis=1, keepdims=True))


@dataclass(frozen=True)
class RowChunks:
    """Windows of rows: ``inputs[i, t]`` is followed by ``targets[i, t]``, which counts
    when ``weights[i, t]`` is 1 (each note of each song once, with at least half a
    window of rows before it or its whole song so far)."""

    inputs: np.ndarray  # (n, window, len(INPUTS)) int32
    targets: np.ndarray  # (n, window, 2) int32
    weights: np.ndarray  # (n, window) float32

    @property
    def notes(self) -> int:
        return int(self.weights.sum())


def row_chunks(songs: Sequence[tuple[np.ndarray, np.ndarray]], window: int) -> RowChunks:
    """The windows of every song's rows (never across songs), each song padded before
    its first row with :data:`PAD_ROW`; windows end every half window from the song's
    last row back, so every row is a target once."""
    half = max(window // 2, 1)
    inputs, targets, weights = [], [], []
    for x, y in songs:
        if not len(x):
            continue
        xs = np.concatenate([np.repeat(PAD_ROW[None], window, axis=0), x])
        ys = np.concatenate([np.zeros((window, y.shape[1]), np.int32), y])
        end = len(xs)
        while end > window:
            idx = np.arange(end - window, end)
            w = (idx >= window) & ((idx >= end - half) | (end - half <= window))
            inputs.append(xs[idx])
            targets.append(np.where(w[:, None], ys[idx], 0))
            weights.append(w.astype(np.float32))
            end -= half
    if not inputs:
        raise InputError("no note to train on")
    return RowChunks(np.stack(inputs), np.stack(targets), np.stack(weights))


def last_windows(x: np.ndarray, window: int) -> np.ndarray:
    """For each row of one song, the window of rows ending at it, ``(N, window, F)``."""
    xs = np.concatenate([np.repeat(PAD_ROW[None], window, axis=0), x])
    idx = np.arange(len(x))[:, None] + np.arange(1, window + 1)[None, :]
    return xs[idx]


def joint_tokens(rows: np.ndarray) -> np.ndarray:
    """Rows ``(..., len(INPUTS))`` as indices into the one table of every input's tokens."""
    return np.asarray(rows, np.int32) + OFFSETS
